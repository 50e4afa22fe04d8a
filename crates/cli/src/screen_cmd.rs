//! `vigil screen`: parties against the imported lists, and the screening step of `vigil assess`.
//!
//! The in-memory index is rebuilt from the database at start (the newest good import of each
//! source). Every result names the lists and versions it was screened against.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use serde_json::json;
use vigil_domain::ScreeningHit;
use vigil_domain::assess::{Assessment, Operation};
use vigil_screening::score::ALERT_THRESHOLD;
use vigil_screening::{BirthDate, Explanation, Hit, Index, NameQuery};
use vigil_store::{ImportRecord, Store, StoreError};

use crate::Failure;
use crate::lists_cmd::{error_chain, store_failure};

/// The database used when `--db` is not given.
pub(crate) const DEFAULT_DB: &str = "sqlite://vigil.db";
const DEFAULT_DB_FILE: &str = "vigil.db";

/// Hits below this score are not shown (nor recorded by `assess`): far enough under the alert
/// threshold to be noise, close enough to show an officer the near misses.
pub(crate) const REVIEW_FLOOR: f64 = 0.70;

/// `vigil screen …`
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["name", "batch"]))]
pub(crate) struct ScreenArgs {
    /// The party's name, in any script.
    name: Option<String>,
    /// Date of birth: YYYY, YYYY-MM or YYYY-MM-DD.
    #[arg(long, value_name = "YYYY[-MM[-DD]]", conflicts_with = "batch")]
    dob: Option<String>,
    /// Country (ISO alpha-2 or name).
    #[arg(long, value_name = "XX", conflicts_with = "batch")]
    country: Option<String>,
    /// Most hits per party.
    #[arg(long, default_value_t = 10, value_name = "N")]
    limit: usize,
    /// Lowest score shown.
    #[arg(long, default_value_t = REVIEW_FLOOR, value_name = "S")]
    min_score: f64,
    /// Screen every row of a CSV file with columns name, dob, country (a header row is required;
    /// dob and country may be absent).
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
    /// With --batch: also write the results as CSV (one row per hit) to this file.
    #[arg(long, value_name = "FILE", requires = "batch")]
    out: Option<PathBuf>,
}

/// Opens the database named by `--db` (or the default), creating and migrating it.
pub(crate) fn open_store(db: Option<&str>) -> Result<Store, Failure> {
    Store::open(db.unwrap_or(DEFAULT_DB)).map_err(|e| match e {
        StoreError::BadUrl { .. } => Failure::Input(e.to_string()),
        other => Failure::Other(anyhow::anyhow!("{}", error_chain(&other))),
    })
}

/// RFC 3339 in UTC, to the second.
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The index over the served lists, with their import records.
pub(crate) struct Screening {
    index: Index,
    lists: Vec<ImportRecord>,
}

impl Screening {
    /// Loads every served list from the store and builds the index.
    pub(crate) fn load(store: &Store) -> Result<Screening, Failure> {
        let started = std::time::Instant::now();
        let served = store.load_served().map_err(|e| store_failure(store, &e))?;
        let loaded = started.elapsed();
        let lists: Vec<ImportRecord> = served.iter().map(|s| s.record.clone()).collect();
        let index = Index::build(served.into_iter().map(|s| s.list));
        tracing::info!(
            lists = lists.len(),
            entries = index.entries().len(),
            load_ms = loaded.as_millis(),
            total_ms = started.elapsed().as_millis(),
            "screening index built from the database"
        );
        Ok(Screening { index, lists })
    }

    fn lists_json(&self) -> Vec<serde_json::Value> {
        self.lists
            .iter()
            .map(|r| {
                json!({
                    "source": r.source.as_str(),
                    "version": r.version_label(),
                    "imported_at": rfc3339(r.imported_at),
                    "entries": r.entry_count,
                })
            })
            .collect()
    }

    /// "un 2026-02-27, ofac 2026-01-08"
    pub(crate) fn lists_line(&self) -> String {
        self.lists
            .iter()
            .map(|r| format!("{} {}", r.source, r.version_label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn version_of(&self, hit: &Hit) -> String {
        self.lists
            .iter()
            .find(|r| r.source == hit.list)
            .map(ImportRecord::version_label)
            .unwrap_or_default()
    }
}

fn no_lists(store: &Store) -> Failure {
    Failure::Other(anyhow::anyhow!(
        "no lists imported in {}: import one first (vigil lists import FILE --source un|eu|…)",
        store.location()
    ))
}

#[derive(Serialize)]
struct HitOut<'a> {
    list: &'a str,
    version: String,
    entry_id: &'a str,
    name: &'a str,
    matched_alias: &'a str,
    score: f64,
    alert: bool,
    why: String,
    explanation: &'a Explanation,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn hit_out<'a>(s: &Screening, h: &'a Hit) -> HitOut<'a> {
    HitOut {
        list: h.list.as_str(),
        version: s.version_of(h),
        entry_id: &h.entry_id,
        name: &h.name,
        matched_alias: &h.explanation.matched_alias,
        score: round4(h.score),
        alert: h.alert,
        why: h.explanation.to_string(),
        explanation: &h.explanation,
    }
}

fn parse_dob(text: &str) -> Option<BirthDate> {
    BirthDate::parse(text.trim())
}

pub(crate) fn run(args: ScreenArgs, db: Option<&str>, json: bool) -> Result<(), Failure> {
    if !(0.0..=1.0).contains(&args.min_score) {
        return Err(Failure::Input(format!(
            "--min-score {}: expected a number from 0 to 1",
            args.min_score
        )));
    }
    // Read and check the input before the (slower) index build.
    let batch = match &args.batch {
        Some(path) => Some(read_batch(path)?),
        None => None,
    };
    let dob = match &args.dob {
        Some(d) => Some(parse_dob(d).ok_or_else(|| {
            Failure::Input(format!(
                "--dob {d:?}: not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)"
            ))
        })?),
        None => None,
    };
    let store = open_store(db)?;
    let s = Screening::load(&store)?;
    if s.lists.is_empty() {
        return Err(no_lists(&store));
    }
    match (batch, args.name.clone()) {
        (Some(rows), _) => run_batch(&s, &rows, &args, json),
        (None, Some(name)) => {
            let query = NameQuery {
                name: name.clone(),
                dob,
                country: args.country.clone(),
                ..NameQuery::default()
            };
            let hits = s.index.search(&query, args.limit, args.min_score);
            if json {
                let v = json!({
                    "query": {"name": name, "dob": args.dob, "country": args.country},
                    "hits": hits.iter().map(|h| hit_out(&s, h)).collect::<Vec<_>>(),
                    "threshold": ALERT_THRESHOLD,
                    "lists": s.lists_json(),
                });
                return crate::print_json(&v);
            }
            print!("{}", text_hits(&s, &name, &hits, args.min_score));
            Ok(())
        }
        (None, None) => Err(Failure::Input("give a NAME or --batch FILE".to_owned())),
    }
}

fn text_hits(s: &Screening, name: &str, hits: &[Hit], min_score: f64) -> String {
    let mut out = format!(
        "Screened {name:?} against {} (alert threshold {ALERT_THRESHOLD:.2}).\n",
        s.lists_line()
    );
    if hits.is_empty() {
        out.push_str(&format!("No hit at or above {min_score:.2}.\n"));
        return out;
    }
    for (i, h) in hits.iter().enumerate() {
        out.push_str(&format!(
            "{:>2}. {:.3} {:<5} {} {} {}\n    why: {}\n",
            i + 1,
            h.score,
            if h.alert { "ALERT" } else { "" },
            h.list,
            h.entry_id,
            h.name,
            h.explanation
        ));
    }
    out
}

/// One party of a batch file.
struct BatchRow {
    /// 1-based data row (the header is row 0).
    row: usize,
    /// 1-based line in the file.
    line: u64,
    name: String,
    dob_text: Option<String>,
    dob: Option<BirthDate>,
    country: Option<String>,
}

fn read_batch(path: &Path) -> Result<Vec<BatchRow>, Failure> {
    let file = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| Failure::Input(format!("{file}: cannot read: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::Input(format!("{file}: not UTF-8 text ({e})")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_of = |pos: Option<&csv::Position>| {
        pos.map_or(0, |p| {
            let byte = usize::try_from(p.byte()).unwrap_or(usize::MAX);
            newlines.partition_point(|&n| n < byte) as u64 + 1
        })
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Failure::Input(format!("{file} line 1: {e}")))?
        .clone();
    let col = |want: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(want));
    let Some(name_col) = col("name") else {
        return Err(Failure::Input(format!(
            "{file} line 1: no `name` column (the header must name the columns name, dob, country; found: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    };
    let (dob_col, country_col) = (col("dob"), col("country"));
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| {
            let line = line_of(e.position());
            Failure::Input(format!("{file} line {line}: malformed CSV: {e}"))
        })?;
        let line = line_of(rec.position());
        let cell = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let name = cell(Some(name_col));
        let dob_text = cell(dob_col);
        let country = cell(country_col);
        let Some(name) = name else {
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Err(Failure::Input(format!(
                "{file} line {line}: the name is empty"
            )));
        };
        let dob = match &dob_text {
            Some(d) => Some(parse_dob(d).ok_or_else(|| {
                Failure::Input(format!(
                    "{file} line {line}: dob {d:?} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)"
                ))
            })?),
            None => None,
        };
        rows.push(BatchRow {
            row: i + 1,
            line,
            name,
            dob_text,
            dob,
            country,
        });
    }
    Ok(rows)
}

fn run_batch(
    s: &Screening,
    rows: &[BatchRow],
    args: &ScreenArgs,
    json: bool,
) -> Result<(), Failure> {
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(rows.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} parties, {per_sec}, eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    // Screen on every core; results keep the input order.
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 16);
    let chunk = rows.len().div_ceil(threads).max(1);
    let results: Vec<Vec<Hit>> = std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                let bar = bar.clone();
                scope.spawn(move || {
                    part.iter()
                        .map(|r| {
                            let q = NameQuery {
                                name: r.name.clone(),
                                dob: r.dob,
                                country: r.country.clone(),
                                ..NameQuery::default()
                            };
                            let hits = s.index.search(&q, args.limit, args.min_score);
                            bar.inc(1);
                            hits
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    bar.finish_and_clear();
    if results.len() != rows.len() {
        return Err(Failure::Other(anyhow::anyhow!(
            "a screening thread failed; no result written"
        )));
    }

    if let Some(out) = &args.out {
        write_csv(out, s, rows, &results)?;
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let io = |e: std::io::Error| Failure::Other(anyhow::anyhow!("cannot write the results: {e}"));
    let mut alerts = 0;
    for (r, hits) in rows.iter().zip(&results) {
        let alert = hits.iter().any(|h| h.alert);
        alerts += usize::from(alert);
        if json {
            let v = json!({
                "row": r.row,
                "line": r.line,
                "name": r.name,
                "dob": r.dob_text,
                "country": r.country,
                "alert": alert,
                "hits": hits.iter().map(|h| hit_out(s, h)).collect::<Vec<_>>(),
            });
            writeln!(w, "{v}").map_err(io)?;
        } else if !hits.is_empty() {
            writeln!(w, "row {} (line {}): {}", r.row, r.line, r.name).map_err(io)?;
            for h in hits {
                writeln!(
                    w,
                    "    {:.3} {:<5} {} {} {} — {}",
                    h.score,
                    if h.alert { "ALERT" } else { "" },
                    h.list,
                    h.entry_id,
                    h.name,
                    h.explanation
                )
                .map_err(io)?;
            }
        }
    }
    w.flush().map_err(io)?;
    eprintln!(
        "screened {} parties against {}: {alerts} with an alert (threshold {ALERT_THRESHOLD:.2})",
        rows.len(),
        s.lists_line()
    );
    Ok(())
}

fn write_csv(
    out: &Path,
    s: &Screening,
    rows: &[BatchRow],
    results: &[Vec<Hit>],
) -> Result<(), Failure> {
    let err = |e: &dyn std::fmt::Display| {
        Failure::Other(anyhow::anyhow!("{}: cannot write: {e}", out.display()))
    };
    crate::write_csv_file(out, |w| {
        w.write_record([
            "row",
            "name",
            "dob",
            "country",
            "rank",
            "score",
            "alert",
            "list",
            "version",
            "entry_id",
            "listed_name",
            "matched_alias",
            "why",
        ])
        .map_err(|e| err(&e))?;
        for (r, hits) in rows.iter().zip(results) {
            let base = [
                r.row.to_string(),
                r.name.clone(),
                r.dob_text.clone().unwrap_or_default(),
                r.country.clone().unwrap_or_default(),
            ];
            if hits.is_empty() {
                let mut rec = base.to_vec();
                rec.extend(std::iter::repeat_n(String::new(), 9));
                w.write_record(&rec).map_err(|e| err(&e))?;
            }
            for (i, h) in hits.iter().enumerate() {
                let mut rec = base.to_vec();
                rec.extend([
                    (i + 1).to_string(),
                    format!("{:.4}", h.score),
                    h.alert.to_string(),
                    h.list.as_str().to_owned(),
                    s.version_of(h),
                    h.entry_id.clone(),
                    h.name.clone(),
                    h.explanation.matched_alias.clone(),
                    h.explanation.to_string(),
                ]);
                w.write_record(&rec).map_err(|e| err(&e))?;
            }
        }
        Ok(())
    })
}

/// The screening step of `vigil assess`: screens every party of the operation against the served
/// lists and records the hits (an uncleared one at or above the threshold puts it on hold).
///
/// Runs when `--db` is given or the default database file exists; returns the lists screened
/// against (empty when none are imported), or `None` when there is no database.
pub(crate) fn screen_operation(
    db: Option<&str>,
    op: &Operation,
    a: &mut Assessment,
) -> Result<Option<Vec<ImportRecord>>, Failure> {
    if db.is_none() && !Path::new(DEFAULT_DB_FILE).exists() {
        return Ok(None);
    }
    let store = open_store(db)?;
    let s = Screening::load(&store)?;
    if s.lists.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut hits = Vec::new();
    for party in &op.parties {
        let q = NameQuery {
            name: party.name.clone(),
            country: Some(party.country.clone()),
            ..NameQuery::default()
        };
        for h in s.index.search(&q, 5, REVIEW_FLOOR) {
            hits.push(ScreeningHit {
                role: party.role.as_str().to_owned(),
                party: party.name.clone(),
                list: format!("{} {}", h.list, s.version_of(&h)),
                entry_id: h.entry_id.clone(),
                name: h.name.clone(),
                matched_alias: h.explanation.matched_alias.clone(),
                score: round4(h.score),
                why: h.explanation.to_string(),
                cleared: false,
            });
        }
    }
    vigil_domain::apply_screening(a, hits, ALERT_THRESHOLD);
    Ok(Some(s.lists))
}

/// The lists line printed after an assessment's text.
pub(crate) fn lists_screened_text(lists: Option<&[ImportRecord]>) -> String {
    match lists {
        None => "Parties NOT screened: no sanctions-list database (--db, or vigil.db here).\n"
            .to_owned(),
        Some([]) => "Parties NOT screened: no lists imported (vigil lists import).\n".to_owned(),
        Some(lists) => format!(
            "Lists screened: {}\n",
            lists
                .iter()
                .map(|r| format!(
                    "{} {} (import #{}, {}, {} entries)",
                    r.source,
                    r.version_label(),
                    r.id,
                    rfc3339(r.imported_at),
                    r.entry_count
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// The lists field added to an assessment's JSON.
pub(crate) fn lists_screened_json(lists: &[ImportRecord]) -> serde_json::Value {
    lists
        .iter()
        .map(|r| {
            json!({
                "source": r.source.as_str(),
                "version": r.version_label(),
                "imported_at": rfc3339(r.imported_at),
                "entries": r.entry_count,
                "import": r.id,
            })
        })
        .collect()
}
