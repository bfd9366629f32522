//! A second runtime for the same contract, on the wasmi 2 interpreter: the suite checks
//! it as it checks the reference. wasmi has fuel and a resource limiter but no epochs, so
//! wall-clock timeouts are fuel slicing: a call runs in slices of fuel, resumed while its
//! deadline has not passed.
//!
//! Known limit: wasmi runs the wasm `start` section inside instantiation, which cannot be
//! resumed, so a `start` section that loops is bounded by fuel alone (capped when the
//! budget is unlimited, so that it ends, and then reported as `fuel_exhausted`), not by
//! the start timeout.

use crate::accounting::Accounting;
use crate::runtime::Counters as Held;
use crate::runtime::prepare::{check_header, validate};
use lifecycle_conformance::{Capabilities, Counters, ModuleInput, Subject, SubjectComponent};
use lifecycle_contract::error::{ExportReason, GuestFailure, RejectReason, Resource};
use lifecycle_contract::exports::{
    ALLOC, CLEANUP, ExportKind, HANDLE_MESSAGE, HEALTH, LIFECYCLE_EXPORTS, MEMORY, MESSAGE_NEEDS,
    START, ValKind,
};
use lifecycle_contract::limits::{MAX_INSTANCES, MAX_MEMORIES, MAX_TABLES, WASM_PAGE_BYTES};
use lifecycle_contract::message::{Decoded, decode, in_bounds};
use lifecycle_contract::{
    CallOutcome, Entry, Error, Event, Fault, GuestCall, Health, Limits, Profile, Stage, State,
    TrapCode, Warning,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use wasmi::{
    Engine, ExternType, Instance, Linker, Memory, Module, Store, TypedFunc, TypedResumableCall,
    ValType,
};

/// Fuel per slice: how often a running guest comes back to the host to check its clock.
const SLICE: u64 = 100_000;
/// The first slice is larger: wasmi charges a function's entry (its locals, say) at once
/// and fails outright, not resumably, if the slice cannot pay for it.
const FIRST_SLICE: u64 = 10_000_000;
/// Fuel for the wasm `start` section when the per-call budget is unlimited (see above).
const START_SECTION_CAP: u64 = 2_000_000_000;

/// Compiled modules by profile and SHA-256 of their bytes.
type ModuleCache = std::collections::HashMap<(Profile, [u8; 32]), Module>;

/// The wasmi runtime: one engine per profile, compiled modules kept by content hash,
/// shared counters.
#[derive(Clone)]
pub struct WasmiRuntime {
    engines: Arc<Vec<(Profile, Engine)>>,
    modules: Arc<std::sync::Mutex<ModuleCache>>,
    counters: Arc<Held>,
}

fn engine_for(profile: Profile) -> Engine {
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
    Engine::new(&c)
}

impl WasmiRuntime {
    pub fn new() -> WasmiRuntime {
        WasmiRuntime {
            engines: Arc::new(Profile::ALL.iter().map(|&p| (p, engine_for(p))).collect()),
            modules: Arc::default(),
            counters: Arc::default(),
        }
    }

    fn engine(&self, profile: Profile) -> &Engine {
        self.engines
            .iter()
            .find_map(|(p, e)| (*p == profile).then_some(e))
            .expect("an engine per profile")
    }
}

impl WasmiRuntime {
    /// The compiled module for `bytes` (already validated), from the cache or compiled
    /// and kept.
    fn compile(&self, profile: Profile, bytes: &[u8]) -> Result<Module, Error> {
        use sha2::Digest;
        let key = (profile, sha2::Sha256::digest(bytes).into());
        if let Some(module) = self.modules.lock().expect("module cache").get(&key) {
            return Ok(module.clone());
        }
        let module = Module::new(self.engine(profile), bytes)
            .map_err(|e| failed(Stage::Compile, Fault::LoadFailed).with_detail(e))?;
        self.counters.compilations.fetch_add(1, Ordering::SeqCst);
        self.modules
            .lock()
            .expect("module cache")
            .insert(key, module.clone());
        Ok(module)
    }
}

impl Default for WasmiRuntime {
    fn default() -> Self {
        WasmiRuntime::new()
    }
}

impl wasmi::ResourceLimiter for Accounting {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(Accounting::memory_growing(self, current, desired, desired))
    }
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(Accounting::table_growing(self, current, desired, desired))
    }
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
    use wasmi::TrapCode as T;
    let code = match error.as_trap_code() {
        Some(T::OutOfFuel) => return GuestFailure::FuelExhausted,
        Some(T::UnreachableCodeReached) => TrapCode::Unreachable,
        Some(T::MemoryOutOfBounds) => TrapCode::MemoryOutOfBounds,
        Some(T::TableOutOfBounds) => TrapCode::TableOutOfBounds,
        Some(T::IndirectCallToNull) => TrapCode::IndirectCallToNull,
        Some(T::IntegerDivisionByZero) => TrapCode::IntegerDivideByZero,
        Some(T::IntegerOverflow) => TrapCode::IntegerOverflow,
        Some(T::BadConversionToInteger) => TrapCode::BadConversionToInteger,
        Some(T::StackOverflow) => TrapCode::StackOverflow,
        Some(T::BadSignature) => TrapCode::BadSignature,
        _ => TrapCode::Other,
    };
    GuestFailure::Trapped(code)
}

struct Guest {
    store: Store<Accounting>,
    instance: Instance,
    memory: Option<Memory>,
}

impl Guest {
    fn func<P: wasmi::WasmParams, R: wasmi::WasmResults>(
        &self,
        name: &str,
    ) -> Option<TypedFunc<P, R>> {
        self.instance.get_typed_func::<P, R>(&self.store, name).ok()
    }

    /// One guest call: a fresh `fuel` budget, given out in slices, resumed only while
    /// `deadline` has not passed.
    fn call<P: wasmi::WasmParams, R: wasmi::WasmResults>(
        &mut self,
        func: &TypedFunc<P, R>,
        params: P,
        fuel: u64,
        deadline: Instant,
    ) -> Result<R, GuestFailure> {
        let mut left = fuel;
        let mut grant = |store: &mut Store<Accounting>, at_least: u64| -> bool {
            if left == 0 {
                return false;
            }
            let slice = at_least.min(left);
            left -= slice;
            store.set_fuel(slice).expect("fuel metering is on");
            true
        };
        grant(&mut self.store, FIRST_SLICE);
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
                    if Instant::now() >= deadline {
                        return Err(GuestFailure::Timeout);
                    }
                    if !grant(&mut self.store, SLICE.max(paused.required_fuel())) {
                        return Err(GuestFailure::FuelExhausted);
                    }
                    call = paused.resume(&mut self.store).map_err(|e| classify(&e))?;
                }
            }
        }
    }
}

pub struct WasmiComponent {
    runtime: WasmiRuntime,
    module: ModuleInput,
    profile: Profile,
    limits: Limits,
    state: State,
    guest: Option<Guest>,
    events: Vec<Event>,
}

fn failed(stage: Stage, fault: Fault) -> Error {
    Error::new(stage, fault)
}

fn types_match(actual: &[ValType], expected: &[ValKind]) -> bool {
    actual.len() == expected.len()
        && actual.iter().zip(expected).all(|(a, e)| {
            matches!(
                (a, e),
                (ValType::I32, ValKind::I32) | (ValType::I64, ValKind::I64)
            )
        })
}

fn check_exports(module: &Module) -> Result<(), Error> {
    let get = |name: &str| {
        module
            .exports()
            .find(|e| e.name() == name)
            .map(|e| e.ty().clone())
    };
    let bad = |export: &str, reason| {
        Err(failed(
            Stage::Exports,
            Fault::BadExport {
                export: export.into(),
                reason,
            },
        ))
    };
    for export in LIFECYCLE_EXPORTS {
        match (export.kind, get(export.name)) {
            (_, None) => {}
            (ExportKind::Func { params, results }, Some(ExternType::Func(f))) => {
                if !types_match(f.params(), params) || !types_match(f.results(), results) {
                    return bad(export.name, ExportReason::WrongSignature);
                }
            }
            (ExportKind::Func { .. }, Some(_)) => {
                return bad(export.name, ExportReason::NotAFunction);
            }
            (ExportKind::Memory, Some(ExternType::Memory(_))) => {}
            (ExportKind::Memory, Some(_)) => return bad(export.name, ExportReason::NotAMemory),
        }
    }
    if get(HANDLE_MESSAGE).is_some()
        && let Some(missing) = MESSAGE_NEEDS.iter().find(|n| get(n).is_none())
    {
        return bad(missing, ExportReason::Missing);
    }
    Ok(())
}

/// Read by the host from the binary: the memories and tables the module defines (their
/// initial sizes), and its first import in declaration order (wasmi lists imports by kind).
fn declared(bytes: &[u8]) -> (Vec<u64>, Vec<u64>, Option<String>) {
    let (mut memories, mut tables, mut first_import) = (Vec::new(), Vec::new(), None);
    for payload in wasmparser::Parser::new(0).parse_all(bytes).flatten() {
        match payload {
            wasmparser::Payload::ImportSection(s) if first_import.is_none() => {
                first_import = s
                    .into_imports()
                    .flatten()
                    .next()
                    .map(|i| format!("{}::{}", i.module, i.name));
            }
            wasmparser::Payload::MemorySection(s) => {
                memories.extend(s.into_iter().flatten().map(|m| m.initial))
            }
            wasmparser::Payload::TableSection(s) => {
                tables.extend(s.into_iter().flatten().map(|t| t.ty.initial))
            }
            _ => {}
        }
    }
    (memories, tables, first_import)
}

impl WasmiComponent {
    fn transition(&mut self, to: State) {
        debug_assert!(self.state.can_become(to), "{} -> {to}", self.state);
        self.events.push(Event::Transition {
            from: self.state,
            to,
        });
        self.state = to;
    }

    fn record(&mut self, export: Entry, result: &Result<(), GuestFailure>) {
        if let Some(guest) = &mut self.guest {
            self.events.extend(guest.store.data_mut().take_denied());
        }
        self.events.push(Event::GuestCall(GuestCall::new(
            export,
            CallOutcome::from(result),
        )));
    }

    fn invalid(&self, stage: Stage) -> Error {
        failed(stage, Fault::InvalidState { state: self.state })
    }

    async fn load(&self) -> Result<Vec<u8>, Error> {
        match &self.module {
            ModuleInput::Bytes(b) => Ok(b.to_vec()),
            ModuleInput::File(path) => {
                let bytes = tokio::fs::read(path)
                    .await
                    .map_err(|e| failed(Stage::Load, Fault::ComponentNotFound).with_detail(e))?;
                if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("wat"))
                {
                    let malformed = Fault::ValidationFailed {
                        reason: lifecycle_contract::error::ValidationReason::Malformed,
                    };
                    return wat::parse_bytes(&bytes)
                        .map(|b| b.into_owned())
                        .map_err(|e| failed(Stage::Validate, malformed).with_detail(e));
                }
                Ok(bytes)
            }
        }
    }

    async fn start_steps(&mut self) -> Result<(), Error> {
        let bytes = self.load().await?;
        check_header(&bytes)?;
        validate(self.profile, &bytes)?;
        let engine = self.runtime.engine(self.profile).clone();
        let module = self.runtime.compile(self.profile, &bytes)?;
        check_exports(&module)?;
        let (memories, tables, first_import) = declared(&bytes);
        if let Some(import) = first_import {
            return Err(failed(Stage::Link, Fault::LinkFailed { import }));
        }
        let exceeded = |resource| {
            Err(failed(
                Stage::Instantiate,
                Fault::ResourceLimitExceeded { resource },
            ))
        };
        if memories.len() > MAX_MEMORIES
            || memories
                .iter()
                .any(|&p| !self.limits.admits_memory(p.saturating_mul(WASM_PAGE_BYTES)))
        {
            return exceeded(Resource::Memory);
        }
        if tables.len() > MAX_TABLES || tables.iter().any(|&t| !self.limits.admits_table(t)) {
            return exceeded(Resource::Table);
        }
        let data = Accounting::new(self.limits.clone(), self.runtime.counters.clone());
        let mut store = Store::new(&engine, data);
        store.limiter(|d| d as &mut dyn wasmi::ResourceLimiter);
        let deadline = Instant::now() + self.limits.start_timeout;
        let fuel = self.limits.fuel_per_call;
        store
            .set_fuel(fuel.min(START_SECTION_CAP))
            .expect("fuel metering is on");
        let instance = match Linker::<Accounting>::new(&engine)
            .instantiate_and_start(&mut store, &module)
        {
            Ok(instance) => instance,
            Err(e) => {
                let fault = match classify(&e) {
                    // wasmi reports an element segment that does not fit as an instantiation
                    // error, where the contract has a trap.
                    GuestFailure::Trapped(TrapCode::Other)
                        if matches!(
                            e.kind(),
                            wasmi::errors::ErrorKind::Instantiation(
                                wasmi::errors::InstantiationError::ElementSegmentDoesNotFit { .. }
                            )
                        ) =>
                    {
                        Fault::Trapped {
                            trap: TrapCode::TableOutOfBounds,
                        }
                    }
                    failure => failure.into(),
                };
                return Err(failed(Stage::Instantiate, fault).with_detail(e));
            }
        };
        let memory = instance.get_memory(&store, MEMORY);
        let mut guest = Guest {
            store,
            instance,
            memory,
        };
        if let Some(start) = guest.func::<(), ()>(START) {
            let result = guest.call(&start, (), fuel, deadline);
            self.guest = Some(guest);
            self.record(Entry::Start, &result);
            if let Err(failure) = result {
                self.guest = None;
                return Err(failed(Stage::Start, failure.into()));
            }
        } else {
            self.guest = Some(guest);
        }
        Ok(())
    }

    async fn deliver(&mut self, message: &[u8]) -> Result<Vec<u8>, (bool, Error)> {
        let stage = Stage::HandleMessage;
        let refused = |fault| (false, failed(stage, fault));
        let rejected = |reason| refused(Fault::MessageRejected { reason });
        let guest = self.guest.as_mut().expect("ready has a guest");
        let Some(handle) = guest.func::<(i32, i32), i64>(HANDLE_MESSAGE) else {
            return Err(refused(Fault::MissingExport {
                export: HANDLE_MESSAGE.into(),
            }));
        };
        let len = message.len() as u64;
        let Some(wasm_len) = u32::try_from(len)
            .ok()
            .filter(|_| self.limits.admits_message(len))
        else {
            return Err(rejected(RejectReason::TooLarge));
        };
        let alloc = guest.func::<i32, i32>(ALLOC).expect("checked export");
        let memory = guest.memory.expect("checked export");
        let (fuel, deadline) = (
            self.limits.fuel_per_call,
            Instant::now() + self.limits.call_timeout,
        );
        let result = guest.call(&alloc, wasm_len as i32, fuel, deadline);
        self.record(Entry::Alloc, &result.map(|_| ()));
        let ptr = u64::from(result.map_err(|f| (true, failed(stage, f.into())))? as u32);
        let guest = self.guest.as_mut().expect("still ready");
        if !in_bounds(ptr, len, memory.data_size(&guest.store) as u64) {
            return Err(rejected(RejectReason::AllocOutOfBounds));
        }
        memory
            .write(&mut guest.store, ptr as usize, message)
            .expect("bounds checked");
        let result = guest.call(
            &handle,
            (ptr as u32 as i32, wasm_len as i32),
            fuel,
            deadline,
        );
        self.record(Entry::HandleMessage, &result.map(|_| ()));
        let guest = self.guest.as_mut().expect("still ready");
        match decode(result.map_err(|f| (true, failed(stage, f.into())))?) {
            Decoded::AppError(code) => Err(refused(Fault::MessageError { code })),
            Decoded::NoReply => Ok(Vec::new()),
            Decoded::Reply { ptr, len } => {
                let data = memory.data(&guest.store);
                if !in_bounds(ptr, len, data.len() as u64) {
                    return Err(rejected(RejectReason::ReplyOutOfBounds));
                }
                if !self.limits.admits_message(len) {
                    return Err(rejected(RejectReason::ReplyTooLarge));
                }
                Ok(data[ptr as usize..(ptr + len) as usize].to_vec())
            }
        }
    }
}

impl Subject for WasmiRuntime {
    type Component = WasmiComponent;

    fn name(&self) -> String {
        "wasmi".into()
    }
    fn version(&self) -> String {
        format!("lifecycle-kit {} on wasmi 2", env!("CARGO_PKG_VERSION"))
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }
    fn component(&self, module: ModuleInput, profile: Profile, limits: Limits) -> WasmiComponent {
        WasmiComponent {
            runtime: self.clone(),
            module,
            profile,
            limits,
            state: State::Creating,
            guest: None,
            events: Vec::new(),
        }
    }
    async fn counters(&self) -> Counters {
        Counters {
            live_instances: self.counters.instances.load(Ordering::SeqCst),
            accounted_memory_bytes: self.counters.memory_bytes.load(Ordering::SeqCst),
            compilations: Some(self.counters.compilations.load(Ordering::SeqCst)),
        }
    }
}

impl SubjectComponent for WasmiComponent {
    async fn start(&mut self) -> Result<(), Error> {
        if self.state != State::Creating {
            return Err(self.invalid(Stage::Load));
        }
        self.transition(State::Starting);
        match self.start_steps().await {
            Ok(()) => {
                self.transition(State::Ready);
                Ok(())
            }
            Err(e) => {
                self.guest = None;
                self.transition(State::Failed);
                Err(e)
            }
        }
    }

    async fn handle_message(&mut self, message: &[u8]) -> Result<Vec<u8>, Error> {
        if self.state != State::Ready {
            return Err(self.invalid(Stage::HandleMessage));
        }
        match self.deliver(message).await {
            Ok(reply) => Ok(reply),
            Err((false, e)) => Err(e),
            Err((true, e)) => {
                self.guest = None;
                self.transition(State::Failed);
                Err(e)
            }
        }
    }

    async fn health_check(&mut self) -> Health {
        if self.state != State::Ready {
            return Health::for_state(self.state);
        }
        let guest = self.guest.as_mut().expect("ready has a guest");
        let Some(health) = guest.func::<(), i32>(HEALTH) else {
            return Health::HEALTHY;
        };
        let deadline = Instant::now() + self.limits.health_timeout;
        let result = guest.call(&health, (), self.limits.fuel_per_call, deadline);
        self.record(Entry::Health, &result.map(|_| ()));
        match result {
            Ok(code) => Health::from_code(code),
            Err(failure) => Health::from_failure(failure),
        }
    }

    async fn stop(&mut self, timeout: Duration) -> Result<Vec<Warning>, Error> {
        match self.state {
            State::Terminated => return Ok(Vec::new()),
            State::Creating | State::Ready | State::Failed => {}
            State::Starting | State::Stopping => return Err(self.invalid(Stage::Cleanup)),
        }
        self.transition(State::Stopping);
        let mut warnings = Vec::new();
        if let Some(guest) = self.guest.as_mut()
            && let Some(cleanup) = guest.func::<(), ()>(CLEANUP)
        {
            let result = guest.call(
                &cleanup,
                (),
                self.limits.fuel_per_call,
                Instant::now() + timeout,
            );
            self.record(Entry::Cleanup, &result);
            if let Err(failure) = result {
                let warning = Warning::from(failure);
                self.events.push(Event::Warning { warning });
                warnings.push(warning);
            }
        }
        self.guest = None;
        self.transition(State::Terminated);
        Ok(warnings)
    }

    fn state(&self) -> State {
        self.state
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

/// A fresh wasmi runtime, as the conformance runner wants one per case.
pub fn wasmi() -> Result<WasmiRuntime, String> {
    Ok(WasmiRuntime::new())
}
