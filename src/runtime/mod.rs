//! The reference runtime: the lifecycle contract on Wasmtime.
//!
//! A [`Runtime`] owns one engine per feature profile, one epoch ticker, a cache of
//! compiled modules keyed by content hash, and the live counters. Components borrow all
//! of it: starting a component never creates an engine, and starting a cached module
//! never compiles.

#[cfg(feature = "defects")]
pub mod defects;
#[cfg(not(feature = "defects"))]
pub(crate) mod defects;
pub(crate) mod exports;
pub(crate) mod prepare;
pub(crate) mod store;
mod ticker;

use crate::component::{Component, ComponentConfig};
use crate::error::{Error, Fault, Stage};
use crate::limits::DEFAULT_MAX_WASM_STACK;
use crate::profile::Profile;
use crate::source::ModuleSource;
use prepare::Prepared;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::{Config, Engine, WasmFeatures};

/// Settings that apply to every component of a runtime.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Guest stack limit (CONTRACT §4 `max_wasm_stack`); Wasmtime sets it per engine.
    pub max_wasm_stack: usize,
    /// How often the epoch ticker ticks: the resolution of every wall-clock timeout.
    pub epoch_tick: Duration,
    /// Compiled modules kept per runtime; the oldest is evicted past this.
    pub cache_capacity: usize,
    /// A defect to inject (testing the suite only).
    #[cfg(feature = "defects")]
    pub defect: Option<defects::Defect>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            max_wasm_stack: DEFAULT_MAX_WASM_STACK,
            epoch_tick: Duration::from_millis(1),
            cache_capacity: 256,
            #[cfg(feature = "defects")]
            defect: None,
        }
    }
}

/// What the runtime holds right now, shared with every store.
#[derive(Default)]
pub(crate) struct Counters {
    pub instances: AtomicUsize,
    pub memory_bytes: AtomicU64,
    pub compilations: AtomicU64,
}

/// (engine profile, validation profile, SHA-256 of the bytes).
type CacheKey = (Profile, Profile, [u8; 32]);

#[derive(Default)]
struct ModuleCache {
    entries: HashMap<CacheKey, Arc<Prepared>>,
    order: VecDeque<CacheKey>,
}

pub(crate) struct RuntimeInner {
    engines: Vec<(Profile, Engine)>,
    cache: Mutex<ModuleCache>,
    cache_capacity: usize,
    max_wasm_stack: usize,
    pub(crate) counters: Arc<Counters>,
    /// Always `None` unless the `defects` feature set one.
    pub(crate) defect: Option<defects::Defect>,
    _ticker: ticker::Ticker,
}

/// The reference runtime. Cheap to clone; every clone shares engines, cache and counters.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

fn engine_for(profile: Profile, config: &RuntimeConfig) -> wasmtime::Result<Engine> {
    let mut c = Config::new();
    c.wasm_features(WasmFeatures::all(), false)
        .wasm_features(profile.features(), true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(config.max_wasm_stack);
    Engine::new(&c)
}

impl Runtime {
    /// A runtime with the contract's defaults.
    pub fn new() -> Result<Runtime, Error> {
        Runtime::with_config(RuntimeConfig::default())
    }

    pub fn with_config(config: RuntimeConfig) -> Result<Runtime, Error> {
        let init_error = |e: &dyn std::fmt::Display| {
            Error::new(Stage::Load, Fault::EngineInitialization).with_detail(e)
        };
        let engines = Profile::ALL
            .iter()
            .map(|&p| engine_for(p, &config).map(|engine| (p, engine)))
            .collect::<wasmtime::Result<Vec<_>>>()
            .map_err(|e| init_error(&e))?;
        let tick_these = engines.iter().map(|(_, e)| e.clone()).collect();
        #[cfg(feature = "defects")]
        let tick = match config.defect {
            Some(defects::Defect::EpochTickOneSecond) => Duration::from_secs(1),
            _ => config.epoch_tick,
        };
        #[cfg(not(feature = "defects"))]
        let tick = config.epoch_tick;
        let ticker = ticker::Ticker::start(tick_these, tick).map_err(|e| init_error(&e))?;
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                engines,
                cache: Mutex::default(),
                cache_capacity: config.cache_capacity.max(1),
                max_wasm_stack: config.max_wasm_stack,
                counters: Arc::default(),
                #[cfg(feature = "defects")]
                defect: config.defect,
                #[cfg(not(feature = "defects"))]
                defect: None,
                _ticker: ticker,
            }),
        })
    }

    /// A new component in state `creating`. Nothing is loaded until [`Component::start`].
    pub fn component(&self, source: ModuleSource, config: ComponentConfig) -> Component {
        Component::new(self.inner.clone(), source, config)
    }

    /// Stores (instances) alive right now.
    pub fn live_instances(&self) -> usize {
        self.inner.counters.instances.load(Ordering::SeqCst)
    }

    /// Linear memory accounted to live stores, in bytes.
    pub fn accounted_memory_bytes(&self) -> u64 {
        self.inner.counters.memory_bytes.load(Ordering::SeqCst)
    }

    /// Whether guest calls are metered with fuel (always, but where a defect is injected).
    pub(crate) fn meters_fuel(&self) -> bool {
        !self.inner.has_defect(defects::Defect::NoFuelNoTimeouts)
    }

    /// Modules compiled since the runtime was created (a cache hit compiles nothing).
    pub fn compilations(&self) -> u64 {
        self.inner.counters.compilations.load(Ordering::SeqCst)
    }
}

impl RuntimeInner {
    pub(crate) fn has_defect(&self, defect: defects::Defect) -> bool {
        self.defect == Some(defect)
    }

    pub(crate) fn engine(&self, profile: Profile) -> &Engine {
        self.engines
            .iter()
            .find_map(|(p, engine)| (*p == profile).then_some(engine))
            .expect("one engine per profile")
    }

    /// Validates `bytes` under `validate_as` and compiles them on `profile`'s engine, or
    /// returns the cached result. The two profiles differ only when a defect is injected;
    /// both are in the key, so a module is never handed to another engine.
    pub(crate) fn prepare(
        &self,
        profile: Profile,
        validate_as: Profile,
        bytes: &[u8],
    ) -> Result<Arc<Prepared>, Error> {
        if self.has_defect(defects::Defect::EnginePerStart) {
            // The defect: an Engine made and a compile done for every start, nothing kept.
            // (The module is compiled on the runtime's own engine, which the ticker
            // drives, so that timeouts still end runs of this mutant.)
            let config = RuntimeConfig {
                max_wasm_stack: self.max_wasm_stack,
                ..RuntimeConfig::default()
            };
            drop(engine_for(profile, &config));
            let prepared = prepare::prepare(self.engine(profile), validate_as, bytes)?;
            self.counters.compilations.fetch_add(1, Ordering::SeqCst);
            return Ok(Arc::new(prepared));
        }
        let digest: [u8; 32] = match self.has_defect(defects::Defect::CacheKeyedByLength) {
            true => {
                let mut by_length = [0; 32];
                by_length[..8].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
                by_length
            }
            false => Sha256::digest(bytes).into(),
        };
        let key = match self.has_defect(defects::Defect::CacheIgnoresProfile) {
            true => (Profile::Strict, Profile::Strict, digest),
            false => (profile, validate_as, digest),
        };
        if let Some(hit) = self.cache.lock().expect("cache lock").entries.get(&key) {
            return Ok(hit.clone());
        }
        // Compile outside the lock; two racing misses compile twice, which is harmless.
        let prepared = Arc::new(prepare::prepare(self.engine(profile), validate_as, bytes)?);
        self.counters.compilations.fetch_add(1, Ordering::SeqCst);
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.entries.insert(key, prepared.clone()).is_none() {
            cache.order.push_back(key);
        }
        while cache.order.len() > self.cache_capacity {
            if let Some(old) = cache.order.pop_front() {
                cache.entries.remove(&old);
            }
        }
        Ok(prepared)
    }
}
