//! The one way the project declares a set of stable identifiers: an enum whose variants
//! serialize, display, list and parse as the words that appear in traces, reports,
//! snapshots and on the command line. Every crate of the project declares its
//! identifier enums through [`identifiers!`](crate::identifiers); none writes `as_str`,
//! `Display` or `FromStr` by hand.

/// `identifiers! { Name ("what") { Variant => "word", ... } }`: the enum, `ALL`, `as_str`,
/// `Display`, serde, and (with `("what")`, the name a message gives one of them)
/// `FromStr`, whose error names the word and every word allowed, all from one list.
/// Attributes on the enum and on each variant (docs, `#[default]`) are kept. A crate
/// that uses it depends on `serde`.
#[macro_export]
macro_rules! identifiers {
    (
        $(#[$meta:meta])*
        $name:ident $(($what:literal))? {
            $($(#[$variant_meta:meta])* $variant:ident => $id:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$variant_meta])* #[serde(rename = $id)] $variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($id),+].len()] = [$($name::$variant),+];

            /// The stable identifier.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $(
            impl ::std::str::FromStr for $name {
                type Err = $crate::UnknownIdentifier;

                fn from_str(word: &str) -> ::std::result::Result<Self, Self::Err> {
                    $name::ALL
                        .iter()
                        .copied()
                        .find(|each| each.as_str() == word)
                        .ok_or_else(|| $crate::UnknownIdentifier {
                            what: $what,
                            word: word.to_string(),
                            allowed: $name::ALL.iter().map(|each| each.as_str()).collect(),
                        })
            }
            }
        )?
    };
}

/// A word that names none of a set of identifiers: "unknown profile `x` (expected
/// `strict` or `standard`)".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{word}` (expected {})", one_of(allowed))]
pub struct UnknownIdentifier {
    /// What the set names ("profile", "capability").
    pub what: &'static str,
    pub word: String,
    pub allowed: Vec<&'static str>,
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "nothing".into(),
    }
}

#[cfg(test)]
mod tests {
    identifiers! {
        /// A test set.
        Colour ("colour") {
            #[allow(dead_code)]
            Red => "red",
            Light => "light-blue",
            Green => "green",
        }
    }

    #[test]
    fn words_parse_back_and_others_are_named_with_every_word_allowed() {
        for each in Colour::ALL {
            assert_eq!(each.as_str().parse::<Colour>(), Ok(each));
            assert_eq!(each.to_string(), each.as_str());
        }
        let err = "blue".parse::<Colour>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown colour `blue` (expected `red`, `light-blue` or `green`)"
        );
        assert_eq!(super::one_of(&["a", "b"]), "`a` or `b`");
        assert_eq!(
            serde_json::to_string(&Colour::Light).unwrap(),
            "\"light-blue\""
        );
    }
}
