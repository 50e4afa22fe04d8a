//! Records and retention (Art. 27 of Regulation (EU) 2021/821: registers or records of exports,
//! brokering and technical assistance kept at least five years from the end of the calendar
//! year in which the operation took place, and shown to the competent authority on request).
//!
//! Rules:
//! - an operation is marked carried out (`completed_at`) by a role that enters records, only when
//!   it is not blocked (an open hold stops the export); marking it again changes nothing;
//! - an operation is deleted only by an administrator, and only after its retention date
//!   (`retain_until`; when none was recorded, 31 December of the fifth year after the year it
//!   was created); its holds, party links and documents go with it, the audit log keeps every
//!   row (it is append-only) and records the deletion;
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
use vigil_domain::access::{Action, Role};

use crate::accounts::{OrgScope, Organisation, now_micros};
use crate::attachments::attachments;
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

/// Deletes an operation on `conn`, inside the caller's transaction, when its retention date is
/// past on `today` (audited: `operation.deleted`); its holds, party links, draw-downs and
/// documents go with it.
///
/// # Errors
/// [`RecordError::Forbidden`] for anyone but an administrator; [`RecordError::NotFound`];
/// [`RecordError::Refused`] before the retention date (Art. 27); a database failure.
pub fn delete_operation_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &str,
    today: Date,
) -> Result<(), RecordError> {
    if scope.role() != Role::Admin {
        return Err(RecordError::Forbidden);
    }
    let op = operation_in(conn, scope, id)?;
    let until = retention_date(&op)?;
    if today <= until {
        return Err(RecordError::Refused(format!(
            "the record must be kept until {until} (Art. 27 of Regulation (EU) 2021/821: at least \
             five years from the end of the calendar year of the operation)"
        )));
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
        if scope.role() != Role::Admin {
            return Err(RecordError::Forbidden);
        }
        self.write_tx(|c| delete_operation_in(c, scope, id, today))
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
