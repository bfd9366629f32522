//! The conformance matrix as one self-contained page (`report --html`, `run --html`):
//! SPEC.md's clauses, grouped by section, by runtime; each cell counted and marked; a
//! failing cell opens to its cases (first cause, consequences, expected and actual side
//! by side, the trace, the reproduce line with a copy button); each runtime's run
//! described (kit, SPEC and protocol versions, date, seed, shards).
//!
//! Invariants: the page is a function of its [`Column`]s; a cell holds the cases the
//! per-clause table counts in its row ([`super::tally::clause_rows`]'s rule, through
//! [`Counted::failed_under`]), so a cell's count and its cases agree; every mark says in
//! a word or symbol what its colour says; the page works without its script (which only
//! copies reproduce lines, opens the cells of a linked row and every cell for printing,
//! and records how wide the page is drawn, for the browser test).

use super::document::{CaseEntry, Column};
use super::tally::{ClauseRow, Counted, Outcome};
use crate::case::COMPONENT_FORM;
use crate::html::{maud::Markup, maud::html, page};
use crate::spec;
use std::collections::{BTreeMap, BTreeSet};

/// The matrix's rows under their section heading: each row's key (`LC-STOP-3`,
/// `LC-STOP-3@component`) and its clause, if SPEC.md defines it.
type Sections<'a> = Vec<(&'a str, Vec<(String, Option<&'a spec::Clause>)>)>;

const CSS: &str = include_str!("html.css");
const SCRIPT: &str = include_str!("html.js");

/// The page of `columns`, one per runtime ([`Column::read_all`]).
pub fn matrix(columns: &[Column]) -> String {
    let clauses = spec::clauses();
    let rows: Vec<BTreeMap<String, ClauseRow>> = columns.iter().map(Column::clause_rows).collect();
    // Every row any column has, in SPEC.md's order, each clause's component row after it;
    // rows SPEC.md does not define (a first cause no clause holds) last.
    let keys: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.keys())
        .map(String::as_str)
        .collect();
    let defined: BTreeSet<&str> = clauses.iter().map(|c| c.id).collect();
    let mut sections: Sections = Vec::new();
    for clause in &clauses {
        if sections.last().is_none_or(|(s, _)| *s != clause.section) {
            sections.push((clause.section, Vec::new()));
        }
        let section = &mut sections.last_mut().expect("pushed").1;
        section.push((clause.id.to_string(), Some(clause)));
        let component = format!("{}{COMPONENT_FORM}", clause.id);
        if keys.contains(component.as_str()) {
            section.push((component, Some(clause)));
        }
    }
    let others: Vec<(String, Option<&spec::Clause>)> = keys
        .iter()
        .filter(|k| !defined.contains(k.trim_end_matches(COMPONENT_FORM)))
        .map(|k| (k.to_string(), None))
        .collect();
    if !others.is_empty() {
        sections.push(("Outside SPEC.md", others));
    }
    let spec_version = columns
        .first()
        .map_or(spec::version(), Column::spec_version);
    let title = match columns.len() {
        1 => format!(
            "{} {}: lifecycle conformance",
            columns[0].runtime, columns[0].version
        ),
        n => format!("Lifecycle conformance of {n} runtimes"),
    };
    let body = html! {
        header {
            h1 { (title) }
            p.muted {
                "SPEC v" (spec_version) " · " (clauses.len()) " clauses · "
                "each cell counts the cases of a clause on one runtime: "
                span.pass { "✓ pass" } ", " span.fail { "✗ fail" } ", "
                span.xfail { "≈ expected failure" } ", " span.unsupported { "– unsupported" }
                ". A failing cell opens to its cases."
            }
        }
        h2 { "Runtimes" }
        (runtimes(columns))
        h2 { "Clauses by runtime" }
        p.noprint {
            button #open-failures type="button" hidden { "Open every failing cell" }
        }
        div.scroll {
            table #matrix {
                thead {
                    tr {
                        th scope="col" { "Clause" }
                        @for c in columns {
                            th scope="col" { (c.runtime) " " span.muted { (c.version) } }
                        }
                    }
                }
                @for (section, keys) in &sections {
                    tbody {
                        tr.section { th colspan=(columns.len() + 1) scope="rowgroup" { (section) } }
                        @for (key, clause) in keys {
                            tr id=(key) data-clause=(key) {
                                th scope="row" { (clause_head(key, *clause)) }
                                @for (column, rows) in columns.iter().zip(&rows) {
                                    (cell(column, key, rows.get(key)))
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&title, CSS, body, Some(SCRIPT))
}

/// The runtimes' table: totals, verdict and what each run was.
fn runtimes(columns: &[Column]) -> Markup {
    html! {
        div.scroll {
            table #runtimes {
                thead {
                    tr {
                        th scope="col" { "Runtime" }
                        th scope="col" { "Verdict" }
                        th scope="col" { "Cases" }
                        th scope="col" { "Pass" } th scope="col" { "Fail" }
                        th scope="col" { "Unsupported" } th scope="col" { "Xfail" }
                        th scope="col" { "Xpass" }
                        th scope="col" { "Run" }
                    }
                }
                tbody {
                    @for c in columns {
                        @let t = c.totals();
                        tr data-runtime=(c.runtime) {
                            th scope="row" { (c.runtime) " " span.muted { (c.version) } }
                            @if c.failed() {
                                td.fail { "✗ FAIL" }
                            } @else {
                                td.pass { "✓ PASS" }
                            }
                            td { (t.total) } td { (t.passed) } td { (t.failed) }
                            td { (t.unsupported) (unsupported_by(&c.cases)) }
                            td { (t.xfail) } td { (t.xpass) }
                            td { (run_meta(c)) }
                        }
                    }
                }
            }
        }
    }
}

/// ` (fuel: 12, components: 3)`, or nothing.
fn unsupported_by(cases: &[CaseEntry]) -> String {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.outcome() == Outcome::Unsupported) {
        *by.entry(c.needs.as_deref().unwrap_or("?")).or_default() += 1;
    }
    match by.is_empty() {
        true => String::new(),
        false => {
            let parts: Vec<String> = by.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            format!(" ({})", parts.join(", "))
        }
    }
}

fn run_meta(c: &Column) -> Markup {
    let first = c.metas.first();
    let (held, missing) = c.shards();
    let distinct = |f: fn(&super::RunMeta) -> String| -> String {
        let values: BTreeSet<String> = c.metas.iter().map(f).collect();
        values.into_iter().collect::<Vec<_>>().join(", ")
    };
    html! {
        details {
            summary { "kit " (distinct(|m| m.kit_version.clone())) ", " (distinct(|m| m.started.clone())) }
            dl.meta {
                dt { "kit version" } dd { (distinct(|m| m.kit_version.clone())) }
                dt { "SPEC version" } dd { "v" (c.spec_version()) }
                dt { "adapter protocol" } dd { (distinct(|m| m.protocol.clone())) }
                dt { "started" } dd { (distinct(|m| m.started.clone())) }
                dt { "guest interfaces" } dd { (distinct(|m| m.abi.clone())) }
                @if let Some(seed) = first.and_then(|m| m.seed) {
                    dt { "seed" } dd { (seed) }
                }
                @if let Some(filter) = first.and_then(|m| m.filter.as_deref()) {
                    dt { "filter" } dd { code { (filter) } }
                }
                @if !held.is_empty() {
                    dt { "shards" }
                    dd {
                        @let list: Vec<String> = held.iter().map(|s| format!("{}/{}", s.k, s.n)).collect();
                        (list.join(", "))
                        @if !missing.is_empty() {
                            @let list: Vec<String> = missing.iter().map(|s| format!("{}/{}", s.k, s.n)).collect();
                            strong.fail { " ✗ missing " (list.join(", ")) }
                        }
                    }
                }
                @for e in &c.errors {
                    dt { "no case ran" } dd.fail { "✗ " (e) }
                }
                @if !c.sources.is_empty() {
                    dt { "from" }
                    dd { @for s in &c.sources { code { (s.display()) } " " } }
                }
            }
        }
    }
}

/// A row's head: its clause id, opening to the clause's words.
fn clause_head(key: &str, clause: Option<&spec::Clause>) -> Markup {
    let (id, component) = match key.strip_suffix(COMPONENT_FORM) {
        Some(id) => (id, true),
        None => (key, false),
    };
    html! {
        @match clause {
            Some(clause) => details.clause {
                summary { code { (id) } @if component { " " span.abi { "component" } } }
                p { (clause.text) }
            },
            None => {
                code { (id) } @if component { " " span.abi { "component" } }
            }
        }
    }
}

/// One runtime's cell of one row.
fn cell(column: &Column, key: &str, row: Option<&ClauseRow>) -> Markup {
    let Some(row) = row else {
        return html! { td.cell.none data-runtime=(column.runtime) { span.muted { "no case" } } };
    };
    let failing: Vec<&CaseEntry> = column
        .cases
        .iter()
        .filter(|c| {
            c.failed_under()
                .is_some_and(|clause| c.row_key(clause) == key)
        })
        .collect();
    let unsupported: Vec<&CaseEntry> = column
        .cases
        .iter()
        .filter(|c| c.outcome() == Outcome::Unsupported)
        .filter(|c| c.clauses.iter().any(|clause| c.row_key(clause) == key))
        .collect();
    let class = match () {
        _ if row.fail > 0 => "fail",
        _ if row.xfail > 0 => "xfail",
        _ if row.pass > 0 => "pass",
        _ if row.unsupported > 0 => "unsupported",
        // Only cases that failed first under another clause.
        _ => "elsewhere",
    };
    let mut counts: Vec<String> = Vec::new();
    for (n, word) in [
        (row.fail, "fail"),
        (row.pass, "pass"),
        (row.xfail, "xfail"),
        (row.unsupported, "unsupported"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {word}"));
        }
    }
    let mark = match class {
        "fail" => "✗",
        "xfail" => "≈",
        "pass" => "✓",
        "unsupported" => "–",
        _ => "↗",
    };
    let needs: BTreeSet<&str> = unsupported
        .iter()
        .filter_map(|c| c.needs.as_deref())
        .collect();
    let summary = html! {
        span.mark aria-hidden="true" { (mark) } " " (counts.join(" · "))
        @if !needs.is_empty() {
            " " span.muted { "(needs " (needs.into_iter().collect::<Vec<_>>().join(", ")) ")" }
        }
        @if row.elsewhere > 0 {
            " " span.muted title="cases naming this clause that failed first under another" { "+" (row.elsewhere) " failed elsewhere" }
        }
    };
    html! {
        td class={ "cell " (class) } data-runtime=(column.runtime) data-fail=(row.fail) {
            @if failing.is_empty() {
                (summary)
            } @else {
                details.failing {
                    summary { (summary) }
                    @for case in failing { (failing_case(case)) }
                }
            }
        }
    }
}

/// A failing case, one line until opened: why, expected and actual side by side, its
/// trace, its reproduce line.
fn failing_case(case: &CaseEntry) -> Markup {
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    html! {
        details.case data-case=(case.id) {
            summary {
                span.fail { "✗ " (case.outcome.to_uppercase()) } " " code { (case.id) }
            }
            p.muted { "clauses: " (case.clauses.join(", ")) }
            @if let Some(cause) = &case.first_cause {
                p { strong { "First cause (" (cause.clause) "): " } (cause.text) }
            } @else if let Some(reason) = &case.reason {
                p { (reason) }
            }
            @if let Some(consequences) = case.consequences.as_ref().filter(|c| !c.is_empty()) {
                p { "Consequences:" }
                ul { @for c in consequences { li { (c) } } }
            }
            @if let Some(evidence) = &case.evidence {
                div.sides {
                    div { h4 { "Expected" } pre { (pretty(&evidence.expected)) } }
                    div { h4 { "Actual" } pre { (pretty(&evidence.actual)) } }
                }
                @if !evidence.trace.is_null() {
                    details { summary { "Trace" } pre { (pretty(&evidence.trace)) } }
                }
            }
            @if let Some(repro) = &case.repro {
                div.repro {
                    span.muted { "Reproduce:" }
                    code.repro-line { (repro) }
                    button.copy type="button" data-text=(repro) hidden { "Copy" }
                }
            }
        }
    }
}
