//! The conformance matrix (`report --html`, `run --html`) read as a browser reads it: its
//! DOM (parsed by html5ever, through `scraper`) and, in the slow tier, the page rendered
//! by headless Chromium (its DOM after the script ran, and screenshots at a desktop and a
//! phone width).
//!
//! What is checked is what a reader relies on: a failing cell is in the row of the
//! failure's first cause and the column of the runtime that failed; it opens to the
//! cases with their reproduce lines, which run and fail the same way; every cell's counts
//! are the per-clause table the run itself wrote; shards merge into the run they split;
//! the page needs nothing from the network.

use crate::common::{KIT, command, json_run, kit};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `run --format json ARGS`, saved at `path`; the report and the exit status.
fn save_run(path: &Path, args: &[&str]) -> (Value, Option<i32>) {
    let (report, code) = json_run(args);
    std::fs::write(path, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    (report, code)
}

/// `report --html OUT REPORTS...`, which must succeed; the page.
fn report_html(out: &Path, reports: &[&Path]) -> Html {
    let mut args = vec![
        "report".to_string(),
        "--html".into(),
        out.display().to_string(),
    ];
    args.extend(reports.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = kit(&args);
    assert_eq!(
        run.status.code(),
        Some(0),
        "report --html: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    Html::parse_document(&std::fs::read_to_string(out).unwrap())
}

fn select<'a>(page: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    page.select(&Selector::parse(css).unwrap()).collect()
}

fn text(e: &ElementRef) -> String {
    e.text().collect::<String>()
}

/// Each cell of the matrix: (clause row, runtime) -> its text.
fn cells(page: &Html) -> BTreeMap<(String, String), String> {
    let mut map = BTreeMap::new();
    for row in select(page, "#matrix tr[data-clause]") {
        let clause = row.value().attr("data-clause").unwrap().to_string();
        for cell in row.select(&Selector::parse("td.cell").unwrap()) {
            let runtime = cell.value().attr("data-runtime").unwrap().to_string();
            map.insert((clause.clone(), runtime), text(&cell));
        }
    }
    map
}

/// The counts a cell must show for a row of a run's per-clause table (`clauses`).
fn counts_of(row: &Value) -> String {
    let mut parts = Vec::new();
    for word in ["fail", "pass", "xfail", "unsupported"] {
        let n = row[word].as_u64().unwrap();
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(" · ")
}

/// Checks that every cell of `runtime`'s column shows the counts of the per-clause table
/// its own run wrote, and that no row is missing.
fn every_cell_counts_as_the_run(page: &Html, runtime: &str, report: &Value) {
    let cells = cells(page);
    for (clause, row) in report["clauses"].as_object().unwrap() {
        let cell = cells
            .get(&(clause.clone(), runtime.to_string()))
            .unwrap_or_else(|| panic!("no cell for {clause} × {runtime}"));
        let counts = counts_of(row);
        if !counts.is_empty() {
            assert!(
                cell.contains(&counts),
                "{clause} × {runtime}: `{cell}` should count `{counts}`"
            );
        }
    }
}

#[test]
fn the_matrix_puts_a_defect_where_its_first_cause_is_and_its_reproduce_line_fails_the_same_way() {
    let dir = scratch("matrix-defect");
    let filter = ["--abi", "core", "--filter", "LC-STOP"];
    // The reference in two shards, to be merged back into one column.
    let (whole, _) = json_run(&filter);
    let (shard1, _) = save_run(
        &dir.join("ref-1.json"),
        &[&filter[..], &["--shard", "1/2"]].concat(),
    );
    let (shard2, _) = save_run(
        &dir.join("ref-2.json"),
        &[&filter[..], &["--shard", "2/2"]].concat(),
    );
    assert!(shard1["total"].as_u64().unwrap() > 0 && shard2["total"].as_u64().unwrap() > 0);
    let faulty_runtime = "faulty:cleanup-on-leftover-fuel";
    let (faulty, code) = save_run(
        &dir.join("faulty.json"),
        &[&filter[..], &["--runtime", faulty_runtime]].concat(),
    );
    assert_eq!(code, Some(1), "the mutant fails the run");
    let page = report_html(
        &dir.join("matrix.html"),
        &[
            &dir.join("ref-1.json"),
            &dir.join("faulty.json"),
            &dir.join("ref-2.json"),
        ],
    );

    // Two columns: the shards are one run again, with the whole run's counts.
    let runtimes: Vec<String> = select(&page, "#runtimes tbody tr")
        .iter()
        .map(|r| r.value().attr("data-runtime").unwrap().to_string())
        .collect();
    let reference = whole["runtime"].as_str().unwrap();
    let faulty_name = faulty["runtime"].as_str().unwrap();
    assert_eq!(runtimes, [reference, faulty_name]);
    every_cell_counts_as_the_run(&page, reference, &whole);
    every_cell_counts_as_the_run(&page, faulty_name, &faulty);
    let reference_row = text(&select(&page, "#runtimes tbody tr")[0]);
    assert!(
        reference_row.contains("PASS") && reference_row.contains("shards 1/2, 2/2"),
        "{reference_row}"
    );

    // The failing cells are exactly the rows of the failures' first causes, in the
    // mutant's column, and each opens to its cases.
    let mut first_causes: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for case in faulty["cases"].as_array().unwrap() {
        if case["outcome"] == "fail" {
            let clause = case["first_cause"]["clause"].as_str().unwrap().to_string();
            first_causes.entry(clause).or_default().push(case);
        }
    }
    assert!(!first_causes.is_empty());
    let failing = select(&page, "td.cell.fail");
    let failing_rows: Vec<String> = failing
        .iter()
        .map(|cell| {
            assert_eq!(cell.value().attr("data-runtime"), Some(faulty_name));
            let row = ElementRef::wrap(cell.parent().unwrap()).unwrap();
            row.value().attr("data-clause").unwrap().to_string()
        })
        .collect();
    assert_eq!(
        failing_rows,
        first_causes.keys().cloned().collect::<Vec<_>>()
    );
    for cell in &failing {
        let row = ElementRef::wrap(cell.parent().unwrap()).unwrap();
        let clause = row.value().attr("data-clause").unwrap();
        let shown: Vec<&str> = cell
            .select(&Selector::parse("details.case").unwrap())
            .map(|a| a.value().attr("data-case").unwrap())
            .collect();
        let expected: Vec<&str> = first_causes[clause]
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(shown, expected, "the cases of {clause}'s failing cell");
    }

    // A failing case shows its first cause, both sides, and its reproduce line, which
    // fails on the mutant and passes on the reference.
    let article = failing[0]
        .select(&Selector::parse("details.case").unwrap())
        .next()
        .unwrap();
    let id = article.value().attr("data-case").unwrap();
    let case = &first_causes
        .values()
        .flatten()
        .find(|c| c["id"] == id)
        .unwrap();
    let article_text = text(&article);
    assert!(article_text.contains(case["first_cause"]["text"].as_str().unwrap()));
    assert!(article_text.contains("Expected") && article_text.contains("Actual"));
    let repro = text(
        &article
            .select(&Selector::parse("code.repro-line").unwrap())
            .next()
            .unwrap(),
    );
    assert_eq!(repro, case["repro"].as_str().unwrap());
    let copy = article
        .select(&Selector::parse("button.copy").unwrap())
        .next()
        .unwrap();
    assert_eq!(copy.value().attr("data-text"), Some(repro.as_str()));
    let words: Vec<&str> = repro.split_whitespace().collect();
    assert_eq!(words[..2], ["lifecycle-kit", "run"], "{repro}");
    assert!(repro.contains(faulty_runtime), "{repro}");
    let again = command(&words[1..]).output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "{repro} fails on the mutant: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let on_reference = repro.replace(faulty_runtime, "reference");
    let words: Vec<&str> = on_reference.split_whitespace().collect();
    assert_eq!(
        command(&words[1..]).output().unwrap().status.code(),
        Some(0),
        "{on_reference}"
    );

    // Clause texts are SPEC.md's; the page needs nothing from elsewhere.
    let stop3 = select(&page, "tr[data-clause=\"LC-STOP-3\"] th details p");
    assert!(text(&stop3[0]).len() > 40);
    // Their Markdown rendered: `cleanup_trapped` is code, not a word between backticks.
    assert!(!text(&stop3[0]).contains('`'), "{}", text(&stop3[0]));
    let codes = select(&page, "tr[data-clause=\"LC-STOP-3\"] th details p code");
    assert!(codes.iter().any(|c| text(c) == "cleanup_trapped"));
    let html = std::fs::read_to_string(dir.join("matrix.html")).unwrap();
    for outside in ["http://", "https://", "src=", "@import", "url("] {
        assert!(
            !html.contains(outside),
            "the page refers outside itself: `{outside}`"
        );
    }
}

#[test]
fn run_html_writes_the_same_matrix_for_one_run() {
    let dir = scratch("run-html");
    let out = dir.join("run.html");
    let run = kit(&[
        "run",
        "--abi",
        "core",
        "--filter",
        "LC-HEALTH",
        "--html",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["meta"]["format"], "lifecycle-kit-report/1");
    assert_eq!(report["meta"]["spec_version"], "1");
    assert_eq!(report["meta"]["protocol"], "lifecycle-adapter/2");
    assert_eq!(report["meta"]["filter"], "LC-HEALTH");
    let page = Html::parse_document(&std::fs::read_to_string(&out).unwrap());
    every_cell_counts_as_the_run(&page, report["runtime"].as_str().unwrap(), &report);
    assert!(select(&page, "td.cell.fail").is_empty());
    // Read back by `report --html`, the run's own JSON gives the same cells.
    std::fs::write(dir.join("r.json"), &run.stdout).unwrap();
    let again = report_html(&dir.join("again.html"), &[&dir.join("r.json")]);
    assert_eq!(cells(&page), cells(&again));
}

#[test]
fn only_the_shards_of_one_split_merge_and_a_missing_shard_is_seen() {
    let dir = scratch("merge-rules");
    let health = ["--abi", "core", "--filter", "LC-HEALTH"];
    let (whole, _) = save_run(&dir.join("whole.json"), &health);
    save_run(
        &dir.join("s1.json"),
        &[&health[..], &["--shard", "1/3"]].concat(),
    );
    save_run(
        &dir.join("s3.json"),
        &[&health[..], &["--shard", "3/3"]].concat(),
    );
    // Shard 2 of another split (another filter): not one of them.
    let stop = ["--abi", "core", "--filter", "LC-STOP-2", "--shard", "2/3"];
    save_run(&dir.join("other-2.json"), &stop);
    let page = report_html(
        &dir.join("m.html"),
        &[
            &dir.join("whole.json"),
            &dir.join("s1.json"),
            &dir.join("other-2.json"),
            &dir.join("s3.json"),
        ],
    );
    let rows = select(&page, "#runtimes tbody tr");
    let texts: Vec<String> = rows.iter().map(text).collect();
    // Three columns of one runtime, told apart by their files: the whole run, shards 1
    // and 3 of its split (2 missing), and shard 2 of the other split (1 and 3 missing).
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert!(
        texts[0].contains("(whole.json)") && texts[0].contains("PASS"),
        "{}",
        texts[0]
    );
    assert!(texts[1].contains("(s1.json, s3.json)"), "{}", texts[1]);
    assert!(
        texts[1].contains("INCOMPLETE: shard 2/3 missing"),
        "{}",
        texts[1]
    );
    assert!(
        texts[2].contains("(other-2.json)") && texts[2].contains("shard 1/3, 3/3 missing"),
        "{}",
        texts[2]
    );
    assert!(texts[2].contains("--filter LC-STOP-2"), "{}", texts[2]);
    // The whole run's column counts as the run did.
    let name = whole["runtime"].as_str().unwrap();
    let header: Vec<String> = select(&page, "#matrix thead th").iter().map(text).collect();
    assert!(
        header[1].contains(name) && header[1].contains("whole.json"),
        "{header:?}"
    );
    assert!(header[2].contains("missing shard 2/3"), "{header:?}");
    // `report` says so on stdout too.
    let out = kit(&[
        "report",
        "--html",
        dir.join("again.html").to_str().unwrap(),
        dir.join("s1.json").to_str().unwrap(),
        dir.join("s3.json").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("INCOMPLETE: 1 missing"), "{stdout}");
}

/// Headless Chromium, as the project's CI installs it (`.ci/run`).
fn chromium() -> &'static str {
    let found = std::process::Command::new("chromium")
        .arg("--version")
        .output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "the browser test needs `chromium` on PATH (.ci/run installs Debian's: apt-get install -y chromium)"
    );
    "chromium"
}

fn headless(page: &Path, width: u32, height: u32, extra: &[&str]) -> std::process::Output {
    let url = format!("file://{}", page.display());
    let size = format!("--window-size={width},{height}");
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        &size,
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    let out = std::process::Command::new(chromium())
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The screenshot's pixels: (width, height, RGB(A) rows).
fn decode(png_path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

#[test]
#[ignore = "slow tier: three whole runs (the Python adapter's through `trace`) and Chromium"]
fn a_browser_shows_three_runtimes_with_the_injected_defect_where_it_is() {
    let dir = scratch("browser");
    let (reference, _) = save_run(&dir.join("reference.json"), &[]);
    let (wasmi, _) = save_run(&dir.join("wasmi.json"), &["--runtime", "wasmi"]);
    let adapter = format!("python3 tests/adapters/warnings_dropped.py {KIT}");
    let (python, code) = save_run(
        &dir.join("python.json"),
        &[
            "--adapter",
            &adapter,
            "--expectations",
            "conformance/adapters/python/expectations.toml",
        ],
    );
    assert_eq!(code, Some(1), "the injected defect fails the adapter's run");
    let page_path = dir.join("matrix.html");
    let runs = [
        dir.join("reference.json"),
        dir.join("wasmi.json"),
        dir.join("python.json"),
    ];
    report_html(
        &page_path,
        &runs.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
    );

    // The DOM after the page's script ran.
    let dom = headless(
        &page_path,
        1280,
        900,
        &["--dump-dom", "--virtual-time-budget=2000"],
    );
    let dom = Html::parse_document(&String::from_utf8_lossy(&dom.stdout));
    let python_name = python["runtime"].as_str().unwrap();
    for (name, report) in [
        (reference["runtime"].as_str().unwrap(), &reference),
        (wasmi["runtime"].as_str().unwrap(), &wasmi),
        (python_name, &python),
    ] {
        every_cell_counts_as_the_run(&dom, name, report);
    }
    // The defect (warnings of stop dropped) fails LC-STOP-3, in the adapter's column only.
    let failing = select(&dom, "td.cell.fail");
    assert!(!failing.is_empty());
    for cell in &failing {
        assert_eq!(cell.value().attr("data-runtime"), Some(python_name));
        let row = ElementRef::wrap(cell.parent().unwrap()).unwrap();
        assert!(
            row.value()
                .attr("data-clause")
                .unwrap()
                .starts_with("LC-STOP-3"),
            "{}",
            text(&row)
        );
    }
    // The script ran: the copy buttons are shown, and each carries its line.
    let buttons = select(&dom, "td.cell.fail button.copy");
    assert!(!buttons.is_empty());
    for b in &buttons {
        assert!(
            b.value().attr("hidden").is_none(),
            "the script shows the copy buttons"
        );
    }
    let repro = buttons[0].value().attr("data-text").unwrap().to_string();
    let words: Vec<&str> = repro.split_whitespace().collect();
    // The adapter's command is quoted in the line: run it through a shell.
    let line = format!("{KIT} {}", words[1..].join(" "));
    let again = std::process::Command::new("sh")
        .args(["-c", &line])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "{repro}: {}",
        String::from_utf8_lossy(&again.stdout)
    );

    // Layout sanity at a desktop width and a phone's: the page is drawn, the verdict
    // colours are where cells are, and at 400 px nothing but the tables' own scrolling
    // boxes is wider than the screen.
    for (width, name) in [(1280, "matrix-desktop.png"), (400, "matrix-phone.png")] {
        let shot = dir.join(name);
        headless(
            &page_path,
            width,
            1600,
            &[&format!("--screenshot={}", shot.display())],
        );
        let (w, h, pixels) = decode(&shot);
        assert_eq!((w, h), (width, 1600));
        let has = |rgb: [u8; 3]| pixels.contains(&rgb);
        assert!(has([0xda, 0xfb, 0xe1]), "{name}: a passing cell is drawn");
        let distinct: std::collections::BTreeSet<[u8; 3]> = pixels.iter().copied().collect();
        assert!(
            distinct.len() > 50,
            "{name}: {} colours: a blank page?",
            distinct.len()
        );
    }
    // A link to the failing clause's row opens its cell and its first case: the
    // picture in the README (docs/images/matrix.png) is this screenshot, cut around the
    // first failing cell. (Headless Chromium draws a scrolled page blank: the window is
    // as tall as the page instead.)
    let anchor = format!("{}#LC-STOP-3", page_path.display());
    let tall = dir.join("matrix-tall.png");
    headless(
        Path::new(&anchor),
        1280,
        12000,
        &[
            &format!("--screenshot={}", tall.display()),
            "--virtual-time-budget=2000",
        ],
    );
    let (w, h, pixels) = decode(&tall);
    let fail_row = pixels
        .iter()
        .position(|p| *p == [0xff, 0xeb, 0xe9])
        .map(|i| i as u32 / w)
        .expect("the linked failing cell is drawn");
    let top = fail_row.saturating_sub(260);
    let height = 900.min(h - top);
    let cut: Vec<u8> = pixels[(top * w) as usize..((top + height) * w) as usize]
        .iter()
        .flatten()
        .copied()
        .collect();
    let mut encoder = png::Encoder::new(
        std::fs::File::create(dir.join("matrix-defect.png")).unwrap(),
        w,
        height,
    );
    encoder.set_color(png::ColorType::Rgb);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&cut)
        .unwrap();
    let phone = headless(
        &page_path,
        400,
        900,
        &["--dump-dom", "--virtual-time-budget=2000"],
    );
    let phone = Html::parse_document(&String::from_utf8_lossy(&phone.stdout));
    let root = select(&phone, "html")[0];
    let scroll_width: u32 = root
        .value()
        .attr("data-scroll-width")
        .unwrap()
        .parse()
        .unwrap();
    let viewport: u32 = root
        .value()
        .attr("data-viewport-width")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        scroll_width <= viewport,
        "at {viewport} px the page is {scroll_width} px wide"
    );
}
