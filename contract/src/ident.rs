//! The one way the contract declares a set of stable identifiers: an enum whose variants
//! serialize, display and list as the words that appear in traces, reports and snapshots.

/// `identifiers! { Name { Variant => "word", ... } }`: the enum, `ALL`, `as_str`,
/// `Display` and serde, all from one list.
macro_rules! identifiers {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $id:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $id)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

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
    };
}
