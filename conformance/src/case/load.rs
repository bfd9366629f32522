//! Reading case files: a directory of `*.toml` (a suite, which must cover every clause
//! of SPEC.md), one file (a fuzzing corpus case), or a list of files.
//!
//! Invariants: ids are kebab-case and unique across everything loaded; every clause a
//! case names is one of SPEC.md; every error names the file, and the case and key where
//! they are known ([`CaseError`]).

use super::Case;
use super::error::{CaseError, CaseProblem, FileProblem};
use super::file::CaseFile;
use crate::one_line::toml_error;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A TOML error in a case file, on one line, naming the case it is in where the file
/// parses far enough to tell.
fn case_file_error(text: &str, e: &toml::de::Error) -> FileProblem {
    FileProblem::Toml {
        case: e.span().and_then(|span| case_at(text, span.start)),
        at: toml_error(text, e),
    }
}

/// The id of the case that `offset` in a case file falls in: the last one that begins
/// before it, if the file is TOML with a `case` array of tables.
fn case_at(text: &str, offset: usize) -> Option<String> {
    #[derive(Deserialize)]
    struct Outline {
        #[serde(default)]
        case: Vec<toml::Spanned<toml::Table>>,
    }
    let outline: Outline = toml::from_str(text).ok()?;
    let case = outline
        .case
        .iter()
        .rev()
        .find(|c| c.span().start <= offset)?;
    case.get_ref().get("id")?.as_str().map(String::from)
}

fn kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every case in `dir/*.toml`, checked: unique kebab-case ids, known clauses, and every
/// clause of SPEC.md covered.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, CaseError> {
    let cases = load_files(&toml_files(dir)?)?;
    let known = crate::spec::clause_ids();
    let uncovered: Vec<String> = known
        .iter()
        .filter(|c| {
            !cases
                .iter()
                .any(|case| case.clauses.iter().any(|x| x == *c))
        })
        .map(|c| c.to_string())
        .collect();
    if !uncovered.is_empty() {
        return Err(CaseError::Uncovered { clauses: uncovered });
    }
    Ok(cases)
}

/// The `*.toml` files in `dir`, sorted.
pub fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, CaseError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|cause| CaseError::Read {
            path: dir.to_path_buf(),
            cause,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// The cases of one file (a fuzzing corpus case, say): checked as [`load_dir`] checks
/// them, but for covering every clause, which is a suite's duty, not a file's.
pub fn load_file(path: &Path) -> Result<Vec<Case>, CaseError> {
    load_files(&[path.to_path_buf()])
}

/// The cases of `files`, in order: unique kebab-case ids and known clauses.
pub fn load_files(files: &[PathBuf]) -> Result<Vec<Case>, CaseError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|cause| CaseError::Read {
            path: path.to_path_buf(),
            cause,
        })
    };
    let known: BTreeSet<&str> = crate::spec::clause_ids().into_iter().collect();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut cases = Vec::new();
    for path in files {
        let dir = path.parent().unwrap_or(Path::new("."));
        let invalid = |problem: FileProblem| CaseError::Invalid {
            path: path.clone(),
            problem,
        };
        let in_case = |id: &str, problem: CaseProblem| {
            invalid(FileProblem::Case {
                id: id.to_string(),
                problem,
            })
        };
        let text = read(path)?;
        let file: CaseFile =
            toml::from_str(&text).map_err(|e| invalid(case_file_error(&text, &e)))?;
        for raw in file.cases {
            let id = raw.id.clone();
            if !kebab(&id) {
                return Err(invalid(FileProblem::NotKebab { id }));
            }
            if let Some(other) = seen.insert(id.clone(), path.clone()) {
                return Err(invalid(FileProblem::Duplicate { id, other }));
            }
            if raw.clauses.is_empty() {
                return Err(in_case(&id, CaseProblem::NoClauses));
            }
            if let Some(unknown) = raw.clauses.iter().find(|c| !known.contains(c.as_str())) {
                return Err(in_case(&id, CaseProblem::UnknownClause(unknown.clone())));
            }
            let mut case = raw.resolve(dir).map_err(|problem| in_case(&id, problem))?;
            case.source = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            cases.push(case);
        }
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CASES: &str = "[[case]]\nid = \"first\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\n\n[[case]]\nid = \"second\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nlimits = { call_timeout_ms = -5 }\n";

    #[test]
    fn a_toml_error_is_one_line_naming_the_case_the_place_and_the_line() {
        let why = |text: &str| {
            let e = toml::from_str::<CaseFile>(text).err().unwrap();
            case_file_error(text, &e).to_string()
        };
        assert_eq!(
            why(TWO_CASES),
            "case `second`: line 10, column 30 (`limits = { call_timeout_ms = -5 }`): invalid value: integer `-5`, expected u64"
        );
        let first = TWO_CASES.replacen("scenario = \"echo\"\n", "retries = 2\n", 1);
        let first = why(&first);
        assert!(
            first.starts_with(
                "case `first`: line 4, column 1 (`retries = 2`): unknown field `retries`"
            ),
            "{first}"
        );
        let broken = why("[[case]\nid = 3");
        assert!(
            broken.starts_with("line 1, column 8 (`[[case]`): "),
            "{broken}"
        );
        assert_eq!(broken.lines().count(), 1, "{broken}");
    }
}
