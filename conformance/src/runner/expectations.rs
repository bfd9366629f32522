//! The known failures of a runtime (`conformance/expectations/NAME.toml`, or
//! `--expectations`): cases it is known to fail, and for `fuzz` the signatures of the
//! ways it is known to fail, each with its reason.
//!
//! Invariant: every entry has a reason, and names a case or a signature, not both; a
//! case is listed once.

use crate::case::{CaseError, FileProblem};
use crate::one_line::toml_error;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Cases a runtime is known to fail, each with its reason; and, for `fuzz`, the ways it
/// is known to fail (signatures, by prefix), each with its reason.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub xfail: BTreeMap<String, String>,
    pub signatures: Vec<(String, String)>,
}

impl Expectations {
    /// The reason a failure of this signature (`CLAUSE: field`) is known, if it is.
    pub fn known_signature(&self, signature: &str) -> Option<&str> {
        self.signatures
            .iter()
            .find(|(prefix, _)| signature.starts_with(prefix.as_str()))
            .map(|(_, reason)| reason.as_str())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectationsFile {
    #[serde(default)]
    xfail: Vec<XfailEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct XfailEntry {
    case: Option<String>,
    /// A fuzzing failure's signature, or its beginning.
    signature: Option<String>,
    reason: String,
}

impl Expectations {
    /// Reads an expectations file: `[[xfail]] case = "ID" reason = "why"`, or for
    /// `fuzz`, `[[xfail]] signature = "CLAUSE: field..." reason = "why"`.
    pub fn load(path: &Path) -> Result<Expectations, CaseError> {
        let invalid = |problem: FileProblem| CaseError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|cause| CaseError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        let file: ExpectationsFile = toml::from_str(&text).map_err(|e| {
            invalid(FileProblem::Toml {
                case: None,
                at: toml_error(&text, &e),
            })
        })?;
        let mut out = Expectations::default();
        for (i, entry) in file.xfail.into_iter().enumerate() {
            let entry_name = entry
                .case
                .as_deref()
                .or(entry.signature.as_deref())
                .map_or(format!("entry {}", i + 1), |n| format!("`{n}`"));
            if entry.reason.trim().is_empty() {
                return Err(invalid(FileProblem::XfailWithoutReason {
                    entry: entry_name,
                }));
            }
            match (entry.case, entry.signature) {
                (Some(case), None) => {
                    if out.xfail.insert(case, entry.reason).is_some() {
                        return Err(invalid(FileProblem::XfailTwice { entry: entry_name }));
                    }
                }
                (None, Some(signature)) if !signature.trim().is_empty() => {
                    out.signatures.push((signature, entry.reason));
                }
                _ => {
                    return Err(invalid(FileProblem::XfailCaseOrSignature {
                        entry: entry_name,
                    }));
                }
            }
        }
        Ok(out)
    }
}
