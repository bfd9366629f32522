//! The figures of one runtime, measured through the lifecycle's public API only, so the
//! same code measures the reference runtime and wasmi.

use super::floor::MESSAGE;
use super::modules;
use super::stats::Samples;
use lifecycle_contract::{Entry, HealthReason, Limits, Warning};
use lifecycle_runtime::engine::Engine;
use lifecycle_runtime::lifecycle::{Component, ComponentConfig, Runtime};
use lifecycle_runtime::source::ModuleSource;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long each timeout is, and so what each overshoot is measured from.
pub const TIMEOUT: Duration = Duration::from_millis(50);

/// Why a measurement could not be taken: the runtime refused the benchmark's own guest,
/// or a guest's outcome was not the one the measurement is of.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error("{what}: {error}")]
    Refused {
        what: &'static str,
        error: lifecycle_contract::Error,
    },
    #[error("{what}: {outcome}")]
    Unexpected { what: String, outcome: String },
}

fn failed(what: &'static str) -> impl FnOnce(lifecycle_contract::Error) -> Failed {
    move |error| Failed::Refused { what, error }
}

/// Latency and throughput of one runtime.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RuntimeFigures {
    pub cycle_p50_us: f64,
    pub cycle_p99_us: f64,
    pub spawn_p50_us: f64,
    pub spawn_p99_us: f64,
    pub stop_p50_us: f64,
    pub stop_p99_us: f64,
    pub spawn_empty_p50_us: f64,
    pub spawn_empty_p99_us: f64,
    pub stop_empty_p50_us: f64,
    pub stop_empty_p99_us: f64,
    pub message_p50_us: f64,
    pub message_p99_us: f64,
    pub messages_per_sec: f64,
    pub messages_per_sec_all_cores: f64,
    pub health_p50_us: f64,
    /// The worst p99 overshoot of a 50 ms timeout across the four entries, in ms.
    pub timeout_overshoot_p99_ms: f64,
    /// Per entry (`_start`, `handle-message`, `_health`, `_cleanup`): p50 and p99, ms.
    pub timeout_overshoot_ms: Vec<Overshoot>,
}

/// How late a 50 ms timeout fired on a tight loop in one entry.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Overshoot {
    pub entry: &'static str,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// How many of each measurement.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub cycles: usize,
    pub messages: usize,
    pub timeouts: usize,
}

fn source(wat: &str) -> ModuleSource {
    let bytes = wat::parse_str(wat).expect("the benchmark modules are valid text");
    ModuleSource::bytes(bytes)
}

fn config(limits: Limits) -> ComponentConfig {
    ComponentConfig {
        limits,
        ..ComponentConfig::default()
    }
}

/// Measures `runtime`; `step` is told the name of each measurement as it begins.
pub async fn measure<E: Engine>(
    runtime: &Runtime<E>,
    counts: Counts,
    step: &mut dyn FnMut(&str),
) -> Result<RuntimeFigures, Failed> {
    let echo = source(&modules::echo());
    let empty = source(modules::EMPTY);
    let mut f = RuntimeFigures::default();

    step("spawn and stop");
    let (spawn, stop) = spawn_stop(runtime, &empty, counts.cycles).await?;
    (f.spawn_empty_p50_us, f.spawn_empty_p99_us) = (spawn.p50_us(), spawn.p99_us());
    (f.stop_empty_p50_us, f.stop_empty_p99_us) = (stop.p50_us(), stop.p99_us());
    let (spawn, stop) = spawn_stop(runtime, &echo, counts.cycles).await?;
    (f.spawn_p50_us, f.spawn_p99_us) = (spawn.p50_us(), spawn.p99_us());
    (f.stop_p50_us, f.stop_p99_us) = (stop.p50_us(), stop.p99_us());

    step("cycle");
    let cycle = cycles(runtime, &echo, ComponentConfig::default(), counts.cycles).await?;
    (f.cycle_p50_us, f.cycle_p99_us) = (cycle.p50_us(), cycle.p99_us());

    step("messages");
    let (samples, per_sec) =
        messages(runtime, &echo, config(Limits::default()), counts.messages).await?;
    (f.message_p50_us, f.message_p99_us) = (samples.p50_us(), samples.p99_us());
    f.messages_per_sec = per_sec;
    f.messages_per_sec_all_cores = messages_all_cores(runtime, &echo, counts.messages).await?;

    step("health");
    let mut actor = started(runtime, &echo, config(Limits::default())).await?;
    let mut health = Samples::with_capacity(counts.messages);
    for _ in 0..counts.messages {
        let began = Instant::now();
        actor.health_check().await;
        health.push(began.elapsed());
    }
    f.health_p50_us = health.p50_us();

    step("timeouts");
    for entry in [
        Entry::Start,
        Entry::HandleMessage,
        Entry::Health,
        Entry::Cleanup,
    ] {
        let late = overshoot(runtime, entry, counts.timeouts).await?;
        let ms = |us: f64| us / 1e3;
        f.timeout_overshoot_ms.push(Overshoot {
            entry: entry.as_str(),
            p50_ms: ms(late.p50_us()),
            p99_ms: ms(late.p99_us()),
        });
    }
    f.timeout_overshoot_p99_ms = f
        .timeout_overshoot_ms
        .iter()
        .map(|o| o.p99_ms)
        .fold(0.0, f64::max);
    Ok(f)
}

async fn started<E: Engine>(
    runtime: &Runtime<E>,
    module: &ModuleSource,
    config: ComponentConfig,
) -> Result<Component<E>, Failed> {
    let mut actor = runtime.component(module.clone(), config);
    actor.start().await.map_err(failed("start"))?;
    Ok(actor)
}

/// `n` cycles of the echo actor: create, start, one message, stop.
async fn cycles<E: Engine>(
    runtime: &Runtime<E>,
    echo: &ModuleSource,
    config: ComponentConfig,
    n: usize,
) -> Result<Samples, Failed> {
    let mut cycle = Samples::with_capacity(n);
    for _ in 0..n {
        let began = Instant::now();
        let mut actor = runtime.component(echo.clone(), config.clone());
        actor.start().await.map_err(failed("start"))?;
        actor
            .handle_message(MESSAGE)
            .await
            .map_err(failed("message"))?;
        actor.stop(TIMEOUT).await.map_err(failed("stop"))?;
        cycle.push(began.elapsed());
    }
    Ok(cycle)
}

/// The component ABI's figures of one runtime.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ComponentFigures {
    pub cycle_p50_us: f64,
    pub cycle_p99_us: f64,
    pub message_p50_us: f64,
    pub message_p99_us: f64,
    pub messages_per_sec: f64,
}

/// Measures `runtime` running `echo` as `config` says (a component): the cycle and the
/// messages, as [`measure`] measures a core module's.
pub async fn measure_component<E: Engine>(
    runtime: &Runtime<E>,
    echo: &ModuleSource,
    config: ComponentConfig,
    counts: Counts,
) -> Result<ComponentFigures, Failed> {
    let cycle = cycles(runtime, echo, config.clone(), counts.cycles).await?;
    let (samples, messages_per_sec) = messages(runtime, echo, config, counts.messages).await?;
    Ok(ComponentFigures {
        cycle_p50_us: cycle.p50_us(),
        cycle_p99_us: cycle.p99_us(),
        message_p50_us: samples.p50_us(),
        message_p99_us: samples.p99_us(),
        messages_per_sec,
    })
}

/// Create + start to `ready`, and stop to `terminated`, each timed alone.
async fn spawn_stop<E: Engine>(
    runtime: &Runtime<E>,
    module: &ModuleSource,
    n: usize,
) -> Result<(Samples, Samples), Failed> {
    let (mut spawn, mut stop) = (Samples::with_capacity(n), Samples::with_capacity(n));
    for _ in 0..n {
        let began = Instant::now();
        let mut actor = started(runtime, module, config(Limits::default())).await?;
        spawn.push(began.elapsed());
        let began = Instant::now();
        actor.stop(TIMEOUT).await.map_err(failed("stop"))?;
        stop.push(began.elapsed());
    }
    Ok((spawn, stop))
}

/// `n` 16-byte echoes on one component: each one's latency, and messages per second.
async fn messages<E: Engine>(
    runtime: &Runtime<E>,
    echo: &ModuleSource,
    config: ComponentConfig,
    n: usize,
) -> Result<(Samples, f64), Failed> {
    let mut actor = started(runtime, echo, config).await?;
    let mut samples = Samples::with_capacity(n);
    let began = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        actor
            .handle_message(MESSAGE)
            .await
            .map_err(failed("message"))?;
        samples.push(t.elapsed());
    }
    let per_sec = n as f64 / began.elapsed().as_secs_f64();
    Ok((samples, per_sec))
}

/// One component per core, each on its own thread (with its own single-threaded
/// executor, as an actor runtime shards), each sent `n` messages: messages per second
/// across all of them, from the first to start to the last to finish.
async fn messages_all_cores<E: Engine>(
    runtime: &Runtime<E>,
    echo: &ModuleSource,
    n: usize,
) -> Result<f64, Failed> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let barrier = Arc::new(std::sync::Barrier::new(cores));
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (runtime, echo, barrier) = (runtime.clone(), echo.clone(), barrier.clone());
            std::thread::spawn(move || {
                let executor = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let Ok(executor) = executor else {
                    // Every thread waits, even one that cannot run.
                    barrier.wait();
                    return Err(Failed::Unexpected {
                        what: "an executor per core".into(),
                        outcome: "could not be built".into(),
                    });
                };
                executor.block_on(async move {
                    let mut actor = started(&runtime, &echo, config(Limits::default())).await;
                    // Every thread waits, even one whose start failed.
                    barrier.wait();
                    let Ok(actor) = actor.as_mut() else {
                        return Err(Failed::Unexpected {
                            what: "start on every core".into(),
                            outcome: "refused".into(),
                        });
                    };
                    let began = Instant::now();
                    for _ in 0..n {
                        let replied = actor.handle_message(MESSAGE).await;
                        replied.map_err(failed("message on every core"))?;
                    }
                    Ok::<_, Failed>((began, Instant::now()))
                })
            })
        })
        .collect();
    let mut span: Option<(Instant, Instant)> = None;
    for thread in threads {
        let (began, ended) = match thread.join() {
            Ok(done) => done?,
            Err(panicked) => std::panic::resume_unwind(panicked),
        };
        span = Some(span.map_or((began, ended), |(b, e)| (b.min(began), e.max(ended))));
    }
    let took = span.map_or(Duration::ZERO, |(b, e)| e - b);
    Ok((cores * n) as f64 / took.as_secs_f64().max(f64::MIN_POSITIVE))
}

/// How long past a 50 ms timeout a guest spinning in `entry` was stopped, `n` times.
/// The guests have unlimited fuel, so only the timeout can stop them; an outcome other
/// than a timeout, or a timeout before its 50 ms, fails the measurement.
async fn overshoot<E: Engine>(
    runtime: &Runtime<E>,
    entry: Entry,
    n: usize,
) -> Result<Samples, Failed> {
    let spinner = source(&modules::spinning_in(entry));
    let limits = Limits {
        fuel_per_call: lifecycle_contract::limits::UNLIMITED_FUEL,
        start_timeout: TIMEOUT,
        call_timeout: TIMEOUT,
        health_timeout: TIMEOUT,
        ..Limits::default()
    };
    // Compiled once before timing: a start measures instantiation and `_start` only.
    let _ = runtime
        .component(spinner.clone(), config(limits.clone()))
        .start()
        .await;
    let mut late = Samples::with_capacity(n);
    for _ in 0..n {
        let mut actor = runtime.component(spinner.clone(), config(limits.clone()));
        let began = match entry {
            Entry::Start => Instant::now(),
            _ => {
                actor.start().await.map_err(failed("start"))?;
                Instant::now()
            }
        };
        let timeout = lifecycle_contract::ErrorKind::ExecutionTimeout;
        let outcome = match entry {
            Entry::Start => {
                let e = actor.start().await.err();
                (e.as_ref().map(|e| e.kind()) == Some(timeout))
                    .then_some(())
                    .ok_or(format!("{e:?}"))
            }
            Entry::HandleMessage => {
                let e = actor.handle_message(MESSAGE).await.err();
                (e.as_ref().map(|e| e.kind()) == Some(timeout))
                    .then_some(())
                    .ok_or(format!("{e:?}"))
            }
            Entry::Health => {
                let health = actor.health_check().await;
                let timed_out = health.reason == Some(HealthReason::ExecutionTimeout);
                timed_out.then_some(()).ok_or(format!("{health:?}"))
            }
            _ => {
                let stopped = actor.stop(TIMEOUT).await;
                let warned = stopped
                    .as_ref()
                    .is_ok_and(|w| w == &[Warning::CleanupTimeout]);
                warned.then_some(()).ok_or(format!("{stopped:?}"))
            }
        };
        let took = began.elapsed();
        let what = || format!("a 50 ms timeout in {}", entry.as_str());
        if let Err(outcome) = outcome {
            return Err(Failed::Unexpected {
                what: what(),
                outcome,
            });
        }
        if took < TIMEOUT {
            let outcome = format!("fired after {took:?}, before its limit");
            return Err(Failed::Unexpected {
                what: what(),
                outcome,
            });
        }
        late.push(took - TIMEOUT);
    }
    Ok(late)
}
