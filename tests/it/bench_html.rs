//! `bench --html`: the page read back as a reader would check it, never as pixels. Each
//! chart's SVG parses as XML; its marks sit where its own axis puts their values (a bar
//! as long as its value, a dot centred on its value, a goal line on its value), so bars are
//! proportional to the figures; the figures and their floors appear with their numbers;
//! each goal is judged in words; the page refers to nothing outside itself.
//!
//! Two reports are drawn: one built here from plausible numbers (the figures of
//! docs/performance.md's run, and the same with figures missing), so every number on the
//! page is known exactly; and a real `bench --quick --json --html` (about 2 s in the test
//! build, beside other work), whose page must agree with the JSON of the same run, and be
//! the only file written.

use crate::common::kit;
use lifecycle_kit::bench::html::html;
use lifecycle_kit::bench::{
    ComponentFigures, ComponentFloorFigures, FloorFigures, Held, Overshoot, Report, RuntimeFigures,
    Scale, SeedFigures,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// A report with docs/performance.md's figures (its two runs, core and component).
fn plausible() -> Report {
    let overshoot = |p50: [f64; 4], p99: [f64; 4]| {
        ["_start", "handle-message", "_health", "_cleanup"]
            .into_iter()
            .zip(p50.into_iter().zip(p99))
            .map(|(entry, (p50_ms, p99_ms))| Overshoot {
                entry,
                p50_ms,
                p99_ms,
            })
            .collect::<Vec<_>>()
    };
    let reference = RuntimeFigures {
        cycle_p50_us: 7.85,
        cycle_p99_us: 20.9,
        spawn_p50_us: 2.61,
        spawn_p99_us: 4.37,
        stop_p50_us: 2.0,
        stop_p99_us: 2.91,
        spawn_empty_p50_us: 1.12,
        spawn_empty_p99_us: 1.9,
        stop_empty_p50_us: 0.29,
        stop_empty_p99_us: 0.52,
        message_p50_us: 0.39,
        message_p99_us: 0.91,
        messages_per_sec: 2_030_000.0,
        messages_per_sec_all_cores: 3_010_000.0,
        health_p50_us: 0.19,
        timeout_overshoot_p99_ms: 1.18,
        timeout_overshoot_ms: overshoot([0.47, 0.47, 0.46, 0.59], [1.15, 1.18, 0.97, 1.14]),
    };
    let wasmi = RuntimeFigures {
        cycle_p50_us: 116.0,
        cycle_p99_us: 240.0,
        spawn_p50_us: 54.6,
        spawn_p99_us: 80.0,
        stop_p50_us: 18.6,
        stop_p99_us: 30.0,
        message_p50_us: 40.9,
        message_p99_us: 60.0,
        messages_per_sec: 20_600.0,
        messages_per_sec_all_cores: 48_400.0,
        health_p50_us: 17.3,
        timeout_overshoot_p99_ms: 0.26,
        timeout_overshoot_ms: overshoot([0.1, 0.12, 0.11, 0.13], [0.2, 0.26, 0.21, 0.25]),
        ..RuntimeFigures::default()
    };
    let held = |allocation: &str, held: usize, rss: u64| Held {
        allocation: allocation.into(),
        pool_instances: if allocation == "pooling" { 15_871 } else { 0 },
        held,
        cap: 200_000,
        stopped_by: "resource_limit_exceeded: instances".into(),
        rss_per_component_bytes: rss,
        rss_sample: 10_000,
    };
    Report {
        machine: "2 × AMD EPYC <vCPU> & co".into(),
        quick: false,
        allocation: "pooling".into(),
        reference,
        rss_per_component_bytes: 9_991,
        max_components_per_gib: 107_470,
        max_components_held: 16_366,
        cycle_vs_floor_pooled: 0.91,
        cycle_vs_floor_on_demand: 0.35,
        cycle_vs_seed_style: 198.0,
        messages_vs_floor: 0.66,
        all_cores_vs_one: 1.49,
        scale: Scale {
            max_components_held: 16_366,
            max_components_allocation: "on-demand".into(),
            rss_per_component_bytes: 9_991,
            max_components_per_gib: 107_470,
            pooled: held("pooling", 15_871, 9_991),
            on_demand: held("on-demand", 16_366, 8_200),
            max_map_count: Some(65_530),
        },
        floor_pooled: Some(FloorFigures {
            cycle_p50_us: 8.6,
            cycle_p99_us: 19.0,
            message_p50_us: 0.28,
            messages_per_sec: 3_080_000.0,
            sync_message_p50_us: 0.08,
            sync_messages_per_sec: 8_830_000.0,
            health_p50_us: 0.14,
        }),
        floor_on_demand: FloorFigures {
            cycle_p50_us: 22.3,
            cycle_p99_us: 41.0,
            message_p50_us: 0.29,
            messages_per_sec: 3_000_000.0,
            sync_message_p50_us: 0.09,
            sync_messages_per_sec: 8_500_000.0,
            health_p50_us: 0.15,
        },
        seed_style: SeedFigures {
            cycle_p50_us: 1_560.0,
            cycle_p99_us: 2_100.0,
        },
        wasmi,
        component: ComponentFigures {
            cycle_p50_us: 10.93,
            cycle_p99_us: 29.0,
            message_p50_us: 0.47,
            message_p99_us: 0.64,
            messages_per_sec: 1_960_000.0,
        },
        component_floor_pooled: Some(ComponentFloorFigures {
            cycle_p50_us: 8.18,
            cycle_p99_us: 20.0,
            message_p50_us: 0.36,
            messages_per_sec: 2_500_000.0,
        }),
        component_floor_on_demand: ComponentFloorFigures {
            cycle_p50_us: 15.9,
            cycle_p99_us: 30.0,
            message_p50_us: 0.37,
            messages_per_sec: 2_400_000.0,
        },
        component_cycle_vs_floor_pooled: 1.34,
        component_cycle_vs_floor_on_demand: 0.69,
        component_messages_vs_floor: 0.79,
        kit_version: "0.1.0".into(),
        date: "2026-12-05T10:31:07Z".into(),
    }
}

/// One mark as drawn: its value and where it sits (a bar's length from zero, a dot's
/// or a goal line's distance from zero).
#[derive(Debug, Clone, Copy)]
struct Drawn {
    value: f64,
    from_zero: f64,
}

/// A row: its label, the values written out, its marks.
#[derive(Debug)]
struct ChartRow {
    text: String,
    marks: Vec<Drawn>,
}

/// A chart read back: its rows by label, its goals, and units per value by its axis.
#[derive(Debug)]
struct ReadChart {
    rows: BTreeMap<String, ChartRow>,
    goals: Vec<Drawn>,
    labels: Vec<String>,
}

fn number(node: roxmltree::Node, attribute: &str) -> f64 {
    let text = node
        .attribute(attribute)
        .unwrap_or_else(|| panic!("{node:?} has no {attribute}"));
    let v: f64 = text
        .parse()
        .unwrap_or_else(|e| panic!("{attribute}={text:?}: {e}"));
    assert!(v.is_finite(), "{attribute}={text:?}");
    v
}

fn has_class(node: roxmltree::Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

/// Every `<svg>` of `page`, by id, each parsed as XML on its own and read back; and
/// checked that every mark sits where the chart's axis puts its value.
fn charts(page: &str) -> BTreeMap<String, ReadChart> {
    let mut found = BTreeMap::new();
    let mut rest = page;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("every svg is closed") + start + 6;
        let text = &rest[start..end];
        rest = &rest[end..];
        let doc = roxmltree::Document::parse(text)
            .unwrap_or_else(|e| panic!("the SVG is not XML: {e}\n{text}"));
        let svg = doc.root_element();
        let id = svg
            .attribute("id")
            .expect("every chart has an id")
            .to_string();
        let title = svg.children().find(|n| n.has_tag_name("title"));
        assert!(
            title.is_some_and(|t| t.text().is_some_and(|t| !t.is_empty())),
            "{id} has no title"
        );
        // The axis: ticks at their values, evenly, from zero at the left.
        let ticks: Vec<(f64, f64)> = svg
            .descendants()
            .filter(|n| n.has_tag_name("text") && has_class(*n, "tick"))
            .map(|n| (number(n, "data-value"), number(n, "x")))
            .collect();
        assert!(ticks.len() >= 2, "{id}: {ticks:?}");
        assert_eq!(ticks[0].0, 0.0, "{id}: the axis starts at zero");
        let zero = ticks[0].1;
        let (last, last_x) = ticks[ticks.len() - 1];
        let scale = (last_x - zero) / last;
        for (t, x) in &ticks {
            assert!((zero + t * scale - x).abs() < 0.02, "{id}: tick {t} at {x}");
            let label = svg
                .descendants()
                .find(|n| {
                    n.has_tag_name("text") && n.attribute("data-value") == Some(&t.to_string())
                })
                .and_then(|n| n.text())
                .unwrap_or_default();
            assert!(!label.is_empty(), "{id}: tick {t} has no label");
        }
        let mark = |node: roxmltree::Node| -> Drawn {
            let value = number(node, "data-value");
            let from_zero = match node.tag_name().name() {
                "rect" if has_class(node, "bar") => {
                    assert!(
                        (number(node, "x") - zero).abs() < 0.01,
                        "{id}: a bar from zero"
                    );
                    number(node, "width")
                }
                "rect" => number(node, "x") + number(node, "width") / 2.0 - zero,
                "circle" => number(node, "cx") - zero,
                "polygon" => {
                    let first = node.attribute("points").unwrap().split(',').next().unwrap();
                    first.parse::<f64>().unwrap() - zero
                }
                "line" => number(node, "x1") - zero,
                other => panic!("{id}: a mark {other}"),
            };
            // Proportional: where the axis puts the value, to the SVG's 0.01.
            assert!(
                (from_zero - value * scale).abs() < 0.011,
                "{id}: {value} drawn at {from_zero}, the axis puts it at {}",
                value * scale
            );
            assert!(
                from_zero <= last_x - zero + 0.01,
                "{id}: {value} beyond the axis"
            );
            Drawn { value, from_zero }
        };
        let mut rows = BTreeMap::new();
        let mut labels = Vec::new();
        for row in svg.descendants().filter(|n| has_class(*n, "row")) {
            let text_of = |class: &str| {
                row.children()
                    .find(|n| n.has_tag_name("text") && has_class(*n, class))
                    .and_then(|n| n.text())
                    .unwrap_or_else(|| panic!("{id}: a row without its {class}"))
                    .to_string()
            };
            let marks = row
                .descendants()
                .filter(|n| n.attribute("data-value").is_some())
                .map(mark)
                .collect();
            let label = text_of("label");
            labels.push(label.clone());
            let previous = rows.insert(
                label.clone(),
                ChartRow {
                    text: text_of("value"),
                    marks,
                },
            );
            assert!(previous.is_none(), "{id}: two rows `{label}`");
        }
        let goals = svg
            .descendants()
            .filter(|n| n.has_tag_name("line") && n.parent().is_some_and(|p| has_class(p, "goal")))
            .map(mark)
            .collect();
        assert!(
            found
                .insert(
                    id.clone(),
                    ReadChart {
                        rows,
                        goals,
                        labels
                    }
                )
                .is_none(),
            "two charts {id}"
        );
    }
    found
}

/// The row `label` of chart `id`: its text contains each of `says`, and its marks are
/// exactly `values`, in order.
fn expect_row(
    charts: &BTreeMap<String, ReadChart>,
    id: &str,
    label: &str,
    values: &[f64],
    says: &[&str],
) {
    let chart = charts.get(id).unwrap_or_else(|| panic!("no chart {id}"));
    let row = chart
        .rows
        .get(label)
        .unwrap_or_else(|| panic!("{id}: no row `{label}` among {:?}", chart.labels));
    let drawn: Vec<f64> = row.marks.iter().map(|m| m.value).collect();
    assert_eq!(drawn, values, "{id}: `{label}`");
    for said in says {
        assert!(
            row.text.contains(said),
            "{id}: `{label}` says {:?}, not {said:?}",
            row.text
        );
    }
}

/// Nothing the page needs comes from elsewhere, and it runs no script.
fn self_contained(page: &str) {
    for outside in [
        "http", "src=", "href=", "<link", "<script", "url(", "@import", "xlink",
    ] {
        assert!(!page.contains(outside), "the page holds {outside:?}");
    }
    assert!(page.starts_with("<!DOCTYPE html>"));
}

#[test]
fn the_page_draws_every_figure_against_its_floor_in_proportion() {
    let report = plausible();
    let page = html(&report);
    self_contained(&page);
    let charts = charts(&page);
    let nb = '\u{a0}';

    // Each figure beside its floor, with its number; bars checked proportional above.
    expect_row(&charts, "chart-cycle", "reference", &[7.85], &["7.85 µs"]);
    expect_row(
        &charts,
        "chart-cycle",
        "floor, pooled",
        &[8.6],
        &["8.60 µs"],
    );
    expect_row(
        &charts,
        "chart-cycle",
        "floor, on demand",
        &[22.3],
        &["22.3 µs"],
    );
    assert_eq!(charts["chart-cycle"].goals.len(), 1);
    assert_eq!(charts["chart-cycle"].goals[0].value, 2.0 * 8.6);
    let seed = format!("1{nb}560 µs");
    expect_row(
        &charts,
        "chart-seed",
        "seed style: an engine and a compile per start",
        &[1_560.0],
        &[&seed],
    );
    expect_row(&charts, "chart-seed", "reference", &[7.85], &["7.85 µs"]);
    assert_eq!(charts["chart-seed"].goals[0].value, 785.0);
    expect_row(
        &charts,
        "chart-wasmi",
        "wasmi, the same lifecycle",
        &[116.0],
        &["116 µs"],
    );
    expect_row(
        &charts,
        "chart-messages",
        "reference",
        &[2_030_000.0],
        &[&format!("2.03{nb}M/s")],
    );
    expect_row(
        &charts,
        "chart-messages",
        "pooled floor",
        &[3_080_000.0],
        &[&format!("3.08{nb}M/s")],
    );
    expect_row(
        &charts,
        "chart-messages",
        "pooled floor, synchronous calls",
        &[8_830_000.0],
        &[&format!("8.83{nb}M/s")],
    );
    assert_eq!(charts["chart-messages"].goals[0].value, 1_540_000.0);
    expect_row(
        &charts,
        "chart-cores",
        "one component per core",
        &[3_010_000.0],
        &[&format!("3.01{nb}M/s")],
    );
    expect_row(
        &charts,
        "chart-component-cycle",
        "reference, component",
        &[10.93],
        &["p50 10.9 · p99 29.0 µs"],
    );
    expect_row(
        &charts,
        "chart-component-cycle",
        "component floor, pooled",
        &[8.18],
        &["p50 8.18 · p99 20.0 µs"],
    );
    expect_row(
        &charts,
        "chart-component-cycle",
        "component floor, on demand",
        &[15.9],
        &["p50 15.9 · p99 30.0 µs"],
    );
    expect_row(
        &charts,
        "chart-component-messages",
        "component floor, pooled",
        &[2_500_000.0],
        &[&format!("2.50{nb}M/s")],
    );
    expect_row(
        &charts,
        "chart-rss",
        "pooled",
        &[9_991.0],
        &[&format!("9{nb}991 B")],
    );
    assert_eq!(charts["chart-rss"].goals[0].value, 8192.0);
    expect_row(
        &charts,
        "chart-held",
        "on demand",
        &[16_366.0],
        &[&format!("16{nb}366 of at most 200{nb}000")],
    );
    assert_eq!(charts["chart-held"].goals[0].value, 100_000.0);

    // The distributions: p50 and p99 of the cycle, spawn and stop, messages, overshoot.
    expect_row(
        &charts,
        "chart-cycle-spread",
        "reference",
        &[7.85, 20.9],
        &["p50 7.85 · p99 20.9 µs"],
    );
    expect_row(
        &charts,
        "chart-cycle-spread",
        "floor, on demand",
        &[22.3, 41.0],
        &["p99 41.0 µs"],
    );
    expect_row(
        &charts,
        "chart-spawn-stop",
        "spawn to ready, echo",
        &[2.61, 4.37],
        &["p50 2.61 · p99 4.37 µs"],
    );
    expect_row(
        &charts,
        "chart-spawn-stop",
        "stop to terminated, empty module",
        &[0.29, 0.52],
        &["p50 0.290 · p99 0.520 µs"],
    );
    expect_row(
        &charts,
        "chart-message-spread",
        "message, reference",
        &[0.39, 0.91],
        &["p99 0.910 µs"],
    );
    expect_row(
        &charts,
        "chart-message-spread",
        "message, pooled floor",
        &[0.28],
        &["p50 0.280 µs"],
    );
    let overshoot = &charts["chart-overshoot"];
    assert_eq!(overshoot.rows.len(), 8, "four entries on each runtime");
    expect_row(
        &charts,
        "chart-overshoot",
        "reference: handle-message",
        &[0.47, 1.18],
        &["p50 0.470 · p99 1.18 ms"],
    );
    expect_row(
        &charts,
        "chart-overshoot",
        "wasmi: _cleanup",
        &[0.13, 0.25],
        &["p99 0.250 ms"],
    );
    assert_eq!(overshoot.goals[0].value, 5.0);

    // In proportion across rows too: 22.3 µs is drawn 22.3 / 7.85 times as long as 7.85.
    let cycle = &charts["chart-cycle"];
    let (r, od) = (
        cycle.rows["reference"].marks[0],
        cycle.rows["floor, on demand"].marks[0],
    );
    assert!(
        (od.from_zero / r.from_zero - 22.3 / 7.85).abs() < 1e-3,
        "{r:?} {od:?}"
    );

    // Each goal judged in words, with its ratio.
    for (figure, ratio, met) in [
        ("cycle, p50: reference ÷ pooled floor", "0.91×", "✓ met"),
        ("cycle, p50: seed style ÷ reference", "198×", "✓ met"),
        (
            "messages/s, one component: reference ÷ floor",
            "0.66×",
            "✓ met",
        ),
        (
            "messages/s: one component per core ÷ one component",
            "1.49×",
            "✗ not met",
        ),
        (
            "component cycle, p50: reference ÷ pooled component floor",
            "1.34×",
            "✓ met",
        ),
        ("RSS per idle ready echo component, pooled", "", "✗ not met"),
        ("most ready components in one process", "", "✗ not met"),
        ("50 ms timeout, overshoot p99, worst entry", "", "✓ met"),
    ] {
        let row = page
            .split("<tr>")
            .find(|r| r.contains(&format!("<td>{figure}</td>")))
            .unwrap_or_else(|| panic!("no goal row {figure}"));
        assert!(row.contains(ratio) && row.contains(met), "{figure}: {row}");
    }

    // The run: version, date, machine (escaped), a full run.
    for said in [
        "lifecycle-kit 0.1.0",
        "2026-12-05T10:31:07Z",
        "2 × AMD EPYC &lt;vCPU&gt; &amp; co",
        "(every sample)",
        "65\u{a0}530",
    ] {
        assert!(page.contains(said), "the page does not say {said:?}");
    }
    assert!(!page.contains("<vCPU>"));
    assert!(!page.contains("--quick"), "a full run");
    // The text every figure is printed as, too.
    assert!(page.contains("cycle p50 (µs)"));
}

/// A host without a pool, and figures not measured: said, not drawn, and nothing that is
/// not a number reaches the SVG.
#[test]
fn figures_not_measured_are_said_and_not_drawn() {
    let mut report = plausible();
    report.quick = true;
    report.floor_pooled = None;
    report.cycle_vs_floor_pooled = 0.0;
    report.component_floor_pooled = None;
    report.component_cycle_vs_floor_pooled = 0.0;
    report.reference.messages_per_sec_all_cores = 0.0;
    report.all_cores_vs_one = 0.0;
    let page = html(&report);
    self_contained(&page);
    assert!(!page.contains("NaN"), "NaN on the page");
    assert!(page.contains("bench --quick"));
    let charts = charts(&page);
    expect_row(
        &charts,
        "chart-cycle",
        "floor, pooled",
        &[],
        &["not measured"],
    );
    expect_row(
        &charts,
        "chart-cycle",
        "floor, on demand",
        &[22.3],
        &["22.3 µs"],
    );
    assert!(
        charts["chart-cycle"].goals.is_empty(),
        "no floor, no goal line"
    );
    expect_row(
        &charts,
        "chart-messages",
        "on-demand floor",
        &[3_000_000.0],
        &[],
    );
    expect_row(
        &charts,
        "chart-cores",
        "one component per core",
        &[],
        &["not measured"],
    );
    let row = page
        .split("<tr>")
        .find(|r| r.contains("<td>cycle, p50: reference ÷ pooled floor</td>"))
        .unwrap();
    assert!(row.contains("– not measured"), "{row}");
}

#[test]
fn bench_quick_writes_the_page_of_its_own_run() {
    let dir = std::env::temp_dir().join(format!("lk-bench-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.html");
    let out = kit(&[
        "bench",
        "--quick",
        "--json",
        "--html",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("the JSON on stdout");
    let written: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(written, ["bench.html"], "the page and nothing aside");
    let page = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    self_contained(&page);
    let charts = charts(&page);
    let at = |pointer: &str| {
        let v = report.pointer(pointer).and_then(Value::as_f64);
        v.unwrap_or_else(|| panic!("{pointer} in {report:#}"))
    };
    // The page and the JSON are the one run's.
    for (id, label, pointers) in [
        ("chart-cycle", "reference", &["/cycle_p50_us"][..]),
        (
            "chart-cycle",
            "floor, pooled",
            &["/floor_pooled/cycle_p50_us"],
        ),
        (
            "chart-cycle",
            "floor, on demand",
            &["/floor_on_demand/cycle_p50_us"],
        ),
        (
            "chart-seed",
            "seed style: an engine and a compile per start",
            &["/seed_style/cycle_p50_us"],
        ),
        ("chart-messages", "reference", &["/messages_per_sec"]),
        (
            "chart-messages",
            "pooled floor",
            &["/floor_pooled/messages_per_sec"],
        ),
        (
            "chart-spawn-stop",
            "spawn to ready, echo",
            &["/spawn_p50_us", "/spawn_p99_us"],
        ),
        (
            "chart-component-cycle",
            "reference, component",
            &["/component/cycle_p50_us"],
        ),
        ("chart-held", "pooled", &["/scale/pooled/held"]),
    ] {
        let values: Vec<f64> = pointers.iter().map(|p| at(p)).collect();
        expect_row(&charts, id, label, &values, &[]);
    }
    for o in report["timeout_overshoot_ms"].as_array().unwrap() {
        let label = format!("reference: {}", o["entry"].as_str().unwrap());
        let values = [o["p50_ms"].as_f64().unwrap(), o["p99_ms"].as_f64().unwrap()];
        expect_row(&charts, "chart-overshoot", &label, &values, &[]);
    }
    for key in ["kit_version", "date"] {
        let said = report[key].as_str().unwrap_or_else(|| panic!("{key}"));
        assert!(page.contains(said), "{key} {said}");
    }
    assert!(page.contains("bench --quick"));
}
