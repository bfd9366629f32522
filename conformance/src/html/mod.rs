//! Self-contained HTML pages: the conformance matrix (`report --html`, `run --html`) and
//! the bench's figures (`bench --html`) share this page, its style sheet and its rules.
//!
//! Invariants: a page needs nothing outside itself (no network, no font, no script from
//! elsewhere); every text from a report goes through maud, which escapes it; meaning is
//! never carried by colour alone (each coloured mark also has a word or a symbol); the
//! page reads at a phone's width and prints.

use maud::{DOCTYPE, Markup, PreEscaped, html};

pub use maud;

/// The style every page shares: a readable column, tables that scroll sideways on a
/// narrow screen, the verdict colours (each with a text beside it), and print rules.
pub const BASE_CSS: &str = include_str!("base.css");

/// A whole page: `title`, the shared style plus `css`, `body`, and an optional `script`
/// (inline; the page works without it).
pub fn page(title: &str, css: &str, body: Markup, script: Option<&str>) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(BASE_CSS)) (PreEscaped(css)) }
            }
            body {
                (body)
                @if let Some(script) = script {
                    script { (PreEscaped(script)) }
                }
            }
        }
    }
    .into_string()
}
