//! Every relative link in every Markdown file of the repository resolves: its file or
//! directory exists, inside the repository, relative to the linking file's directory (or
//! to the repository's root for a path that begins with `/`), and a `#fragment` names a
//! heading of the target Markdown file under GitHub's anchor rules. Absolute URLs
//! (`https:`, `mailto:` and any other scheme) are not fetched.
//!
//! Links are inline links and images (`[text](dest)`, `![alt](dest)`) and reference
//! definitions (`[label]: dest`); those inside fenced code blocks and inline code spans
//! are text, not links. Build output, version control and vendored data are not searched.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Directories never searched, wherever they are.
const SKIPPED_NAMES: &[&str] = &["target", ".git", "node_modules"];
/// Directories never searched, relative to the repository's root.
const SKIPPED_PATHS: &[&str] = &["tests/data"];

#[test]
fn every_relative_link_in_every_markdown_file_resolves() {
    let root = normalize(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the manifest directory is an absolute path");
    let mut files = Vec::new();
    markdown_files(&root, &root, &mut files);
    files.sort();
    assert!(
        files.iter().any(|f| rel(&root, f) == "README.md"),
        "no README.md found under {}",
        root.display()
    );
    let mut anchors = Anchors::default();
    let mut broken = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for link in links(&text) {
            if let Err(why) = check(&root, file, &link.dest, &mut anchors) {
                broken.push(format!(
                    "{}:{}: {} ({why})",
                    rel(&root, file),
                    link.line,
                    link.dest
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} broken link(s) in {} Markdown file(s):\n{}",
        broken.len(),
        files.len(),
        broken.join("\n")
    );
}

/// Every Markdown file under `dir`, but in the skipped directories. Symbolic links are
/// not followed.
fn markdown_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = entry.path();
        let kind = entry
            .file_type()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if kind.is_dir() {
            let name = entry.file_name();
            let skipped = SKIPPED_NAMES.iter().any(|n| name == **n)
                || SKIPPED_PATHS.contains(&rel(root, &path).as_str());
            if !skipped {
                markdown_files(root, &path, out);
            }
        } else if kind.is_file() && is_markdown(&path) {
            out.push(path);
        }
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// `path` relative to `root`, with `/` between components.
fn rel(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// `path` without `.` and `..` components, resolved lexically; `None` if a `..` climbs
/// above the first component.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

/// Whether `dest` is an absolute URL: a scheme (`https:`, `mailto:`, ...), or `//host`.
fn has_scheme(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    let Some((scheme, _)) = dest.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `%XX` escapes decoded; anything else kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII hex digits");
            out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// GitHub's anchors for lines of a file that is not Markdown: `L12`, `L12-L20`.
fn is_line_anchor(fragment: &str) -> bool {
    let line = |s: &str| {
        s.strip_prefix('L')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match fragment.split_once('-') {
        Some((from, to)) => line(from) && line(to),
        None => line(fragment),
    }
}

/// Checks one destination written in `file`: `Ok` if it resolves, else why not.
fn check(root: &Path, file: &Path, dest: &str, anchors: &mut Anchors) -> Result<(), String> {
    if dest.is_empty() {
        return Err("empty destination".into());
    }
    if has_scheme(dest) {
        return Ok(());
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (dest, None),
    };
    let path = path.split_once('?').map_or(path, |(path, _query)| path);
    let target = if path.is_empty() {
        file.to_path_buf()
    } else {
        let path = percent_decode(path);
        let base = if path.starts_with('/') {
            root.to_path_buf()
        } else {
            file.parent().expect("a file has a directory").to_path_buf()
        };
        let joined = base.join(path.trim_start_matches('/'));
        match normalize(&joined) {
            Some(target) if target.starts_with(root) => target,
            _ => return Err("outside the repository".into()),
        }
    };
    if !target.exists() {
        return Err(format!("{} does not exist", rel(root, &target)));
    }
    let Some(fragment) = fragment else {
        return Ok(());
    };
    let fragment = percent_decode(fragment);
    if fragment.is_empty() {
        return Ok(());
    }
    if target.is_dir() {
        return Err(format!("#{fragment} on a directory"));
    }
    if !is_markdown(&target) {
        return if is_line_anchor(&fragment) {
            Ok(())
        } else {
            Err(format!("#{fragment} on a file that is not Markdown"))
        };
    }
    if anchors.of(&target)?.contains(&fragment) {
        Ok(())
    } else {
        Err(format!(
            "no heading with anchor #{fragment} in {}",
            rel(root, &target)
        ))
    }
}

/// The anchors of each Markdown file a fragment names, read once.
#[derive(Default)]
struct Anchors(HashMap<PathBuf, HashSet<String>>);

impl Anchors {
    fn of(&mut self, path: &Path) -> Result<&HashSet<String>, String> {
        match self.0.entry(path.to_path_buf()) {
            Entry::Occupied(known) => Ok(known.into_mut()),
            Entry::Vacant(new) => {
                let text = fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                Ok(new.insert(anchors(&text)))
            }
        }
    }
}

/// A link found in a Markdown file: its 1-based line and its destination as written.
#[derive(Debug, PartialEq, Eq)]
struct Link {
    line: usize,
    dest: String,
}

/// The links of a Markdown text, in order: inline links and images, and reference
/// definitions, outside fenced code blocks and inline code spans.
fn links(text: &str) -> Vec<Link> {
    let plain = without_code_spans(&without_fences(text));
    let chars: Vec<char> = plain.chars().collect();
    // line_of[i]: the 1-based line of chars[i].
    let mut line_of = Vec::with_capacity(chars.len());
    let mut line = 1;
    for &c in &chars {
        line_of.push(line);
        if c == '\n' {
            line += 1;
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < chars.len() {
        if chars[i] == ']'
            && chars[i + 1] == '('
            && opened_before(&chars, i)
            && let Some((dest, end)) = destination(&chars, i + 2)
        {
            out.push(Link {
                line: line_of[i],
                dest,
            });
            i = end;
            continue;
        }
        i += 1;
    }
    for (n, line) in plain.lines().enumerate() {
        if let Some(dest) = definition(line) {
            out.push(Link { line: n + 1, dest });
        }
    }
    out.sort_by_key(|link| link.line);
    out
}

/// Whether the `]` at `close` closes a `[` opened earlier in the same paragraph.
fn opened_before(chars: &[char], close: usize) -> bool {
    let mut depth = 0usize;
    let mut i = close;
    while i > 0 {
        i -= 1;
        match chars[i] {
            ']' => depth += 1,
            '[' if depth == 0 => return true,
            '[' => depth -= 1,
            '\n' => {
                // A blank line before this one ends the paragraph.
                let mut j = i;
                while j > 0 && matches!(chars[j - 1], ' ' | '\t' | '\r') {
                    j -= 1;
                }
                if j == 0 || chars[j - 1] == '\n' {
                    return false;
                }
            }
            _ => {}
        }
    }
    false
}

/// The destination of an inline link whose `(` is just before `start`, and the index
/// just past its `)`; `None` if what follows is not a destination.
fn destination(chars: &[char], start: usize) -> Option<(String, usize)> {
    let mut i = start;
    skip_blanks(chars, &mut i);
    let dest: String;
    if chars.get(i) == Some(&'<') {
        let from = i + 1;
        let to = from + chars[from..].iter().position(|&c| c == '>' || c == '\n')?;
        if chars[to] != '>' {
            return None;
        }
        dest = chars[from..to].iter().collect();
        i = to + 1;
    } else {
        let from = i;
        let mut depth = 0usize;
        while i < chars.len() {
            match chars[i] {
                '(' => depth += 1,
                ')' if depth == 0 => break,
                ')' => depth -= 1,
                c if c.is_whitespace() => break,
                _ => {}
            }
            i += 1;
        }
        dest = chars[from..i].iter().collect();
    }
    skip_blanks(chars, &mut i);
    // An optional title: "...", '...' or (...).
    if let Some(&open) = chars.get(i) {
        let close = match open {
            '"' => Some('"'),
            '\'' => Some('\''),
            '(' => Some(')'),
            _ => None,
        };
        if let Some(close) = close {
            i += 1 + chars.get(i + 1..)?.iter().position(|&c| c == close)? + 1;
            skip_blanks(chars, &mut i);
        }
    }
    (chars.get(i) == Some(&')')).then(|| (dest, i + 1))
}

fn skip_blanks(chars: &[char], i: &mut usize) {
    while *i < chars.len() && matches!(chars[*i], ' ' | '\t') {
        *i += 1;
    }
}

/// The destination of a reference definition, `[label]: dest`, if `line` is one.
fn definition(line: &str) -> Option<String> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let rest = trimmed.strip_prefix('[')?;
    let close = rest.find("]:")?;
    let label = &rest[..close];
    if label.starts_with('^') || label.contains(['[', ']']) {
        return None;
    }
    let dest = rest[close + 2..].trim_start();
    if let Some(angled) = dest.strip_prefix('<') {
        return angled.split_once('>').map(|(dest, _)| dest.to_string());
    }
    dest.split_whitespace().next().map(str::to_string)
}

/// The fence a line opens or closes, if it is one: its character and length, and what
/// follows (the info string). Fences are recognised at any indentation, since lists
/// indent them.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let rest = line.trim_start();
    let c = rest.chars().next().filter(|&c| c == '`' || c == '~')?;
    let len = rest.len() - rest.trim_start_matches(c).len();
    let info = &rest[len..];
    (len >= 3 && !(c == '`' && info.contains('`'))).then_some((c, len, info))
}

/// The text with every fenced code block's lines, fences included, emptied: line numbers
/// stay, and nothing inside a block is read as Markdown.
fn without_fences(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<(char, usize)> = None;
    for line in text.lines() {
        match (open, fence(line)) {
            (None, Some((c, len, _))) => open = Some((c, len)),
            (Some((c, len)), Some((d, n, info)))
                if d == c && n >= len && info.trim().is_empty() =>
            {
                open = None
            }
            (None, None) => out.push_str(line),
            (Some(_), _) => {}
        }
        out.push('\n');
    }
    out
}

/// The text with inline code spans and backslash escapes blanked (each character but a
/// line break becomes a space), so that neither is read as a link.
fn without_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if chars.get(i + 1).is_some_and(|c| c.is_ascii_punctuation()) => {
                out[i] = ' ';
                out[i + 1] = ' ';
                i += 2;
            }
            '`' => {
                let len = run(&chars, i, '`');
                match closing_run(&chars, i + len, len) {
                    Some(end) => {
                        for c in &mut out[i..end + len] {
                            if *c != '\n' {
                                *c = ' ';
                            }
                        }
                        i = end + len;
                    }
                    None => i += len,
                }
            }
            _ => i += 1,
        }
    }
    out.into_iter().collect()
}

/// How many `c` in a row begin at `at`.
fn run(chars: &[char], at: usize, c: char) -> usize {
    chars[at..].iter().take_while(|&&x| x == c).count()
}

/// Where a run of exactly `len` backticks begins, from `from` on, within the paragraph.
fn closing_run(chars: &[char], from: usize, len: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        match chars[j] {
            '`' => {
                let n = run(chars, j, '`');
                if n == len {
                    return Some(j);
                }
                j += n;
            }
            '\n' => {
                let mut k = j + 1;
                while k < chars.len() && matches!(chars[k], ' ' | '\t' | '\r') {
                    k += 1;
                }
                if k >= chars.len() || chars[k] == '\n' {
                    return None;
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
    None
}

/// The anchors GitHub gives a Markdown text: one per heading (ATX `#` and setext
/// underlined), duplicates numbered, plus explicit `id="..."` and `name="..."` HTML
/// anchors.
fn anchors(text: &str) -> HashSet<String> {
    let plain = without_fences(text);
    let lines: Vec<&str> = plain.lines().collect();
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut explicit = HashSet::new();
    for (n, line) in lines.iter().enumerate() {
        if let Some(heading) = atx_heading(line).or_else(|| setext_heading(&lines, n)) {
            unique(slug(&heading), &mut occurrences);
        }
        for attribute in ["id=\"", "name=\""] {
            let mut rest = *line;
            while let Some(at) = rest.find(attribute) {
                let value = &rest[at + attribute.len()..];
                let Some(end) = value.find('"') else { break };
                explicit.insert(value[..end].to_string());
                rest = &value[end..];
            }
        }
    }
    occurrences.into_keys().chain(explicit).collect()
}

/// The text of an ATX heading (`## Text ##`), if `line` is one.
fn atx_heading(line: &str) -> Option<String> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.len() - trimmed.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let text = rest.trim();
    let unclosed = text.trim_end_matches('#');
    let text = if unclosed.is_empty() {
        ""
    } else if unclosed.ends_with([' ', '\t']) {
        unclosed.trim_end()
    } else {
        text
    };
    Some(text.to_string())
}

/// The text of a setext heading whose underline (`===` or `---`) is line `n`, if it is
/// one: the line before it, when that is paragraph text.
fn setext_heading(lines: &[&str], n: usize) -> Option<String> {
    let underline = lines[n];
    if n == 0 || underline.len() - underline.trim_start_matches(' ').len() > 3 {
        return None;
    }
    let underline = underline.trim();
    let is_underline = (!underline.is_empty() && underline.chars().all(|c| c == '='))
        || (underline.len() >= 2 && underline.chars().all(|c| c == '-'));
    let text = lines[n - 1].trim();
    let paragraph = !text.is_empty()
        && atx_heading(lines[n - 1]).is_none()
        && !text.starts_with(['|', '-', '*', '+', '>', '<'])
        && !lines[n - 1].starts_with("    ");
    (is_underline && paragraph).then(|| text.to_string())
}

/// `slug` made unique among those already given, as GitHub does: a repeated `x` becomes
/// `x-1`, then `x-2`, skipping any already taken.
fn unique(slug: String, occurrences: &mut HashMap<String, usize>) -> String {
    let mut candidate = slug.clone();
    while occurrences.contains_key(&candidate) {
        let n = occurrences
            .get_mut(&slug)
            .expect("the slug itself was given first");
        *n += 1;
        candidate = format!("{slug}-{n}");
    }
    occurrences.insert(candidate.clone(), 0);
    candidate
}

/// GitHub's anchor for a heading: its text as rendered (inline code, links, emphasis and
/// HTML tags reduced to their text), lowercased; letters, digits, `-` and `_` kept, each
/// space a `-`, everything else dropped. (Underscores are always kept: a heading that
/// uses `_` for emphasis is not handled.)
fn slug(heading: &str) -> String {
    rendered(heading)
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// A heading's text as it renders: backticks and `*` dropped, `[text](dest)` as `text`,
/// HTML tags removed, escaped characters as themselves.
fn rendered(heading: &str) -> String {
    let chars: Vec<char> = heading.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if chars.get(i + 1).is_some_and(|c| c.is_ascii_punctuation()) => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' | '*' | '[' => i += 1,
            ']' if chars.get(i + 1) == Some(&'(') => {
                // Skip the destination, up to its closing parenthesis.
                let mut depth = 0usize;
                i += 2;
                while i < chars.len() {
                    match chars[i] {
                        '(' => depth += 1,
                        ')' if depth == 0 => break,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
            ']' => i += 1,
            '<' if chars
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == '/')
                && chars[i..].contains(&'>') =>
            {
                i += chars[i..].iter().position(|&c| c == '>').expect("checked") + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("`lifecycle-kit run`: the conformance suite"),
        "lifecycle-kit-run-the-conformance-suite"
    );
    assert_eq!(
        slug("1. States and transitions"),
        "1-states-and-transitions"
    );
    assert_eq!(
        slug("Time to kill: fuzzing against every mutant"),
        "time-to-kill-fuzzing-against-every-mutant"
    );
    assert_eq!(slug("What's `run --cases` for?"), "whats-run---cases-for");
    assert_eq!(slug("A [link](x.md) and *emphasis*"), "a-link-and-emphasis");
    assert_eq!(slug("snake_case & C++"), "snake_case--c");
    assert_eq!(slug("Résumé §6 <sup>new</sup>"), "résumé-6-new");
    assert_eq!(
        slug("`conformance/src/attribution.rs`"),
        "conformancesrcattributionrs"
    );
}

#[test]
fn headings_give_numbered_anchors_outside_code() {
    let text = "\
# Tests
## Tests ##
### Tests
## Tests-1

```sh
# not a heading
```

Setext heading
==============

<a name=\"explicit\"></a>
#hashtag is not a heading
";
    let mut found: Vec<String> = anchors(text).into_iter().collect();
    found.sort();
    assert_eq!(
        found,
        [
            "explicit",
            "setext-heading",
            "tests",
            "tests-1",
            "tests-1-1",
            "tests-2"
        ]
    );
}

#[test]
fn links_are_found_outside_code() {
    let text = "\
See [the spec](conformance/SPEC.md#capabilities) and ![a picture](img/a.png \"title\").
A [link whose text
runs over a line](docs/cli.md) and `[not a link](in-code.md)`.
[`code` in the text](a_(b).md) and [angled](<with space.md>)
\\[escaped](nope.md)

```text
[fenced](nope.md)
```

[ref]: docs/cases.md#verdicts
[angle]: <docs/with space.md> \"title\"
";
    let found = links(text);
    let found: Vec<(usize, &str)> = found.iter().map(|l| (l.line, l.dest.as_str())).collect();
    assert_eq!(
        found,
        [
            (1, "conformance/SPEC.md#capabilities"),
            (1, "img/a.png"),
            (3, "docs/cli.md"),
            (4, "a_(b).md"),
            (4, "with space.md"),
            (11, "docs/cases.md#verdicts"),
            (12, "docs/with space.md"),
        ]
    );
}

#[test]
fn destinations_resolve_inside_the_repository_only() {
    assert!(has_scheme("https://example.com/x.md"));
    assert!(has_scheme("mailto:someone@example.com"));
    assert!(!has_scheme("docs/cli.md#lifecycle-kit-run"));
    assert!(!has_scheme("#a:b"));
    assert_eq!(
        normalize(Path::new("/repo/docs/../conformance/./SPEC.md")),
        Some(PathBuf::from("/repo/conformance/SPEC.md"))
    );
    let root = Path::new("/repo");
    let file = Path::new("/repo/README.md");
    let why = check(
        root,
        file,
        "../outside/CONTRACT.md",
        &mut Anchors::default(),
    );
    assert_eq!(why, Err("outside the repository".to_string()));
    assert_eq!(percent_decode("with%20space.md"), "with space.md");
    assert!(is_line_anchor("L10") && is_line_anchor("L10-L20") && !is_line_anchor("L"));
}
