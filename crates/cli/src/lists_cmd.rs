//! `vigil lists import|status`: sanctions lists in the database.
//!
//! An import parses the whole file first (a malformed file exits 2 naming the line or record, and
//! nothing is stored), then stores it in one transaction. The newest good import of each source is
//! the one screened against; re-importing the same content is a no-op that says so.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use vigil_screening::loaders::{self, csv::ColumnMapping, ofac::SdnCsvFiles};
use vigil_screening::{ListSource, LoadedList};
use vigil_store::{ImportOutcome, ImportRecord, Store};

use crate::Failure;
use crate::audit_cmd::CLI_ACTOR;
use crate::screen_cmd::{open_store, rfc3339};

/// `vigil lists …`
#[derive(Debug, Subcommand)]
pub(crate) enum ListsCommand {
    /// Import a list file. The newest good import of each source is the one screened against.
    Import {
        /// The list file (for `ofac-csv`: the folder of the SDN CSV set, or its sdn.csv).
        file: PathBuf,
        /// Its format.
        #[arg(long, value_enum)]
        source: SourceArg,
        /// For `--source csv`: the column mapping, a file or inline text such as
        /// "name = Name; id = Ref" (default: a column named `name`).
        #[arg(long, value_name = "M")]
        mapping: Option<String>,
        /// Accept a list with fewer than half the entries of the one served now (normally refused
        /// as a probably truncated file).
        #[arg(long)]
        allow_shrink: bool,
    },
    /// The lists served, one per source: version, entries, import time, content hash.
    Status {
        /// Also list every import attempt, failed ones included, newest first.
        #[arg(long)]
        history: bool,
    },
}

/// The `--source` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SourceArg {
    /// UN Security Council consolidated list (XML).
    Un,
    /// EU Financial Sanctions Files XML 1.1.
    Eu,
    /// EU Financial Sanctions Files CSV 1.1.
    EuCsv,
    /// OFAC SDN or consolidated non-SDN XML.
    Ofac,
    /// OFAC legacy SDN CSV set (sdn.csv with add.csv, alt.csv, sdn_comments.csv beside it).
    OfacCsv,
    /// UK OFSI consolidated list CSV.
    Uk,
    /// US BIS Denied Persons List (tab-separated).
    BisDpl,
    /// FollowTheMoney JSON lines (OpenSanctions).
    Ftm,
    /// A plain CSV with a column mapping (`--mapping`).
    Csv,
}

impl SourceArg {
    fn source(self) -> ListSource {
        match self {
            SourceArg::Un => ListSource::Un,
            SourceArg::Eu => ListSource::Eu,
            SourceArg::EuCsv => ListSource::EuCsv,
            SourceArg::Ofac => ListSource::Ofac,
            SourceArg::OfacCsv => ListSource::OfacCsv,
            SourceArg::Uk => ListSource::Uk,
            SourceArg::BisDpl => ListSource::BisDpl,
            SourceArg::Ftm => ListSource::Ftm,
            SourceArg::Csv => ListSource::Csv,
        }
    }
}

pub(crate) fn run(command: ListsCommand, db: Option<&str>, json: bool) -> Result<(), Failure> {
    match command {
        ListsCommand::Import {
            file,
            source,
            mapping,
            allow_shrink,
        } => import(db, &file, source, mapping.as_deref(), allow_shrink, json),
        ListsCommand::Status { history } => status(db, history, json),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Input(format!("{}: cannot read: {e}", path.display())))
}

/// The files of an OFAC CSV set: `file` is the folder or its sdn.csv; the others are found beside
/// it (any letter case).
fn ofac_csv_set(file: &Path) -> Result<[Option<Vec<u8>>; 4], Failure> {
    let (dir, sdn_path) = if file.is_dir() {
        (file.to_path_buf(), None)
    } else {
        let dir = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        (dir, Some(file.to_path_buf()))
    };
    let listing = std::fs::read_dir(&dir)
        .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", dir.display())))?;
    let mut found: [Option<PathBuf>; 4] = [sdn_path, None, None, None];
    const NAMES: [&str; 4] = ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"];
    for entry in listing.flatten() {
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if let Some(i) = NAMES.iter().position(|n| *n == name)
            && found[i].is_none()
        {
            found[i] = Some(entry.path());
        }
    }
    if found[0].is_none() {
        return Err(Failure::Input(format!(
            "{}: no sdn.csv in this folder (the OFAC CSV set is sdn.csv with add.csv, alt.csv and sdn_comments.csv beside it)",
            dir.display()
        )));
    }
    let mut out: [Option<Vec<u8>>; 4] = [None, None, None, None];
    for (slot, path) in out.iter_mut().zip(found) {
        if let Some(p) = path {
            *slot = Some(read(&p)?);
        }
    }
    Ok(out)
}

fn column_mapping(mapping: Option<&str>) -> Result<ColumnMapping, Failure> {
    let Some(m) = mapping else {
        return Ok(ColumnMapping::name_only("name"));
    };
    let path = Path::new(m);
    let text = if path.is_file() {
        String::from_utf8(read(path)?)
            .map_err(|_| Failure::Input(format!("{m}: the mapping is not UTF-8 text")))?
    } else if m.contains('=') {
        m.replace(';', "\n")
    } else {
        return Err(Failure::Input(format!(
            "--mapping {m}: no such file (give a file, or inline text like \"name = Name\")"
        )));
    };
    ColumnMapping::parse(&text).map_err(|e| Failure::Input(format!("mapping {m}: {e}")))
}

/// Parses the file with the loader of its source.
pub(crate) fn load(
    file: &Path,
    source: SourceArg,
    mapping: Option<&str>,
) -> Result<LoadedList, Failure> {
    let name = file.display();
    if mapping.is_some() && source != SourceArg::Csv {
        return Err(Failure::Input(
            "--mapping is only for --source csv".to_owned(),
        ));
    }
    let loaded = match source {
        SourceArg::OfacCsv => {
            let [sdn, alt, add, comments] = ofac_csv_set(file)?;
            let sdn = sdn.unwrap_or_default();
            loaders::ofac::parse_sdn_csv(SdnCsvFiles {
                sdn: &sdn,
                alt: alt.as_deref(),
                add: add.as_deref(),
                comments: comments.as_deref(),
            })
        }
        SourceArg::Csv => {
            let m = column_mapping(mapping)?;
            loaders::csv::parse(&read(file)?, &m)
        }
        SourceArg::Un => loaders::un::parse(&read(file)?),
        SourceArg::Eu => loaders::eu::parse_xml(&read(file)?),
        SourceArg::EuCsv => loaders::eu::parse_csv(&read(file)?),
        SourceArg::Ofac => loaders::ofac::parse_xml(&read(file)?),
        SourceArg::Uk => loaders::uk::parse(&read(file)?),
        SourceArg::BisDpl => loaders::bis::parse(&read(file)?),
        SourceArg::Ftm => loaders::ftm::parse(&read(file)?),
    };
    loaded.map_err(|e| Failure::Input(format!("{name}: {}", error_chain(&e))))
}

/// An error and its causes on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}

fn import(
    db: Option<&str>,
    file: &Path,
    source_arg: SourceArg,
    mapping: Option<&str>,
    allow_shrink: bool,
    json: bool,
) -> Result<(), Failure> {
    let store = open_store(db)?;
    let source = source_arg.source();
    let origin = file.display().to_string();
    let fail = |store: &Store, msg: &str| {
        // Best effort: the attempt is recorded, what is served does not change.
        if let Err(e) = store.record_failed_import_by(source, &origin, None, msg, CLI_ACTOR) {
            tracing::warn!("could not record the failed import: {}", error_chain(&e));
        }
    };
    let list = match load(file, source_arg, mapping) {
        Ok(l) => l,
        Err(Failure::Input(msg)) => {
            fail(&store, &msg);
            return Err(Failure::Input(format!(
                "{msg}\nnothing imported; the {source} list served before (if any) is still served"
            )));
        }
        Err(other) => return Err(other),
    };
    let served = store
        .served_lists()
        .map_err(|e| store_failure(&store, &e))?
        .into_iter()
        .find(|r| r.source == source);
    if list.entries.is_empty() {
        let msg = format!("{origin}: the file holds no {source} entries");
        fail(&store, &msg);
        return Err(Failure::Input(format!("{msg}; nothing imported")));
    }
    if let Some(prev) = &served
        && !allow_shrink
        && (list.meta.entry_count as u64) * 2 < prev.entry_count
        && list.meta.content_sha256.as_str() != prev.content_sha256.as_deref().unwrap_or("")
    {
        let msg = format!(
            "{origin}: {} entries where the served {source} list (import #{}) has {}: probably a truncated or wrong file",
            list.meta.entry_count, prev.id, prev.entry_count
        );
        fail(&store, &msg);
        return Err(Failure::Input(format!(
            "{msg}; nothing imported (use --allow-shrink if the list really shrank)"
        )));
    }
    let outcome = match store.import_list_by(&list, &origin, CLI_ACTOR) {
        Ok(o) => o,
        Err(e) => {
            let msg = error_chain(&e);
            fail(&store, &msg);
            return Err(Failure::Other(anyhow::anyhow!(
                "{origin}: {msg}\nnothing imported; the {source} list served before (if any) is still served"
            )));
        }
    };
    // Every party of every organisation, rescreened by delta against the new list.
    let rescreen = match &outcome {
        ImportOutcome::Imported(r) => vigil_server::party_screening::after_import(
            &store,
            r.id,
            time::OffsetDateTime::now_utc().date(),
        ),
        ImportOutcome::AlreadyImported { .. } => None,
    };
    if json {
        let v = match &outcome {
            ImportOutcome::Imported(r) => json!({"status": "imported", "import": record_json(r)}),
            ImportOutcome::AlreadyImported { existing, served } => json!({
                "status": "unchanged",
                "import": record_json(existing),
                "served": served,
            }),
        };
        crate::print_json(&v)?;
        return Ok(());
    }
    match outcome {
        ImportOutcome::Imported(r) => {
            println!(
                "imported {source} {} as import #{}: {} entries, {} aliases, sha256 {}",
                r.version_label(),
                r.id,
                r.entry_count,
                r.alias_count,
                r.content_sha256.as_deref().unwrap_or("-")
            );
            if let Some(prev) = served {
                println!(
                    "now served instead of import #{} ({}, {} entries)",
                    prev.id,
                    prev.version_label(),
                    prev.entry_count
                );
            }
            if let Some(r) = rescreen.filter(|r| r.parties > 0) {
                println!(
                    "rescreened {} parties against {} added and {} changed entries ({} removed): {} new hits, {} dropped, {} clearances lapsed, {} operations held",
                    r.parties,
                    r.added,
                    r.changed,
                    r.removed,
                    r.new_hits,
                    r.dropped_hits,
                    r.lapsed,
                    r.held_operations
                );
            }
        }
        ImportOutcome::AlreadyImported { existing, served } => {
            println!(
                "already imported: {source} {} is import #{} of {} (same content, sha256 {}); nothing changed",
                existing.version_label(),
                existing.id,
                rfc3339(existing.imported_at),
                existing.content_sha256.as_deref().unwrap_or("-")
            );
            if !served {
                let now = store
                    .served_lists()
                    .map_err(|e| store_failure(&store, &e))?
                    .into_iter()
                    .find(|r| r.source == source);
                if let Some(now) = now {
                    println!(
                        "the {source} list served is the newer import #{} ({})",
                        now.id,
                        now.version_label()
                    );
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn store_failure(store: &Store, e: &vigil_store::StoreError) -> Failure {
    Failure::Other(anyhow::anyhow!("{}: {}", store.location(), error_chain(e)))
}

pub(crate) fn record_json(r: &ImportRecord) -> serde_json::Value {
    json!({
        "import": r.id,
        "source": r.source.as_str(),
        "version": r.version_label(),
        "published": r.published,
        "entries": r.entry_count,
        "aliases": r.alias_count,
        "imported_at": rfc3339(r.imported_at),
        "sha256": r.content_sha256,
        "origin": r.origin,
        "status": r.status.as_str(),
        "error": r.error,
    })
}

fn status(db: Option<&str>, history: bool, json: bool) -> Result<(), Failure> {
    let store = open_store(db)?;
    let served = store
        .served_lists()
        .map_err(|e| store_failure(&store, &e))?;
    let attempts = if history {
        store
            .import_history()
            .map_err(|e| store_failure(&store, &e))?
    } else {
        Vec::new()
    };
    if json {
        let mut v = json!({
            "database": store.location(),
            "lists": served.iter().map(record_json).collect::<Vec<_>>(),
        });
        if history {
            v["history"] = attempts.iter().map(record_json).collect();
        }
        return crate::print_json(&v);
    }
    if served.is_empty() {
        println!(
            "no lists imported in {} (vigil lists import FILE --source …)",
            store.location()
        );
    } else {
        println!(
            "{:<9} {:<22} {:>8} {:>8}  {:<20}  {:<12}  import",
            "source", "version", "entries", "aliases", "imported_at (UTC)", "sha256"
        );
        for r in &served {
            println!(
                "{:<9} {:<22} {:>8} {:>8}  {:<20}  {:<12}  #{} {}",
                r.source.as_str(),
                r.version_label(),
                r.entry_count,
                r.alias_count,
                rfc3339(r.imported_at),
                r.content_sha256
                    .as_deref()
                    .map_or("-", |h| h.get(..12).unwrap_or(h)),
                r.id,
                r.origin
            );
        }
    }
    if history {
        println!("\nimport attempts, newest first:");
        for r in &attempts {
            println!(
                "#{:<4} {:<20} {:<9} {:<6} {:>7} entries  {}{}",
                r.id,
                rfc3339(r.imported_at),
                r.source.as_str(),
                r.status.as_str(),
                r.entry_count,
                r.origin,
                r.error
                    .as_deref()
                    .map(|e| format!("\n      {}", e.replace('\n', " ")))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}
