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

/// One paragraph of the kit's own Markdown (a SPEC.md clause's words) as inline HTML:
/// code spans, emphasis and strong kept; a link's words kept without the link (the page
/// stands alone, and SPEC.md's links lead to files beside it); raw HTML shown as the text
/// it is, escaped like every other text.
pub fn inline_markdown(text: &str) -> Markup {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let events = Parser::new(text).filter_map(|event| match event {
        Event::Start(Tag::Paragraph | Tag::Link { .. })
        | Event::End(TagEnd::Paragraph | TagEnd::Link) => None,
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        other => Some(other),
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    PreEscaped(out)
}

#[cfg(test)]
mod tests {
    use super::inline_markdown;

    #[test]
    fn inline_markdown_keeps_code_and_emphasis_and_drops_links_and_raw_html() {
        let html = |md: &str| inline_markdown(md).into_string();
        assert_eq!(
            html("stop() returns `Ok` with **no** *events*"),
            "stop() returns <code>Ok</code> with <strong>no</strong> <em>events</em>"
        );
        assert_eq!(
            html("as [ADAPTER.md](ADAPTER.md) says, 2 < 3 & <b>x</b>"),
            "as ADAPTER.md says, 2 &lt; 3 &amp; &lt;b&gt;x&lt;/b&gt;"
        );
        assert_eq!(html("`<script>`"), "<code>&lt;script&gt;</code>");
    }
}
