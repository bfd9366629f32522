//! Charts as inline SVG, drawn with maud for the bench's page: bars, and dots for a
//! distribution's percentiles, on one linear axis from zero with its ticks; every value
//! also written as text beside its label, and every goal a dashed line named in words.
//! Nothing is carried by colour alone: what a mark is, its row's label says.
//!
//! The geometry, which the tests read back: a chart is [`WIDTH`] units wide; a value `v`
//! sits at `x(v) = LEFT + v × scale`, and the axis's ticks are drawn at the same `x`; a
//! bar is a `rect` of class `bar` from `LEFT`, `v × scale` wide; a percentile is a
//! `circle` (the first), a `rect` (the second) or a `polygon` (the third), of class `dot`,
//! centred on `x(v)`. Every mark carries its exact value as `data-value`. A value that is
//! not a positive number (not measured) draws no mark.

use lifecycle_conformance::html::maud::{Markup, html};

/// A chart's width, in its own units (it scales to its box).
pub const WIDTH: f64 = 480.0;
/// Where zero is.
const LEFT: f64 = 10.0;
/// Where the axis ends.
const RIGHT: f64 = WIDTH - 10.0;
/// A row: its label line, then its mark.
const ROW: f64 = 40.0;
/// A goal's label line, above the rows.
const GOAL_LINE: f64 = 16.0;
/// Below the rows: the axis, its tick labels and its title.
const AXIS: f64 = 44.0;

/// What a row measures, which sets its colour only (its label says it too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A runtime measured: the reference, a component, wasmi.
    Measured,
    /// A floor: bare Wasmtime doing the least the same work needs.
    Floor,
    /// The engine-per-start baseline.
    Baseline,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::Measured => "measured",
            Kind::Floor => "floor",
            Kind::Baseline => "baseline",
        }
    }
}

/// A row's mark.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// A bar from zero to the value.
    Bar(f64),
    /// Percentiles of one distribution, low to high: `("p50", 7.85)`, `("p99", 20.9)`.
    Dots(Vec<(&'static str, f64)>),
}

impl Mark {
    fn values(&self) -> Vec<f64> {
        match self {
            Mark::Bar(v) => vec![*v],
            Mark::Dots(dots) => dots.iter().map(|(_, v)| *v).collect(),
        }
    }
}

/// One row: its label, and its values written out (right-aligned), over its mark.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub text: String,
    pub kind: Kind,
    pub mark: Mark,
}

/// A goal: a dashed line across the rows at `value`, named by `label`.
#[derive(Clone, Debug)]
pub struct Goal {
    pub value: f64,
    pub label: String,
}

/// A chart: its `id` (the page's anchor), its accessible `title`, the axis's `unit`.
#[derive(Clone, Debug)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub unit: String,
    pub rows: Vec<Row>,
    pub goals: Vec<Goal>,
}

/// A value that can be drawn.
fn drawn(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// A coordinate, as written in the SVG.
fn at(v: f64) -> String {
    format!("{v:.2}")
}

/// The axis: ticks at multiples of a step of 1, 2 or 5 × 10^k, the last at or beyond
/// every value and goal; at least one tick beyond zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub step: f64,
    pub max: f64,
}

impl Axis {
    /// The axis for values up to `highest`, in about five steps.
    pub fn up_to(highest: f64) -> Axis {
        if !drawn(highest) {
            return Axis {
                step: 1.0,
                max: 1.0,
            };
        }
        let rough = highest / 5.0;
        let power = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|s| *s >= rough)
            .unwrap_or(10.0 * power);
        let steps = (highest / step - 1e-9).ceil().max(1.0);
        Axis {
            step,
            max: steps * step,
        }
    }

    /// Units per value.
    pub fn scale(&self) -> f64 {
        (RIGHT - LEFT) / self.max
    }

    pub fn x(&self, v: f64) -> f64 {
        LEFT + v * self.scale()
    }

    pub fn ticks(&self) -> Vec<f64> {
        let n = (self.max / self.step).round() as usize;
        (0..=n).map(|i| i as f64 * self.step).collect()
    }
}

/// A tick's label: as few decimals as the step needs, millions as `M`, thousands grouped.
pub fn tick_label(t: f64, step: f64) -> String {
    if t >= 1e6 && step >= 1e5 {
        let decimals = if step >= 1e6 { 0 } else { 1 };
        return format!("{:.*}\u{a0}M", decimals, t / 1e6);
    }
    if step >= 1.0 {
        return grouped(t.round() as u64);
    }
    let decimals = (-step.log10().floor()) as usize;
    format!("{t:.decimals$}")
}

/// A whole number with its thousands grouped by no-break spaces: `107 470`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(d);
    }
    out
}

/// A figure as text, to about three significant digits: `0.391`, `7.85`, `20.9`, `1 560`,
/// `2.03 M`; `0` for zero.
pub fn number(v: f64) -> String {
    if !v.is_finite() || v < 0.0 {
        return format!("{v}");
    }
    match v {
        0.0 => "0".into(),
        v if v >= 1e6 => format!("{:.2}\u{a0}M", v / 1e6),
        v if v >= 1e3 => grouped(v.round() as u64),
        v if v >= 100.0 => format!("{v:.0}"),
        v => {
            let decimals = (2.0 - v.log10().floor()).clamp(1.0, 6.0) as usize;
            format!("{v:.decimals$}")
        }
    }
}

/// The chart as an `svg` element.
pub fn chart(chart: &Chart) -> Markup {
    let highest = chart
        .rows
        .iter()
        .flat_map(|r| r.mark.values())
        .chain(chart.goals.iter().map(|g| g.value))
        .filter(|v| drawn(*v))
        .fold(0.0, f64::max);
    let axis = Axis::up_to(highest);
    let goals: Vec<&Goal> = chart.goals.iter().filter(|g| drawn(g.value)).collect();
    let top = 4.0 + GOAL_LINE * goals.len() as f64;
    let bottom = top + ROW * chart.rows.len() as f64;
    let height = bottom + AXIS;
    let title_id = format!("{}-title", chart.id);
    html! {
        svg id=(chart.id) class="chart" viewBox={ "0 0 " (WIDTH) " " (height) }
            role="img" aria-labelledby=(title_id) {
            title id=(title_id) { (chart.title) }
            (grid(&axis, top, bottom))
            // Goals under the rows: a row's text, haloed, reads across a goal's line.
            @for (i, goal) in goals.iter().enumerate() {
                (goal_of(&axis, goal, GOAL_LINE * (i as f64 + 1.0), top - 2.0, bottom))
            }
            @for (i, row) in chart.rows.iter().enumerate() {
                (row_of(&axis, row, top + ROW * i as f64))
            }
            (axis_of(&axis, bottom, &chart.unit))
        }
    }
}

/// Light vertical lines at every tick but zero, behind the marks.
fn grid(axis: &Axis, top: f64, bottom: f64) -> Markup {
    html! {
        g.grid {
            @for t in axis.ticks().into_iter().skip(1) {
                line x1=(at(axis.x(t))) x2=(at(axis.x(t))) y1=(at(top)) y2=(at(bottom)) {}
            }
        }
    }
}

/// A row at `y`: the label and the values written out, then the mark.
fn row_of(axis: &Axis, row: &Row, y: f64) -> Markup {
    let kind = row.kind.class();
    html! {
        g.row {
            text.label x=(at(LEFT)) y=(at(y + 13.0)) { (row.label) }
            text.value x=(at(RIGHT)) y=(at(y + 13.0)) text-anchor="end" { (row.text) }
            @match &row.mark {
                Mark::Bar(v) => { (bar(axis, *v, kind, &row.label, &row.text, y + 18.0)) }
                Mark::Dots(dots) => { (dots_of(axis, dots, kind, &row.label, y + 25.0)) }
            }
        }
    }
}

/// A bar from zero to `v`, its top at `y`.
pub fn bar(axis: &Axis, v: f64, kind: &str, label: &str, text: &str, y: f64) -> Markup {
    html! {
        @if drawn(v) {
            rect class={ "bar " (kind) } x=(at(LEFT)) y=(at(y)) width=(at(v * axis.scale()))
                height="14" data-value=(v) {
                title { (label) ": " (text) }
            }
        }
    }
}

/// A distribution's percentiles on the line `y`: a line from the lowest to the highest,
/// and a mark of its own shape for each.
pub fn dots_of(axis: &Axis, dots: &[(&str, f64)], kind: &str, label: &str, y: f64) -> Markup {
    let shown: Vec<(usize, &str, f64)> = dots
        .iter()
        .enumerate()
        .filter(|(_, (_, v))| drawn(*v))
        .map(|(i, (name, v))| (i, *name, *v))
        .collect();
    let xs: Vec<f64> = shown.iter().map(|(_, _, v)| axis.x(*v)).collect();
    let (low, high) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    html! {
        @if xs.len() > 1 {
            line.spread x1=(at(low)) x2=(at(high)) y1=(at(y)) y2=(at(y)) {}
        }
        @for (i, name, v) in shown {
            (dot(axis.x(v), y, i, kind, name, v, label))
        }
    }
}

/// One percentile's mark, centred on `(x, y)`: a circle, a square or a diamond, by `i`.
fn dot(x: f64, y: f64, i: usize, kind: &str, name: &str, v: f64, label: &str) -> Markup {
    let class = format!("dot {kind}");
    let tip = html! { title { (label) ", " (name) ": " (number(v)) } };
    html! {
        @match i {
            0 => { circle class=(class) cx=(at(x)) cy=(at(y)) r="5" data-name=(name)
                data-value=(v) { (tip) } }
            1 => { rect class=(class) x=(at(x - 4.5)) y=(at(y - 4.5)) width="9" height="9"
                data-name=(name) data-value=(v) { (tip) } }
            _ => { polygon class=(class)
                points=(format!("{},{} {},{} {},{} {},{}", at(x), at(y - 6.0), at(x + 6.0),
                    at(y), at(x), at(y + 6.0), at(x - 6.0), at(y)))
                data-name=(name) data-value=(v) { (tip) } }
        }
    }
}

/// The axis along `y`: its line, a tick and a label at every step, and its title.
pub fn axis_of(axis: &Axis, y: f64, unit: &str) -> Markup {
    let ticks = axis.ticks();
    let last = ticks.len() - 1;
    html! {
        g.axis {
            line x1=(at(LEFT)) x2=(at(RIGHT)) y1=(at(y)) y2=(at(y)) {}
            @for (i, t) in ticks.iter().enumerate() {
                line.tick x1=(at(axis.x(*t))) x2=(at(axis.x(*t))) y1=(at(y)) y2=(at(y + 4.0)) {}
                text.tick x=(at(axis.x(*t))) y=(at(y + 17.0)) data-value=(t)
                    text-anchor=(match i { 0 => "start", i if i == last => "end", _ => "middle" }) {
                    (tick_label(*t, axis.step))
                }
            }
            text.unit x=(at((LEFT + RIGHT) / 2.0)) y=(at(y + 35.0)) text-anchor="middle" {
                (unit)
            }
        }
    }
}

/// A goal: its dashed line from `top` to `bottom`, and its label on the line `label_y`.
fn goal_of(axis: &Axis, goal: &Goal, label_y: f64, top: f64, bottom: f64) -> Markup {
    let x = axis.x(goal.value);
    // Beside its line, on the side it fits (by a generous estimate of its width).
    let wide = goal.label.chars().count() as f64 * 7.0;
    let (anchor, label_x) = if x + 3.0 + wide <= WIDTH {
        ("start", x + 3.0)
    } else if x - 3.0 - wide >= 0.0 {
        ("end", x - 3.0)
    } else {
        ("end", WIDTH - 1.0)
    };
    html! {
        g.goal {
            line x1=(at(x)) x2=(at(x)) y1=(at(top)) y2=(at(bottom)) data-value=(goal.value) {}
            text x=(at(label_x)) y=(at(label_y)) text-anchor=(anchor) { (goal.label) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_at_a_round_step_beyond_the_highest_value() {
        for (highest, step, max) in [
            (20.9, 5.0, 25.0),
            (8.6, 2.0, 10.0),
            (3.08e6, 1e6, 4e6),
            (0.91, 0.2, 1.0),
            (5.0, 1.0, 5.0),
            (100_000.0, 20_000.0, 100_000.0),
            (0.0, 1.0, 1.0),
        ] {
            let axis = Axis::up_to(highest);
            let close = |a: f64, b: f64| (a - b).abs() <= b * 1e-9;
            assert!(
                close(axis.step, step) && close(axis.max, max),
                "{highest}: {axis:?}"
            );
            assert!(axis.ticks().len() >= 2);
        }
    }

    #[test]
    fn numbers_read_as_figures() {
        assert_eq!(number(7.853), "7.85");
        assert_eq!(number(20.94), "20.9");
        assert_eq!(number(0.391), "0.391");
        assert_eq!(number(0.08), "0.0800");
        assert_eq!(number(198.4), "198");
        assert_eq!(number(1_560.2), "1\u{a0}560");
        assert_eq!(number(107_470.0), "107\u{a0}470");
        assert_eq!(number(2_030_000.0), "2.03\u{a0}M");
        assert_eq!(number(0.0), "0");
        assert_eq!(tick_label(0.5, 0.5), "0.5");
        assert_eq!(tick_label(2e6, 1e6), "2\u{a0}M");
        assert_eq!(tick_label(1.5e6, 5e5), "1.5\u{a0}M");
        assert_eq!(tick_label(50_000.0, 10_000.0), "50\u{a0}000");
    }
}
