//! What each component's Wasmtime `Store` holds: its limiter, its accounting and its
//! wall-clock deadline, and how a guest call is made under fuel and deadline.

use super::Counters;
use super::defects::Defect;
use crate::accounting::Accounting;
use crate::error::{GuestFailure, TrapCode};
use crate::events::Event;
use crate::limits::{Limits, MAX_INSTANCES, MAX_MEMORIES, MAX_TABLES};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{ResourceLimiter, Store, Trap, UpdateDeadline, WasmParams, WasmResults};

/// The data of one component's store: its accounting (a live instance until the store is
/// dropped), the deadline of the call in progress, and any injected defect.
pub(crate) struct StoreState {
    accounting: Accounting,
    /// Wall-clock deadline of the guest call in progress.
    deadline: Option<Instant>,
    /// An injected defect (testing the suite only).
    defect: Option<Defect>,
    fuel_filled: bool,
    /// Health checks so far (the `health-deadline-armed-once` defect only).
    pub(crate) health_checks: u32,
}

impl StoreState {
    fn new(limits: Limits, counters: Arc<Counters>, defect: Option<Defect>) -> Self {
        StoreState {
            accounting: Accounting::new(limits, counters),
            deadline: None,
            defect,
            fuel_filled: false,
            health_checks: 0,
        }
    }

    /// The growth-denied events since the last call, oldest first.
    pub(crate) fn take_denied(&mut self) -> Vec<Event> {
        self.accounting.take_denied()
    }

    pub(crate) fn has(&self, defect: Defect) -> bool {
        self.defect == Some(defect)
    }
}

impl ResourceLimiter for StoreState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if self.has(Defect::AccountingIgnoresGrowth) && current > 0 {
            return Ok(self.accounting.limits().admits_memory(desired as u64));
        }
        let checked = if self.has(Defect::LimiterAddsCurrent) {
            current + desired
        } else {
            desired
        };
        Ok(self.accounting.memory_growing(current, desired, checked))
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.accounting.memory_grow_failed();
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let checked = match self.defect {
            Some(Defect::TableGrowthUnchecked) => 0,
            Some(Defect::TableLimitOffByOne) => desired.saturating_sub(1),
            _ => desired,
        };
        Ok(self.accounting.table_growing(current, desired, checked))
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

/// A new store for one component: limiter installed, fuel and epoch deadline armed.
pub(crate) fn new_store(
    engine: &wasmtime::Engine,
    limits: Limits,
    counters: Arc<Counters>,
    defect: Option<Defect>,
) -> Store<StoreState> {
    let mut store = Store::new(engine, StoreState::new(limits, counters, defect));
    if defect != Some(Defect::LimiterNotInstalled) {
        store.limiter(|state| state);
    }
    store.epoch_deadline_callback(|ctx| {
        let past_deadline = ctx.data().deadline.is_none_or(|d| Instant::now() >= d)
            && !ctx.data().has(Defect::NoFuelNoTimeouts);
        Ok(if past_deadline {
            UpdateDeadline::Interrupt
        } else if ctx.data().has(Defect::CleanupOuterTimeoutOnly) {
            // The defect: the guest never yields, so an outer async timeout cannot fire.
            UpdateDeadline::Continue(1)
        } else {
            // Yield so the executor can run other tasks, then check again next tick.
            UpdateDeadline::Yield(1)
        })
    });
    store
}

/// Starts a wall-clock budget for the guest calls that follow.
pub(crate) fn arm_deadline(store: &mut Store<StoreState>, timeout: Duration) {
    let timeout = match store.data().has(Defect::TimeoutsScaledLate) {
        true => timeout.mul_f64(1.8),
        false => timeout,
    };
    store.data_mut().deadline = Some(Instant::now() + timeout);
    store.set_epoch_deadline(1);
}

/// Refills the fuel for one guest call (CONTRACT §4: before every call).
pub(crate) fn refill_fuel(store: &mut Store<StoreState>) {
    let state = store.data_mut();
    let once = state.has(Defect::FuelSetOnce) || state.has(Defect::FuelSetOnceGenerously);
    if once && state.fuel_filled {
        return;
    }
    state.fuel_filled = true;
    let fuel = match state.defect {
        Some(Defect::FuelSetOnceGenerously) => {
            state.accounting.limits().fuel_per_call.saturating_mul(10)
        }
        Some(Defect::NoFuelNoTimeouts) => u64::MAX,
        Some(Defect::UnlimitedFuelCapped) => {
            state.accounting.limits().fuel_per_call.min(1_000_000_000)
        }
        _ => state.accounting.limits().fuel_per_call,
    };
    store
        .set_fuel(fuel)
        .expect("every engine of the runtime consumes fuel");
}

/// Calls a guest function under the armed deadline, with a fresh fuel budget if `refill`
/// (always, but where a defect is injected).
pub(crate) async fn call<P, R>(
    store: &mut Store<StoreState>,
    func: &wasmtime::TypedFunc<P, R>,
    params: P,
    refill: bool,
) -> Result<R, GuestFailure>
where
    P: WasmParams + Sync,
    R: WasmResults + Sync,
{
    if refill {
        refill_fuel(store);
    }
    let result = func.call_async(&mut *store, params).await;
    result.map_err(|e| classify(&e, store.data().defect))
}

/// How a guest call that returned an error ended. Only traps reach here: the linker
/// offers no host functions that could fail otherwise.
pub(crate) fn classify(error: &wasmtime::Error, defect: Option<Defect>) -> GuestFailure {
    let Some(trap) = error.downcast_ref::<Trap>() else {
        return GuestFailure::Trapped(TrapCode::Other);
    };
    let code = match trap {
        Trap::OutOfFuel if defect == Some(Defect::FuelAsTrap) => TrapCode::Other,
        Trap::Interrupt if defect == Some(Defect::TimeoutAsTrap) => TrapCode::Other,
        Trap::OutOfFuel => return GuestFailure::FuelExhausted,
        Trap::Interrupt => return GuestFailure::Timeout,
        Trap::StackOverflow => TrapCode::StackOverflow,
        Trap::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
        Trap::TableOutOfBounds => TrapCode::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapCode::IndirectCallToNull,
        Trap::BadSignature => TrapCode::BadSignature,
        Trap::IntegerOverflow => TrapCode::IntegerOverflow,
        Trap::IntegerDivisionByZero => TrapCode::IntegerDivideByZero,
        Trap::BadConversionToInteger => TrapCode::BadConversionToInteger,
        Trap::UnreachableCodeReached => TrapCode::Unreachable,
        _ => TrapCode::Other,
    };
    GuestFailure::Trapped(code)
}
