//! The audit trail in the database: table `audit_log`, one hash chain per organisation.
//!
//! Rules (issue 5, item 5):
//! - append-only: the application only ever INSERTs; triggers on both backends refuse UPDATE and
//!   DELETE (and SQLite's INSERT OR REPLACE, PostgreSQL's TRUNCATE), so nothing short of dropping
//!   the triggers changes a row, and the hash chain shows it if someone does;
//! - one chain per organisation, numbered from 1 as [`vigil_domain::audit::seal`] numbers it:
//!   organisations are isolated from each other, an organisation's log can be exported and
//!   verified on its own, and appends of different organisations never wait for each other;
//! - an append reads the organisation's last row and seals the new one after it, under a lock
//!   held to the end of the transaction, so concurrent appends cannot fork a chain: on PostgreSQL a
//!   transaction-scoped advisory lock keyed by the organisation; on SQLite the transaction's first
//!   statement writes (the crate's write-first pattern), which takes the database's write lock;
//! - [`append_in`] appends inside a transaction the caller already has, so a change and the row
//!   recording it commit or roll back together ([`crate::lists`] does so for list imports);
//! - [`Store::verify_audit`] streams a chain in order, page by page, and names the first broken
//!   row.

use diesel::prelude::*;
#[cfg(feature = "postgres")]
use diesel::sql_types::Integer;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;
use vigil_domain::audit::{AuditEvent, AuditRecord, ChainError, seal};

use crate::schema::audit_log;
use crate::{DbConnection, Store, StoreError};

/// The organisation id under which system-wide events (list imports …) are recorded.
pub const SYSTEM_ORG: &str = "system";

/// Rows read per query when walking a chain.
const PAGE: i64 = 1000;

/// First key of the PostgreSQL advisory lock of a chain ("VgAu"): the two-key form keeps it apart
/// from any single-key advisory lock.
#[cfg(feature = "postgres")]
const PG_LOCK_CLASS: i32 = 0x5667_4175;

/// Which records of a chain to read. The default reads the whole chain, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Records from this position on (inclusive).
    pub from_seq: Option<u64>,
    /// Records up to this position (inclusive).
    pub to_seq: Option<u64>,
    /// Records at or after this time (RFC 3339 UTC, compared as text).
    pub since: Option<String>,
    /// Records before this time (RFC 3339 UTC, compared as text).
    pub until: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action; a value ending in `.` (e.g. `list.`) is a prefix.
    pub action: Option<String>,
    /// Take `action` as a prefix whatever it ends with (`item` finds `item.created`).
    pub action_prefix: bool,
    /// Only this subject.
    pub subject: Option<String>,
    /// At most this many records.
    pub limit: Option<u64>,
    /// Newest first instead of chain order.
    pub newest_first: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct AuditRow {
    org_id: String,
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow<'a> {
    org_id: &'a str,
    seq: i64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    detail: &'a str,
    prev_hash: &'a str,
    hash: &'a str,
}

/// A time as the audit log writes it: RFC 3339, UTC, microseconds, `Z` (fixed width, so text
/// order is time order).
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Now, as [`timestamp`] writes it.
pub fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

/// A 32-bit FNV-1a hash: the organisation's part of its advisory lock key (collisions only make
/// two organisations wait for each other).
#[cfg(feature = "postgres")]
fn lock_key(org_id: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in org_id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(h.to_ne_bytes())
}

/// Takes the lock of `org_id`'s chain until the end of the current transaction.
fn lock_chain(conn: &mut DbConnection, org_id: &str) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind::<Integer, _>(PG_LOCK_CLASS)
                .bind::<Integer, _>(lock_key(org_id))
                .execute(c)?;
        }
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => {
            let _ = org_id;
            // A write that changes nothing (and fires no trigger) still takes the database's write
            // lock: the read of the last row below cannot be overtaken by another append.
            diesel::sql_query("UPDATE audit_log SET seq = seq WHERE 0 = 1").execute(c)?;
        }
    }
    Ok(())
}

/// Appends `event` to the chain of `org_id` inside the caller's transaction, which commits or
/// rolls it back with the change it records.
///
/// Call it inside `conn.transaction(…)`. On SQLite, let the transaction's first statement be a
/// write (the change itself, or this call): a transaction that reads first may fail to take the
/// write lock later.
///
/// The `detail` is stored as JSON text and sealed as that text reads back, so what is hashed is
/// exactly what [`Store::verify_audit`] will read (floats included).
///
/// # Errors
/// [`StoreError::BadAuditEvent`] when the event names another organisation or none; a database
/// failure.
pub fn append_in(
    conn: &mut DbConnection,
    org_id: &str,
    event: AuditEvent,
) -> Result<AuditRecord, StoreError> {
    let mut records = append_all_in(conn, org_id, vec![event])?;
    records.pop().ok_or_else(|| StoreError::BadAuditEvent {
        org_id: org_id.to_owned(),
        reason: "no record was written".to_owned(),
    })
}

/// The event of a change made now by `scope`'s user in its organisation.
pub fn scoped_event(
    scope: &crate::accounts::OrgScope,
    action: &str,
    subject: String,
    detail: Value,
) -> AuditEvent {
    AuditEvent {
        at: now(),
        org_id: scope.org_id().to_owned(),
        actor: scope.user_id().to_owned(),
        action: action.to_owned(),
        subject,
        detail,
    }
}

/// Appends [`scoped_event`] to the chain of `scope`'s organisation inside the caller's
/// transaction (see [`append_in`]).
///
/// # Errors
/// As [`append_in`].
pub fn append_scoped_in(
    conn: &mut DbConnection,
    scope: &crate::accounts::OrgScope,
    action: &str,
    subject: String,
    detail: Value,
) -> Result<AuditRecord, StoreError> {
    append_in(
        conn,
        scope.org_id(),
        scoped_event(scope, action, subject, detail),
    )
}

/// Appends `events`, in order, to the chain of `org_id` inside the caller's transaction, as
/// [`append_in`] does for one: the chain is locked and its last row read once for all of them,
/// then the rows are inserted. Nothing is written when one is bad.
///
/// # Errors
/// [`StoreError::BadAuditEvent`] for an event of another organisation or a detail that does not
/// serialise; a database failure.
pub fn append_all_in(
    conn: &mut DbConnection,
    org_id: &str,
    events: Vec<AuditEvent>,
) -> Result<Vec<AuditRecord>, StoreError> {
    let bad = |reason: String| StoreError::BadAuditEvent {
        org_id: org_id.to_owned(),
        reason,
    };
    if org_id.is_empty() {
        return Err(bad("no organisation id".to_owned()));
    }
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut checked = Vec::with_capacity(events.len());
    for event in events {
        if event.org_id != org_id {
            return Err(bad(format!(
                "the event belongs to organisation {:?}",
                event.org_id
            )));
        }
        let detail_text = serde_json::to_string(&event.detail)
            .map_err(|e| bad(format!("detail cannot be serialised: {e}")))?;
        let detail: Value = serde_json::from_str(&detail_text)
            .map_err(|e| bad(format!("detail does not read back: {e}")))?;
        checked.push((AuditEvent { detail, ..event }, detail_text));
    }

    lock_chain(conn, org_id)?;
    let last: Option<(i64, String)> = audit_log::table
        .filter(audit_log::org_id.eq(org_id))
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash))
        .first(conn)
        .optional()?;
    // Sealing after a record reads only its position and hash.
    let mut prev = last.map(|(seq, hash)| AuditRecord {
        seq: u64::try_from(seq).unwrap_or(0),
        event: AuditEvent {
            at: String::new(),
            org_id: org_id.to_owned(),
            actor: String::new(),
            action: String::new(),
            subject: String::new(),
            detail: Value::Null,
        },
        prev_hash: String::new(),
        hash,
    });
    let mut records = Vec::with_capacity(checked.len());
    let mut texts = Vec::with_capacity(checked.len());
    for (event, detail_text) in checked {
        let record = seal(prev.as_ref(), event);
        prev = Some(record.clone());
        records.push(record);
        texts.push(detail_text);
    }
    // One statement per row: diesel's multi-row insert is not available across both backends.
    for (record, detail) in records.iter().zip(&texts) {
        diesel::insert_into(audit_log::table)
            .values(NewAuditRow {
                org_id,
                seq: i64::try_from(record.seq).unwrap_or(i64::MAX),
                at: &record.event.at,
                actor: &record.event.actor,
                action: &record.event.action,
                subject: &record.event.subject,
                detail,
                prev_hash: &record.prev_hash,
                hash: &record.hash,
            })
            .execute(conn)?;
    }
    Ok(records)
}

/// The record of a row, and why it cannot be a record of the chain, if it cannot (a position
/// below 1, a detail that is not JSON: shown as its text).
fn read_row(row: AuditRow) -> (AuditRecord, Option<String>) {
    let mut problem = None;
    let seq = u64::try_from(row.seq).unwrap_or_else(|_| {
        problem = Some(format!(
            "its position {} is not a valid one (it was edited)",
            row.seq
        ));
        0
    });
    let detail = serde_json::from_str::<Value>(&row.detail).unwrap_or_else(|e| {
        problem.get_or_insert_with(|| format!("its detail is not JSON (it was edited): {e}"));
        Value::String(row.detail)
    });
    let record = AuditRecord {
        seq,
        event: AuditEvent {
            at: row.at,
            org_id: row.org_id,
            actor: row.actor,
            action: row.action,
            subject: row.subject,
            detail,
        },
        prev_hash: row.prev_hash,
        hash: row.hash,
    };
    (record, problem)
}

fn seq_param(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `%`, `_` and `\` taken literally in a LIKE pattern (escape character `\`).
fn like_prefix(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

impl Store {
    /// Appends `event` to the chain of `org_id` in a transaction of its own.
    ///
    /// # Errors
    /// See [`append_in`].
    pub fn append_audit(&self, org_id: &str, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(|c| append_in(c, org_id, event))
    }

    /// Records of the chain of `org_id` that pass `filter`. A row whose detail is not JSON any
    /// more is returned with the text as detail ([`Store::verify_audit`] is what judges rows).
    ///
    /// # Errors
    /// A database failure.
    pub fn audit_records(
        &self,
        org_id: &str,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut q = audit_log::table
            .filter(audit_log::org_id.eq(org_id))
            .select(AuditRow::as_select())
            .into_boxed();
        if let Some(n) = filter.from_seq {
            q = q.filter(audit_log::seq.ge(seq_param(n)));
        }
        if let Some(n) = filter.to_seq {
            q = q.filter(audit_log::seq.le(seq_param(n)));
        }
        if let Some(t) = &filter.since {
            q = q.filter(audit_log::at.ge(t.clone()));
        }
        if let Some(t) = &filter.until {
            q = q.filter(audit_log::at.lt(t.clone()));
        }
        if let Some(a) = &filter.actor {
            q = q.filter(audit_log::actor.eq(a.clone()));
        }
        if let Some(a) = &filter.action {
            q = if filter.action_prefix || a.ends_with('.') {
                q.filter(audit_log::action.like(like_prefix(a)).escape('\\'))
            } else {
                q.filter(audit_log::action.eq(a.clone()))
            };
        }
        if let Some(s) = &filter.subject {
            q = q.filter(audit_log::subject.eq(s.clone()));
        }
        q = if filter.newest_first {
            q.order(audit_log::seq.desc())
        } else {
            q.order(audit_log::seq.asc())
        };
        if let Some(n) = filter.limit {
            q = q.limit(seq_param(n));
        }
        let rows: Vec<AuditRow> = q.load(&mut *self.conn()?)?;
        Ok(rows.into_iter().map(|r| read_row(r).0).collect())
    }

    /// The organisations that have an audit chain, in order.
    ///
    /// # Errors
    /// A database failure.
    pub fn audit_orgs(&self) -> Result<Vec<String>, StoreError> {
        Ok(audit_log::table
            .select(audit_log::org_id)
            .distinct()
            .order(audit_log::org_id.asc())
            .load(&mut *self.conn()?)?)
    }

    /// Recomputes the chain of `org_id`, in order, a page at a time: `Ok(Ok(n))` when its `n`
    /// records all verify (0 for an organisation without records), `Ok(Err(e))` naming the first
    /// record that does not.
    ///
    /// # Errors
    /// A database failure (the outer error).
    pub fn verify_audit(&self, org_id: &str) -> Result<Result<u64, ChainError>, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let mut walker = vigil_domain::audit::ChainVerifier::default();
        let mut after = i64::MIN;
        loop {
            // Keyset pages: rows never change, so pages are consistent while others append.
            let rows: Vec<AuditRow> = audit_log::table
                .filter(audit_log::org_id.eq(org_id))
                .filter(audit_log::seq.gt(after))
                .order(audit_log::seq.asc())
                .limit(PAGE)
                .select(AuditRow::as_select())
                .load(conn)?;
            let Some(last) = rows.last() else {
                break;
            };
            after = last.seq;
            for row in rows {
                let (record, problem) = read_row(row);
                if let Some(reason) = problem {
                    return Ok(Err(ChainError {
                        seq: record.seq,
                        reason,
                    }));
                }
                if let Err(e) = walker.check(&record) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(Ok(walker.count()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_domain::audit::{GENESIS, verify};

    fn event(n: u32) -> AuditEvent {
        AuditEvent {
            at: format!("2026-11-25T10:00:{n:02}.000000Z"),
            org_id: "org-1".into(),
            actor: "user-1".into(),
            action: "operation.assessed".into(),
            subject: format!("operation:{n}"),
            detail: serde_json::json!({"n": n}),
        }
    }

    fn chain(n: u32) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let r = seal(out.last(), event(i));
            out.push(r);
        }
        out
    }

    fn walk(records: &[AuditRecord]) -> Result<u64, ChainError> {
        let mut w = vigil_domain::audit::ChainVerifier::default();
        for r in records {
            w.check(r)?;
        }
        Ok(w.count())
    }

    /// The streaming walker judges every chain as the domain's `verify` does.
    #[test]
    fn the_walker_agrees_with_the_domain() {
        type Tamper = fn(&mut Vec<AuditRecord>);
        let tampers: [Tamper; 9] = [
            |_| {},
            |c| c.clear(),
            |c| c[2].event.actor = "intruder".into(),
            |c| c[0].event.detail = serde_json::json!({"n": 99}),
            |c| {
                c.remove(1);
            },
            |c| {
                c.remove(0);
            },
            |c| c[3].prev_hash = GENESIS.into(),
            |c| c[1].seq = 7,
            |c| {
                let mut again = c[1].clone();
                again.event.actor = "intruder".into();
                c[1] = seal(Some(&c[0]), again.event);
            },
        ];
        for (i, tamper) in tampers.iter().enumerate() {
            let mut c = chain(5);
            tamper(&mut c);
            assert_eq!(walk(&c), verify(&c), "tamper #{i}");
        }
    }

    #[test]
    fn timestamps_have_a_fixed_width() {
        let t = OffsetDateTime::from_unix_timestamp(1_764_064_800).unwrap();
        assert_eq!(timestamp(t), "2025-11-25T10:00:00.000000Z");
        assert_eq!(now().len(), 27);
    }

    #[test]
    fn like_prefixes_are_literal() {
        assert_eq!(like_prefix("list."), "list.%");
        assert_eq!(like_prefix("a_b%"), "a\\_b\\%%");
    }
}
