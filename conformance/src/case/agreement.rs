//! Literal cases against the oracle: where a case writes the expectation of a generator
//! module (the rows of SPEC.md's decision tables, `cases/tables.toml`), the run judges by
//! what is written, and this compares it with what the oracle derives for the same
//! module, steps and limits. The two agree unless the code the oracle shares with the
//! reference runtime (the contract crate's health, error and bounds rules) contradicts
//! the table: then the reference fails the row in the suite, and this names the row.

use super::{Case, Expected};
use lifecycle_contract::Summary;
use std::fmt;

/// A written expectation the oracle does not derive.
#[derive(Clone, Debug)]
pub struct Disagreement {
    pub case: String,
    /// The row of the table: the case's description.
    pub row: String,
    pub written: Summary,
    /// What the oracle derives (several where the engine or the machine decides).
    pub derived: Vec<Summary>,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pretty = |s: &Summary| serde_json::to_string_pretty(&s.to_json()).unwrap_or_default();
        writeln!(
            f,
            "{} ({}): the written expectation is not what the oracle derives",
            self.case, self.row
        )?;
        writeln!(f, "--- written\n{}", pretty(&self.written))?;
        for derived in &self.derived {
            writeln!(f, "+++ derived by the oracle\n{}", pretty(derived))?;
        }
        Ok(())
    }
}

/// Every module of `cases` whose written expectation the oracle does not derive.
pub fn disagreements(cases: &[Case]) -> Vec<Disagreement> {
    let mut found = Vec::new();
    for case in cases {
        for module in &case.modules {
            let (Expected::Exact(written), Some(derived)) = (&module.expected, &module.derived)
            else {
                continue;
            };
            let written = written.without_detail();
            let derived: Vec<Summary> = derived
                .candidates()
                .iter()
                .map(Summary::without_detail)
                .collect();
            if !derived.contains(&written) {
                found.push(Disagreement {
                    case: case.id.clone(),
                    row: case.description.clone(),
                    written,
                    derived,
                });
            }
        }
    }
    found
}

/// The cases whose expectation is written for a generator module: the literal rows.
pub fn literal(cases: &[Case]) -> impl Iterator<Item = &Case> {
    cases
        .iter()
        .filter(|c| c.modules.iter().any(|m| m.derived.is_some()))
}
