//! Imported sanctions lists.
//!
//! Rules (issue 4):
//! - every import attempt is a row of `list_imports`; a good one (`ok`) carries its entries;
//! - an import is one transaction: a failure anywhere leaves the database as it was, and the last
//!   good list of that source keeps being served;
//! - re-importing the same content (same source and SHA-256) is a no-op that says so;
//! - the newest good import of each source is the one served ([`Store::served_lists`],
//!   [`Store::load_served`], which the caller turns into a `vigil_screening::Index`).
//! - every import and every failed attempt is recorded in the audit log of [`SYSTEM_ORG`]
//!   (`list.imported`, `list.import_failed`), in the same transaction as its `list_imports` row; a
//!   re-import that changes nothing writes nothing.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use time::OffsetDateTime;
use vigil_domain::audit::AuditEvent;
use vigil_screening::{ListEntry, ListMeta, ListSource, LoadedList};

use crate::accounts::now_micros;
use crate::audit::{SYSTEM_ORG, append_in, timestamp};
use crate::schema::{list_entries, list_imports};
use crate::{DbConnection, Store, StoreError};

/// Entries written per INSERT statement (6 parameters each: well under both backends' limits).
const BATCH: usize = 1000;

/// Outcome of an import attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    /// Stored whole.
    Ok,
    /// Nothing stored.
    Failed,
}

impl ImportStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Ok => "ok",
            ImportStatus::Failed => "failed",
        }
    }
}

/// One import attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// Import number (increasing).
    pub id: i64,
    /// The list format / authority.
    pub source: ListSource,
    /// Where the file came from (the path given on import).
    pub origin: String,
    /// Publication date the file gives.
    pub published: Option<String>,
    /// Version or file id the file gives.
    pub version: Option<String>,
    /// SHA-256 of the raw file (absent for a failed attempt).
    pub content_sha256: Option<String>,
    /// Entries stored.
    pub entry_count: u64,
    /// Names beyond each entry's primary name.
    pub alias_count: u64,
    /// When.
    pub imported_at: OffsetDateTime,
    /// Good or failed.
    pub status: ImportStatus,
    /// Why a failed attempt failed.
    pub error: Option<String>,
}

impl ImportRecord {
    /// The list version to show people: the file's version, else its publication date, else the
    /// first 12 hex digits of its hash.
    pub fn version_label(&self) -> String {
        self.version
            .clone()
            .or_else(|| self.published.clone())
            .or_else(|| {
                self.content_sha256
                    .as_ref()
                    .map(|h| h.chars().take(12).collect())
            })
            .unwrap_or_else(|| "-".to_owned())
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The list was stored and is now served for its source.
    Imported(ImportRecord),
    /// The same content of this source was imported before: nothing changed.
    AlreadyImported {
        /// The earlier import.
        existing: ImportRecord,
        /// Whether that import is the one served now (a newer one may have replaced it).
        served: bool,
    },
}

/// A served list with its import record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedList {
    /// The import it came from.
    pub record: ImportRecord,
    /// Its metadata and entries, as the loader produced them.
    pub list: LoadedList,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = list_imports)]
struct ImportRow {
    id: i64,
    source: String,
    origin: String,
    published: Option<String>,
    version: Option<String>,
    content_sha256: Option<String>,
    entry_count: i64,
    alias_count: i64,
    imported_at: i64,
    status: String,
    error: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = list_imports)]
struct NewImport<'a> {
    source: &'a str,
    origin: &'a str,
    published: Option<&'a str>,
    version: Option<&'a str>,
    content_sha256: Option<&'a str>,
    entry_count: i64,
    alias_count: i64,
    imported_at: i64,
    status: &'a str,
    error: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = list_entries)]
struct NewEntry<'a> {
    import_id: i64,
    seq: i64,
    entry_id: &'a str,
    kind: String,
    primary_name: &'a str,
    data: String,
}

/// Reads a stored source name.
pub fn parse_source(s: &str) -> Option<ListSource> {
    Some(match s {
        "un" => ListSource::Un,
        "eu" => ListSource::Eu,
        "eu-csv" => ListSource::EuCsv,
        "ofac" => ListSource::Ofac,
        "ofac-csv" => ListSource::OfacCsv,
        "uk" => ListSource::Uk,
        "bis-dpl" => ListSource::BisDpl,
        "ftm" => ListSource::Ftm,
        "csv" => ListSource::Csv,
        _ => return None,
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl TryFrom<ImportRow> for ImportRecord {
    type Error = StoreError;

    fn try_from(r: ImportRow) -> Result<Self, StoreError> {
        let unknown = |what, value: &str| StoreError::Unknown {
            import: r.id,
            what,
            value: value.to_owned(),
        };
        let source = parse_source(&r.source).ok_or_else(|| unknown("source", &r.source))?;
        let status = match r.status.as_str() {
            "ok" => ImportStatus::Ok,
            "failed" => ImportStatus::Failed,
            other => return Err(unknown("status", other)),
        };
        let imported_at =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.imported_at) * 1000)
                .map_err(|_| unknown("imported_at", &r.imported_at.to_string()))?;
        Ok(ImportRecord {
            id: r.id,
            source,
            origin: r.origin,
            published: r.published,
            version: r.version,
            content_sha256: r.content_sha256,
            entry_count: u64::try_from(r.entry_count)
                .map_err(|_| unknown("entry_count", &r.entry_count.to_string()))?,
            alias_count: u64::try_from(r.alias_count)
                .map_err(|_| unknown("alias_count", &r.alias_count.to_string()))?,
            imported_at,
            status,
            error: r.error,
        })
    }
}

fn records(rows: Vec<ImportRow>) -> Result<Vec<ImportRecord>, StoreError> {
    rows.into_iter().map(ImportRecord::try_from).collect()
}

/// The good import of `source` with this content hash, if any.
fn find_by_hash(
    conn: &mut DbConnection,
    source: ListSource,
    hash: &str,
) -> Result<Option<ImportRecord>, StoreError> {
    let row = list_imports::table
        .filter(list_imports::source.eq(source.as_str()))
        .filter(list_imports::content_sha256.eq(hash))
        .filter(list_imports::status.eq(ImportStatus::Ok.as_str()))
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?;
    row.map(ImportRecord::try_from).transpose()
}

/// Newest good import per source, in source order.
fn served(conn: &mut DbConnection) -> Result<Vec<ImportRecord>, StoreError> {
    let rows = list_imports::table
        .filter(list_imports::status.eq(ImportStatus::Ok.as_str()))
        .order((list_imports::source.asc(), list_imports::id.desc()))
        .select(ImportRow::as_select())
        .load(conn)?;
    let mut out: Vec<ImportRecord> = Vec::new();
    for r in records(rows)? {
        if out.last().is_none_or(|last| last.source != r.source) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Writes the import row and its entries; checks what was written. Runs inside a transaction.
fn write_import(
    conn: &mut DbConnection,
    list: &LoadedList,
    origin: &str,
) -> Result<i64, StoreError> {
    let meta = &list.meta;
    // The first statement writes, so a SQLite transaction takes the write lock at once (no
    // read-then-upgrade deadlock between two concurrent imports).
    let id: i64 = diesel::insert_into(list_imports::table)
        .values(NewImport {
            source: meta.source.as_str(),
            origin,
            published: meta.published.as_deref(),
            version: meta.version.as_deref(),
            content_sha256: Some(&meta.content_sha256),
            entry_count: count(meta.entry_count),
            alias_count: count(meta.alias_count),
            imported_at: now_micros(),
            status: ImportStatus::Ok.as_str(),
            error: None,
        })
        .returning(list_imports::id)
        .get_result(conn)?;
    for (chunk_no, chunk) in list.entries.chunks(BATCH).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, e)| new_entry(id, chunk_no * BATCH + i, e))
            .collect::<Result<Vec<_>, _>>()?;
        insert_entries(conn, &rows)?;
    }
    let written: i64 = list_entries::table
        .filter(list_entries::import_id.eq(id))
        .count()
        .get_result(conn)?;
    let aliases: usize = list.entries.iter().map(ListEntry::alias_count).sum();
    if written != count(meta.entry_count) || aliases != meta.alias_count {
        return Err(StoreError::Inconsistent {
            source_name: meta.source.as_str().to_owned(),
            message: format!(
                "the list says {} entries and {} aliases; {written} entries with {aliases} aliases were written",
                meta.entry_count, meta.alias_count
            ),
        });
    }
    Ok(id)
}

/// Inserts entry rows: one multi-row statement on PostgreSQL, one prepared statement per row on
/// SQLite (in-process, so as fast; diesel's multi-connection cannot batch a `Vec` on SQLite).
fn insert_entries(conn: &mut DbConnection, rows: &[NewEntry<'_>]) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => {
            diesel::insert_into(list_entries::table)
                .values(rows)
                .execute(c)?;
        }
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(list_entries::table)
                    .values(row)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

fn new_entry(import_id: i64, seq: usize, e: &ListEntry) -> Result<NewEntry<'_>, StoreError> {
    let encode = |source| StoreError::Encode {
        entry_id: e.entry_id.clone(),
        source,
    };
    let kind = match serde_json::to_value(e.kind).map_err(encode)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(NewEntry {
        import_id,
        seq: count(seq),
        entry_id: &e.entry_id,
        kind,
        primary_name: e.primary_name(),
        data: serde_json::to_string(e).map_err(encode)?,
    })
}

fn get_import(conn: &mut DbConnection, id: i64) -> Result<ImportRecord, StoreError> {
    list_imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)?
        .try_into()
}

/// Writes the row of a failed import attempt.
fn insert_failed(
    conn: &mut DbConnection,
    source: ListSource,
    origin: &str,
    content_sha256: Option<&str>,
    error: &str,
) -> Result<ImportRecord, StoreError> {
    let id: i64 = diesel::insert_into(list_imports::table)
        .values(NewImport {
            source: source.as_str(),
            origin,
            published: None,
            version: None,
            content_sha256,
            entry_count: 0,
            alias_count: 0,
            imported_at: now_micros(),
            status: ImportStatus::Failed.as_str(),
            error: Some(error),
        })
        .returning(list_imports::id)
        .get_result(conn)?;
    get_import(conn, id)
}

fn is_unique_violation(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

/// The audit event of an import attempt (good or failed), in the system organisation's chain.
fn import_event(r: &ImportRecord, actor: &str) -> AuditEvent {
    let action = match r.status {
        ImportStatus::Ok => "list.imported",
        ImportStatus::Failed => "list.import_failed",
    };
    AuditEvent {
        at: timestamp(r.imported_at),
        org_id: SYSTEM_ORG.to_owned(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: format!("list_import:{}", r.id),
        detail: serde_json::json!({
            "import": r.id,
            "source": r.source.as_str(),
            "origin": r.origin,
            "version": r.version,
            "published": r.published,
            "sha256": r.content_sha256,
            "entries": r.entry_count,
            "aliases": r.alias_count,
            "status": r.status.as_str(),
            "error": r.error,
        }),
    }
}

impl Store {
    /// [`Store::import_list_by`] with actor `system`.
    ///
    /// # Errors
    /// See [`Store::import_list_by`].
    pub fn import_list(
        &self,
        list: &LoadedList,
        origin: &str,
    ) -> Result<ImportOutcome, StoreError> {
        self.import_list_by(list, origin, SYSTEM_ORG)
    }

    /// Stores a loaded list as the served list of its source, in one transaction that also
    /// appends `list.imported` by `actor` to the audit log of [`SYSTEM_ORG`].
    ///
    /// Returns [`ImportOutcome::AlreadyImported`] without changing anything when the same content
    /// of the same source was imported before.
    ///
    /// # Errors
    /// Any database failure, or counts that disagree with what was written; the database is then
    /// unchanged.
    pub fn import_list_by(
        &self,
        list: &LoadedList,
        origin: &str,
        actor: &str,
    ) -> Result<ImportOutcome, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        if let Some(existing) = already(conn, &list.meta)? {
            return Ok(existing);
        }
        let written = conn.transaction(|c| {
            let id = write_import(c, list, origin)?;
            let record = get_import(c, id)?;
            append_in(c, SYSTEM_ORG, import_event(&record, actor))?;
            Ok(record)
        });
        match written {
            Ok(record) => Ok(ImportOutcome::Imported(record)),
            // Another import of the same content won the race: the same no-op.
            Err(e) if is_unique_violation(&e) => match already(conn, &list.meta)? {
                Some(existing) => Ok(existing),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// [`Store::record_failed_import_by`] with actor `system`.
    ///
    /// # Errors
    /// A database failure.
    pub fn record_failed_import(
        &self,
        source: ListSource,
        origin: &str,
        content_sha256: Option<&str>,
        error: &str,
    ) -> Result<ImportRecord, StoreError> {
        self.record_failed_import_by(source, origin, content_sha256, error, SYSTEM_ORG)
    }

    /// Records an import attempt that failed before anything could be stored (unreadable or
    /// malformed file, failed transaction), and appends `list.import_failed` by `actor` to the
    /// audit log of [`SYSTEM_ORG`] in the same transaction. What is served does not change.
    ///
    /// # Errors
    /// A database failure.
    pub fn record_failed_import_by(
        &self,
        source: ListSource,
        origin: &str,
        content_sha256: Option<&str>,
        error: &str,
        actor: &str,
    ) -> Result<ImportRecord, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(|conn| {
            let record = insert_failed(conn, source, origin, content_sha256, error)?;
            append_in(conn, SYSTEM_ORG, import_event(&record, actor))?;
            Ok(record)
        })
    }

    /// The served import of each source (its newest good import), in source order.
    ///
    /// # Errors
    /// A database failure.
    pub fn served_lists(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let mut conn = self.conn()?;
        served(&mut conn)
    }

    /// Every import attempt, newest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn import_history(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let rows = list_imports::table
            .order(list_imports::id.desc())
            .select(ImportRow::as_select())
            .load::<ImportRow>(&mut *self.conn()?)?;
        records(rows)
    }

    /// Loads every served list whole, to build the in-memory screening index.
    ///
    /// # Errors
    /// A database failure, or a stored entry this version cannot read.
    pub fn load_served(&self) -> Result<Vec<ServedList>, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        // One transaction for a consistent read. A concurrent import cannot make it mix versions
        // either way: an import's entries are committed with its row and never change after.
        conn.transaction(|conn| {
            let served = served(conn)?;
            let mut out = Vec::with_capacity(served.len());
            for record in served {
                out.push(load_list(conn, record)?);
            }
            Ok(out)
        })
    }
}

fn already(conn: &mut DbConnection, meta: &ListMeta) -> Result<Option<ImportOutcome>, StoreError> {
    let Some(existing) = find_by_hash(conn, meta.source, &meta.content_sha256)? else {
        return Ok(None);
    };
    let served = served(conn)?.iter().any(|s| s.id == existing.id);
    Ok(Some(ImportOutcome::AlreadyImported { existing, served }))
}

fn load_list(conn: &mut DbConnection, record: ImportRecord) -> Result<ServedList, StoreError> {
    let rows: Vec<(i64, String)> = list_entries::table
        .filter(list_entries::import_id.eq(record.id))
        .order(list_entries::seq.asc())
        .select((list_entries::seq, list_entries::data))
        .load(conn)?;
    let entries = rows
        .into_iter()
        .map(|(seq, data)| {
            serde_json::from_str::<ListEntry>(&data).map_err(|source| StoreError::Corrupt {
                import: record.id,
                seq,
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let list = LoadedList {
        meta: ListMeta {
            source: record.source,
            published: record.published.clone(),
            version: record.version.clone(),
            content_sha256: record.content_sha256.clone().unwrap_or_default(),
            entry_count: entries.len(),
            alias_count: entries.iter().map(ListEntry::alias_count).sum(),
        },
        entries,
    };
    Ok(ServedList { record, list })
}
