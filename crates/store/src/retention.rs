//! Records and retention (Art. 27 of Regulation (EU) 2021/821: registers or records of exports,
//! brokering and technical assistance kept at least five years from the end of the calendar
//! year in which the operation took place, and shown to the competent authority on request).
//!
//! Rules:
//! - an operation is marked carried out (`completed_at`) by a role that enters records, only when
//!   it is not blocked (an open hold stops the export); marking it again changes nothing;
//! - an operation is deleted only by an officer or administrator ([`Action::Decide`]), only
//!   after its retention date (`retain_until`; when none was recorded, 31 December of the fifth
//!   year after the year it was created), and never while a legal reason keeps it
//!   ([`KeepReason`]: an open hold, a due-diligence file still open, a notification to the
//!   authority not yet answered); its holds, party links and documents go with it, the audit
//!   log keeps every row (it is append-only) and records the deletion; a batch
//!   ([`Store::delete_operations`]) is one transaction, all or nothing;
//! - [`Store::retention_due`] lists the operations whose retention date has passed or falls
//!   within a horizon, each with what keeps it;
//! - a released operation's record is frozen: its input and assessment may no longer change (a
//!   database trigger refuses it, see the `item_releases` migration);
//! - the records of a period export as one ZIP ([`Store::export_records`]): per operation created
//!   in the period its input, assessment, holds and releases, party links and documents, plus
//!   `operations.csv` and `manifest.json` (organisation, period, law versions, generation time and
//!   the SHA-256 of every file), for an inspector (roles with [`Action::ReadAudit`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Write as _};

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use time::{Date, OffsetDateTime};
use vigil_domain::access::Action;

use crate::accounts::{OrgScope, Organisation, now_micros};
use crate::attachments::attachments;
use crate::due_diligence::{dd_files, dd_notifications};
use crate::lifecycle::Hold;
use crate::records::{OperationRecord, OperationStatus, RecordError};
use crate::schema::{
    operation_holds, operation_parties, operations, organisations, parties, users,
};
use crate::{DbConnection, Store, StoreError};

/// Errors of the export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The scope's role may not export records.
    #[error("this role may not export records (administrators, officers and auditors do)")]
    Forbidden,
    /// The period is not one.
    #[error("period: {0}")]
    Period(String),
    /// The archive cannot be written.
    #[error("cannot write the archive: {0}")]
    Zip(String),
}

impl From<diesel::result::Error> for ExportError {
    fn from(e: diesel::result::Error) -> Self {
        ExportError::Store(StoreError::Query(e))
    }
}

/// The day from which an operation may be deleted: the day after its retention date.
///
/// # Errors
/// [`RecordError::Invalid`] when the stored date does not read.
pub fn retention_date(op: &OperationRecord) -> Result<Date, RecordError> {
    match &op.retain_until {
        Some(d) => Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| RecordError::Invalid {
                field: "retain_until",
                reason: format!("stored retention date {d:?} does not read"),
            }),
        None => {
            let created = OffsetDateTime::from_unix_timestamp(op.created_at.div_euclid(1_000_000))
                .map_err(|e| RecordError::Invalid {
                    field: "created_at",
                    reason: e.to_string(),
                })?;
            Date::from_calendar_date(created.year() + 5, time::Month::December, 31).map_err(|e| {
                RecordError::Invalid {
                    field: "retain_until",
                    reason: e.to_string(),
                }
            })
        }
    }
}

fn audit(
    conn: &mut DbConnection,
    scope: &OrgScope,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> Result<(), RecordError> {
    crate::audit::append_scoped_in(conn, scope, action, subject, detail)?;
    Ok(())
}

fn operation_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &str,
) -> Result<OperationRecord, RecordError> {
    operations::table
        .filter(operations::org_id.eq(scope.org_id()))
        .filter(operations::id.eq(id))
        .select(OperationRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(RecordError::NotFound)
}

/// Marks an operation carried out on `conn`, inside the caller's transaction (audited:
/// `operation.completed`).
///
/// # Errors
/// [`RecordError::Forbidden`] without [`Action::Enter`]; [`RecordError::NotFound`];
/// [`RecordError::Refused`] for a blocked operation (an open hold stops the export); a database
/// failure. Marking an operation already carried out changes nothing.
pub fn complete_operation_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &str,
) -> Result<OperationRecord, RecordError> {
    if !scope.role().allows(Action::Enter) {
        return Err(RecordError::Forbidden);
    }
    let op = operation_in(conn, scope, id)?;
    if op.status == OperationStatus::Blocked.as_str() {
        return Err(RecordError::Refused(
            "the operation is blocked: an officer must release its holds before the export takes \
             place (Recommendation (EU) 2019/1318, element 4)"
                .to_owned(),
        ));
    }
    if op.completed_at.is_some() {
        // Already recorded: marking it again changes nothing.
        return Ok(op);
    }
    let now = now_micros();
    diesel::update(
        operations::table
            .filter(operations::org_id.eq(scope.org_id()))
            .filter(operations::id.eq(id)),
    )
    .set(operations::completed_at.eq(now))
    .execute(conn)?;
    audit(
        conn,
        scope,
        "operation.completed",
        format!("operation:{id}"),
        json!({"reference": op.reference, "decision": op.decision, "status": op.status}),
    )?;
    operation_in(conn, scope, id)
}

/// Why an operation may not be deleted (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeepReason {
    /// Its retention date (Art. 27) is not past: it is kept until this day, included.
    Retention(Date),
    /// A hold is still open: the matter is not settled.
    OpenHold,
    /// A due-diligence file on it is still open (Art. 5).
    DueDiligenceOpen,
    /// A notification to the authority (Art. 5(2)) has not been answered.
    NotificationPending,
}

impl KeepReason {
    /// A stable name (`retention`, `open_hold`, `due_diligence_open`, `notification_pending`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            KeepReason::Retention(_) => "retention",
            KeepReason::OpenHold => "open_hold",
            KeepReason::DueDiligenceOpen => "due_diligence_open",
            KeepReason::NotificationPending => "notification_pending",
        }
    }
}

impl std::fmt::Display for KeepReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeepReason::Retention(until) => write!(
                f,
                "the record must be kept until {until} (Art. 27 of Regulation (EU) 2021/821: at \
                 least five years from the end of the calendar year of the operation)"
            ),
            KeepReason::OpenHold => f.write_str(
                "a hold of the operation is still open: release it before the record may go",
            ),
            KeepReason::DueDiligenceOpen => f.write_str(
                "a due-diligence file on the operation is still open (Art. 5 of Regulation (EU) \
                 2021/821)",
            ),
            KeepReason::NotificationPending => f.write_str(
                "a notification to the authority about the operation awaits its answer (Art. 5(2) \
                 of Regulation (EU) 2021/821)",
            ),
        }
    }
}

/// What keeps `op` on `today`, the first reason found (retention date first), or `None` when
/// it may be deleted.
///
/// # Errors
/// An unreadable retention date; a database failure.
pub fn keep_reason_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    op: &OperationRecord,
    today: Date,
) -> Result<Option<KeepReason>, RecordError> {
    let until = retention_date(op)?;
    if today <= until {
        return Ok(Some(KeepReason::Retention(until)));
    }
    other_keep_reason_in(conn, scope, &op.id)
}

/// The reasons other than the retention date.
fn other_keep_reason_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &str,
) -> Result<Option<KeepReason>, RecordError> {
    let open_holds: i64 = operation_holds::table
        .filter(operation_holds::org_id.eq(scope.org_id()))
        .filter(operation_holds::operation_id.eq(id))
        .filter(operation_holds::released_at.is_null())
        .count()
        .get_result(conn)?;
    if open_holds > 0 {
        return Ok(Some(KeepReason::OpenHold));
    }
    let open_files: i64 = dd_files::table
        .filter(dd_files::org_id.eq(scope.org_id()))
        .filter(dd_files::operation_id.eq(id))
        .filter(dd_files::status.eq("open"))
        .count()
        .get_result(conn)?;
    if open_files > 0 {
        return Ok(Some(KeepReason::DueDiligenceOpen));
    }
    let pending: i64 = dd_notifications::table
        .filter(dd_notifications::org_id.eq(scope.org_id()))
        .filter(dd_notifications::operation_id.eq(id))
        .filter(dd_notifications::status.ne("answered"))
        .count()
        .get_result(conn)?;
    if pending > 0 {
        return Ok(Some(KeepReason::NotificationPending));
    }
    Ok(None)
}

/// An operation whose retention date has passed or is near, as [`Store::retention_due`] lists
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionEntry {
    /// The operation.
    pub operation: OperationRecord,
    /// Its retention date (kept until this day, included).
    pub retain_until: Date,
    /// What keeps it on the day asked (`None`: it may be deleted).
    pub keep: Option<KeepReason>,
}

impl RetentionEntry {
    /// It may be deleted on the day asked.
    #[must_use]
    pub fn deletable(&self) -> bool {
        self.keep.is_none()
    }
}

/// A refused deletion of a batch: nothing of the batch was deleted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeleteError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The role may not delete records (officers and administrators do).
    #[error("this role may not delete records (officers and administrators do)")]
    Forbidden,
    /// No operation was named.
    #[error("no operation named")]
    Empty,
    /// No operation with this id in the scope's organisation (another organisation's looks
    /// the same).
    #[error("operation {0}: not found in your organisation")]
    NotFound(String),
    /// This operation (the first refused of the batch) is kept.
    #[error("operation {reference} ({id}): {reason}")]
    Kept {
        /// Its id.
        id: String,
        /// Its reference (its id when it has none).
        reference: String,
        /// Why.
        reason: KeepReason,
    },
    /// A stored record does not read.
    #[error(transparent)]
    Record(#[from] RecordError),
}

impl From<diesel::result::Error> for DeleteError {
    fn from(e: diesel::result::Error) -> Self {
        DeleteError::Store(StoreError::Query(e))
    }
}

/// Deletes an operation on `conn`, inside the caller's transaction, when its retention date is
/// past on `today` and nothing else keeps it ([`KeepReason`]) (audited: `operation.deleted`);
/// its holds, party links, draw-downs and documents go with it.
///
/// # Errors
/// [`RecordError::Forbidden`] for a role without [`Action::Decide`]; [`RecordError::NotFound`];
/// [`RecordError::Refused`] before the retention date (Art. 27) or while a [`KeepReason`]
/// holds; a database failure.
pub fn delete_operation_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &str,
    today: Date,
) -> Result<(), RecordError> {
    if !scope.role().allows(Action::Decide) {
        return Err(RecordError::Forbidden);
    }
    let op = operation_in(conn, scope, id)?;
    let until = retention_date(&op)?;
    if let Some(why) = keep_reason_in(conn, scope, &op, today)? {
        return Err(RecordError::Refused(why.to_string()));
    }
    let documents = diesel::delete(
        attachments::table
            .filter(attachments::org_id.eq(scope.org_id()))
            .filter(attachments::subject.eq(format!("operation:{id}"))),
    )
    .execute(conn)?;
    let holds = diesel::delete(
        operation_holds::table
            .filter(operation_holds::org_id.eq(scope.org_id()))
            .filter(operation_holds::operation_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        operation_parties::table
            .filter(operation_parties::org_id.eq(scope.org_id()))
            .filter(operation_parties::operation_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        operations::table
            .filter(operations::org_id.eq(scope.org_id()))
            .filter(operations::id.eq(id)),
    )
    .execute(conn)?;
    audit(
        conn,
        scope,
        "operation.deleted",
        format!("operation:{id}"),
        json!({
            "reference": op.reference,
            "decision": op.decision,
            "retain_until": until.to_string(),
            "holds": holds,
            "documents": documents,
        }),
    )?;
    Ok(())
}

/// One CSV field, quoted when needed (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn rfc3339(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A file name part made of safe characters.
fn safe(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let out = out.trim_matches('.').to_owned();
    if out.is_empty() {
        "file".to_owned()
    } else {
        out
    }
}

fn to_json(v: &str) -> serde_json::Value {
    serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_owned()))
}

fn hold_json(h: &Hold, names: &BTreeMap<String, String>) -> serde_json::Value {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    json!({
        "id": h.id,
        "cause": h.cause,
        "detail": to_json(&h.detail),
        "created_by": name(&h.created_by),
        "created_at": rfc3339(h.created_at),
        "released_by": h.released_by.as_deref().map(name),
        "released_at": h.released_at.map(rfc3339),
        "release_kind": h.release_kind,
        "release_reason": h.release_reason,
        "release_detail": h.release_detail.as_deref().map(to_json),
    })
}

/// The archive being built: every file and its SHA-256.
struct Archive {
    zip: zip::ZipWriter<Cursor<Vec<u8>>>,
    hashes: BTreeMap<String, String>,
}

impl Archive {
    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        self.zip
            .start_file(name, options)
            .map_err(|e| ExportError::Zip(e.to_string()))?;
        self.zip
            .write_all(bytes)
            .map_err(|e| ExportError::Zip(e.to_string()))?;
        let digest: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.hashes.insert(name.to_owned(), digest);
        Ok(())
    }

    fn add_json(&mut self, name: &str, v: &serde_json::Value) -> Result<(), ExportError> {
        let text = serde_json::to_vec_pretty(v).map_err(|e| ExportError::Zip(e.to_string()))?;
        self.add(name, &text)
    }
}

/// The first microsecond of a day (UTC).
fn day_start(d: Date) -> i64 {
    let t = d.midnight().assume_utc().unix_timestamp();
    t.saturating_mul(1_000_000)
}

impl Store {
    /// Marks an operation carried out (see [`complete_operation_in`]).
    ///
    /// # Errors
    /// As [`complete_operation_in`].
    pub fn complete_operation(
        &self,
        scope: &OrgScope,
        id: &str,
    ) -> Result<OperationRecord, RecordError> {
        if !scope.role().allows(Action::Enter) {
            return Err(RecordError::Forbidden);
        }
        self.write_tx(|c| complete_operation_in(c, scope, id))
    }

    /// Deletes an operation after its retention date (see [`delete_operation_in`]).
    ///
    /// # Errors
    /// As [`delete_operation_in`].
    pub fn delete_operation(
        &self,
        scope: &OrgScope,
        id: &str,
        today: Date,
    ) -> Result<(), RecordError> {
        if !scope.role().allows(Action::Decide) {
            return Err(RecordError::Forbidden);
        }
        self.write_tx(|c| delete_operation_in(c, scope, id, today))
    }

    /// Deletes the operations `ids` (duplicates count once) in one transaction: all of them, or
    /// none when one is refused (the first refused, in the order given, is named). Each deletion
    /// is audited (`operation.deleted`).
    ///
    /// # Errors
    /// [`DeleteError::Forbidden`] without [`Action::Decide`]; [`DeleteError::Empty`];
    /// [`DeleteError::NotFound`] for an id not of the organisation; [`DeleteError::Kept`] with
    /// the first operation kept and why; a database failure.
    pub fn delete_operations(
        &self,
        scope: &OrgScope,
        ids: &[String],
        today: Date,
    ) -> Result<usize, DeleteError> {
        if !scope.role().allows(Action::Decide) {
            return Err(DeleteError::Forbidden);
        }
        let mut seen = BTreeSet::new();
        let ids: Vec<&String> = ids.iter().filter(|i| seen.insert(i.as_str())).collect();
        if ids.is_empty() {
            return Err(DeleteError::Empty);
        }
        self.write_tx(|c| {
            for id in &ids {
                let op = match operation_in(c, scope, id) {
                    Ok(op) => op,
                    Err(RecordError::NotFound) => return Err(DeleteError::NotFound((*id).clone())),
                    Err(e) => return Err(e.into()),
                };
                if let Some(reason) = keep_reason_in(c, scope, &op, today)? {
                    let reference = if op.reference.is_empty() {
                        op.id.clone()
                    } else {
                        op.reference.clone()
                    };
                    return Err(DeleteError::Kept {
                        id: op.id,
                        reference,
                        reason,
                    });
                }
                delete_operation_in(c, scope, id, today)?;
            }
            Ok(ids.len())
        })
    }

    /// The operations of the organisation whose retention date is before `today + horizon_days`
    /// (past, or due within the horizon), oldest retention date first, each with what keeps it
    /// on `today`. Roles with [`Action::ReadAudit`] (as the records export).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`] without [`Action::ReadAudit`]; an unreadable stored date; a
    /// database failure.
    pub fn retention_due(
        &self,
        scope: &OrgScope,
        today: Date,
        horizon_days: i64,
    ) -> Result<Vec<RetentionEntry>, RecordError> {
        if !scope.role().allows(Action::ReadAudit) {
            return Err(RecordError::Forbidden);
        }
        let limit = today.saturating_add(time::Duration::days(horizon_days));
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(|c| {
            let ops: Vec<OperationRecord> = operations::table
                .filter(operations::org_id.eq(scope.org_id()))
                .order((operations::created_at.asc(), operations::id.asc()))
                .select(OperationRecord::as_select())
                .load(c)?;
            let mut out = Vec::new();
            for op in ops {
                let until = retention_date(&op)?;
                if until >= limit {
                    continue;
                }
                let keep = if today <= until {
                    Some(KeepReason::Retention(until))
                } else {
                    other_keep_reason_in(c, scope, &op.id)?
                };
                out.push(RetentionEntry {
                    operation: op,
                    retain_until: until,
                    keep,
                });
            }
            out.sort_by_key(|e| e.retain_until);
            Ok(out)
        })
    }

    /// The records of the operations created from `from` to `to` (UTC days, both included) as a
    /// ZIP archive, read in one transaction; `generated_at` is written in the manifest.
    ///
    /// Layout: `operations.csv`, `manifest.json`, and per operation
    /// `operations/{created day}_{reference}_{id}/` with `operation.json` (the OPERATION as
    /// given), `assessment.json`, `holds.json` (holds and releases), `parties.json` (the party
    /// records it names) and `attachments/{id}_{file name}`.
    ///
    /// # Errors
    /// [`ExportError::Forbidden`] without [`Action::ReadAudit`]; a bad period; a database or
    /// archive failure.
    pub fn export_records(
        &self,
        scope: &OrgScope,
        from: Date,
        to: Date,
        generated_at: OffsetDateTime,
    ) -> Result<Vec<u8>, ExportError> {
        if !scope.role().allows(Action::ReadAudit) {
            return Err(ExportError::Forbidden);
        }
        self.export_org_records(scope.org(), Some(scope.user_id()), from, to, generated_at)
    }

    /// The organisation with this id, or else this name (for the command line, which acts with
    /// the database's own rights, like `vigil audit list`).
    ///
    /// # Errors
    /// A database failure.
    pub fn organisation_by_id_or_name(
        &self,
        key: &str,
    ) -> Result<Option<Organisation>, StoreError> {
        let mut conn = self.conn()?;
        let by_id = organisations::table
            .filter(organisations::id.eq(key))
            .select(Organisation::as_select())
            .first(&mut *conn)
            .optional()?;
        if by_id.is_some() {
            return Ok(by_id);
        }
        Ok(organisations::table
            .filter(organisations::name.eq(key))
            .order(organisations::created_at.asc())
            .select(Organisation::as_select())
            .first(&mut *conn)
            .optional()?)
    }

    /// [`Store::export_records`] for an organisation, without a member's scope (the command
    /// line); `generated_by` is the user id of the member who asked, if any.
    ///
    /// # Errors
    /// A bad period; a database or archive failure.
    pub fn export_org_records(
        &self,
        org: &Organisation,
        generated_by: Option<&str>,
        from: Date,
        to: Date,
        generated_at: OffsetDateTime,
    ) -> Result<Vec<u8>, ExportError> {
        if to < from {
            return Err(ExportError::Period(format!(
                "the end ({to}) is before the start ({from})"
            )));
        }
        let start = day_start(from);
        let end = to.next_day().map_or(i64::MAX, day_start);
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(|c| {
            let ops: Vec<OperationRecord> = operations::table
                .filter(operations::org_id.eq(org.id.as_str()))
                .filter(operations::created_at.ge(start))
                .filter(operations::created_at.lt(end))
                .order((operations::created_at.asc(), operations::id.asc()))
                .select(OperationRecord::as_select())
                .load(c)?;
            let names: BTreeMap<String, String> = users::table
                .inner_join(crate::schema::memberships::table)
                .filter(crate::schema::memberships::org_id.eq(org.id.as_str()))
                .select((users::id, users::email))
                .load::<(String, String)>(c)?
                .into_iter()
                .collect();
            let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
            let mut ar = Archive {
                zip: zip::ZipWriter::new(Cursor::new(Vec::new())),
                hashes: BTreeMap::new(),
            };
            let mut csv = String::from(
                "reference,type,destination,decision,status,created,created_by,released_by,retain_until\n",
            );
            let mut law_versions = BTreeSet::new();
            for op in &ops {
                law_versions.insert(op.law_version.clone());
                let created_day = OffsetDateTime::from_unix_timestamp(op.created_at / 1_000_000)
                    .map(|t| t.date().to_string())
                    .unwrap_or_default();
                let dir = format!(
                    "operations/{created_day}_{}_{}",
                    safe(if op.reference.is_empty() {
                        "operation"
                    } else {
                        &op.reference
                    }),
                    op.id
                );
                let input = to_json(&op.input_json);
                ar.add_json(&format!("{dir}/operation.json"), &input)?;
                ar.add_json(
                    &format!("{dir}/assessment.json"),
                    &to_json(&op.assessment_json),
                )?;
                let holds: Vec<Hold> = operation_holds::table
                    .filter(operation_holds::org_id.eq(org.id.as_str()))
                    .filter(operation_holds::operation_id.eq(&op.id))
                    .order((operation_holds::created_at.asc(), operation_holds::id.asc()))
                    .select(Hold::as_select())
                    .load(c)?;
                ar.add_json(
                    &format!("{dir}/holds.json"),
                    &json!(holds.iter().map(|h| hold_json(h, &names)).collect::<Vec<_>>()),
                )?;
                let linked: Vec<(String, String, String, String)> = operation_parties::table
                    .inner_join(parties::table)
                    .filter(operation_parties::org_id.eq(org.id.as_str()))
                    .filter(operation_parties::operation_id.eq(&op.id))
                    .filter(parties::org_id.eq(org.id.as_str()))
                    .order(parties::id.asc())
                    .select((parties::id, parties::role, parties::name, parties::country))
                    .load(c)?;
                ar.add_json(
                    &format!("{dir}/parties.json"),
                    &json!(
                        linked
                            .iter()
                            .map(|(id, role, n, country)| json!({
                                "id": id, "role": role, "name": n, "country": country
                            }))
                            .collect::<Vec<_>>()
                    ),
                )?;
                let docs: Vec<(String, String, Vec<u8>)> = attachments::table
                    .filter(attachments::org_id.eq(org.id.as_str()))
                    .filter(attachments::subject.eq(format!("operation:{}", op.id)))
                    .order(attachments::uploaded_at.asc())
                    .select((attachments::id, attachments::filename, attachments::data))
                    .load(c)?;
                for (id, filename, data) in &docs {
                    ar.add(
                        &format!("{dir}/attachments/{id}_{}", safe(filename)),
                        data,
                    )?;
                }
                let released_by: Vec<String> = holds
                    .iter()
                    .filter_map(|h| h.released_by.as_deref().map(name))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let field = |k: &str| input.get(k).and_then(|v| v.as_str()).unwrap_or("");
                let row = [
                    op.reference.as_str(),
                    field("type"),
                    field("destination"),
                    op.decision.as_str(),
                    op.status.as_str(),
                    &rfc3339(op.created_at),
                    &name(&op.created_by),
                    &released_by.join(" "),
                    op.retain_until.as_deref().unwrap_or(""),
                ]
                .iter()
                .map(|s| csv_field(s))
                .collect::<Vec<_>>()
                .join(",");
                csv.push_str(&row);
                csv.push('\n');
            }
            ar.add("operations.csv", csv.as_bytes())?;
            let manifest = json!({
                "organisation": {"id": org.id.as_str(), "name": org.name},
                "period": {"from": from.to_string(), "to": to.to_string()},
                "operations": ops.len(),
                "law_versions": law_versions,
                "generated_at": generated_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                "generated_by": generated_by.map_or_else(|| "command line".to_owned(), name),
                "legal_basis": "Art. 27 of Regulation (EU) 2021/821 (records kept at least five years)",
                "sha256": ar.hashes,
            });
            let text =
                serde_json::to_vec_pretty(&manifest).map_err(|e| ExportError::Zip(e.to_string()))?;
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            ar.zip
                .start_file("manifest.json", options)
                .map_err(|e| ExportError::Zip(e.to_string()))?;
            ar.zip
                .write_all(&text)
                .map_err(|e| ExportError::Zip(e.to_string()))?;
            let out = ar
                .zip
                .finish()
                .map_err(|e| ExportError::Zip(e.to_string()))?;
            Ok(out.into_inner())
        })
    }
}
