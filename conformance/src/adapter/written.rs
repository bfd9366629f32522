//! A JSON document's shape in the order it was written: each object's members in their
//! order, which [`serde_json::Value`] does not keep. The schema check sorts violations
//! by it, so that the first one reported is the first one an adapter wrote.
//!
//! Invariant: it only orders places; nothing reads values from it.

use serde_json::Value;

/// The shape of a JSON document in the order it was written: each object's members in
/// their order, which [`Value`] does not keep. It only orders places.
#[derive(Debug, PartialEq)]
pub(super) enum Written {
    Object(Vec<(String, Written)>),
    Array(Vec<Written>),
    Leaf,
}

impl Written {
    pub(super) fn of(value: &Value) -> Written {
        match value {
            Value::Object(members) => Written::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), Written::of(v)))
                    .collect(),
            ),
            Value::Array(elements) => Written::Array(elements.iter().map(Written::of).collect()),
            _ => Written::Leaf,
        }
    }

    /// Where `at` (or its `member` of that name) comes in document order: the index of
    /// each step down among its siblings, so that a place sorts before its members, and
    /// siblings in their order. (A duplicated member is where it was last written: that
    /// is the one read.)
    pub(super) fn position(
        &self,
        at: &jsonschema::paths::Location,
        member: Option<String>,
    ) -> Vec<usize> {
        let mut here = self;
        let mut position = Vec::new();
        let steps = at.segments().map(|segment| segment.to_string());
        for key in steps.chain(member) {
            let found = match here {
                Written::Object(members) => members.iter().rposition(|(k, _)| *k == key),
                Written::Array(elements) => key.parse().ok().filter(|&i| i < elements.len()),
                Written::Leaf => None,
            };
            let Some(index) = found else {
                position.push(usize::MAX);
                break;
            };
            position.push(index);
            here = match here {
                Written::Object(members) => &members[index].1,
                Written::Array(elements) => &elements[index],
                Written::Leaf => break,
            };
        }
        position
    }
}

impl<'de> serde::Deserialize<'de> for Written {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Written;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Written, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Written>()? {
                    members.push(member);
                }
                Ok(Written::Object(members))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Written, A::Error> {
                let mut elements = Vec::new();
                while let Some(element) = seq.next_element()? {
                    elements.push(element);
                }
                Ok(Written::Array(elements))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_i128<E>(self, _: i128) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_u128<E>(self, _: u128) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_positions_order_places() {
        let text = r#"{"b": [1, {"z": 1, "a": 2}], "a": 3, "b": [4, {"z": 5}]}"#;
        let written: Written = serde_json::from_str(text).unwrap();
        let at = |p: &str| {
            let location: jsonschema::paths::Location = p
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| jsonschema::paths::LocationSegment::Property(s.to_string().into()))
                .collect();
            written.position(&location, None)
        };
        assert_eq!(at(""), Vec::<usize>::new());
        assert_eq!(at("/a"), [1]);
        // A duplicated member is where it was last written (the one a reader keeps).
        assert_eq!(at("/b/1/z"), [2, 1, 0]);
        assert_eq!(at("/missing/x"), [usize::MAX]);
        assert_eq!(at("/b/7"), [2, usize::MAX]);
        assert!(at("/a") < at("/b/0") && at("") < at("/a"));
        // A member named: where it was written in its object.
        let root = jsonschema::paths::Location::new();
        assert_eq!(written.position(&root, Some("a".into())), [1]);
        assert_eq!(written.position(&root, Some("c".into())), [usize::MAX]);
    }
}
