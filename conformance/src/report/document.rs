//! The JSON report as a document: the format `run --format json` writes and
//! `report --html` reads back, declared once, here. [`Document::of`] makes it from a run;
//! [`Document::read`] reads one from a file, refusing another format, a truncated file
//! or another shape with one line naming the file; [`Column::merge`] puts the shards of
//! one runtime's run back together.
//!
//! Invariants: a document read back counts its totals and per-clause rows by the same
//! rules as a run ([`super::tally`]), never by trusting the counts written in it; every
//! document names its format ([`FORMAT`]) and the SPEC version it was judged against,
//! and documents of different SPEC versions are never put in one matrix.

use super::tally::{self, ClauseRow, Counted, Outcome, Totals};
use super::{RunReport, shows_evidence};
use crate::case::COMPONENT_FORM;
use crate::runner::Verdict;
use lifecycle_contract::Abi;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The report format this kit writes and reads.
pub const FORMAT: &str = "lifecycle-kit-report/1";

/// What a run was, recorded in its report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunMeta {
    /// [`FORMAT`].
    pub format: String,
    /// The version of the kit that ran the cases (lifecycle-conformance's).
    pub kit_version: String,
    /// The version of SPEC.md the cases judged against ([`crate::spec::version`]).
    pub spec_version: String,
    /// The adapter protocol the kit speaks ([`crate::adapter::PROTOCOL`]).
    pub protocol: String,
    /// When the run began, RFC 3339, UTC.
    pub started: String,
    /// The guest interfaces the run chose: `core`, `component` or `all`.
    pub abi: String,
    /// The seed of the extended families, when they ran.
    pub seed: Option<u64>,
    /// Which shard of the cases this run held, when it held one.
    pub shard: Option<Shard>,
    /// The run's `--filter`, when it had one.
    pub filter: Option<String>,
}

/// Shard `k` of `n`, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl RunMeta {
    /// A run beginning now, of every case on every ABI, with no seed, shard or filter.
    pub fn now() -> RunMeta {
        RunMeta {
            format: FORMAT.into(),
            kit_version: env!("CARGO_PKG_VERSION").into(),
            spec_version: crate::spec::version().into(),
            protocol: crate::adapter::PROTOCOL.into(),
            started: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            abi: "all".into(),
            seed: None,
            shard: None,
            filter: None,
        }
    }
}

/// A whole report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Document {
    pub runtime: String,
    pub version: String,
    /// Why nothing ran.
    pub error: Option<String>,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub unsupported: usize,
    pub xfail: usize,
    pub xpass: usize,
    pub unsupported_by_capability: BTreeMap<String, usize>,
    /// Clause id -> the ids of the cases that name it.
    pub coverage: BTreeMap<String, Vec<String>>,
    pub clauses: BTreeMap<String, ClauseRow>,
    pub cases: Vec<CaseEntry>,
    pub meta: RunMeta,
}

/// One case of a report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseEntry {
    pub id: String,
    pub clauses: Vec<String>,
    /// `pass`, `fail`, `unsupported`, `xfail` or `xpass`.
    pub outcome: String,
    pub duration_ms: u64,
    pub reason: Option<String>,
    /// The command that runs this case alone, the same way.
    pub repro: Option<String>,
    /// The capability an unsupported case needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_cause: Option<FirstCause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequences: Option<Vec<String>>,
    /// Where [`shows_evidence`]: what the case had to show, what it showed, its trace.
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The interface it ran through: `core` or `component`.
    pub abi: Abi,
    /// What the case checks, in words.
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstCause {
    pub clause: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Evidence {
    pub expected: Value,
    pub actual: Value,
    pub trace: Value,
}

impl Counted for CaseEntry {
    fn clauses(&self) -> &[String] {
        &self.clauses
    }
    fn abi(&self) -> Abi {
        self.abi
    }
    fn outcome(&self) -> Outcome {
        // Checked when read ([`Document::read`]).
        Outcome::named(&self.outcome).unwrap_or(Outcome::Fail)
    }
    fn first_cause(&self) -> Option<&str> {
        self.first_cause.as_ref().map(|c| c.clause.as_str())
    }
    fn consequences(&self) -> usize {
        self.consequences.as_ref().map_or(0, Vec::len)
    }
}

impl CaseEntry {
    /// Its outcome.
    pub fn outcome(&self) -> Outcome {
        Counted::outcome(self)
    }

    /// The clause of its row in the per-clause table: `CLAUSE`, or `CLAUSE@component`.
    pub fn row_key(&self, clause: &str) -> String {
        match self.abi {
            Abi::Core => clause.to_string(),
            Abi::Component => format!("{clause}{COMPONENT_FORM}"),
        }
    }
}

impl Document {
    /// The document of a run.
    pub fn of(report: &RunReport) -> Document {
        let cases = report
            .results
            .iter()
            .map(|r| CaseEntry {
                id: r.id.clone(),
                clauses: r.clauses.clone(),
                outcome: r.verdict.name().into(),
                duration_ms: r.duration.as_millis() as u64,
                reason: r.verdict.reason(),
                repro: r.repro.clone(),
                needs: match r.verdict {
                    Verdict::Unsupported(capability) => Some(capability.to_string()),
                    _ => None,
                },
                first_cause: match &r.verdict {
                    Verdict::Fail(failure) => Some(FirstCause {
                        clause: failure.clause().into(),
                        text: failure.cause.text.clone(),
                    }),
                    _ => None,
                },
                consequences: match &r.verdict {
                    Verdict::Fail(failure) => Some(
                        failure
                            .consequences
                            .iter()
                            .map(|p| p.text.clone())
                            .collect(),
                    ),
                    _ => None,
                },
                evidence: shows_evidence(r).then(|| Evidence {
                    expected: r.expected.clone().unwrap_or(Value::Null),
                    actual: r.actual.clone().unwrap_or(Value::Null),
                    trace: serde_json::to_value(&r.trace).unwrap_or(Value::Null),
                }),
                abi: r.abi,
                description: r.description.clone(),
            })
            .collect();
        let coverage = report
            .by_clause()
            .into_iter()
            .map(|(c, rs)| (c.to_string(), rs.iter().map(|r| r.id.clone()).collect()))
            .collect();
        let unsupported_by_capability = report
            .unsupported()
            .into_iter()
            .map(|(c, rs)| (c.to_string(), rs.len()))
            .collect();
        let t = report.totals();
        Document {
            runtime: report.runtime.clone(),
            version: report.version.clone(),
            error: report.setup_error.clone(),
            total: t.total,
            passed: t.passed,
            failed: t.failed,
            unsupported: t.unsupported,
            xfail: t.xfail,
            xpass: t.xpass,
            unsupported_by_capability,
            coverage,
            clauses: report.clause_rows(),
            cases,
            meta: report.meta.clone(),
        }
    }

    /// Reads a report that `run --format json` wrote.
    pub fn read(path: &Path) -> Result<Document, ReadError> {
        let at = || path.to_path_buf();
        let text =
            std::fs::read_to_string(path).map_err(|source| ReadError::Io { path: at(), source })?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|source| ReadError::NotJson { path: at(), source })?;
        let format = value.get("meta").and_then(|m| m.get("format"));
        match format.and_then(Value::as_str) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(ReadError::OtherFormat {
                    path: at(),
                    found: format!("`{other}`"),
                });
            }
            None if value.is_object() && value.get("cases").is_some() => {
                return Err(ReadError::OtherFormat {
                    path: at(),
                    found: "no `meta.format`".into(),
                });
            }
            None => {
                return Err(ReadError::NotAReport {
                    path: at(),
                    why: "no `meta.format`".into(),
                });
            }
        }
        let document: Document =
            serde_path_to_error::deserialize(value).map_err(|e| ReadError::NotAReport {
                path: at(),
                why: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        if let Some(case) = document
            .cases
            .iter()
            .find(|c| Outcome::named(&c.outcome).is_none())
        {
            return Err(ReadError::NotAReport {
                path: at(),
                why: format!("case `{}`: unknown outcome `{}`", case.id, case.outcome),
            });
        }
        Ok(document)
    }

    /// Its totals, counted from its cases.
    pub fn totals(&self) -> Totals {
        tally::totals(&self.cases)
    }
}

/// Why a report cannot be read. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: cannot read it: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a whole JSON document ({source}): a truncated or damaged report?", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: a report of another kit version ({found}); this kit reads `{FORMAT}`: run the suite again with this kit", path.display())]
    OtherFormat { path: PathBuf, found: String },
    #[error("{}: not a lifecycle-kit report ({why})", path.display())]
    NotAReport { path: PathBuf, why: String },
    #[error("{} and {}: reports judged against different SPEC versions (v{first_version} and v{second_version}): a matrix compares runtimes on one contract", first.display(), second.display())]
    MixedSpec {
        first: PathBuf,
        second: PathBuf,
        first_version: String,
        second_version: String,
    },
    #[error("{}: given twice", path.display())]
    Twice { path: PathBuf },
    #[error("{}: case `{case}` is also in {}, a shard of the same split: the shards of one run hold each case once", path.display(), other.display())]
    DuplicateCase {
        path: PathBuf,
        case: String,
        other: PathBuf,
    },
    #[error("no report given")]
    Nothing,
}

/// What makes reports the shards of one run: everything that chooses the cases but the
/// shard's number.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Split {
    runtime: String,
    version: String,
    kit_version: String,
    shards: u64,
    abi: String,
    seed: Option<u64>,
    filter: Option<String>,
}

impl Split {
    /// A shard's split; none for a whole run.
    fn of(document: &Document) -> Option<Split> {
        let meta = &document.meta;
        meta.shard.map(|shard| Split {
            runtime: document.runtime.clone(),
            version: document.version.clone(),
            kit_version: meta.kit_version.clone(),
            shards: shard.n,
            abi: meta.abi.clone(),
            seed: meta.seed,
            filter: meta.filter.clone(),
        })
    }
}

/// One runtime's run: a report, or the shards of one run put back together.
#[derive(Clone, Debug)]
pub struct Column {
    pub runtime: String,
    pub version: String,
    /// The files it was read from.
    pub sources: Vec<PathBuf>,
    /// Each source's metadata, in the order read.
    pub metas: Vec<RunMeta>,
    /// Why nothing ran, for a source where nothing did.
    pub errors: Vec<String>,
    pub cases: Vec<CaseEntry>,
}

impl Column {
    /// The columns of a matrix from the reports at `paths`, in the order given: a whole
    /// run is a column of its own; the shards of one split (the same runtime and version,
    /// kit, shard count, ABI choice, seed and filter) are merged into one, where the first
    /// of them stands.
    pub fn read_all(paths: &[PathBuf]) -> Result<Vec<Column>, ReadError> {
        let mut read: Vec<(PathBuf, Document)> = Vec::new();
        for path in paths {
            let same = |p: &PathBuf| match (std::fs::canonicalize(p), std::fs::canonicalize(path)) {
                (Ok(a), Ok(b)) => a == b,
                _ => p == path,
            };
            if read.iter().any(|(p, _)| same(p)) {
                return Err(ReadError::Twice { path: path.clone() });
            }
            read.push((path.clone(), Document::read(path)?));
        }
        Column::merge(read)
    }

    /// See [`Column::read_all`].
    pub fn merge(documents: Vec<(PathBuf, Document)>) -> Result<Vec<Column>, ReadError> {
        let Some((first_path, first)) = documents.first() else {
            return Err(ReadError::Nothing);
        };
        let (first_path, spec) = (first_path.clone(), first.meta.spec_version.clone());
        let mut columns: Vec<Column> = Vec::new();
        // Per column: its split's identity (none for a whole run), and case id -> the
        // file it came from.
        let mut splits: Vec<Option<Split>> = Vec::new();
        let mut seen: Vec<BTreeMap<String, PathBuf>> = Vec::new();
        for (path, document) in documents {
            if document.meta.spec_version != spec {
                return Err(ReadError::MixedSpec {
                    first: first_path,
                    second: path,
                    first_version: spec,
                    second_version: document.meta.spec_version,
                });
            }
            let split = Split::of(&document);
            let found = split
                .as_ref()
                .and_then(|split| splits.iter().position(|s| s.as_ref() == Some(split)));
            let index = match found {
                Some(index) => index,
                None => {
                    columns.push(Column {
                        runtime: document.runtime.clone(),
                        version: document.version.clone(),
                        sources: Vec::new(),
                        metas: Vec::new(),
                        errors: Vec::new(),
                        cases: Vec::new(),
                    });
                    splits.push(split);
                    seen.push(BTreeMap::new());
                    columns.len() - 1
                }
            };
            let (column, seen) = (&mut columns[index], &mut seen[index]);
            for case in &document.cases {
                if let Some(other) = seen.insert(case.id.clone(), path.clone()) {
                    return Err(ReadError::DuplicateCase {
                        path,
                        case: case.id.clone(),
                        other,
                    });
                }
            }
            column.sources.push(path);
            column.metas.push(document.meta);
            column.errors.extend(document.error);
            column.cases.extend(document.cases);
        }
        Ok(columns)
    }

    /// Whether another column of `columns` has the same runtime name and version, so
    /// that this one must be told apart by its files.
    pub fn ambiguous_in(&self, columns: &[Column]) -> bool {
        columns
            .iter()
            .filter(|c| c.runtime == self.runtime && c.version == self.version)
            .count()
            > 1
    }

    /// Whether it holds every shard of its split (a whole run does).
    pub fn complete(&self) -> bool {
        self.shards().1.is_empty()
    }

    /// The SPEC version its cases were judged against.
    pub fn spec_version(&self) -> &str {
        self.metas.first().map_or("", |m| m.spec_version.as_str())
    }

    pub fn totals(&self) -> Totals {
        tally::totals(&self.cases)
    }

    pub fn clause_rows(&self) -> BTreeMap<String, ClauseRow> {
        tally::clause_rows(&self.cases)
    }

    /// The shards it holds, and those of the same split it lacks: `(held, missing)`.
    pub fn shards(&self) -> (Vec<Shard>, Vec<Shard>) {
        let mut held: Vec<Shard> = self.metas.iter().filter_map(|m| m.shard).collect();
        held.sort();
        let missing = match held.first() {
            Some(first) => (1..=first.n)
                .map(|k| Shard { k, n: first.n })
                .filter(|s| !held.contains(s))
                .collect(),
            None => Vec::new(),
        };
        (held, missing)
    }

    /// Whether it fails: a case that fails the run, a source where nothing ran, or a
    /// shard of its split missing.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
            || !self.complete()
            || self
                .cases
                .iter()
                .any(|c| matches!(c.outcome(), Outcome::Fail | Outcome::Xpass))
    }
}
