//! The runtimes this crate ships, ready to use: the lifecycle on Wasmtime (the
//! reference) and on wasmi. Each is [`Runtime::on`] an engine backend with the default
//! [`Options`]; this file only adds constructors.

use crate::engine::wasmi::Wasmi;
use crate::engine::wasmtime::Wasmtime;
use crate::engine::wasmtime::config::{Allocation, WasmtimeConfig};
use crate::lifecycle::{DEFAULT_CACHE_CAPACITY, Options, Runtime};
use lifecycle_contract::{Error, Fault, Stage};

/// Settings of the reference runtime.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// The engine's: stack, epoch tick, allocator and its ceilings.
    pub engine: WasmtimeConfig,
    /// Compiled modules kept per runtime; the oldest is evicted past this (0: none).
    pub cache_capacity: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            engine: WasmtimeConfig::default(),
            cache_capacity: DEFAULT_CACHE_CAPACITY,
        }
    }
}

/// The lifecycle on wasmi.
pub type WasmiRuntime = Runtime<Wasmi>;

impl Runtime<Wasmtime> {
    /// A runtime with the contract's defaults.
    pub fn new() -> Result<Self, Error> {
        Runtime::with_config(RuntimeConfig::default())
    }

    pub fn with_config(config: RuntimeConfig) -> Result<Self, Error> {
        let engine = Wasmtime::new(&config.engine)
            .map_err(|e| Error::new(Stage::Load, Fault::EngineInitialization).with_detail(e))?;
        let options = Options {
            cache_capacity: config.cache_capacity,
            ..Options::default()
        };
        Ok(Runtime::on(engine, options))
    }
}

impl Runtime<Wasmi> {
    pub fn new() -> Self {
        Runtime::on(Wasmi::default(), Options::default())
    }
}

impl Default for Runtime<Wasmi> {
    fn default() -> Self {
        Runtime::<Wasmi>::new()
    }
}

/// A fresh reference runtime, as the conformance runner wants one per case.
pub fn reference() -> Result<Runtime<Wasmtime>, Error> {
    Runtime::<Wasmtime>::new()
}

/// A fresh reference runtime allocating as `allocation` says.
pub fn reference_on(allocation: Allocation) -> Result<Runtime<Wasmtime>, Error> {
    let mut config = RuntimeConfig::default();
    config.engine.allocation = allocation;
    Runtime::with_config(config)
}

/// A fresh wasmi runtime, as the conformance runner wants one per case: it cannot fail.
pub fn wasmi() -> Result<WasmiRuntime, std::convert::Infallible> {
    Ok(WasmiRuntime::new())
}
