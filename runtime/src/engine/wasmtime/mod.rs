//! The Wasmtime backend: the reference engine.
//!
//! One Wasmtime `Engine` for every feature profile (built as [`config`] declares: pooled
//! by default; each module was validated under its own profile before it gets here),
//! driven by one epoch ticker thread. A module is compiled once and
//! pre-linked (`InstancePre`), so a start only instantiates. Fuel is Wasmtime's fuel; a
//! deadline is an epoch deadline checked on every tick, so a guest past its deadline
//! gets `Trap::Interrupt` at the next tick even in a tight loop.
//!
//! Guest code runs in async calls on a fiber, so a caller may abandon a call at any
//! tick (dropping its future) and a guest within its deadline yields to the executor at
//! each tick. (Synchronous calls measured cheaper, about 20 ns against 140 ns per bare
//! call, but a synchronous call cannot be abandoned before its deadline.)
//!
//! Invariants: a module is only ever instantiated on the engine that compiled it; every
//! store has the lifecycle's limiter installed and consumes fuel.

pub mod config;
mod ticker;
mod world;

pub use world::bindings;

use super::{
    Call, Ceilings, CompileError, Engine, Exports, Guest, Instantiate, Lifted, Limiter, Signatures,
    Stopped, WorldCall, bytes_at,
};
use config::{Allocation, WasmtimeConfig, engine_for, every_profile};
use lifecycle_contract::{Abi, Entry, Event, GuestFailure, Profile, TrapCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::{
    Func, Instance, InstancePre, Linker, Memory, Module, ResourceLimiter, Store, Trap, TypedFunc,
    UpdateDeadline, WasmParams, WasmResults,
};

/// Wasmtime engines, one per profile, and their ticker. Runtimes built with equal
/// [`WasmtimeConfig`]s share one of these for the life of the process (as Wasmtime
/// advises: an engine, and its pool, is made once), so a runtime is cheap to create and
/// the pool's capacity is the process's.
pub struct Wasmtime {
    shared: Arc<Engines>,
}

struct Engines {
    /// One engine for every profile (so one pool, one set of slots).
    engine: wasmtime::Engine,
    /// When pooled: an engine on demand, for the modules no pool slot can hold (a table
    /// or memory declared larger than a slot), so that the pool never changes a verdict.
    unpooled: Option<wasmtime::Engine>,
    allocation: Allocation,
    /// A pool's slot sizes; none on demand, where a memory past its reservation moves.
    ceilings: Ceilings,
    _ticker: ticker::Ticker,
}

/// The engines made so far, by configuration.
static MADE: Mutex<Vec<(WasmtimeConfig, Arc<Engines>)>> = Mutex::new(Vec::new());

impl Wasmtime {
    /// Engines built as `config` says, their epochs ticked every `config.epoch_tick`;
    /// the ones already made for an equal `config`, if any.
    pub fn new(config: &WasmtimeConfig) -> Result<Wasmtime, InitError> {
        let mut made = MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, shared)) = made.iter().find(|(c, _)| c == config) {
            return Ok(Wasmtime {
                shared: shared.clone(),
            });
        }
        let made_now = Wasmtime::unshared(config)?;
        made.push((config.clone(), made_now.shared.clone()));
        Ok(made_now)
    }

    /// Engines of its own, shared with no other runtime and dropped with the last
    /// runtime on them: for a pool that must give its reservation back (the benchmark's
    /// largest pools).
    pub fn unshared(config: &WasmtimeConfig) -> Result<Wasmtime, InitError> {
        let built = engine_for(every_profile(), config);
        let on_demand = WasmtimeConfig {
            allocation: Allocation::OnDemand,
            ..config.clone()
        };
        let unpooled = match config.allocation {
            Allocation::Pooling => Some(engine_for(every_profile(), &on_demand).map(|(e, _)| e)),
            Allocation::OnDemand => None,
        };
        let shared = Arc::new(Engines::new(built, unpooled.transpose(), config)?);
        Ok(Wasmtime { shared })
    }

    /// The allocation the engines really use (pooling falls back to on-demand where the
    /// host cannot reserve the pool).
    pub fn allocation(&self) -> Allocation {
        self.shared.allocation
    }

    /// What the pool holds now, where the engine pools: how a soak sees that teardown
    /// gives every slot back.
    pub fn pool_usage(&self) -> Option<PoolUsage> {
        let pool = self.shared.engine.pooling_allocator_metrics()?;
        Some(PoolUsage {
            instances: pool.core_instances(),
            memories: pool.memories(),
            warm_memory_bytes_resident: pool.unused_memory_bytes_resident(),
        })
    }
}

/// Wasmtime could not build its engines or start their ticker: the engine's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InitError(String);

/// A pooling allocator's slots in use, and the resident bytes of its warm, unused
/// memory slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub instances: u64,
    pub memories: usize,
    pub warm_memory_bytes_resident: usize,
}

impl Engines {
    /// What `make` makes on the engine, or, when no slot of the pool can hold it, on the
    /// engine on demand (so that the pool never changes a verdict).
    fn fitting<T>(
        &self,
        make: impl Fn(&wasmtime::Engine) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<T> {
        match (make(&self.engine), &self.unpooled) {
            (Err(_), Some(unpooled)) => make(unpooled),
            (made, _) => made,
        }
    }

    fn new(
        built: wasmtime::Result<(wasmtime::Engine, Allocation)>,
        unpooled: wasmtime::Result<Option<wasmtime::Engine>>,
        config: &WasmtimeConfig,
    ) -> Result<Engines, InitError> {
        let init_error = |e: &dyn std::fmt::Display| InitError(e.to_string());
        let (engine, allocation) = built.map_err(|e| init_error(&e))?;
        let unpooled = unpooled
            .map_err(|e| init_error(&e))?
            .filter(|_| allocation == Allocation::Pooling);
        let tick_these = std::iter::once(&engine).chain(&unpooled).cloned().collect();
        let ticker =
            ticker::Ticker::start(tick_these, config.epoch_tick).map_err(|e| init_error(&e))?;
        let ceilings = match allocation {
            Allocation::Pooling => Ceilings {
                memory_bytes: Some(config.memory_ceiling),
                table_elements: Some(config.table_ceiling.into()),
            },
            Allocation::OnDemand => Ceilings::default(),
        };
        Ok(Engines {
            engine,
            unpooled,
            allocation,
            ceilings,
            _ticker: ticker,
        })
    }
}

/// A compiled module, pre-linked when it imports nothing (the only modules the
/// lifecycle's link check lets reach instantiation), or a compiled component.
#[derive(Clone)]
pub enum Compiled {
    Core { module: Module, linked: Linked },
    Component(world::Compiled),
}

#[derive(Clone)]
pub enum Linked {
    Pre(InstancePre<StoreData>),
    /// It imports: it cannot be pre-linked (and the lifecycle's link check refuses it).
    Imports,
    /// The engine's pool cannot host it (the engine's reason): no instance ever can be.
    Unfit(String),
}

/// What a store holds: the lifecycle's limiter and the deadline of the calls in progress.
pub struct StoreData {
    limiter: Box<dyn Limiter>,
    deadline: Option<Instant>,
}

impl ResourceLimiter for StoreData {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.limiter.memory_growing(current, desired))
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limiter.memory_grow_failed();
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.limiter.table_growing(current, desired))
    }
}

/// A live Wasmtime instance and its store.
pub struct WasmtimeGuest {
    store: Store<StoreData>,
    instance: Live,
}

/// What the store holds an instance of.
// One per live instance, held in place: boxing the core variant (the common one) would
// add an allocation to every start for a few hundred bytes.
#[allow(clippy::large_enum_variant)]
enum Live {
    Core {
        exports: Exports<Funcs>,
        memory: Option<Memory>,
    },
    Component(bindings::Actor),
}

/// Wasmtime's typed functions.
pub struct Funcs;

impl Signatures for Funcs {
    type Unit = TypedFunc<(), ()>;
    type Health = TypedFunc<(), i32>;
    type HandleMessage = TypedFunc<(i32, i32), i64>;
    type Alloc = TypedFunc<i32, i32>;
}

/// The export `name` if it is a function of exactly this signature.
fn typed<P: WasmParams, R: WasmResults>(
    instance: &Instance,
    store: &mut Store<StoreData>,
    name: Entry,
) -> Option<TypedFunc<P, R>> {
    let func = instance.get_func(&mut *store, name.as_str())?;
    func.typed(&*store).ok()
}

impl Engine for Wasmtime {
    // The reference runtime is the lifecycle on this engine.
    const NAME: &'static str = "reference";
    const VERSION: &'static str = "wasmtime 48";
    type Module = Compiled;
    type Guest = WasmtimeGuest;

    fn ceilings(&self) -> Ceilings {
        self.shared.ceilings
    }

    fn runs_components(&self) -> bool {
        true
    }

    fn compile(&self, profile: Profile, abi: Abi, bytes: &[u8]) -> Result<Compiled, CompileError> {
        // The profile was checked when the module was validated.
        let _ = profile;
        if abi == Abi::Component {
            let component = self
                .shared
                .fitting(|engine| wasmtime::component::Component::from_binary(engine, bytes))
                .map_err(|e| CompileError(format!("{e:#}")))?;
            return Ok(Compiled::Component(world::prelinked(component)));
        }
        let module = self
            .shared
            .fitting(|engine| Module::from_binary(engine, bytes))
            .map_err(|e| CompileError(e.to_string()))?;
        let engine = module.engine();
        // A module the pool cannot host is no compile error: the lifecycle's limit checks
        // (held to the pool's ceilings) refuse it first, or instantiation is exhausted.
        let linked = match module.imports().len() {
            0 => match Linker::new(engine).instantiate_pre(&module) {
                Ok(pre) => Linked::Pre(pre),
                Err(unfit) => Linked::Unfit(format!("{unfit:#}")),
            },
            _ => Linked::Imports,
        };
        Ok(Compiled::Core { module, linked })
    }

    async fn instantiate(
        &self,
        compiled: &Compiled,
        how: Instantiate,
    ) -> Result<WasmtimeGuest, Stopped> {
        let Instantiate {
            limiter,
            fuel,
            timeout,
        } = how;
        let data = StoreData {
            limiter,
            deadline: None,
        };
        let engine = match compiled {
            Compiled::Core { module, .. } => module.engine(),
            Compiled::Component(component) => component.engine(),
        };
        let mut store = Store::new(engine, data);
        store.limiter(|data| data);
        store.epoch_deadline_callback(|ctx| {
            let past = ctx.data().deadline.is_none_or(|d| Instant::now() >= d);
            // Within the deadline, yield so the executor runs other tasks meanwhile.
            Ok(match past {
                true => UpdateDeadline::Interrupt,
                false => UpdateDeadline::Yield(1),
            })
        });
        let mut guest = WasmtimeGuest {
            store,
            instance: Live::Core {
                exports: Exports {
                    start: None,
                    cleanup: None,
                    health: None,
                    handle_message: None,
                    alloc: None,
                },
                memory: None,
            },
        };
        guest.arm_deadline(timeout);
        guest.set_fuel(fuel);
        let (module, linked) = match compiled {
            Compiled::Core { module, linked } => (module, linked),
            Compiled::Component(component) => {
                let actor = component.instantiate(&mut guest.store).await?;
                guest.instance = Live::Component(actor);
                warm_up(&mut guest.store, engine).await?;
                return Ok(guest);
            }
        };
        let store = &mut guest.store;
        let instance = match linked {
            Linked::Pre(pre) => pre.instantiate_async(&mut *store).await,
            Linked::Imports => Instance::new_async(&mut *store, module, &[]).await,
            Linked::Unfit(why) => {
                return Err(Stopped::Exhausted {
                    detail: why.clone(),
                });
            }
        }
        .map_err(stopped)?;
        let store = &mut guest.store;
        let exports = Exports {
            start: typed(&instance, store, Entry::Start),
            cleanup: typed(&instance, store, Entry::Cleanup),
            health: typed(&instance, store, Entry::Health),
            handle_message: typed(&instance, store, Entry::HandleMessage),
            alloc: typed(&instance, store, Entry::Alloc),
        };
        let memory = instance.get_memory(&mut *store, lifecycle_contract::exports::MEMORY);
        let calls_guest = exports.any();
        guest.instance = Live::Core { exports, memory };
        if calls_guest {
            warm_up(&mut guest.store, engine).await?;
        }
        Ok(guest)
    }
}

/// On demand, a store maps the fiber stack its calls run on at its first call. Map it
/// now, with a call into the host that runs no guest code, so that a host out of
/// mappings fails here, as exhaustion, and never at `_start` as a trap. (A pool maps
/// every stack when it is made.)
async fn warm_up(store: &mut Store<StoreData>, engine: &wasmtime::Engine) -> Result<(), Stopped> {
    if engine.pooling_allocator_metrics().is_some() {
        return Ok(());
    }
    let warm_up = Func::wrap(&mut *store, || {});
    let warm_up = warm_up.typed::<(), ()>(&*store).map_err(stopped)?;
    warm_up.call_async(&mut *store, ()).await.map_err(stopped)
}

/// Calls `func` (borrowed, not cloned: a clone of a typed function costs a type
/// registration's reference counts on every call).
async fn run<P, R>(
    store: &mut Store<StoreData>,
    func: Option<&TypedFunc<P, R>>,
    params: P,
) -> Result<R, GuestFailure>
where
    P: WasmParams + Sync,
    R: WasmResults + Sync,
{
    // The lifecycle only calls exports the guest has.
    let func = func.ok_or(GuestFailure::Trapped(TrapCode::Other))?;
    let result = func.call_async(store, params).await;
    result.map_err(|e| classify(&e))
}

impl Guest for WasmtimeGuest {
    fn abi(&self) -> Abi {
        match self.instance {
            Live::Core { .. } => Abi::Core,
            Live::Component(_) => Abi::Component,
        }
    }

    fn exports(&self, entry: Entry) -> bool {
        match &self.instance {
            Live::Core { exports, .. } => exports.has(entry),
            // The world's type was checked: it has every function, and no `alloc`.
            Live::Component(_) => entry != Entry::Alloc,
        }
    }

    fn set_fuel(&mut self, fuel: u64) {
        // Every engine of this backend consumes fuel, so this cannot fail.
        let _ = self.store.set_fuel(fuel);
    }

    fn arm_deadline(&mut self, timeout: Duration) {
        self.store.data_mut().deadline = Some(Instant::now() + timeout);
        self.store.set_epoch_deadline(1);
    }

    async fn call(&mut self, call: Call) -> Result<i64, GuestFailure> {
        let store = &mut self.store;
        let Live::Core { exports, .. } = &self.instance else {
            tracing::error!(?call, "a core call on a component");
            return Err(GuestFailure::Trapped(TrapCode::Other));
        };
        match call {
            Call::Start => run(store, exports.start.as_ref(), ()).await.map(|()| 0),
            Call::Cleanup => run(store, exports.cleanup.as_ref(), ()).await.map(|()| 0),
            Call::Health => run(store, exports.health.as_ref(), ()).await.map(i64::from),
            Call::Alloc { len } => {
                let len = len as i32;
                run(store, exports.alloc.as_ref(), len).await.map(i64::from)
            }
            Call::HandleMessage { ptr, len } => {
                let params = (ptr as i32, len as i32);
                run(store, exports.handle_message.as_ref(), params).await
            }
        }
    }

    async fn call_world(&mut self, call: WorldCall<'_>) -> Result<Lifted, GuestFailure> {
        let Live::Component(actor) = &self.instance else {
            tracing::error!(?call, "a world call on a core module");
            return Err(GuestFailure::Trapped(TrapCode::Other));
        };
        let result = actor.call(&mut self.store, call).await;
        result.map_err(|error| match error.downcast_ref::<Trap>() {
            // An error of a world call that no guest code raised: the host's lifting or
            // lowering refused a value (a reply out of bounds, a string that is not
            // UTF-8, a discriminant out of range, a `cabi_realloc` result past memory).
            None => {
                tracing::debug!("the canonical ABI refused a value: {error:#}");
                GuestFailure::Trapped(TrapCode::InvalidCanonicalValue)
            }
            Some(_) => classify(&error),
        })
    }

    fn memory_size(&self) -> u64 {
        self.memory().map_or(0, |m| m.data_size(&self.store) as u64)
    }

    fn read(&self, ptr: u64, len: u64) -> Vec<u8> {
        let data = self.memory().map_or(&[][..], |m| m.data(&self.store));
        bytes_at(data, ptr, len)
    }

    fn write(&mut self, ptr: u64, bytes: &[u8]) {
        if let Some(memory) = self.memory() {
            // In bounds: the lifecycle checked.
            let _ = memory.write(&mut self.store, ptr as usize, bytes);
        }
    }

    fn take_denied(&mut self) -> Vec<Event> {
        self.store.data_mut().limiter.take_denied()
    }
}

impl WasmtimeGuest {
    /// A core instance's exported memory (the core ABI's messages go through it).
    fn memory(&self) -> Option<Memory> {
        match self.instance {
            Live::Core { memory, .. } => memory,
            Live::Component(_) => None,
        }
    }
}

/// What stopped an instantiation: the host running out (an OS allocation refused, the
/// pool full), or else the guest.
fn stopped(error: wasmtime::Error) -> Stopped {
    // Wasmtime's own mappings fail with rustix's errno, other allocations with io errors.
    let out_of_memory = |cause: &(dyn std::error::Error + 'static)| {
        #[cfg(unix)]
        if cause
            .downcast_ref::<rustix::io::Errno>()
            .is_some_and(|errno| *errno == rustix::io::Errno::NOMEM)
        {
            return true;
        }
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::OutOfMemory)
    };
    let detail = format!("{error}");
    if error.downcast_ref::<Trap>().is_none()
        && (error
            .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
            .is_some()
            || error.chain().any(out_of_memory))
    {
        return Stopped::Exhausted { detail };
    }
    Stopped::Guest {
        failure: classify(&error),
        detail,
    }
}

/// How a guest call or an instantiation that returned an error ended. Only traps reach
/// here: the linker offers no host functions that could fail otherwise.
fn classify(error: &wasmtime::Error) -> GuestFailure {
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => GuestFailure::FuelExhausted,
        Some(Trap::Interrupt) => GuestFailure::Timeout,
        Some(trap) => GuestFailure::Trapped(spec_trap!(*trap, Trap)),
        None => {
            tracing::debug!("a guest failure that is no trap: {error:?}");
            GuestFailure::Trapped(TrapCode::Other)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{ComponentConfig, Options, Runtime};
    use crate::source::ModuleSource;
    use lifecycle_contract::{ErrorKind, Stage};

    /// `load_failed` is for a module the host validated that the engine cannot compile.
    /// Wasmtime compiles everything a profile admits, so reach that path with engines
    /// narrower than the profile the module is validated under.
    #[tokio::test]
    async fn a_valid_module_the_engine_cannot_compile_is_load_failed() {
        let config = WasmtimeConfig::default();
        let strict_only = engine_for(Profile::Strict.features(), &config);
        let narrow = Wasmtime {
            shared: Arc::new(Engines::new(strict_only, Ok(None), &config).unwrap()),
        };
        let runtime = Runtime::on(narrow, Options::default());
        let simd = wat::parse_str("(module (func (drop (v128.const i64x2 0 0))))").unwrap();
        let config = ComponentConfig {
            profile: Profile::Standard,
            ..ComponentConfig::default()
        };
        let mut component = runtime.component(ModuleSource::bytes(simd), config);
        let err = component.start().await.expect_err("compile fails");
        assert_eq!(
            (err.kind(), err.stage),
            (ErrorKind::LoadFailed, Stage::Compile)
        );
        let detail = err.detail.expect("the engine's message is kept as detail");
        assert!(detail.contains("failed to compile"), "{detail}");
        assert_eq!(runtime.counters().compilations, Some(0));
    }

    /// A host that runs out while instantiating is no guest trap.
    #[test]
    fn an_instantiation_the_host_cannot_afford_is_exhaustion_not_a_trap() {
        let enomem = wasmtime::Error::new(std::io::Error::from_raw_os_error(12))
            .context("failed to allocate the instance");
        assert!(matches!(stopped(enomem), Stopped::Exhausted { .. }));
        // What a refused mapping really fails with (found by `bench`: a process out of
        // mappings reported `trapped`).
        #[cfg(unix)]
        {
            let mapping = wasmtime::Error::new(rustix::io::Errno::NOMEM);
            assert!(matches!(stopped(mapping), Stopped::Exhausted { .. }));
        }
        let trap = wasmtime::Error::new(Trap::UnreachableCodeReached);
        assert_eq!(
            stopped(trap),
            Stopped::Guest {
                failure: GuestFailure::Trapped(TrapCode::Unreachable),
                detail: "wasm trap: wasm `unreachable` instruction executed".into(),
            }
        );
        let other = wasmtime::Error::msg("something else");
        assert!(matches!(stopped(other), Stopped::Guest { .. }));
    }
}
