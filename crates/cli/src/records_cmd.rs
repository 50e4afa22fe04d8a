//! `vigil records export --org ORG --from D --to D --out FILE.zip`: the records of the operations
//! an organisation created in a period, as the web page's ZIP (Art. 27 of Regulation (EU)
//! 2021/821: records kept at least five years and shown to the competent authority on request).
//! The file is written whole or not at all (a hidden temporary file beside it, renamed once
//! complete).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::json;
use vigil_store::retention::ExportError;

use crate::Failure;
use crate::lists_cmd::{error_chain, store_failure};
use crate::screen_cmd::open_store;

/// `vigil records …`
#[derive(Debug, Subcommand)]
pub(crate) enum RecordsCommand {
    /// Export the records of the operations created from --from to --to (UTC days, both
    /// included) as a ZIP: per operation its input, assessment, holds and releases, party links
    /// and documents, plus operations.csv and manifest.json (SHA-256 of every file).
    Export {
        /// The organisation (id or name).
        #[arg(long, value_name = "ORG")]
        org: String,
        /// First day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        to: String,
        /// The ZIP file to write (replaced when it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

fn date(field: &str, s: &str) -> Result<time::Date, Failure> {
    time::Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Failure::Input(format!("--{field}: expected a date YYYY-MM-DD, got {s:?}")))
}

/// Writes `bytes` to `path` through a hidden temporary file renamed over it.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: &dyn std::fmt::Display| {
        Failure::Other(anyhow::anyhow!("{}: cannot write: {e}", path.display()))
    };
    let Some(file_name) = path.file_name() else {
        return Err(fail(&"not a file name"));
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| fail(&e));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

pub(crate) fn run(command: RecordsCommand, db: Option<&str>, json: bool) -> Result<(), Failure> {
    let RecordsCommand::Export { org, from, to, out } = command;
    let (from, to) = (date("from", &from)?, date("to", &to)?);
    if to < from {
        return Err(Failure::Input(format!(
            "--to ({to}) is before --from ({from})"
        )));
    }
    let store = open_store(db)?;
    let Some(organisation) = store
        .organisation_by_id_or_name(&org)
        .map_err(|e| store_failure(&store, &e))?
    else {
        return Err(Failure::Input(format!(
            "--org: no organisation with the id or name {org:?}"
        )));
    };
    let bytes = store
        .export_org_records(
            &organisation,
            None,
            from,
            to,
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| match e {
            ExportError::Period(p) => Failure::Input(p),
            other => Failure::Other(anyhow::anyhow!("{}", error_chain(&other))),
        })?;
    write_whole(&out, &bytes)?;
    if json {
        let s = serde_json::to_string_pretty(&json!({
            "organisation": organisation.id,
            "from": from.to_string(),
            "to": to.to_string(),
            "file": out.display().to_string(),
            "bytes": bytes.len(),
        }))
        .map_err(|e| Failure::Other(e.into()))?;
        println!("{s}");
    } else {
        println!(
            "{}: records of {} from {from} to {to} ({} bytes)",
            out.display(),
            organisation.name,
            bytes.len()
        );
    }
    Ok(())
}
