//! Defects around the engine seam: a [`Faulty`] engine wraps the reference backend and
//! gets fuel, deadlines, growth, trap classification or releasing wrong, one defect at a
//! time. The lifecycle above it is the reference lifecycle, unchanged.
//!
//! A guest's fuel and deadline are applied when a call begins, not when the lifecycle
//! sets them, so that a defect can tell which export they were meant for.

use super::defects::Defect;
use lifecycle_contract::limits::UNLIMITED_FUEL;
use lifecycle_contract::message::{Decoded, decode, in_bounds};
use lifecycle_contract::{Abi, Entry, Event, GuestFailure, Limits, Profile, Resource, TrapCode};
use lifecycle_runtime::engine::wasmtime::{Compiled, Wasmtime, WasmtimeGuest};
use lifecycle_runtime::engine::{
    Call, CompileError, Engine, Guest, Instantiate, Lifted, Limiter, Release, Stopped, WorldCall,
};
use std::sync::Mutex;
use std::time::Duration;

/// Far enough never to fire in a run (the defect whose timeouts never fire).
const NEVER: Duration = Duration::from_secs(24 * 60 * 60);

/// The reference backend with one defect.
pub struct Faulty {
    inner: Wasmtime,
    defect: Defect,
    /// Guests kept alive past their release, until the component is dropped.
    retained: Mutex<Vec<FaultyGuest>>,
}

impl Faulty {
    pub fn new(inner: Wasmtime, defect: Defect) -> Faulty {
        Faulty {
            inner,
            defect,
            retained: Mutex::default(),
        }
    }

    /// The guests kept alive past their release, handed over.
    pub fn take_retained(&self) -> Vec<FaultyGuest> {
        std::mem::take(&mut *self.retained.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn has(&self, defect: Defect) -> bool {
        self.defect == defect
    }
}

fn misreport(defect: Defect, failure: GuestFailure) -> GuestFailure {
    match (defect, failure) {
        (Defect::FuelAsTrap, GuestFailure::FuelExhausted)
        | (Defect::TimeoutAsTrap, GuestFailure::Timeout) => GuestFailure::Trapped(TrapCode::Other),
        _ => failure,
    }
}

/// The fuel a faulty runtime actually sets for a budget of `fuel`.
fn fuel_set(defect: Defect, fuel: u64) -> u64 {
    match defect {
        Defect::FuelSetOnceGenerously => fuel.saturating_mul(10),
        Defect::NoFuelNoTimeouts => UNLIMITED_FUEL,
        Defect::UnlimitedFuelCapped => fuel.min(1_000_000_000),
        _ => fuel,
    }
}

/// The deadline a faulty runtime actually arms for a timeout.
fn deadline_set(defect: Defect, timeout: Duration) -> Duration {
    match defect {
        Defect::TimeoutsScaledLate => timeout.mul_f64(1.8),
        Defect::NoFuelNoTimeouts => NEVER,
        _ => timeout,
    }
}

impl Engine for Faulty {
    type Module = <Wasmtime as Engine>::Module;
    type Guest = FaultyGuest;

    const NAME: &'static str = Wasmtime::NAME;
    const VERSION: &'static str = Wasmtime::VERSION;

    fn meters_fuel(&self) -> bool {
        !self.has(Defect::NoFuelNoTimeouts)
    }

    fn ceilings(&self) -> lifecycle_runtime::engine::Ceilings {
        self.inner.ceilings()
    }

    fn runs_components(&self) -> bool {
        self.inner.runs_components()
    }

    fn compile(
        &self,
        profile: Profile,
        abi: Abi,
        bytes: &[u8],
    ) -> Result<Self::Module, CompileError> {
        self.inner.compile(profile, abi, bytes)
    }

    async fn instantiate(
        &self,
        module: &Self::Module,
        how: Instantiate,
    ) -> Result<FaultyGuest, Stopped> {
        let Instantiate {
            limiter,
            fuel,
            timeout,
        } = how;
        let defect = self.defect;
        let limits = limiter.limits().clone();
        let component = matches!(module, Compiled::Component(_));
        let limiter = Box::new(FaultyLimiter {
            inner: limiter,
            defect: match defect {
                Defect::ComponentLimiterNotInstalled if component => Defect::LimiterNotInstalled,
                defect => defect,
            },
            denied: Vec::new(),
        });
        let timeout = match defect {
            // Bounded all the same, so that a run still ends.
            Defect::NoStartTimeout => timeout * 25,
            _ => deadline_set(defect, timeout),
        };
        let inner = self
            .inner
            .instantiate(
                module,
                Instantiate {
                    limiter,
                    fuel: fuel_set(defect, fuel),
                    timeout,
                },
            )
            .await
            .map_err(|stopped| match stopped {
                Stopped::Guest { failure, detail } => Stopped::Guest {
                    failure: misreport(defect, failure),
                    detail,
                },
                exhausted => exhausted,
            })?;
        Ok(FaultyGuest {
            inner,
            defect,
            limits,
            fuel: None,
            deadline: None,
            health_armed: false,
        })
    }

    fn release(&self, guest: FaultyGuest, why: Release) {
        match (self.defect, why) {
            (Defect::LeakStoreOnStop, Release::Stopped)
            | (Defect::LeakStoreOnFailedStart, Release::StartFailed)
            | (Defect::LeakStoreDroppedReady, Release::Dropped) => std::mem::forget(guest),
            (Defect::ReleasedOnlyOnDrop, Release::Stopped)
            | (Defect::CleanupAfterFailure, Release::Failed) => self
                .retained
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(guest),
            _ => drop(guest),
        }
    }
}

/// The lifecycle's limiter, asked wrongly.
struct FaultyLimiter {
    inner: Box<dyn Limiter>,
    defect: Defect,
    denied: Vec<Event>,
}

impl FaultyLimiter {
    fn deny(&mut self, resource: Resource, current: usize, desired: usize) -> bool {
        self.denied.push(Event::GrowthDenied {
            resource,
            current: current as u64,
            desired: desired as u64,
        });
        false
    }
}

impl Limiter for FaultyLimiter {
    fn limits(&self) -> &Limits {
        self.inner.limits()
    }

    fn memory_growing(&mut self, current: usize, desired: usize) -> bool {
        match self.defect {
            Defect::LimiterNotInstalled => true,
            Defect::AccountingIgnoresGrowth if current > 0 => {
                self.limits().admits_memory(desired as u64)
            }
            Defect::LimiterAddsCurrent
                if !self.limits().admits_memory((current + desired) as u64) =>
            {
                self.deny(Resource::Memory, current, desired)
            }
            _ => self.inner.memory_growing(current, desired),
        }
    }

    fn memory_grow_failed(&mut self) {
        if self.defect != Defect::LimiterNotInstalled {
            self.inner.memory_grow_failed();
        }
    }

    fn table_growing(&mut self, current: usize, desired: usize) -> bool {
        match self.defect {
            Defect::LimiterNotInstalled | Defect::TableGrowthUnchecked => true,
            Defect::TableLimitOffByOne => {
                let checked = desired.saturating_sub(1) as u64;
                self.limits().admits_table(checked) || self.deny(Resource::Table, current, desired)
            }
            _ => self.inner.table_growing(current, desired),
        }
    }

    fn take_denied(&mut self) -> Vec<Event> {
        let mut denied = self.inner.take_denied();
        denied.append(&mut self.denied);
        denied
    }
}

/// A reference guest with its fuel and deadline applied wrongly.
pub struct FaultyGuest {
    inner: WasmtimeGuest,
    defect: Defect,
    limits: Limits,
    /// Fuel set for the next call.
    fuel: Option<u64>,
    /// Deadline armed for the next call.
    deadline: Option<Duration>,
    health_armed: bool,
}

impl FaultyGuest {
    /// Applies the fuel and deadline the lifecycle set for `entry`, the faulty way.
    fn prepare(&mut self, entry: Entry) {
        let d = self.defect;
        if let Some(mut timeout) = self.deadline.take() {
            if d == Defect::HealthUsesCallTimeout && entry == Entry::Health {
                timeout = self.limits.call_timeout;
            }
            if d == Defect::CleanupOuterTimeoutOnly && entry == Entry::Cleanup {
                timeout *= 25;
            }
            let once = d == Defect::HealthDeadlineArmedOnce && entry == Entry::Health;
            if !(once && self.health_armed) {
                self.inner.arm_deadline(deadline_set(d, timeout));
            }
            self.health_armed |= entry == Entry::Health;
        }
        match (d, entry) {
            (Defect::StartDeadlineRearmed, Entry::Start) => {
                self.inner.arm_deadline(self.limits.start_timeout)
            }
            (Defect::CallDeadlineRearmed, Entry::HandleMessage) => {
                self.inner.arm_deadline(self.limits.call_timeout)
            }
            _ => {}
        }
        if let Some(fuel) = self.fuel.take() {
            let component = self.inner.abi() == Abi::Component;
            let leftover = matches!(
                (d, entry),
                (Defect::FuelSetOnce | Defect::FuelSetOnceGenerously, _)
                    | (Defect::CleanupOnLeftoverFuel, Entry::Cleanup)
                    | (Defect::HandlerSharesAllocFuel, Entry::HandleMessage)
                    | (Defect::StartSharesStartSectionFuel, Entry::Start)
            ) || (d == Defect::ComponentFuelSetOnce && component);
            if !leftover {
                self.inner.set_fuel(fuel_set(d, fuel));
            }
        }
    }

    /// A reply past the end of memory, cut to what is there.
    fn clamp(&self, result: i64) -> i64 {
        let size = self.inner.memory_size();
        match decode(result) {
            Decoded::Reply { ptr, len } if !in_bounds(ptr, len, size) && ptr <= size => {
                ((ptr << 32) | (size - ptr)) as i64
            }
            _ => result,
        }
    }
}

impl Guest for FaultyGuest {
    fn abi(&self) -> Abi {
        self.inner.abi()
    }

    fn exports(&self, entry: Entry) -> bool {
        let skipped = self.defect == Defect::SkipCleanup && entry == Entry::Cleanup;
        !skipped && self.inner.exports(entry)
    }

    fn set_fuel(&mut self, fuel: u64) {
        self.fuel = Some(fuel);
    }

    fn arm_deadline(&mut self, timeout: Duration) {
        self.deadline = Some(timeout);
    }

    async fn call(&mut self, call: Call) -> Result<i64, GuestFailure> {
        let outer = self.deadline;
        self.prepare(call.entry());
        let result = match (self.defect, call) {
            (Defect::CleanupOuterTimeoutOnly, Call::Cleanup) => {
                // An async timeout around a call that never yields to the executor, so
                // it cannot fire; the engine's own deadline is far away (bounded, so
                // that a run still ends).
                let blocking = async { futures::executor::block_on(self.inner.call(call)) };
                let limit = outer.unwrap_or(NEVER);
                tokio::time::timeout(limit, blocking)
                    .await
                    .unwrap_or(Err(GuestFailure::Timeout))
            }
            _ => self.inner.call(call).await,
        };
        match (self.defect, call, result) {
            (Defect::ReplyClamped, Call::HandleMessage { .. }, Ok(r)) => Ok(self.clamp(r)),
            (defect, _, result) => result.map_err(|f| misreport(defect, f)),
        }
    }

    async fn call_world(&mut self, call: WorldCall<'_>) -> Result<Lifted, GuestFailure> {
        self.prepare(call.entry());
        let result = self.inner.call_world(call).await;
        let unliftable = GuestFailure::Trapped(TrapCode::InvalidCanonicalValue);
        match (self.defect, call, result) {
            (Defect::LiftFailureIgnored, WorldCall::HandleMessage(_), Err(f))
                if f == unliftable =>
            {
                Ok(Lifted::Reply(None))
            }
            (defect, _, result) => result.map_err(|f| misreport(defect, f)),
        }
    }

    fn memory_size(&self) -> u64 {
        self.inner.memory_size()
    }

    fn read(&self, ptr: u64, len: u64) -> Vec<u8> {
        self.inner.read(ptr, len)
    }

    fn write(&mut self, ptr: u64, bytes: &[u8]) {
        self.inner.write(ptr, bytes)
    }

    fn take_denied(&mut self) -> Vec<Event> {
        self.inner.take_denied()
    }
}
