//! The wasmi backend: the same contract on the wasmi 2 interpreter.
//!
//! wasmi has fuel and a resource limiter but no epochs, so a deadline is fuel slicing: a
//! call runs in slices of fuel, resumed while its deadline has not passed. Calls are
//! synchronous, so they run on tokio's blocking threads, never on the executor's.
//!
//! Known limit: wasmi runs the wasm `start` section inside instantiation, which cannot be
//! resumed, so a `start` section that loops is bounded by fuel alone (capped when the
//! budget is unlimited, so that it ends, and then reported as `fuel_exhausted`), not by
//! the start timeout.

use super::{
    Call, CompileError, Engine, Exports, Guest, Instantiate, Lifted, Limiter, PerProfile,
    Signatures, Stopped, WorldCall, bytes_at,
};
use lifecycle_contract::limits::{MAX_INSTANCES, MAX_MEMORIES, MAX_TABLES};
use lifecycle_contract::{Abi, Entry, Event, GuestFailure, Profile, TrapCode};
use std::convert::Infallible;
use std::time::{Duration, Instant};
use wasmi::{Instance, Linker, Memory, Module, Store, TypedFunc, TypedResumableCall};

/// Fuel per slice: how often a running guest comes back to the host to check its clock.
const SLICE: u64 = 100_000;
/// The first slice is larger: wasmi charges a function's entry (its locals, say) at once
/// and fails outright, not resumably, if the slice cannot pay for it.
const FIRST_SLICE: u64 = 10_000_000;
/// Fuel for the wasm `start` section when the per-call budget is unlimited (see above).
const START_SECTION_CAP: u64 = 2_000_000_000;

/// wasmi engines, one per profile.
pub struct Wasmi {
    engines: PerProfile<wasmi::Engine>,
}

fn engine_for(profile: Profile) -> wasmi::Engine {
    let standard = profile == Profile::Standard;
    let mut c = wasmi::Config::default();
    c.wasm_mutable_global(true)
        .wasm_sign_extension(true)
        .wasm_saturating_float_to_int(true)
        .wasm_multi_value(true)
        .wasm_bulk_memory(standard)
        .wasm_reference_types(standard)
        .wasm_simd(standard)
        .wasm_relaxed_simd(false)
        .wasm_multi_memory(false)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_memory64(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        .consume_fuel(true)
        // Eager, so that a function wasmi cannot translate fails at `compile`, as the
        // contract says, and not lazily in the middle of a call.
        .compilation_mode(wasmi::CompilationMode::Eager);
    wasmi::Engine::new(&c)
}

impl Default for Wasmi {
    fn default() -> Self {
        let Ok(engines) = PerProfile::try_new(|p| Ok::<_, Infallible>(engine_for(p)));
        Wasmi { engines }
    }
}

/// The lifecycle's limiter, as wasmi asks it.
struct Glue(Box<dyn Limiter>);

impl wasmi::ResourceLimiter for Glue {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(self.0.memory_growing(current, desired))
    }
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(self.0.table_growing(current, desired))
    }
    // wasmi wants these said; the lifecycle's limit check holds a module to them anyway.
    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
    fn tables(&self) -> usize {
        MAX_TABLES
    }
    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

fn classify(error: &wasmi::Error) -> GuestFailure {
    use wasmi::errors::{ErrorKind, InstantiationError};
    match error.as_trap_code() {
        Some(wasmi::TrapCode::OutOfFuel) => GuestFailure::FuelExhausted,
        Some(trap) => GuestFailure::Trapped(spec_trap!(trap, wasmi::TrapCode)),
        // wasmi reports an element segment that does not fit as an instantiation error,
        // where the contract has a trap.
        None => match error.kind() {
            ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => {
                GuestFailure::Trapped(TrapCode::TableOutOfBounds)
            }
            _ => GuestFailure::Trapped(TrapCode::Other),
        },
    }
}

impl Engine for Wasmi {
    type Module = Module;
    type Guest = WasmiGuest;

    const NAME: &'static str = "wasmi";
    const VERSION: &'static str = "wasmi 2";

    fn compile(&self, profile: Profile, abi: Abi, bytes: &[u8]) -> Result<Module, CompileError> {
        if abi == Abi::Component {
            return Err(CompileError(
                "wasmi 2 does not run Component Model components".into(),
            ));
        }
        Module::new(self.engines.get(profile), bytes).map_err(|e| CompileError(e.to_string()))
    }

    async fn instantiate(&self, module: &Module, how: Instantiate) -> Result<WasmiGuest, Stopped> {
        let Instantiate {
            limiter,
            fuel,
            timeout,
        } = how;
        let module = module.clone();
        let deadline = Instant::now() + timeout;
        let mut live =
            tokio::task::spawn_blocking(move || Live::instantiate(&module, limiter, fuel))
                .await
                .map_err(|e| Stopped::Guest {
                    failure: GuestFailure::Trapped(TrapCode::Other),
                    detail: e.to_string(),
                })??;
        live.deadline = deadline;
        Ok(WasmiGuest { live: Some(live) })
    }
}

/// wasmi's typed functions.
struct Funcs;

impl Signatures for Funcs {
    type Unit = TypedFunc<(), ()>;
    type Health = TypedFunc<(), i32>;
    type HandleMessage = TypedFunc<(i32, i32), i64>;
    type Alloc = TypedFunc<i32, i32>;
}

/// The export `entry` if it is a function of exactly this signature.
fn typed<P: wasmi::WasmParams, R: wasmi::WasmResults>(
    instance: &Instance,
    store: &Store<Glue>,
    entry: Entry,
) -> Option<TypedFunc<P, R>> {
    instance.get_typed_func::<P, R>(store, entry.as_str()).ok()
}

/// The instance and its store, moved to a blocking thread for each call.
struct Live {
    store: Store<Glue>,
    exports: Exports<Funcs>,
    memory: Option<Memory>,
    /// Fuel not yet given out to the calls in progress.
    fuel: u64,
    deadline: Instant,
}

impl Live {
    fn instantiate(module: &Module, limiter: Box<dyn Limiter>, fuel: u64) -> Result<Live, Stopped> {
        let mut store = Store::new(module.engine(), Glue(limiter));
        store.limiter(|glue| glue as &mut dyn wasmi::ResourceLimiter);
        // Metering is on for every engine of this backend.
        let _ = store.set_fuel(fuel.min(START_SECTION_CAP));
        let instance = Linker::<Glue>::new(module.engine())
            .instantiate_and_start(&mut store, module)
            .map_err(|e| Stopped::Guest {
                failure: classify(&e),
                detail: e.to_string(),
            })?;
        let memory = instance.get_memory(&store, lifecycle_contract::exports::MEMORY);
        Ok(Live {
            exports: Exports {
                start: typed(&instance, &store, Entry::Start),
                cleanup: typed(&instance, &store, Entry::Cleanup),
                health: typed(&instance, &store, Entry::Health),
                handle_message: typed(&instance, &store, Entry::HandleMessage),
                alloc: typed(&instance, &store, Entry::Alloc),
            },
            store,
            memory,
            fuel,
            deadline: Instant::now(),
        })
    }

    /// Gives out up to `at_least` more fuel; `false` when none is left.
    fn grant(&mut self, at_least: u64) -> bool {
        if self.fuel == 0 {
            return false;
        }
        let slice = at_least.min(self.fuel);
        self.fuel -= slice;
        let _ = self.store.set_fuel(slice);
        true
    }

    /// Runs `func` in slices of the fuel set, resumed only while the deadline has not
    /// passed.
    fn run<P: wasmi::WasmParams, R: wasmi::WasmResults>(
        &mut self,
        func: Option<TypedFunc<P, R>>,
        params: P,
    ) -> Result<R, GuestFailure> {
        // The lifecycle only calls exports the guest has.
        let func = func.ok_or(GuestFailure::Trapped(TrapCode::Other))?;
        self.grant(FIRST_SLICE);
        let mut call = func
            .call_resumable(&mut self.store, params)
            .map_err(|e| classify(&e))?;
        loop {
            match call {
                TypedResumableCall::Finished(results) => return Ok(results),
                TypedResumableCall::HostTrap(_) => {
                    return Err(GuestFailure::Trapped(TrapCode::Other));
                }
                TypedResumableCall::OutOfFuel(paused) => {
                    if Instant::now() >= self.deadline {
                        return Err(GuestFailure::Timeout);
                    }
                    if !self.grant(SLICE.max(paused.required_fuel())) {
                        return Err(GuestFailure::FuelExhausted);
                    }
                    call = paused.resume(&mut self.store).map_err(|e| classify(&e))?;
                }
            }
        }
    }

    fn call(&mut self, call: Call) -> Result<i64, GuestFailure> {
        let exports = &self.exports;
        match call {
            Call::Start => self.run(exports.start, ()).map(|()| 0),
            Call::Cleanup => self.run(exports.cleanup, ()).map(|()| 0),
            Call::Health => self.run(exports.health, ()).map(i64::from),
            Call::Alloc { len } => self.run(exports.alloc, len as i32).map(i64::from),
            Call::HandleMessage { ptr, len } => {
                self.run(exports.handle_message, (ptr as i32, len as i32))
            }
        }
    }
}

/// A live wasmi instance. Empty only while a call runs on a blocking thread, or after
/// that thread panicked (every later call then traps).
pub struct WasmiGuest {
    live: Option<Live>,
}

impl Guest for WasmiGuest {
    fn abi(&self) -> Abi {
        Abi::Core
    }

    fn exports(&self, entry: Entry) -> bool {
        self.live
            .as_ref()
            .is_some_and(|live| live.exports.has(entry))
    }

    fn set_fuel(&mut self, fuel: u64) {
        if let Some(live) = &mut self.live {
            live.fuel = fuel;
        }
    }

    fn arm_deadline(&mut self, timeout: Duration) {
        if let Some(live) = &mut self.live {
            live.deadline = Instant::now() + timeout;
        }
    }

    async fn call(&mut self, call: Call) -> Result<i64, GuestFailure> {
        let mut live = self
            .live
            .take()
            .ok_or(GuestFailure::Trapped(TrapCode::Other))?;
        let (live, result) = tokio::task::spawn_blocking(move || {
            let result = live.call(call);
            (live, result)
        })
        .await
        .map_err(|_| GuestFailure::Trapped(TrapCode::Other))?;
        self.live = Some(live);
        result
    }

    /// Never called: every wasmi guest is a core module (see [`Engine::compile`]).
    async fn call_world(&mut self, call: WorldCall<'_>) -> Result<Lifted, GuestFailure> {
        tracing::error!(?call, "a world call on a core module");
        Err(GuestFailure::Trapped(TrapCode::Other))
    }

    fn memory_size(&self) -> u64 {
        self.live
            .as_ref()
            .and_then(|l| Some(l.memory?.data_size(&l.store) as u64))
            .unwrap_or(0)
    }

    fn read(&self, ptr: u64, len: u64) -> Vec<u8> {
        let Some(live) = &self.live else {
            return Vec::new();
        };
        let data = live.memory.map_or(&[][..], |m| m.data(&live.store));
        bytes_at(data, ptr, len)
    }

    fn write(&mut self, ptr: u64, bytes: &[u8]) {
        if let Some(live) = &mut self.live
            && let Some(memory) = live.memory
        {
            // In bounds: the lifecycle checked.
            let _ = memory.write(&mut live.store, ptr as usize, bytes);
        }
    }

    fn take_denied(&mut self) -> Vec<Event> {
        self.live
            .as_mut()
            .map(|l| l.store.data_mut().0.take_denied())
            .unwrap_or_default()
    }
}
