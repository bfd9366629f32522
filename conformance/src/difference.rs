//! Where two things first differ, for a person and for a signature: the first place two
//! JSON values differ, as a path with both values; and a text with its numbers masked,
//! so that counts and durations do not tell two failures apart.

use serde_json::Value;

/// `text` with every run of digits (and a decimal point inside one) as `#`, so that
/// step numbers, counts and durations do not tell two failures apart.
pub fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars() {
        let digit = c.is_ascii_digit() || (in_number && c == '.');
        if digit {
            if !in_number {
                out.push('#');
            }
        } else {
            out.push(c);
        }
        in_number = digit;
    }
    out
}

/// The first place `actual` differs from `expected`, as a path: object keys, `[op]` for
/// an element of `ops` (its operation's name), `[]` for other array elements; then the
/// two values, unless they are message bytes (`*_hex`), which a shrink may change.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<String> {
    walk(expected, actual, String::new(), "")
}

fn walk(expected: &Value, actual: &Value, path: String, key: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (e.get(k), a.get(k)) {
                    (Some(x), Some(y)) => walk(x, y, here, k),
                    (Some(_), None) => Some(format!("{here}: missing")),
                    (None, Some(_)) => Some(format!("{here}: unexpected")),
                    (None, None) => None,
                }
            })
        }
        (Value::Array(e), Value::Array(a)) => {
            let found = e.iter().zip(a).find_map(|(x, y)| {
                let label = x
                    .get("op")
                    .and_then(Value::as_str)
                    .map_or(String::new(), str::to_string);
                walk(x, y, format!("{path}[{label}]"), key)
            });
            found.or_else(|| {
                (e.len() != a.len())
                    .then(|| format!("{path}: {} element(s) expected, {} shown", e.len(), a.len()))
            })
        }
        (x, y) if x == y => None,
        _ if key.ends_with("_hex") => Some(path),
        (x, y) => Some(format!("{path}: {x} expected, {y} shown")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_masked() {
        assert_eq!(
            masked("after step 3 (stop), 1 live instance(s) and 65536 byte(s), 12.5ms"),
            "after step # (stop), # live instance(s) and # byte(s), #ms"
        );
    }

    #[test]
    fn the_first_difference_names_the_operation_and_the_values() {
        let e = json!({"ops": [{"op": "start", "ok": true}, {"op": "message", "ok": false, "error": {"kind": "trapped"}}]});
        let a = json!({"ops": [{"op": "start", "ok": true}, {"op": "message", "ok": false, "error": {"kind": "fuel_exhausted"}}]});
        assert_eq!(
            first_difference(&e, &a).unwrap(),
            r#"ops[message].error.kind: "trapped" expected, "fuel_exhausted" shown"#
        );
        let e = json!({"ops": [{"op": "message", "reply_hex": "6869"}]});
        let a = json!({"ops": [{"op": "message", "reply_hex": "00"}]});
        assert_eq!(first_difference(&e, &a).unwrap(), "ops[message].reply_hex");
        let e = json!({"transitions": [["a", "b"]]});
        let a = json!({"transitions": [["a", "b"], ["b", "c"]]});
        assert_eq!(
            first_difference(&e, &a).unwrap(),
            "transitions: 1 element(s) expected, 2 shown"
        );
        assert_eq!(first_difference(&e, &e), None);
    }
}
