//! Every relative link in every Markdown file of the repository resolves: its file or
//! directory exists, inside the repository, relative to the linking file's directory (or
//! to the repository's root for a path that begins with `/`), and a `#fragment` names a
//! heading of the target Markdown file under GitHub's anchor rules. Absolute URLs
//! (`https:`, `mailto:` and any other scheme) are not fetched.
//!
//! Links are inline links and images (`[text](dest)`, `![alt](dest)`) and reference
//! definitions (`[label]: dest`); those inside fenced code blocks and inline code spans
//! are text, not links. Build output, version control and vendored data are not searched.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
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

/// The inline links and images of `text`, and its reference definitions (a reference
/// link is checked at its definition), in the order written. Code is text, not links.
fn links(text: &str) -> Vec<Link> {
    let line = |offset: usize| text[..offset].matches('\n').count() + 1;
    let parser = Parser::new_ext(text, Options::empty());
    let definitions: Vec<Link> = parser
        .reference_definitions()
        .iter()
        .map(|(_, def)| Link {
            line: line(def.span.start),
            dest: def.dest.to_string(),
        })
        .collect();
    let mut out: Vec<Link> = parser
        .into_offset_iter()
        .filter_map(|(event, at)| match event {
            Event::Start(
                Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    ..
                }
                | Tag::Image {
                    link_type: LinkType::Inline,
                    dest_url,
                    ..
                },
            ) => Some(Link {
                line: line(at.start),
                dest: dest_url.to_string(),
            }),
            _ => None,
        })
        .collect();
    out.extend(definitions);
    out.sort_by_key(|link| link.line);
    out
}

/// The anchors a reader can link to in `text`: each heading's (GitHub's slug of its
/// rendered text, numbered when repeated), and every `<a name="...">` or `id="..."`.
fn anchors(text: &str) -> HashSet<String> {
    let mut occurrences = HashMap::new();
    let mut found = HashSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(text, Options::empty()) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().expect("a heading ends after it starts");
                found.insert(unique(slug(&text), &mut occurrences));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(heading) = heading.as_mut() {
                    heading.push_str(&t);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => found.extend(named_anchors(&html)),
            _ => {}
        }
    }
    found
}

/// The `name="..."` and `id="..."` values of HTML tags.
fn named_anchors(html: &str) -> Vec<String> {
    ["name=\"", "id=\""]
        .iter()
        .flat_map(|attribute| {
            html.match_indices(attribute)
                .map(move |(at, _)| at + attribute.len())
        })
        .filter_map(|start| Some(html[start..start + html[start..].find('"')?].to_string()))
        .collect()
}

/// `slug` once, or numbered (`-1`, `-2`, ...) after its first occurrence, as GitHub does.
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

/// GitHub's anchor for a heading's rendered text: lowercased; letters, digits, `-` and
/// `_` kept, each space a `-`, everything else dropped.
fn slug(rendered: &str) -> String {
    rendered
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

#[test]
fn slugs_follow_github() {
    let anchor = |heading: &str| -> String {
        let found: Vec<String> = anchors(&format!("## {heading}\n")).into_iter().collect();
        assert_eq!(found.len(), 1, "{heading}: {found:?}");
        found[0].clone()
    };
    assert_eq!(
        anchor("`lifecycle-kit run`: the conformance suite"),
        "lifecycle-kit-run-the-conformance-suite"
    );
    assert_eq!(
        anchor("1. States and transitions"),
        "1-states-and-transitions"
    );
    assert_eq!(
        anchor("Time to kill: fuzzing against every mutant"),
        "time-to-kill-fuzzing-against-every-mutant"
    );
    assert_eq!(anchor("What's `run --cases` for?"), "whats-run---cases-for");
    assert_eq!(
        anchor("A [link](x.md) and *emphasis*"),
        "a-link-and-emphasis"
    );
    assert_eq!(anchor("snake_case & C++"), "snake_case--c");
    assert_eq!(
        anchor("`conformance/src/attribution/`"),
        "conformancesrcattribution"
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
            // A link is found on the line where it begins.
            (2, "docs/cli.md"),
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
