//! The clause ids of `conformance/SPEC.md`, read from the document itself so that the
//! list has one home.

const SPEC: &str = include_str!("../SPEC.md");

/// Every clause id (`LC-AREA-N`) defined in SPEC.md, in document order.
pub fn clause_ids() -> Vec<&'static str> {
    SPEC.lines()
        .filter_map(|line| line.trim_start().strip_prefix("- **"))
        .filter_map(|rest| rest.split_once("**").map(|(id, _)| id))
        .filter(|id| id.starts_with("LC-"))
        .collect()
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
}
