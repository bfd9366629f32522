//! The defects a faulty runtime can have, one at a time: each is a defect real actor
//! runtimes shipped, or one a runtime written elsewhere had. Where each is injected is
//! in [`super::engine`] (around the engine seam) and [`super::component`] (around a
//! component).

macro_rules! defects {
    ($($variant:ident => $name:literal: $what:literal,)+) => {
        /// One injected defect.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Defect {
            $(#[doc = $what] $variant,)+
        }

        impl Defect {
            pub const ALL: &'static [Defect] = &[$(Defect::$variant,)+];

            /// The mutant's kebab-case name (`--runtime faulty:NAME`).
            pub fn name(self) -> &'static str {
                match self { $(Defect::$variant => $name,)+ }
            }

            pub fn description(self) -> &'static str {
                match self { $(Defect::$variant => $what,)+ }
            }

            pub fn from_name(name: &str) -> Option<Defect> {
                Defect::ALL.iter().copied().find(|d| d.name() == name)
            }
        }
    };
}

defects! {
    LimiterNotInstalled => "limiter-not-installed": "the resource limiter is never installed on the store",
    LimiterAddsCurrent => "limiter-adds-current-and-desired": "the limiter checks current + desired instead of desired",
    TableGrowthUnchecked => "table-growth-unchecked": "table growth is always allowed",
    FuelSetOnce => "fuel-set-once": "fuel is set when the store is made and never refilled",
    NoStartTimeout => "no-start-timeout": "instantiate and `_start` run without a wall-clock deadline",
    CleanupOuterTimeoutOnly => "cleanup-outer-timeout-only": "`_cleanup` is bounded by an outer async timeout only, which cannot interrupt a loop that never yields",
    StartInAnyState => "start-in-any-state": "start() is accepted in every state",
    SecondStartOverwrites => "second-start-overwrites": "a second start() replaces the running instance without cleanup",
    FailedLoadStaysStarting => "failed-load-stays-starting": "a failed start leaves the component `starting`",
    HealthNeverCalled => "health-never-called": "health_check() reports healthy without calling `_health`",
    StopSkipsStopping => "stop-skips-stopping": "stop() goes straight to `terminated`",
    CleanupAfterFailure => "cleanup-after-failure": "a component failed by a message keeps its store, and `_cleanup` runs on it at stop",
    CleanupTrapFatal => "cleanup-trap-fatal": "a `_cleanup` trap makes stop() fail",
    FuelAsTrap => "out-of-fuel-as-trap": "running out of fuel is reported as a bare trap",
    TimeoutAsTrap => "timeout-as-trap": "a timeout is reported as a bare trap",
    SkipCleanup => "cleanup-skipped": "stop() never calls `_cleanup`",
    LeakStoreOnStop => "store-leaked-on-stop": "stop() forgets the store instead of dropping it",
    LeakStoreOnFailedStart => "store-leaked-on-failed-start": "a failed `_start` forgets the store",
    ReplyClamped => "reply-bounds-clamped": "a reply past the end of memory is truncated instead of rejected",
    ReplySizeUnchecked => "reply-size-unchecked": "replies longer than max_message_bytes are returned",
    MessageSizeUnchecked => "message-size-unchecked": "messages longer than max_message_bytes are delivered",
    BytesParsedAsWat => "non-wasm-parsed-as-wat": "bytes that are not a binary module are parsed as WAT text",
    ExportSignaturesUnchecked => "export-signatures-unchecked": "the export check runs after instantiation",
    LinkErrorAsTrap => "link-error-as-trap": "a missing import is reported as a trap at instantiation",
    MessageAfterStopAccepted => "message-after-stop-accepted": "a message after stop returns an empty reply instead of invalid_state",
    HealthFailureFails => "health-failure-fails-component": "a trap in `_health` fails the component",
    AppErrorFatal => "app-error-fatal": "an application error (negative result) fails the component",
    StopNotIdempotent => "stop-not-idempotent": "stop() on a terminated component is invalid_state",
    ProfileIgnored => "profile-ignored": "modules are validated under `standard` whatever the profile",
    StartTrapWrongStage => "start-trap-wrong-stage": "a trap in `_start` is reported at stage `instantiate`",
    NoFuelNoTimeouts => "fuel-less-timeouts-never-fire": "a runtime without fuel metering (it declares none) whose timeouts never interrupt a guest",
    FuelSetOnceGenerously => "fuel-set-once-generously": "ten budgets of fuel are set when the store is made and never refilled: cheap calls never notice",
    ReleasedOnlyOnDrop => "released-only-on-drop": "stop() keeps the store until the component is dropped",
    EnginePerStart => "engine-per-start": "every start creates an Engine and compiles the module, bypassing the cache",
    TableLimitOffByOne => "table-limit-off-by-one": "table growth is allowed one element past `max_table_elements`",
    CleanupOnLeftoverFuel => "cleanup-on-leftover-fuel": "`_cleanup` runs on the fuel the previous call left over",
    EpochTickOneSecond => "epoch-tick-one-second": "the epoch ticker ticks once a second, so every timeout fires up to a second late",
    LeakStoreDroppedReady => "store-leaked-when-dropped-ready": "a component dropped while `ready`, without stop, leaks its store",
    CacheKeyedByLength => "module-cache-keyed-by-length": "the module cache is keyed by the length of the bytes",
    HealthUsesCallTimeout => "health-uses-call-timeout": "`_health` runs under `call_timeout` instead of `health_timeout`",
    HealthDeadlineArmedOnce => "health-deadline-armed-once": "`_health`'s deadline is armed on the first health check only",
    HandlerSharesAllocFuel => "handle-message-shares-alloc-fuel": "fuel is refilled before `alloc` but not before `handle-message`",
    StartSharesStartSectionFuel => "start-shares-start-section-fuel": "`_start` runs on the fuel the wasm `start` section left over",
    CacheIgnoresProfile => "module-cache-ignores-profile": "the module cache is keyed by the bytes alone, not by the profile they were validated under",
    StartDeadlineRearmed => "start-deadline-armed-again-for-start": "`_start` gets a whole start timeout of its own, after what instantiation used",
    CallDeadlineRearmed => "call-deadline-armed-again-for-handle-message": "`handle-message` gets a whole call timeout of its own, after what `alloc` used",
    UnlimitedFuelCapped => "unlimited-fuel-capped": "unlimited fuel is taken as a billion",
    TimeoutsScaledLate => "timeouts-scaled-late": "every deadline is armed at 1.8 times its limit",
    AccountingIgnoresGrowth => "accounting-ignores-growth": "accounted memory is the initial size only: growth is allowed but not counted",
    ComponentLimiterNotInstalled => "component-limiter-not-installed": "a component's store gets no resource limiter (a core module's does)",
    ComponentFuelSetOnce => "component-fuel-set-once": "a component's store gets fuel when it is made and never again (a core module's calls are refilled)",
    ShutdownRefusalFatal => "shutdown-refusal-fatal": "a component's `shutdown` returning `err` makes stop() fail",
    AppErrorAsTrap => "component-app-error-as-trap": "a component's `err(application-error)` is reported as a trap, and fails it",
    LiftFailureIgnored => "lift-failure-ignored": "a component's message result the host cannot lift (a string that is not UTF-8, a discriminant out of range, a reply out of bounds) is taken as no reply",
}
