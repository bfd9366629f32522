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
use crate::html::{inline_markdown, maud::Markup, maud::html, page};
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
                ", ↗ failed first under another clause; an xpass (a listed failure that passed) counts as a failure. A failing cell opens to its cases."
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
                            th scope="col" { (column_name(c, columns)) }
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

/// A column's name: its runtime and version, its files where another column has the
/// same, and the shards its split lacks.
fn column_name(c: &Column, columns: &[Column]) -> Markup {
    let (_, missing) = c.shards();
    let files: Vec<String> = c
        .sources
        .iter()
        .map(|s| {
            s.file_name().map_or_else(
                || s.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    html! {
        (c.runtime) " " span.muted { (c.version) }
        @if c.ambiguous_in(columns) {
            " " span.muted { "(" (files.join(", ")) ")" }
        }
        @if !missing.is_empty() {
            " " strong.fail { "✗ missing shard " (shard_list(&missing)) }
        }
    }
}

fn shard_list(shards: &[super::document::Shard]) -> String {
    let list: Vec<String> = shards.iter().map(|s| format!("{}/{}", s.k, s.n)).collect();
    list.join(", ")
}

/// A column's verdict, in a word and a mark.
fn verdict(c: &Column) -> Markup {
    let t = c.totals();
    let (_, missing) = c.shards();
    html! {
        @if !c.errors.is_empty() {
            td.fail { "✗ NOTHING RAN" }
        } @else if !missing.is_empty() {
            td.fail { "✗ INCOMPLETE: shard " (shard_list(&missing)) " missing" }
        } @else if c.failed() {
            td.fail { "✗ FAIL" }
        } @else if t.passed == 0 && t.xfail == 0 {
            td.unsupported { "– NOTHING PASSED: all unsupported" }
        } @else {
            td.pass { "✓ PASS" }
        }
    }
}

/// What a column's run chose: its guest interfaces, filter, seed and shards.
fn chosen(c: &Column) -> String {
    let mut words: BTreeSet<String> = BTreeSet::new();
    for m in &c.metas {
        words.insert(format!("--abi {}", m.abi));
        if let Some(f) = &m.filter {
            words.insert(format!("--filter {f}"));
        }
        if let Some(seed) = m.seed {
            words.insert(format!("--extended --seed {seed}"));
        }
    }
    let (held, _) = c.shards();
    let mut out: Vec<String> = words.into_iter().collect();
    if !held.is_empty() {
        out.push(format!("shards {}", shard_list(&held)));
    }
    out.join(" · ")
}

/// The runtimes' table: totals, verdict, the clauses each fails under (links to their
/// rows) and what each run was.
fn runtimes(columns: &[Column]) -> Markup {
    html! {
        div.scroll {
            table #runtimes {
                thead {
                    tr {
                        th scope="col" { "Runtime" }
                        th scope="col" { "Verdict" }
                        th scope="col" { "Fails under" }
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
                        @let failing: Vec<String> = c.clause_rows().into_iter().filter(|(_, r)| r.fail > 0).map(|(k, _)| k).collect();
                        tr data-runtime=(c.runtime) {
                            th scope="row" { (column_name(c, columns)) }
                            (verdict(c))
                            td {
                                @for (i, key) in failing.iter().enumerate() {
                                    @if i > 0 { " " }
                                    a href={ "#" (key) } { code { (key) } }
                                }
                            }
                            td { (t.total) } td { (t.passed) } td { (t.failed) }
                            td { (t.unsupported) (unsupported_by(&c.cases)) }
                            td { (t.xfail) } td { (t.xpass) }
                            td { span.muted { (chosen(c)) } " " (run_meta(c)) }
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
            summary { "kit " (distinct(|m| m.kit_version.clone())) ", " (c.metas.iter().map(|m| m.started.as_str()).min().unwrap_or("")) }
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
                p { (inline_markdown(&clause.text)) }
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
        return html! {
            td.cell.none data-runtime=(column.runtime)
                title="no case of this row ran on this runtime: its run's --abi or --filter left them out, or a shard is missing" {
                span.muted { "not run" }
            }
        };
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

/// A failing case, one line until opened (its first cause): what it checks, the reason
/// as the terminal shows it (first cause, consequences, the diff of expected and
/// actual), both outcomes whole side by side, its trace, its reproduce line.
fn failing_case(case: &CaseEntry) -> Markup {
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let cause = case
        .first_cause
        .as_ref()
        .map(|c| c.text.clone())
        .or_else(|| {
            case.reason
                .as_ref()
                .and_then(|r| r.lines().next().map(str::to_string))
        })
        .unwrap_or_default();
    html! {
        details.case data-case=(case.id) {
            summary {
                span.fail { "✗ " (case.outcome.to_uppercase()) } " " code { (case.id) }
                " " span.cause { (cause) }
            }
            @if !case.description.is_empty() {
                p { (case.description) }
            }
            p.muted { "clauses: " (case.clauses.join(", ")) }
            @if let Some(reason) = &case.reason {
                pre.reason { (reason) }
            }
            @if let Some(evidence) = &case.evidence {
                details {
                    summary { "Expected and actual outcomes, whole" }
                    div.sides {
                        div { h4 { "Expected" } pre { (pretty(&evidence.expected)) } }
                        div {
                            h4 { "Actual" }
                            @if evidence.actual.is_null() {
                                p.muted { "none: the case did not run to its end (the reason says where it stopped)" }
                            } @else {
                                pre { (pretty(&evidence.actual)) }
                            }
                        }
                    }
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
