//! `conformance/SPEC.md` read as data: its version, and each clause with its id, the
//! section it stands in and its text, so that the list of clauses has one home (the
//! document) and reports can show a clause's words beside its verdicts.
//!
//! Invariants: a clause is a list item opening with a bold `LC-AREA-N` id; its text runs
//! over the indented lines below it, to a blank line, a table or the margin; its section is the nearest `##` heading above
//! it. The version is the title's `v`N, recorded in every report.

const SPEC: &str = include_str!("../SPEC.md");

/// One clause of SPEC.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// `LC-STOP-2`.
    pub id: &'static str,
    /// The heading of its section: `5. Stop and teardown`.
    pub section: &'static str,
    /// Its words after the id, joined into one paragraph (Markdown as written; the HTML
    /// matrix renders it, [`crate::html::inline_markdown`]).
    pub text: String,
}

/// The contract's version, from SPEC.md's title (`lifecycle-kit SPEC, v1`): `1`.
pub fn version() -> &'static str {
    SPEC.lines()
        .next()
        .and_then(|title| title.rsplit_once(", v"))
        .map(|(_, rest)| rest.trim_end_matches(')').trim())
        .expect("SPEC.md's title ends with its version: `(lifecycle-kit SPEC, vN)`")
}

/// Every clause of SPEC.md, in document order.
pub fn clauses() -> Vec<Clause> {
    let mut clauses: Vec<Clause> = Vec::new();
    let mut section = "";
    // Whether the lines now read continue the last clause's text.
    let mut open = false;
    for line in SPEC.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading.trim();
            open = false;
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("- **")
            && let Some((id, text)) = rest.split_once("**")
            && id.starts_with("LC-")
        {
            clauses.push(Clause {
                id,
                section,
                text: text.trim().to_string(),
            });
            open = true;
            continue;
        }
        // Indented lines (its own sub-items among them) continue it; a blank line, a
        // table or anything at the margin ends it.
        let continues =
            open && !trimmed.is_empty() && !trimmed.starts_with('|') && line.starts_with(' ');
        match (continues, clauses.last_mut()) {
            (true, Some(clause)) => {
                clause.text.push(' ');
                clause.text.push_str(trimmed);
            }
            _ => open = false,
        }
    }
    clauses
}

/// Every clause id (`LC-AREA-N`) defined in SPEC.md, in document order.
pub fn clause_ids() -> Vec<&'static str> {
    clauses().into_iter().map(|c| c.id).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_read_unique_and_well_formed() {
        let ids = super::clause_ids();
        assert!(ids.len() >= 40, "{ids:?}");
        let mut seen = std::collections::HashSet::new();
        for id in &ids {
            assert!(seen.insert(id), "{id} twice");
            let parts: Vec<_> = id.split('-').collect();
            assert_eq!(parts.len(), 3, "{id}");
            assert!(parts[2].parse::<u32>().is_ok(), "{id}");
        }
        assert!(ids.contains(&"LC-STOP-2") && ids.contains(&"LC-MSG-7"));
    }

    #[test]
    fn each_clause_has_its_whole_text_and_its_section() {
        let clauses = super::clauses();
        let find = |id: &str| clauses.iter().find(|c| c.id == id).unwrap();
        let state1 = find("LC-STATE-1");
        assert_eq!(state1.section, "1. States and transitions");
        // Its text runs over two lines of the document, and stops before the next clause.
        assert!(
            state1.text.starts_with("A component is in exactly one of"),
            "{state1:?}"
        );
        assert!(
            state1.text.ends_with("and begins in `creating`."),
            "{state1:?}"
        );
        // A clause followed by a table ends before it.
        let state2 = find("LC-STATE-2");
        assert!(!state2.text.contains('|'), "{state2:?}");
        assert!(find("LC-CM-1").section.starts_with("8. Components"));
        assert!(
            clauses
                .iter()
                .all(|c| !c.text.is_empty() && !c.section.is_empty())
        );
    }

    #[test]
    fn the_version_is_read_from_the_title() {
        assert_eq!(super::version(), "1");
    }
}
