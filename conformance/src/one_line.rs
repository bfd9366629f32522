//! Other crates' errors and other people's text, put on one line for a message: a TOML
//! error with its place, a WAT error with its place, a line cut short.
//!
//! Invariant: what these return never holds a newline, so that every error the crate
//! words about a file or an adapter stays one line.

/// A TOML error on one line: where (line, column and the line itself) and what. The
/// crate's own rendering spreads over several lines, with a caret.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let Some(at) = e.span().and_then(|span| text.get(..span.start)) else {
        return message;
    };
    let line = at.matches('\n').count() + 1;
    let line_start = at.rfind('\n').map_or(0, |i| i + 1);
    let column = at[line_start..].chars().count() + 1;
    let source = text[line_start..].lines().next().unwrap_or_default().trim();
    format!(
        "line {line}, column {column} (`{}`): {message}",
        shorten(source, 80)
    )
}

/// A WAT error on one line: `wat` renders the message, then the place and the source
/// line with a caret on lines of their own.
pub(crate) fn wat_error(e: &wat::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines();
    let message = lines.next().unwrap_or_default().trim().to_string();
    let at = lines
        .find_map(|l| l.trim().strip_prefix("--> "))
        .and_then(|place| {
            let mut parts = place.rsplitn(3, ':');
            let (column, line) = (parts.next()?, parts.next()?);
            Some(format!(" at line {line}, column {column} of the WAT"))
        });
    message + &at.unwrap_or_default()
}

/// `text` cut to `max` characters, with `...` where cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wat_error_is_one_line_with_its_place() {
        let e = wat::parse_str("(module\n  (fnuc))").unwrap_err();
        let why = wat_error(&e);
        assert_eq!(why.lines().count(), 1, "{why}");
        assert!(why.ends_with(" at line 2, column 4 of the WAT"), "{why}");
    }

    #[test]
    fn shorten_cuts_at_characters_not_bytes() {
        assert_eq!(shorten("héllo", 2), "hé...");
        assert_eq!(shorten("hé", 2), "hé");
    }
}
