//! `bench --html`: one run's [`Report`] as a self-contained page, each figure drawn beside
//! its floor as inline SVG (see [`super::svg`]), with the ratio and the goal
//! docs/performance.md states, the latency and timeout-overshoot distributions, and the
//! machine and the run it came from.
//!
//! The page is a function of the report alone: the same report gives the same page. It
//! follows the shared page's invariants ([`lifecycle_conformance::html`]): nothing from
//! elsewhere, every text escaped, every number written out beside its mark, whether a goal
//! was met said in words.

use super::svg::{self, Chart, Goal, Kind, Mark, Row, number};
use super::{FloorFigures, Report};
use lifecycle_conformance::html::maud::{Markup, html};
use lifecycle_conformance::html::page;

/// The bench page's own style, beside the shared one.
const CSS: &str = r#"
.charts { display: grid; gap: 1rem 2rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 30rem), 1fr)); }
figure { margin: 0 0 .5rem; min-width: 0; }
figcaption { font-size: .9rem; margin-top: .25rem; }
figcaption b { font-weight: 600; }
svg.chart { display: block; width: 100%; height: auto; }
.chart text { font: 13px system-ui, -apple-system, "Segoe UI", sans-serif; fill: #1f2328; }
.chart text.value { font-variant-numeric: tabular-nums; }
.chart .row text { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
.chart text.tick, .chart text.unit { font-size: 12px; fill: #57606a; }
.chart .axis line { stroke: #57606a; }
.chart .grid line { stroke: #eaeef2; }
.chart .measured { fill: #0969da; }
.chart .floor { fill: #8c959f; }
.chart .baseline { fill: #bf8700; }
.chart line.spread { stroke: #57606a; stroke-width: 2; }
.chart .goal line { stroke: #cf222e; stroke-width: 1.5; stroke-dasharray: 5 3; }
.chart .goal text { fill: #cf222e; font-size: 12px; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem; border-radius: 4px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.goals td:first-child { min-width: 11rem; }
@media (max-width: 30rem) { .chart text { font-size: 15px; }
  .chart text.tick, .chart text.unit, .chart .goal text { font-size: 13px; } }
"#;

/// The page of `report`.
pub fn html(report: &Report) -> String {
    let title = format!("lifecycle-kit bench, {}", report.date);
    let body = html! {
        h1 { "lifecycle-kit bench" }
        (meta(report))
        @if report.quick {
            p.note { "A " code { "--quick" } " run: every figure from few samples. Its figures mean little." }
        }
        p {
            "Every figure beside the baselines measured in the same run: the "
            b { "floor" } ", bare Wasmtime on the reference runtime's own engine configuration, "
            "pooled and on demand, doing the same calls and nothing else, and "
            b { "seed style" } ", a new engine and a compile for every start. "
            "Each chart writes its numbers beside its marks; a dashed line is a goal. "
            "What each figure measures: docs/performance.md."
        }
        h2 #goals { "Goals" }
        (goals_table(&goals(report)))
        h2 #cycle { "Start, one message, stop" }
        div.charts {
            (figure(cycle(report)))
            (figure(cycle_spread(report)))
            (figure(seed(report)))
            (figure(wasmi_cycle(report)))
        }
        h2 #messages { "Messages" }
        div.charts {
            (figure(messages(report)))
            (figure(cores(report)))
            (figure(message_spread(report)))
        }
        h2 #spawn-stop { "Spawn and stop" }
        div.charts { (figure(spawn_stop(report))) }
        h2 #timeouts { "Timeouts" }
        div.charts { (figure(overshoot(report))) }
        h2 #components { "Components (SPEC.md §8)" }
        div.charts {
            (figure(component_cycle(report)))
            (figure(component_messages(report)))
        }
        h2 #scale { "Memory and scale" }
        div.charts {
            (figure(rss(report)))
            (figure(held(report)))
        }
        h2 #text { "Every figure, as " code { "bench" } " prints it" }
        pre { (report.to_string()) }
    };
    page(&title, CSS, body, None)
}

/// The run and the machine.
fn meta(report: &Report) -> Markup {
    let scale = &report.scale;
    html! {
        dl.meta {
            dt { "kit" } dd { "lifecycle-kit " (report.kit_version) }
            dt { "measured" } dd { (report.date) }
            dt { "machine" } dd { (report.machine) }
            dt { "run" } dd {
                @if report.quick { code { "bench --quick" } " (few samples)" }
                @else { code { "bench" } " (every sample)" }
            }
            dt { "reference allocator" } dd { (report.allocation) }
            dt { code { "vm.max_map_count" } }
            dd { (scale.max_map_count.map_or("unknown".into(), svg::grouped)) }
        }
    }
}

/// A chart and what it comes to.
struct Figure {
    chart: Chart,
    caption: Markup,
}

fn figure(f: Figure) -> Markup {
    html! {
        figure {
            (svg::chart(&f.chart))
            figcaption { (f.caption) }
        }
    }
}

fn us(v: f64) -> String {
    measured(v, " µs")
}

fn ms(v: f64) -> String {
    measured(v, " ms")
}

fn per_sec(v: f64) -> String {
    measured(v, "/s")
}

/// A ratio: two decimals below 10 (`0.91×`), whole above (`198×`).
fn times(v: f64) -> String {
    match v.is_finite() && v > 0.0 {
        true if v >= 10.0 => format!("{v:.0}×"),
        true => format!("{v:.2}×"),
        false => "not measured".into(),
    }
}

/// `v` and its unit, or that it was not measured (the report's 0).
fn measured(v: f64, unit: &str) -> String {
    match v.is_finite() && v > 0.0 {
        true => format!("{}{unit}", number(v)),
        false => "not measured".into(),
    }
}

/// p50 and p99 written out: `p50 7.85 · p99 20.9 µs`.
fn p50_p99(p50: f64, p99: f64, unit: &str) -> String {
    let both = [p50, p99].iter().all(|v| v.is_finite() && *v > 0.0);
    match both {
        true => format!("p50 {} · p99 {}{unit}", number(p50), number(p99)),
        false => format!("p50 {} · p99 {}", measured(p50, unit), measured(p99, unit)),
    }
}

fn dots(p50: f64, p99: f64) -> Mark {
    Mark::Dots(vec![("p50", p50), ("p99", p99)])
}

fn row(label: impl Into<String>, text: impl Into<String>, kind: Kind, mark: Mark) -> Row {
    Row {
        label: label.into(),
        text: text.into(),
        kind,
        mark,
    }
}

/// Whether a goal was met, in words (and a symbol); unknown when a figure is missing.
fn met_words(met: Option<bool>) -> Markup {
    html! {
        @match met {
            Some(true) => span.pass { "✓ met" },
            Some(false) => span.fail { "✗ not met" },
            None => span.muted { "– not measured" },
        }
    }
}

/// One goal docs/performance.md states.
struct Judged {
    figure: &'static str,
    measured: String,
    against: String,
    ratio: String,
    goal: &'static str,
    met: Option<bool>,
}

/// `ratio` against a goal: at most `limit` (`at_most`) or at least it; unknown at 0.
fn judge(ratio: f64, limit: f64, at_most: bool) -> Option<bool> {
    let met = match at_most {
        true => ratio <= limit,
        false => ratio >= limit,
    };
    (ratio.is_finite() && ratio > 0.0).then_some(met)
}

/// The floor whose messages the reference's are divided by: pooled where there is one.
fn message_floor(report: &Report) -> (&FloorFigures, &'static str) {
    match &report.floor_pooled {
        Some(f) => (f, "pooled floor"),
        None => (&report.floor_on_demand, "on-demand floor"),
    }
}

fn goals(report: &Report) -> Vec<Judged> {
    let r = &report.reference;
    let pooled = report.floor_pooled.as_ref().map_or(0.0, |f| f.cycle_p50_us);
    let (floor, floor_name) = message_floor(report);
    let c = &report.component;
    let cp = report
        .component_floor_pooled
        .as_ref()
        .map_or(0.0, |f| f.cycle_p50_us);
    let cfloor = report
        .component_floor_pooled
        .as_ref()
        .unwrap_or(&report.component_floor_on_demand);
    let scale = &report.scale;
    let rss = scale.rss_per_component_bytes as f64;
    let held = scale.max_components_held as f64;
    vec![
        Judged {
            figure: "cycle, p50: reference ÷ pooled floor",
            measured: us(r.cycle_p50_us),
            against: us(pooled),
            ratio: times(report.cycle_vs_floor_pooled),
            goal: "at most 2×",
            met: judge(report.cycle_vs_floor_pooled, 2.0, true),
        },
        Judged {
            figure: "cycle, p50: seed style ÷ reference",
            measured: us(r.cycle_p50_us),
            against: us(report.seed_style.cycle_p50_us),
            ratio: times(report.cycle_vs_seed_style),
            goal: "at least 100×",
            met: judge(report.cycle_vs_seed_style, 100.0, false),
        },
        Judged {
            figure: "messages/s, one component: reference ÷ floor",
            measured: per_sec(r.messages_per_sec),
            against: format!("{} ({floor_name})", per_sec(floor.messages_per_sec)),
            ratio: times(report.messages_vs_floor),
            goal: "at least 0.5×",
            met: judge(report.messages_vs_floor, 0.5, false),
        },
        Judged {
            figure: "messages/s: one component per core ÷ one component",
            measured: per_sec(r.messages_per_sec_all_cores),
            against: per_sec(r.messages_per_sec),
            ratio: times(report.all_cores_vs_one),
            goal: "at least 1.6×",
            met: judge(report.all_cores_vs_one, 1.6, false),
        },
        Judged {
            figure: "component cycle, p50: reference ÷ pooled component floor",
            measured: us(c.cycle_p50_us),
            against: us(cp),
            ratio: times(report.component_cycle_vs_floor_pooled),
            goal: "at most 2×",
            met: judge(report.component_cycle_vs_floor_pooled, 2.0, true),
        },
        Judged {
            figure: "component messages/s: reference ÷ component floor",
            measured: per_sec(c.messages_per_sec),
            against: per_sec(cfloor.messages_per_sec),
            ratio: times(report.component_messages_vs_floor),
            goal: "at least 0.5×",
            met: judge(report.component_messages_vs_floor, 0.5, false),
        },
        Judged {
            figure: "50 ms timeout, overshoot p99, worst entry",
            measured: ms(r.timeout_overshoot_p99_ms),
            against: "".into(),
            ratio: "".into(),
            goal: "at most 5 ms",
            met: judge(r.timeout_overshoot_p99_ms, 5.0, true),
        },
        Judged {
            figure: "RSS per idle ready echo component, pooled",
            measured: measured(rss, " B"),
            against: "".into(),
            ratio: "".into(),
            goal: "at most 8 KiB (8 192 B)",
            met: judge(rss, 8192.0, true),
        },
        Judged {
            figure: "most ready components in one process",
            measured: measured(held, ""),
            against: "".into(),
            ratio: "".into(),
            goal: "at least 100 000",
            met: judge(held, 100_000.0, false),
        },
    ]
}

fn goals_table(goals: &[Judged]) -> Markup {
    html! {
        div.scroll {
            table.goals {
                thead { tr {
                    th { "figure" } th { "measured" } th { "against" } th { "ratio" }
                    th { "goal" } th { "met" }
                } }
                tbody {
                    @for g in goals {
                        tr {
                            td { (g.figure) }
                            td.num { (g.measured) }
                            td.num { (g.against) }
                            td.num { (g.ratio) }
                            td { (g.goal) }
                            td { (met_words(g.met)) }
                        }
                    }
                }
            }
        }
    }
}

/// A goal's words for a caption: `0.91× (goal: at most 2×; ✓ met)`.
fn verdict(ratio: f64, goal: &str, met: Option<bool>) -> Markup {
    html! { b { (times(ratio)) } " (goal: " (goal) "; " (met_words(met)) ")" }
}

fn cycle(report: &Report) -> Figure {
    let r = &report.reference;
    let pooled = report.floor_pooled.as_ref().map_or(0.0, |f| f.cycle_p50_us);
    let od = report.floor_on_demand.cycle_p50_us;
    Figure {
        chart: Chart {
            id: "chart-cycle".into(),
            title: "Cycle p50: the reference beside the floor".into(),
            unit: "µs, p50 (shorter is better)".into(),
            rows: vec![
                row(
                    "reference",
                    us(r.cycle_p50_us),
                    Kind::Measured,
                    Mark::Bar(r.cycle_p50_us),
                ),
                row("floor, pooled", us(pooled), Kind::Floor, Mark::Bar(pooled)),
                row("floor, on demand", us(od), Kind::Floor, Mark::Bar(od)),
            ],
            goals: vec![Goal {
                value: 2.0 * pooled,
                label: format!("goal: reference ≤ 2 × pooled floor = {}", us(2.0 * pooled)),
            }],
        },
        caption: html! {
            "Create, start, one 16-byte message and stop, p50. Reference ÷ pooled floor: "
            (verdict(report.cycle_vs_floor_pooled, "at most 2×",
                judge(report.cycle_vs_floor_pooled, 2.0, true)))
            "; ÷ on-demand floor: " b { (times(report.cycle_vs_floor_on_demand)) } "."
        },
    }
}

fn cycle_spread(report: &Report) -> Figure {
    let r = &report.reference;
    let pooled = report.floor_pooled.clone().unwrap_or_default();
    let od = &report.floor_on_demand;
    let spread =
        |label: &str, kind, p50, p99| row(label, p50_p99(p50, p99, " µs"), kind, dots(p50, p99));
    Figure {
        chart: Chart {
            id: "chart-cycle-spread".into(),
            title: "Cycle latency, p50 and p99".into(),
            unit: "µs (● p50, ■ p99)".into(),
            rows: vec![
                spread("reference", Kind::Measured, r.cycle_p50_us, r.cycle_p99_us),
                spread(
                    "floor, pooled",
                    Kind::Floor,
                    pooled.cycle_p50_us,
                    pooled.cycle_p99_us,
                ),
                spread(
                    "floor, on demand",
                    Kind::Floor,
                    od.cycle_p50_us,
                    od.cycle_p99_us,
                ),
            ],
            goals: Vec::new(),
        },
        caption: html! {
            "The same cycle's distribution: ● p50, ■ p99, each written beside its label."
        },
    }
}

fn seed(report: &Report) -> Figure {
    let r = &report.reference;
    let seed = report.seed_style.cycle_p50_us;
    let goal = 100.0 * r.cycle_p50_us;
    Figure {
        chart: Chart {
            id: "chart-seed".into(),
            title: "Cycle p50: seed style beside the reference".into(),
            unit: "µs, p50 (shorter is better)".into(),
            rows: vec![
                row(
                    "seed style: an engine and a compile per start",
                    us(seed),
                    Kind::Baseline,
                    Mark::Bar(seed),
                ),
                row(
                    "reference",
                    us(r.cycle_p50_us),
                    Kind::Measured,
                    Mark::Bar(r.cycle_p50_us),
                ),
            ],
            goals: vec![Goal {
                value: goal,
                label: format!("goal: seed style ≥ 100 × reference = {}", us(goal)),
            }],
        },
        caption: html! {
            "Seed style ÷ reference: "
            (verdict(report.cycle_vs_seed_style, "at least 100×",
                judge(report.cycle_vs_seed_style, 100.0, false)))
            ". Seed style p99: " (us(report.seed_style.cycle_p99_us)) "."
        },
    }
}

fn wasmi_cycle(report: &Report) -> Figure {
    let (r, w) = (&report.reference, &report.wasmi);
    let ratio = if r.cycle_p50_us > 0.0 {
        w.cycle_p50_us / r.cycle_p50_us
    } else {
        0.0
    };
    Figure {
        chart: Chart {
            id: "chart-wasmi".into(),
            title: "Cycle p50: wasmi beside the reference".into(),
            unit: "µs, p50 (shorter is better)".into(),
            rows: vec![
                row(
                    "wasmi, the same lifecycle",
                    us(w.cycle_p50_us),
                    Kind::Measured,
                    Mark::Bar(w.cycle_p50_us),
                ),
                row(
                    "reference (Wasmtime)",
                    us(r.cycle_p50_us),
                    Kind::Measured,
                    Mark::Bar(r.cycle_p50_us),
                ),
            ],
            goals: Vec::new(),
        },
        caption: html! {
            "The second engine, an interpreter: wasmi ÷ reference " b { (times(ratio)) }
            " (no goal). Its other figures are in the text below."
        },
    }
}

fn messages(report: &Report) -> Figure {
    let r = &report.reference;
    let (floor, name) = message_floor(report);
    let goal = 0.5 * floor.messages_per_sec;
    Figure {
        chart: Chart {
            id: "chart-messages".into(),
            title: "Messages per second, one component, beside the floor".into(),
            unit: "16-byte echoes per second (longer is better)".into(),
            rows: vec![
                row(
                    "reference",
                    per_sec(r.messages_per_sec),
                    Kind::Measured,
                    Mark::Bar(r.messages_per_sec),
                ),
                row(
                    name,
                    per_sec(floor.messages_per_sec),
                    Kind::Floor,
                    Mark::Bar(floor.messages_per_sec),
                ),
                row(
                    format!("{name}, synchronous calls"),
                    per_sec(floor.sync_messages_per_sec),
                    Kind::Floor,
                    Mark::Bar(floor.sync_messages_per_sec),
                ),
            ],
            goals: vec![Goal {
                value: goal,
                label: format!("goal: reference ≥ 0.5 × floor = {}", per_sec(goal)),
            }],
        },
        caption: html! {
            "Reference ÷ " (name) ": "
            (verdict(report.messages_vs_floor, "at least 0.5×",
                judge(report.messages_vs_floor, 0.5, false)))
            ". The floor's synchronous calls are the path not taken: they could not be \
             abandoned before their deadline."
        },
    }
}

fn cores(report: &Report) -> Figure {
    let r = &report.reference;
    let goal = 1.6 * r.messages_per_sec;
    Figure {
        chart: Chart {
            id: "chart-cores".into(),
            title: "Messages per second, one component per core".into(),
            unit: "16-byte echoes per second (longer is better)".into(),
            rows: vec![
                row(
                    "one component per core",
                    per_sec(r.messages_per_sec_all_cores),
                    Kind::Measured,
                    Mark::Bar(r.messages_per_sec_all_cores),
                ),
                row(
                    "one component",
                    per_sec(r.messages_per_sec),
                    Kind::Measured,
                    Mark::Bar(r.messages_per_sec),
                ),
            ],
            goals: vec![Goal {
                value: goal,
                label: format!("goal: ≥ 1.6 × one component = {}", per_sec(goal)),
            }],
        },
        caption: html! {
            "Each component on its own thread and executor. Per core ÷ one: "
            (verdict(report.all_cores_vs_one, "at least 1.6×",
                judge(report.all_cores_vs_one, 1.6, false)))
            "."
        },
    }
}

fn message_spread(report: &Report) -> Figure {
    let (r, c) = (&report.reference, &report.component);
    let (floor, name) = message_floor(report);
    let one = |label: String, kind, v: f64| {
        row(
            label,
            format!("p50 {}", us(v)),
            kind,
            Mark::Dots(vec![("p50", v)]),
        )
    };
    Figure {
        chart: Chart {
            id: "chart-message-spread".into(),
            title: "Message round trip and health check latency".into(),
            unit: "µs (● p50, ■ p99)".into(),
            rows: vec![
                row(
                    "message, reference",
                    p50_p99(r.message_p50_us, r.message_p99_us, " µs"),
                    Kind::Measured,
                    dots(r.message_p50_us, r.message_p99_us),
                ),
                row(
                    "message, component",
                    p50_p99(c.message_p50_us, c.message_p99_us, " µs"),
                    Kind::Measured,
                    dots(c.message_p50_us, c.message_p99_us),
                ),
                one(
                    format!("message, {name}"),
                    Kind::Floor,
                    floor.message_p50_us,
                ),
                one(
                    "health check, reference".into(),
                    Kind::Measured,
                    r.health_p50_us,
                ),
                one(
                    format!("health check, {name}"),
                    Kind::Floor,
                    floor.health_p50_us,
                ),
            ],
            goals: Vec::new(),
        },
        caption: html! {
            "One 16-byte echo on a ready component, and one health check: ● p50, ■ p99 \
             (the floor's p50 only)."
        },
    }
}

fn spawn_stop(report: &Report) -> Figure {
    let r = &report.reference;
    let spread = |label: &str, p50, p99| {
        row(
            label,
            p50_p99(p50, p99, " µs"),
            Kind::Measured,
            dots(p50, p99),
        )
    };
    Figure {
        chart: Chart {
            id: "chart-spawn-stop".into(),
            title: "Spawn and stop latency, reference".into(),
            unit: "µs (● p50, ■ p99)".into(),
            rows: vec![
                spread("spawn to ready, echo", r.spawn_p50_us, r.spawn_p99_us),
                spread("stop to terminated, echo", r.stop_p50_us, r.stop_p99_us),
                spread(
                    "spawn to ready, empty module",
                    r.spawn_empty_p50_us,
                    r.spawn_empty_p99_us,
                ),
                spread(
                    "stop to terminated, empty module",
                    r.stop_empty_p50_us,
                    r.stop_empty_p99_us,
                ),
            ],
            goals: Vec::new(),
        },
        caption: html! {
            "Create and start to " code { "ready" } ", and stop to " code { "terminated" }
            ", each timed alone: ● p50, ■ p99."
        },
    }
}

fn overshoot(report: &Report) -> Figure {
    let mut rows = Vec::new();
    for (name, figures) in [("reference", &report.reference), ("wasmi", &report.wasmi)] {
        for o in &figures.timeout_overshoot_ms {
            rows.push(row(
                format!("{name}: {}", o.entry),
                p50_p99(o.p50_ms, o.p99_ms, " ms"),
                Kind::Measured,
                dots(o.p50_ms, o.p99_ms),
            ));
        }
    }
    let worst = report.reference.timeout_overshoot_p99_ms;
    Figure {
        chart: Chart {
            id: "chart-overshoot".into(),
            title: "How late a 50 ms timeout stopped a tight loop, per entry".into(),
            unit: "ms past the 50 ms timeout (● p50, ■ p99)".into(),
            rows,
            goals: vec![Goal {
                value: 5.0,
                label: "goal: p99 ≤ 5 ms".into(),
            }],
        },
        caption: html! {
            "A guest spinning in each entry with unlimited fuel, so that only the timeout \
             stops it: how long after its 50 ms it was stopped, ● p50, ■ p99. The \
             reference's worst p99: "
            b { (ms(worst)) } " (goal: at most 5 ms; " (met_words(judge(worst, 5.0, true))) ")."
        },
    }
}

fn component_cycle(report: &Report) -> Figure {
    let c = &report.component;
    let pooled = report.component_floor_pooled.clone().unwrap_or_default();
    let od = &report.component_floor_on_demand;
    Figure {
        chart: Chart {
            id: "chart-component-cycle".into(),
            title: "Component cycle p50 beside the component floor".into(),
            unit: "µs, p50 (shorter is better)".into(),
            rows: vec![
                row(
                    "reference, component",
                    p50_p99(c.cycle_p50_us, c.cycle_p99_us, " µs"),
                    Kind::Measured,
                    Mark::Bar(c.cycle_p50_us),
                ),
                row(
                    "component floor, pooled",
                    p50_p99(pooled.cycle_p50_us, pooled.cycle_p99_us, " µs"),
                    Kind::Floor,
                    Mark::Bar(pooled.cycle_p50_us),
                ),
                row(
                    "component floor, on demand",
                    p50_p99(od.cycle_p50_us, od.cycle_p99_us, " µs"),
                    Kind::Floor,
                    Mark::Bar(od.cycle_p50_us),
                ),
            ],
            goals: vec![Goal {
                value: 2.0 * pooled.cycle_p50_us,
                label: format!(
                    "goal: ≤ 2 × pooled floor = {}",
                    us(2.0 * pooled.cycle_p50_us)
                ),
            }],
        },
        caption: html! {
            "The echo actor as a component of the world " code { "actor" } ", beside bare "
            code { "wasmtime::component" } " with typed calls (bars: p50). Reference ÷ pooled floor: "
            (verdict(report.component_cycle_vs_floor_pooled, "at most 2×",
                judge(report.component_cycle_vs_floor_pooled, 2.0, true)))
            "; ÷ on-demand floor: " b { (times(report.component_cycle_vs_floor_on_demand)) } "."
        },
    }
}

fn component_messages(report: &Report) -> Figure {
    let c = &report.component;
    let (floor, name) = match &report.component_floor_pooled {
        Some(f) => (f, "component floor, pooled"),
        None => (
            &report.component_floor_on_demand,
            "component floor, on demand",
        ),
    };
    let goal = 0.5 * floor.messages_per_sec;
    Figure {
        chart: Chart {
            id: "chart-component-messages".into(),
            title: "Component messages per second beside the component floor".into(),
            unit: "16-byte echoes per second (longer is better)".into(),
            rows: vec![
                row(
                    "reference, component",
                    per_sec(c.messages_per_sec),
                    Kind::Measured,
                    Mark::Bar(c.messages_per_sec),
                ),
                row(
                    name,
                    per_sec(floor.messages_per_sec),
                    Kind::Floor,
                    Mark::Bar(floor.messages_per_sec),
                ),
            ],
            goals: vec![Goal {
                value: goal,
                label: format!("goal: ≥ 0.5 × floor = {}", per_sec(goal)),
            }],
        },
        caption: html! {
            "Reference ÷ floor: "
            (verdict(report.component_messages_vs_floor, "at least 0.5×",
                judge(report.component_messages_vs_floor, 0.5, false)))
            "."
        },
    }
}

fn rss(report: &Report) -> Figure {
    let s = &report.scale;
    let bytes = |v: u64| measured(v as f64, " B");
    let on = |h: &super::Held| {
        format!(
            "{}, over {}",
            bytes(h.rss_per_component_bytes),
            svg::grouped(h.rss_sample as u64)
        )
    };
    Figure {
        chart: Chart {
            id: "chart-rss".into(),
            title: "Resident memory per idle ready echo component".into(),
            unit: "bytes of RSS per component (shorter is better)".into(),
            rows: vec![
                row(
                    "pooled",
                    on(&s.pooled),
                    Kind::Measured,
                    Mark::Bar(s.pooled.rss_per_component_bytes as f64),
                ),
                row(
                    "on demand (read after the pooled search)",
                    on(&s.on_demand),
                    Kind::Measured,
                    Mark::Bar(s.on_demand.rss_per_component_bytes as f64),
                ),
            ],
            goals: vec![Goal {
                value: 8192.0,
                label: "goal: ≤ 8 KiB".into(),
            }],
        },
        caption: html! {
            "Growth of this process's RSS over that many ready components. Pooled (the \
             figure judged): " b { (bytes(s.rss_per_component_bytes)) } " (goal: at most 8 KiB; "
            (met_words(judge(s.rss_per_component_bytes as f64, 8192.0, true))) "); "
            (svg::grouped(s.max_components_per_gib)) " components per GiB."
        },
    }
}

fn held(report: &Report) -> Figure {
    let s = &report.scale;
    let text = |h: &super::Held| {
        format!(
            "{} of at most {}",
            svg::grouped(h.held as u64),
            svg::grouped(h.cap as u64)
        )
    };
    Figure {
        chart: Chart {
            id: "chart-held".into(),
            title: "Most ready components held in one process".into(),
            unit: "ready components (longer is better)".into(),
            rows: vec![
                row(
                    "pooled",
                    text(&s.pooled),
                    Kind::Measured,
                    Mark::Bar(s.pooled.held as f64),
                ),
                row(
                    "on demand",
                    text(&s.on_demand),
                    Kind::Measured,
                    Mark::Bar(s.on_demand.held as f64),
                ),
            ],
            goals: vec![Goal {
                value: 100_000.0,
                label: "goal: ≥ 100 000".into(),
            }],
        },
        caption: html! {
            "Started until a start failed or the cap. The most: " b { (svg::grouped(s.max_components_held as u64)) }
            " (" (s.max_components_allocation) "; goal: at least 100 000; "
            (met_words(judge(s.max_components_held as f64, 100_000.0, false))) "). Stopped by: pooled, "
            (s.pooled.stopped_by) "; on demand, " (s.on_demand.stopped_by) "."
        },
    }
}
