//! Operations by CSV upload: many lines at once, each assessed and recorded like a form entry; a
//! malformed line is refused with its line number and nothing of the file is written.
//!
//! Routes: the page `GET /orgs/{org}/operations/batch` (the format and the upload form),
//! `POST /orgs/{org}/operations/batch` (a `multipart/form-data` upload, field `file`) and the API
//! `POST /api/v1/operations/batch` (bearer token, body `text/csv`, 201 with the created operations
//! or a 422 problem document whose `errors[].path` reads `line N, column X`).
//!
//! # The format
//!
//! UTF-8 text (a byte-order mark is accepted), comma-separated (a semicolon-separated file, as a
//! French spreadsheet writes it, is recognised from its header row), fields quoted with `"` when
//! they hold the separator, a quote or a line break. The first line is the header naming the
//! columns (any order, case-insensitive); each further line is one operation:
//!
//! | column | | the OPERATION field it fills |
//! |---|---|---|
//! | `reference` | optional | `reference` |
//! | `type` | required | `type` (`export`, `temporary_export`, `re_export`, …) |
//! | `date` | optional | `date` (`YYYY-MM-DD`; today when empty) |
//! | `destination` | required | `destination` (ISO alpha-2) |
//! | `exporter_name` | required | `exporter.name` |
//! | `exporter_country` | required | `exporter.country` |
//! | `item` | required | the item record (its name or id): `items[0]` with the entries and Art. 2(20) reading of its classification |
//! | `item_version` | optional | which classification record (its version label); the latest when empty |
//! | `quantity` | optional | `items[0].quantity.amount` (whole number) |
//! | `unit` | with `quantity` | `items[0].quantity.unit` (`pieces`, `seats`, …) |
//! | `value_eur` | optional | `items[0].value_eur` (`1234.50`; a decimal comma is accepted) |
//! | `parties` | optional | party records (names or ids) separated by `;` |
//! | `end_use` | required | `end_use` |
//! | `end_user_type` | optional | `end_user_type` |
//!
//! Items and parties are looked up among the organisation's own records only (id first, then
//! name, ignoring case); a name two records share must be given by id.
//!
//! # Processing
//!
//! The whole file is read (at most [`MAX_CSV_BYTES`]; larger: 413), every line built and checked
//! (assessed and screened, nothing written) with [`crate::records::prepare_operation`]; if any
//! line is malformed or refused, every error is answered with its line and column (422) and
//! nothing is written. Otherwise all lines are stored in one transaction
//! ([`vigil_store::Store::create_operations`]), each with its assessment and audit row.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;
use std::pin::Pin;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;
use vigil_domain::access::Action;
use vigil_store::Store;
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::records::{ClassificationRecord, Item, OperationRecord, Party, RecordError};

use crate::AppState;
use crate::accounts::{ApiCaller, PageQuery};
use crate::multipart;
use crate::problem::{FieldProblem, Problem};
use crate::records::{
    OperationSummary, OperationView, PreparedOperation, RecordOperationError, prepare_operation,
};
use crate::ui::Chrome;
use crate::web::{Member, internal, org_chrome, page, require, run};

/// The largest CSV file accepted (2 MiB: some ten thousand lines).
pub const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;

/// The largest request accepted: the file plus its multipart envelope. Larger bodies are read
/// and discarded up to [`DRAIN_BYTES`] so that the client reads the clear 413 answer.
const MAX_REQUEST_BYTES: usize = MAX_CSV_BYTES + 64 * 1024;

/// Bodies larger than this are cut off by the layer (a plain 413, without reading them).
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// The most operations one file may hold.
pub const MAX_LINES: usize = 5_000;

/// The columns of the format: (name, required).
pub const COLUMNS: [(&str, bool); 14] = [
    ("reference", false),
    ("type", true),
    ("date", false),
    ("destination", true),
    ("exporter_name", true),
    ("exporter_country", true),
    ("item", true),
    ("item_version", false),
    ("quantity", false),
    ("unit", false),
    ("value_eur", false),
    ("parties", false),
    ("end_use", true),
    ("end_user_type", false),
];

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/orgs/{org}/operations/batch",
            get(batch_page).post(batch_upload),
        )
        .route("/api/v1/operations/batch", post(api_batch))
        .layer(RequestBodyLimitLayer::new(DRAIN_BYTES))
}

// ---------------------------------------------------------------------------------------------
// The file.

/// One problem of a file: its line (1 is the header), its column when one is at fault, and what
/// is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// Line of the file (1-based; the header is line 1).
    pub line: u64,
    /// The column at fault, if one is.
    pub column: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl LineError {
    fn new(line: u64, column: Option<&str>, message: impl Into<String>) -> LineError {
        LineError {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    /// `line N, column X` (or `line N`; `file` for a refusal of the whole file, line 0).
    #[must_use]
    pub fn place(&self) -> String {
        match (&self.column, self.line) {
            (_, 0) => "file".to_owned(),
            (Some(c), n) => format!("line {n}, column {c}"),
            (None, n) => format!("line {n}"),
        }
    }
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place(), self.message)
    }
}

/// One line of the file: its line number and its cells by column name (empty cells left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLine {
    /// Line of the file where the record starts.
    pub line: u64,
    /// Trimmed, non-empty cells by column.
    pub cells: BTreeMap<&'static str, String>,
}

impl CsvLine {
    fn get(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(String::as_str)
    }
}

/// Reads a CSV file of operations: its lines, or every error (line and column) found.
///
/// # Errors
/// Text that is not UTF-8, no header, an unknown, repeated or missing column, a line with a
/// wrong number of fields, an empty required cell, too many lines.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<CsvLine>, Vec<LineError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let line = 1 + before.iter().filter(|b| **b == b'\n').count() as u64;
            return Err(vec![LineError::new(
                line,
                None,
                "the file is not UTF-8 text (save it as \"CSV UTF-8\")",
            )]);
        }
    };
    if text.trim().is_empty() {
        return Err(vec![LineError::new(
            1,
            None,
            "the file is empty: a header row naming the columns is needed",
        )]);
    }
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut lines_at = LinesAt {
        text: text.as_bytes(),
        byte: 0,
        line: 1,
    };
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(vec![csv_error(&e, &mut lines_at)]),
        None => {
            return Err(vec![LineError::new(1, None, "no header row")]);
        }
    };
    let mut errors = Vec::new();
    let mut columns: Vec<&'static str> = Vec::new();
    for cell in &header {
        let name = cell.to_ascii_lowercase();
        match COLUMNS.iter().find(|(c, _)| *c == name) {
            Some((c, _)) if columns.contains(c) => {
                errors.push(LineError::new(1, Some(c), "this column is named twice"));
            }
            Some((c, _)) => columns.push(c),
            None => {
                errors.push(LineError::new(
                    1,
                    Some(cell),
                    format!(
                        "unknown column; the columns are {}",
                        COLUMNS.map(|(c, _)| c).join(", ")
                    ),
                ));
                columns.push("");
            }
        }
    }
    for (c, required) in COLUMNS {
        if required && !columns.contains(&c) {
            errors.push(LineError::new(
                1,
                Some(c),
                "this required column is missing from the header",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut lines = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(csv_error(&e, &mut lines_at));
                continue;
            }
        };
        let line = lines_at.record_line(record.position().map_or(0, csv::Position::byte));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if lines.len() + errors.len() >= MAX_LINES {
            errors.push(LineError::new(
                line,
                None,
                format!("too many lines: at most {MAX_LINES} operations a file; split it"),
            ));
            break;
        }
        if record.len() != columns.len() {
            errors.push(LineError::new(
                line,
                None,
                format!(
                    "{} fields, but the header names {} columns (a field holding a comma must be quoted)",
                    record.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let mut cells = BTreeMap::new();
        for (c, v) in columns.iter().zip(record.iter()) {
            if !v.is_empty() {
                cells.insert(*c, v.to_owned());
            }
        }
        let mut ok = true;
        for (c, required) in COLUMNS {
            if required && !cells.contains_key(c) {
                errors.push(LineError::new(line, Some(c), "empty; a value is required"));
                ok = false;
            }
        }
        if ok {
            lines.push(CsvLine { line, cells });
        }
    }
    if errors.is_empty() && lines.is_empty() {
        errors.push(LineError::new(
            2,
            None,
            "no operation: the file has a header but no line",
        ));
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// Line numbers of byte offsets of a text, read forwards (the csv crate's own line count skips
/// blank lines, which a person counts).
struct LinesAt<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl LinesAt<'_> {
    /// The line where the record read from `byte` starts: past the blank lines the reader
    /// skipped before it.
    fn record_line(&mut self, byte: u64) -> u64 {
        let start = usize::try_from(byte).unwrap_or(usize::MAX);
        let skipped = self
            .text
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        self.line((start + skipped) as u64)
    }

    /// The line of `byte` (1-based), for offsets that do not go backwards.
    fn line(&mut self, byte: u64) -> u64 {
        let to = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if to > self.byte {
            let seen = self.text.get(self.byte..to).unwrap_or_default();
            self.line += seen.iter().filter(|b| **b == b'\n').count() as u64;
            self.byte = to;
        }
        self.line
    }
}

fn csv_error(e: &csv::Error, lines_at: &mut LinesAt<'_>) -> LineError {
    let line = e.position().map_or(1, |p| lines_at.line(p.byte()));
    LineError::new(line, None, format!("not readable as CSV: {e}"))
}

// ---------------------------------------------------------------------------------------------
// From a line to an OPERATION.

/// The organisation's records the lines name, loaded once.
struct Directory {
    items: Vec<Item>,
    parties: Vec<Party>,
    classifications: BTreeMap<String, Vec<ClassificationRecord>>,
}

/// The record whose id is `key`, else the only one named `key` (ignoring case).
fn find<'a, T>(
    records: &'a [T],
    key: &str,
    id: impl Fn(&T) -> &str,
    name: impl Fn(&T) -> &str,
) -> Result<&'a T, usize> {
    if let Some(r) = records.iter().find(|r| id(r) == key) {
        return Ok(r);
    }
    let wanted = key.to_lowercase();
    let mut named = records.iter().filter(|r| name(r).to_lowercase() == wanted);
    match (named.next(), named.next()) {
        (Some(r), None) => Ok(r),
        (None, _) => Err(0),
        (Some(_), Some(_)) => Err(2 + named.count()),
    }
}

/// An OPERATION built from a line: its JSON text and the party records it names.
type Built = (String, Vec<String>);

/// Builds the OPERATION of `line` as the form does
/// ([`crate::records`]' `build_operation`): the item's classification gives its entries and
/// Art. 2(20) reading, the party records their role, name and country.
fn build_line(dir: &Directory, line: &CsvLine) -> Result<Built, Vec<LineError>> {
    let n = line.line;
    let mut errors = Vec::new();
    let cell = |c: &str| line.get(c).unwrap_or_default();
    let mut item_json = Value::Null;
    match find(&dir.items, cell("item"), |i| &i.id, |i| &i.name) {
        Ok(item) => {
            let recs = dir
                .classifications
                .get(&item.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let rec = match line.get("item_version") {
                Some(v) => recs
                    .iter()
                    .find(|r| r.version_label.to_lowercase() == v.to_lowercase())
                    .ok_or_else(|| {
                        let known: Vec<&str> =
                            recs.iter().map(|r| r.version_label.as_str()).collect();
                        LineError::new(
                            n,
                            Some("item_version"),
                            if known.is_empty() {
                                format!("`{v}`: the item has no classification record yet")
                            } else {
                                format!(
                                    "`{v}`: the item has no classification record of this version (it has {})",
                                    known.join(", ")
                                )
                            },
                        )
                    }),
                None => recs.first().ok_or_else(|| {
                    LineError::new(
                        n,
                        Some("item"),
                        format!(
                            "`{}` has no classification record yet: classify it on its page first",
                            item.name
                        ),
                    )
                }),
            };
            match rec.and_then(|r| {
                r.entries()
                    .map(|e| (r, e))
                    .map_err(|e| LineError::new(n, Some("item"), e.to_string()))
            }) {
                Ok((rec, entries)) => {
                    item_json = json!({
                        "id": item.name,
                        "description": item.description,
                        "kind": item.kind,
                        "entries": entries,
                        "cyber_surveillance": rec.cyber_surveillance == "yes",
                    });
                }
                Err(e) => errors.push(e),
            }
        }
        Err(0) => errors.push(LineError::new(
            n,
            Some("item"),
            format!(
                "`{}`: no item of this organisation has this name or id",
                cell("item")
            ),
        )),
        Err(k) => errors.push(LineError::new(
            n,
            Some("item"),
            format!(
                "`{}`: {k} items have this name; give the item's id",
                cell("item")
            ),
        )),
    }
    match (line.get("quantity"), line.get("unit")) {
        (Some(q), Some(u)) => match q.parse::<u64>() {
            Ok(amount) => {
                item_json["quantity"] = json!({"amount": amount, "unit": u.to_lowercase()});
            }
            Err(_) => errors.push(LineError::new(
                n,
                Some("quantity"),
                format!("`{q}` is not a whole number (e.g. 12)"),
            )),
        },
        (Some(_), None) => errors.push(LineError::new(
            n,
            Some("unit"),
            "the unit of the quantity is needed: pieces, seats, installations, downloads, customers or hours",
        )),
        (None, Some(_)) => errors.push(LineError::new(
            n,
            Some("quantity"),
            "a unit without a quantity: give the quantity too",
        )),
        (None, None) => {}
    }
    if let Some(v) = line.get("value_eur") {
        let normalised = if v.contains('.') {
            v.to_owned()
        } else {
            v.replacen(',', ".", 1)
        };
        match normalised
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .and_then(serde_json::Number::from_f64)
        {
            Some(x) => item_json["value_eur"] = Value::Number(x),
            None => errors.push(LineError::new(
                n,
                Some("value_eur"),
                format!("`{v}` is not an amount in euros (e.g. 1234.50)"),
            )),
        }
    }
    let mut parties = Vec::new();
    let mut party_ids = Vec::new();
    for key in line
        .get("parties")
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match find(&dir.parties, key, |p| &p.id, |p| &p.name) {
            Ok(p) => {
                parties.push(json!({"role": p.role, "name": p.name, "country": p.country}));
                party_ids.push(p.id.clone());
            }
            Err(0) => errors.push(LineError::new(
                n,
                Some("parties"),
                format!("`{key}`: no party of this organisation has this name or id"),
            )),
            Err(k) => errors.push(LineError::new(
                n,
                Some("parties"),
                format!("`{key}`: {k} parties have this name; give the party's id"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut op = json!({
        "type": cell("type").to_lowercase(),
        "exporter": {"name": cell("exporter_name"), "country": cell("exporter_country").to_ascii_uppercase()},
        "destination": cell("destination").to_ascii_uppercase(),
        "items": [item_json],
        "parties": parties,
        "end_use": cell("end_use"),
    });
    for (column, field) in [("reference", "reference"), ("date", "date")] {
        if let Some(v) = line.get(column) {
            op[field] = json!(v);
        }
    }
    if let Some(v) = line.get("end_user_type") {
        op["end_user_type"] = json!(v.to_lowercase());
    }
    Ok((op.to_string(), party_ids))
}

/// The column a contract path (of an OPERATION built from a line) comes from.
fn column_of(path: &str) -> Option<&'static str> {
    let head = path.split(['.', '[']).next().unwrap_or_default();
    Some(match head {
        "reference" => "reference",
        "type" => "type",
        "date" => "date",
        "destination" => "destination",
        "exporter" if path.ends_with("country") => "exporter_country",
        "exporter" => "exporter_name",
        "items" if path.contains("quantity") && path.ends_with("unit") => "unit",
        "items" if path.contains("quantity") => "quantity",
        "items" if path.contains("value_eur") => "value_eur",
        "items" => "item",
        "parties" => "parties",
        "end_use" => "end_use",
        "end_user_type" => "end_user_type",
        _ => return None,
    })
}

/// The errors of a line whose OPERATION the contract or the store refused.
fn refusal(line: u64, e: &RecordOperationError) -> Vec<LineError> {
    match e {
        RecordOperationError::Input(e) => e
            .errors
            .iter()
            .map(|f| {
                let column = column_of(&f.path);
                let message = if column == Some(f.path.as_str()) || f.path.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.path, f.message)
                };
                LineError::new(line, column, message)
            })
            .collect(),
        RecordOperationError::Record(RecordError::Invalid { field, reason }) => {
            vec![LineError::new(line, column_of(field), reason.clone())]
        }
        RecordOperationError::Record(other) => vec![LineError::new(line, None, other.to_string())],
    }
}

/// What came of a file.
enum Outcome {
    /// Every line was recorded: the operations with their assessments, in file order.
    Created(Vec<(u64, OperationRecord, PreparedOperation)>),
    /// Nothing was written: every error.
    Refused(Vec<LineError>),
}

/// Reads, builds, checks and (when every line is good) records the operations of a file.
async fn process(state: &AppState, scope: &OrgScope, bytes: Vec<u8>) -> Result<Outcome, Response> {
    let lines = match parse_csv(&bytes) {
        Ok(l) => l,
        Err(errors) => return Ok(Outcome::Refused(errors)),
    };
    let (s2, lines2) = (scope.clone(), lines.clone());
    let built = run(state, move |s: &Store| {
        let items = s.items(&s2)?;
        let parties = s.parties(&s2)?;
        let mut classifications = BTreeMap::new();
        for line in &lines2 {
            if let Some(key) = line.get("item")
                && let Ok(item) = find(&items, key, |i| &i.id, |i| &i.name)
                && !classifications.contains_key(&item.id)
            {
                classifications.insert(item.id.clone(), s.classifications(&s2, &item.id)?);
            }
        }
        let dir = Directory {
            items,
            parties,
            classifications,
        };
        Ok::<_, vigil_store::StoreError>(
            lines2
                .iter()
                .map(|l| build_line(&dir, l))
                .collect::<Vec<_>>(),
        )
    })
    .await?
    .map_err(|e| internal(&e))?;
    let mut errors = Vec::new();
    let mut prepared = Vec::new();
    for (line, built) in lines.iter().zip(built) {
        match built {
            Ok((text, party_ids)) => {
                match prepare_operation(state, scope, text, party_ids).await? {
                    Ok(p) => prepared.push(p),
                    Err(e) => errors.extend(refusal(line.line, &e)),
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Refused(errors));
    }
    let (s2, to_store) = (scope.clone(), prepared.clone());
    let stored = run(state, move |s| {
        let news: Vec<_> = to_store
            .iter()
            .map(PreparedOperation::new_operation)
            .collect();
        s.create_operations(&s2, &news)
    })
    .await?;
    match stored {
        Ok(ops) => Ok(Outcome::Created(
            lines
                .iter()
                .zip(ops)
                .zip(prepared)
                .map(|((l, op), p)| (l.line, op, p))
                .collect(),
        )),
        Err(RecordError::Line { index, source }) => {
            let line = lines.get(index).map_or(0, |l| l.line);
            Ok(Outcome::Refused(refusal(
                line,
                &RecordOperationError::Record(*source),
            )))
        }
        Err(RecordError::Refused(why)) => Ok(Outcome::Refused(vec![LineError::new(0, None, why)])),
        Err(e) => Err(internal(&e)),
    }
}

/// Why a body was not read.
enum BodyError {
    /// Larger than the limit.
    TooLarge,
    /// The connection failed while reading.
    Broken,
}

/// Reads a body of at most `limit` bytes. A larger one is read on and discarded (up to the
/// layer's limit), so that the client, still sending, reads the answer.
async fn read_body(body: Body, declared: Option<u64>, limit: usize) -> Result<Vec<u8>, BodyError> {
    let too_large = declared.is_some_and(|n| n > limit as u64);
    let mut body = body;
    let mut out = Vec::new();
    let mut over = too_large;
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(_)) if over => break,
            Some(Err(_)) => return Err(BodyError::Broken),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data()
                    && !over
                {
                    if out.len() + data.len() > limit {
                        over = true;
                        out = Vec::new();
                    } else {
                        out.extend_from_slice(&data);
                    }
                }
            }
        }
    }
    if over {
        Err(BodyError::TooLarge)
    } else {
        Ok(out)
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A created operation as the result page shows it.
pub struct CreatedRow {
    /// Its line in the file.
    pub line: u64,
    /// The record.
    pub op: OperationRecord,
}

/// A column of the format as the page documents it.
pub struct ColumnDoc {
    /// Name.
    pub name: &'static str,
    /// Required.
    pub required: bool,
}

#[derive(Template)]
#[template(path = "operations_batch.html")]
struct BatchPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    can_enter: bool,
    columns: Vec<ColumnDoc>,
    max_kib: usize,
    max_lines: usize,
    example: &'static str,
    /// The file's name, after an upload.
    file_name: String,
    errors: Vec<LineError>,
    /// A refusal of the whole upload (not a line's): too large, not a file.
    refused: Option<String>,
    created: Vec<CreatedRow>,
}

/// The example file of the README, shown on the page.
const EXAMPLE: &str = include_str!("../../../examples/operations/batch.csv");

impl BatchPage<'_> {
    fn col_help(&self, name: &str) -> String {
        self.c
            .t
            .get(&format!("ocsv-col-{}", name.replace('_', "-")))
    }
}

fn batch_view<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    member: &Member,
) -> BatchPage<'a> {
    BatchPage {
        c: org_chrome(
            state,
            headers,
            q,
            &member.me,
            member.scope.org_id(),
            "operations/batch",
        ),
        org: member.scope.org().clone(),
        can_enter: member.scope.role().allows(Action::Enter),
        columns: COLUMNS
            .iter()
            .map(|(name, required)| ColumnDoc {
                name,
                required: *required,
            })
            .collect(),
        max_kib: MAX_CSV_BYTES / 1024,
        max_lines: MAX_LINES,
        example: EXAMPLE,
        file_name: String::new(),
        errors: Vec::new(),
        refused: None,
        created: Vec::new(),
    }
}

/// `GET /orgs/{org}/operations/batch`: the format and the upload form.
pub async fn batch_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    member: Member,
) -> Response {
    page(StatusCode::OK, &batch_view(&state, &headers, &q, &member))
}

/// `POST /orgs/{org}/operations/batch`: records the operations of the uploaded file (field
/// `file`), all or none.
pub async fn batch_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    member: Member,
    body: Body,
) -> Response {
    if let Err(r) = require(&state, &headers, &member.scope, Action::Enter) {
        return r;
    }
    let mut view = batch_view(&state, &headers, &q, &member);
    let bytes = match read_body(body, declared_length(&headers), MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            view.refused = Some(too_large_text(&view.c));
            return page(StatusCode::PAYLOAD_TOO_LARGE, &view);
        }
        Err(BodyError::Broken) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let parts = multipart::parse(&content_type(&headers), &bytes);
    let file = parts
        .as_deref()
        .ok()
        .and_then(|p| multipart::get(p, "file"))
        .filter(|f| !f.data.is_empty());
    let Some(file) = file else {
        view.refused = Some(view.c.t.get(if parts.is_err() {
            "ocsv-err-not-upload"
        } else {
            "ocsv-err-no-file"
        }));
        return page(StatusCode::UNPROCESSABLE_ENTITY, &view);
    };
    view.file_name = file.filename.clone().unwrap_or_default();
    if file.data.len() > MAX_CSV_BYTES {
        view.refused = Some(too_large_text(&view.c));
        return page(StatusCode::PAYLOAD_TOO_LARGE, &view);
    }
    match process(&state, &member.scope, file.data.clone()).await {
        Ok(Outcome::Created(ops)) => {
            view.created = ops
                .into_iter()
                .map(|(line, op, _)| CreatedRow { line, op })
                .collect();
            page(StatusCode::OK, &view)
        }
        Ok(Outcome::Refused(errors)) => {
            view.errors = errors;
            page(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(r) => r,
    }
}

fn too_large_text(c: &Chrome<'_>) -> String {
    format!(
        "{} ({} MiB)",
        c.t.get("ocsv-err-too-large"),
        MAX_CSV_BYTES / (1024 * 1024)
    )
}

// ---------------------------------------------------------------------------------------------
// The API.

/// The operations a CSV file created, in file order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchCreated {
    /// How many.
    pub count: usize,
    /// The operations with their assessments.
    pub operations: Vec<OperationView>,
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> Response {
    Problem::new(status, slug, title, detail).into_response()
}

/// Record many operations from a CSV file, all or none (operator or above). The body is the
/// CSV (`Content-Type: text/csv`, at most 2 MiB): a header row naming the columns `reference`,
/// `type`, `date`, `destination`, `exporter_name`, `exporter_country`, `item` (the item's name or
/// id), `item_version`, `quantity`, `unit`, `value_eur`, `parties` (names or ids separated by
/// `;`), `end_use`, `end_user_type`, then one operation a line. A bad line: 422 with every error
/// named `line N, column X` and nothing recorded.
#[utoipa::path(post, path = "/api/v1/operations/batch",
    request_body(content = String, content_type = "text/csv", description = "The CSV file"),
    responses((status = 201, body = BatchCreated),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_batch(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !caller.scope.role().allows(Action::Enter) {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "your role in this organisation does not allow changes (operator or above needed)",
        );
    }
    let ct = content_type(&headers);
    let media = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !matches!(media.as_str(), "text/csv" | "application/csv") {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            &format!(
                "the body must be a CSV file sent as `Content-Type: text/csv` (got `{}`)",
                if media.is_empty() {
                    "nothing"
                } else {
                    media.as_str()
                }
            ),
        );
    }
    let bytes = match read_body(body, declared_length(&headers), MAX_CSV_BYTES).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "File too large",
                &format!(
                    "the CSV file is larger than {} MiB: split it into several files",
                    MAX_CSV_BYTES / (1024 * 1024)
                ),
            );
        }
        Err(BodyError::Broken) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Bad request",
                "the body could not be read",
            );
        }
    };
    match process(&state, &caller.scope, bytes).await {
        Ok(Outcome::Created(ops)) => {
            let mut operations = Vec::with_capacity(ops.len());
            for (_, op, p) in ops {
                let operation = match serde_json::from_str(&op.input_json) {
                    Ok(v) => v,
                    Err(e) => return internal(&e),
                };
                operations.push(OperationView {
                    summary: OperationSummary::from(&op),
                    operation,
                    assessment: p.assessment,
                });
            }
            let mut res = (
                StatusCode::CREATED,
                Json(BatchCreated {
                    count: operations.len(),
                    operations,
                }),
            )
                .into_response();
            res.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_static("/api/v1/operations"),
            );
            res
        }
        Ok(Outcome::Refused(errors)) => {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-csv",
                "Invalid CSV file",
                format!(
                    "{} error(s); nothing was recorded. Each names its line (the header is line 1) and column.",
                    errors.len()
                ),
            );
            p.errors = errors
                .iter()
                .map(|e| FieldProblem {
                    path: e.place(),
                    detail: e.message.clone(),
                })
                .collect();
            p.into_response()
        }
        Err(r) => r,
    }
}

/// This area's part of the OpenAPI document (merged into [`crate::api::ApiDoc`]'s).
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_batch), components(schemas(BatchCreated)))]
pub struct OperationsCsvApi;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    const HEADER: &str = "reference,type,date,destination,exporter_name,exporter_country,item,item_version,quantity,unit,value_eur,parties,end_use,end_user_type";

    #[test]
    fn a_good_file_gives_its_lines_with_their_numbers() {
        let text = format!(
            "\u{feff}{HEADER}\nR1,export,2026-03-02,US,Cryptel SAS,FR,VPN,,40,pieces,\"1200,50\",\"A;B\",\"Networks, offices\",commercial\n\nR2,export,,US,Cryptel SAS,FR,VPN,,,,,,x,\n"
        );
        let lines = parse_csv(text.as_bytes()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[0].get("end_use"), Some("Networks, offices"));
        assert_eq!(lines[0].get("parties"), Some("A;B"));
        assert_eq!(lines[1].line, 4);
        assert_eq!(lines[1].get("date"), None);
    }

    #[test]
    fn a_semicolon_file_is_recognised() {
        let text = "TYPE;destination;exporter_name;exporter_country;item;end_use;value_eur\nexport;US;X;FR;VPN;use;\"12,5\"\n";
        let lines = parse_csv(text.as_bytes()).unwrap();
        assert_eq!(lines[0].get("value_eur"), Some("12,5"));
    }

    #[test]
    fn header_errors_name_the_column() {
        let e = parse_csv(b"type,destination,colour\nexport,US,red\n").unwrap_err();
        assert!(
            e.iter().any(|e| e.place() == "line 1, column colour"),
            "{e:?}"
        );
        assert!(
            e.iter().any(|e| e.place() == "line 1, column item"),
            "missing required column: {e:?}"
        );
        let e = parse_csv(b"").unwrap_err();
        assert_eq!(e[0].line, 1);
        let e = parse_csv(format!("{HEADER}\n").as_bytes()).unwrap_err();
        assert!(e[0].message.contains("no operation"), "{e:?}");
    }

    #[test]
    fn line_errors_name_their_line() {
        let text = format!(
            "{HEADER}\nR1,export,,US,X,FR,VPN,,,,,,use,\nR2,export,,US,X,FR,VPN,,,\nR3,,,US,X,FR,VPN,,,,,,use,\n"
        );
        let e = parse_csv(text.as_bytes()).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].line, 3);
        assert!(e[0].message.contains("10 fields"), "{e:?}");
        assert_eq!(e[1].place(), "line 4, column type");
    }

    #[test]
    fn text_that_is_not_utf8_names_its_line() {
        let mut bytes = format!("{HEADER}\nR1,export,,US,X,FR,VPN,,,,,,use,\nR2,").into_bytes();
        bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
        let e = parse_csv(&bytes).unwrap_err();
        assert_eq!(e[0].line, 3);
        assert!(e[0].message.contains("UTF-8"));
    }

    #[test]
    fn contract_paths_map_to_columns() {
        assert_eq!(column_of("exporter.country"), Some("exporter_country"));
        assert_eq!(column_of("items[0].quantity.unit"), Some("unit"));
        assert_eq!(column_of("items[0].quantity.amount"), Some("quantity"));
        assert_eq!(column_of("items[0].value_eur"), Some("value_eur"));
        assert_eq!(column_of("parties[1].country"), Some("parties"));
        assert_eq!(column_of("facts.exhibition"), None);
    }
}
