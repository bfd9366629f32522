//! The baselines every figure is compared with, measured in the same process:
//!
//! * the **engine floor**: bare Wasmtime on the reference runtime's own engine
//!   configuration (fuel, epochs, the same allocator), a module pre-linked once, and per
//!   cycle only `InstancePre::instantiate_async`, the lifecycle's calls (async, as a
//!   runtime whose calls can be abandoned must make them) and a drop: what no runtime
//!   built on this engine can beat;
//! * **seed style**: a new `Engine` and a compile for every start, the design this kit
//!   was born from and the defect it exists to catch.

use super::stats::Samples;
use lifecycle_runtime::engine::wasmtime::config::{Allocation, WasmtimeConfig};
use std::time::{Duration, Instant};
use wasmtime::{Engine, Instance, InstancePre, Linker, Module, Store, TypedFunc};

/// The message every figure sends: 16 bytes.
pub const MESSAGE: &[u8; 16] = b"sixteen bytes ok";

/// Bare Wasmtime on one engine, the echo actor pre-linked.
pub struct Floor {
    engine: Engine,
    pre: InstancePre<()>,
}

/// The lifecycle's typed exports of one bare instance.
struct Calls {
    start: TypedFunc<(), ()>,
    cleanup: TypedFunc<(), ()>,
    health: TypedFunc<(), i32>,
    alloc: TypedFunc<i32, i32>,
    handle: TypedFunc<(i32, i32), i64>,
    memory: wasmtime::Memory,
}

impl Calls {
    fn of(instance: &Instance, store: &mut Store<()>) -> wasmtime::Result<Calls> {
        Ok(Calls {
            start: instance.get_typed_func(&mut *store, "_start")?,
            cleanup: instance.get_typed_func(&mut *store, "_cleanup")?,
            health: instance.get_typed_func(&mut *store, "_health")?,
            alloc: instance.get_typed_func(&mut *store, "alloc")?,
            handle: instance.get_typed_func(&mut *store, "handle-message")?,
            memory: instance
                .get_memory(&mut *store, "memory")
                .ok_or_else(|| wasmtime::Error::msg("no memory"))?,
        })
    }

    /// One message as the lifecycle sends it: `alloc`, write, `handle-message`, read.
    async fn message(&self, store: &mut Store<()>, reply: &mut [u8]) -> wasmtime::Result<()> {
        let ptr = self
            .alloc
            .call_async(&mut *store, MESSAGE.len() as i32)
            .await?;
        self.memory.write(&mut *store, ptr as usize, MESSAGE)?;
        let packed = self
            .handle
            .call_async(&mut *store, (ptr, MESSAGE.len() as i32))
            .await?;
        let (at, len) = ((packed >> 32) as usize, (packed as u32) as usize);
        self.memory.read(&*store, at, &mut reply[..len])?;
        Ok(())
    }
}

pub(super) fn fueled_store(engine: &Engine) -> wasmtime::Result<Store<()>> {
    let mut store = Store::new(engine, ());
    store.set_fuel(u64::MAX)?;
    store.set_epoch_deadline(u64::MAX);
    Ok(store)
}

/// A bare engine on the reference engine's configuration with `allocation`; `None`
/// where a pool was asked for and the host could not reserve it.
pub(super) fn bare_engine(allocation: Allocation) -> wasmtime::Result<Option<Engine>> {
    let config = WasmtimeConfig {
        allocation,
        ..WasmtimeConfig::default()
    };
    let (engine, got) = config.bare_engine()?;
    Ok((got == allocation).then_some(engine))
}

/// `n` runs of `once`, each timed.
pub(super) async fn timed<F: AsyncFnMut() -> wasmtime::Result<()>>(
    n: usize,
    mut once: F,
) -> wasmtime::Result<Samples> {
    let mut samples = Samples::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        once().await?;
        samples.push(t.elapsed());
    }
    Ok(samples)
}

impl Floor {
    /// The floor on the reference engine's configuration with `allocation`; `None` where
    /// a pool was asked for and the host could not reserve it.
    pub fn new(allocation: Allocation, wasm: &[u8]) -> wasmtime::Result<Option<Floor>> {
        let Some(engine) = bare_engine(allocation)? else {
            return Ok(None);
        };
        let module = Module::from_binary(&engine, wasm)?;
        let pre = Linker::new(&engine).instantiate_pre(&module)?;
        Ok(Some(Floor { engine, pre }))
    }

    /// Instantiate, `_start`, one message, `_cleanup`, drop.
    pub async fn cycle(&self) -> wasmtime::Result<()> {
        let mut store = fueled_store(&self.engine)?;
        let instance = self.pre.instantiate_async(&mut store).await?;
        let calls = Calls::of(&instance, &mut store)?;
        calls.start.call_async(&mut store, ()).await?;
        calls.message(&mut store, &mut [0; 16]).await?;
        calls.cleanup.call_async(&mut store, ()).await?;
        Ok(())
    }

    /// `n` messages on one instance: each one's latency, and the whole run's duration.
    pub async fn messages(&self, n: usize) -> wasmtime::Result<(Samples, Duration)> {
        let mut store = fueled_store(&self.engine)?;
        let instance = self.pre.instantiate_async(&mut store).await?;
        let calls = Calls::of(&instance, &mut store)?;
        calls.start.call_async(&mut store, ()).await?;
        let mut samples = Samples::with_capacity(n);
        let mut reply = [0; 16];
        let began = Instant::now();
        for _ in 0..n {
            let t = Instant::now();
            calls.message(&mut store, &mut reply).await?;
            samples.push(t.elapsed());
        }
        Ok((samples, began.elapsed()))
    }

    /// `n` messages on one instance with synchronous calls (no fiber: cheaper, but a
    /// call cannot be abandoned before its deadline): the call path not taken, measured
    /// beside the one taken.
    pub async fn messages_sync(&self, n: usize) -> wasmtime::Result<(Samples, Duration)> {
        let mut store = fueled_store(&self.engine)?;
        let instance = self.pre.instantiate_async(&mut store).await?;
        let calls = Calls::of(&instance, &mut store)?;
        calls.start.call(&mut store, ())?;
        let mut samples = Samples::with_capacity(n);
        let mut reply = [0; 16];
        let began = Instant::now();
        for _ in 0..n {
            let t = Instant::now();
            let ptr = calls.alloc.call(&mut store, MESSAGE.len() as i32)?;
            calls.memory.write(&mut store, ptr as usize, MESSAGE)?;
            let packed = calls.handle.call(&mut store, (ptr, MESSAGE.len() as i32))?;
            let (at, len) = ((packed >> 32) as usize, (packed as u32) as usize);
            calls.memory.read(&store, at, &mut reply[..len])?;
            samples.push(t.elapsed());
        }
        Ok((samples, began.elapsed()))
    }

    /// `n` health checks on one instance.
    pub async fn health(&self, n: usize) -> wasmtime::Result<Samples> {
        let mut store = fueled_store(&self.engine)?;
        let instance = self.pre.instantiate_async(&mut store).await?;
        let calls = Calls::of(&instance, &mut store)?;
        let mut samples = Samples::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            calls.health.call_async(&mut store, ()).await?;
            samples.push(t.elapsed());
        }
        Ok(samples)
    }
}

/// One seed-style cycle: a new Engine, a compile, then what [`Floor::cycle`] does.
pub async fn seed_style_cycle(wasm: &[u8]) -> wasmtime::Result<()> {
    let mut config = wasmtime::Config::new();
    config.consume_fuel(true).epoch_interruption(true);
    let engine = Engine::new(&config)?;
    let module = Module::from_binary(&engine, wasm)?;
    let mut store = fueled_store(&engine)?;
    let instance = Instance::new_async(&mut store, &module, &[]).await?;
    let calls = Calls::of(&instance, &mut store)?;
    calls.start.call_async(&mut store, ()).await?;
    calls.message(&mut store, &mut [0; 16]).await?;
    calls.cleanup.call_async(&mut store, ()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_baseline_runs_the_echo_actor() {
        let wasm = wat::parse_str(super::super::modules::echo()).unwrap();
        for allocation in Allocation::ALL {
            let floor = Floor::new(allocation, &wasm)
                .unwrap()
                .expect("this host pools");
            floor.cycle().await.unwrap();
            let (samples, _) = floor.messages(3).await.unwrap();
            assert!(samples.p50_us() > 0.0);
            let (samples, _) = floor.messages_sync(3).await.unwrap();
            assert!(samples.p50_us() > 0.0);
            floor.health(2).await.unwrap();
        }
        seed_style_cycle(&wasm).await.unwrap();
    }
}
