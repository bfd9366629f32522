//! The report as one JSON object (`run --format json`): the [`Document`] of the run, its
//! fields declared once in `document.rs`, so that what is written is what `report --html`
//! reads back.

use super::RunReport;
use super::document::Document;
use serde_json::Value;

/// See [`RunReport::json`].
pub(super) fn render(report: &RunReport) -> Value {
    // To a `Value` first: its keys are sorted, as the format has always printed them.
    serde_json::to_value(Document::of(report)).expect("a document is plain data")
}
