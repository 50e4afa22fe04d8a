//! `vigil backup FILE`: a consistent online copy of a SQLite database (`VACUUM INTO`), safe while
//! `vigil serve` runs; never overwrites a file. PostgreSQL databases are backed up with
//! `pg_dump` (README: Backup and restore): exit 2 with that advice.

use std::path::Path;

use serde_json::json;
use vigil_store::{DbUrl, StoreError};

use crate::Failure;
use crate::lists_cmd::error_chain;
use crate::screen_cmd::{DEFAULT_DB, open_store};

pub(crate) fn run(file: &Path, db: Option<&str>, json: bool) -> Result<(), Failure> {
    let url = db.unwrap_or(DEFAULT_DB);
    let parsed = DbUrl::parse(url).map_err(|e| Failure::Input(e.to_string()))?;
    if matches!(parsed, DbUrl::Postgres(_)) {
        return Err(Failure::Input(
            "vigil backup copies SQLite databases; back up PostgreSQL with pg_dump, e.g. \
             `pg_dump --format=custom --file=vigil.dump \"$VIGIL_DB\"` (README: Backup and restore)"
                .to_owned(),
        ));
    }
    if file.exists() {
        return Err(Failure::Input(format!(
            "{}: the file exists; a backup never overwrites a file",
            file.display()
        )));
    }
    let store = open_store(Some(url))?;
    store.backup_to(file).map_err(|e| match e {
        StoreError::BackupExists { .. }
        | StoreError::BackupPath { .. }
        | StoreError::BackupUnsupported => Failure::Input(e.to_string()),
        other => Failure::Other(anyhow::anyhow!(
            "{} → {}: {}",
            store.location(),
            file.display(),
            error_chain(&other)
        )),
    })?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if json {
        crate::print_json(&json!({
            "database": store.location(),
            "backup": file.display().to_string(),
            "bytes": size,
        }))
    } else {
        println!(
            "backed up {} to {} ({size} bytes)",
            store.location(),
            file.display()
        );
        Ok(())
    }
}
