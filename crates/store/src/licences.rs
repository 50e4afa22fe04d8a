//! The authorisations register: individual and global export authorisations (Art. 12(1)(a)–(b)
//! of Regulation (EU) 2021/821) with their quotas and what operations drew on them, and the
//! organisation's use of Union general export authorisations (Annex II) with the dates of its
//! duties.
//!
//! Rules:
//! - every read and write takes an [`OrgScope`]; another organisation's licence is
//!   [`LicenceError::NotFound`], like an unknown one;
//! - registering a licence, drawing on it and recording the use of a general authorisation need
//!   [`Action::Decide`] ([`LicenceError::Forbidden`] otherwise);
//! - every write appends its audit row in the same transaction (`licence.registered`,
//!   `licence.amended`, `licence.drawn_down`, `general_authorisation.used`, and
//!   `attachment.added` for the licence's or an amendment's document);
//! - an amendment ([`amend_licence_in`]) replaces the terms in force and keeps, in
//!   `licence_amendments`, the authority's reference and date, what changed and the terms
//!   before; draw-downs after it use the new terms;
//! - the store decides nothing: the terms are validated and the draw-down checked by
//!   `vigil_domain::icp`.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde_json::json;
use time::Date;
use vigil_domain::access::Action;
use vigil_domain::assess::input::{FieldError, OperationInput, parse_date, parse_json};
use vigil_domain::icp::{
    DrawDown, DrawRequest, DrawnSoFar, GeneralAuthorisationUse, LicenceAmendmentInput, LicenceKind,
    LicenceTerms, LicenceTermsInput, Quota, QuotaUnit, Refusal, TermChange, changes,
    check_against_drawn, check_draw_down,
};
use vigil_domain::law::{ControlCode, Law};

use crate::accounts::{OrgScope, now_micros};
use crate::attachments::{AttachmentError, add_attachment_in, random_id};
use crate::records::OperationRecord;
use crate::schema::licence_amendments;
use crate::{DbConnection, Store, StoreError};

diesel::table! {
    /// Individual and global export authorisations.
    licences (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// `individual` or `global`.
        kind -> Text,
        /// Number as issued.
        number -> Text,
        /// Issuing authority.
        authority -> Text,
        /// Annex I entries (JSON array).
        entries_json -> Text,
        /// Destinations (JSON array of ISO codes).
        destinations_json -> Text,
        /// End users (JSON array of names).
        end_users_json -> Text,
        /// First day of validity (YYYY-MM-DD).
        valid_from -> Text,
        /// Last day of validity (YYYY-MM-DD).
        valid_until -> Text,
        /// `yes` or `no`.
        large_project -> Text,
        /// Conditions.
        conditions -> Text,
        /// Reporting duties.
        reporting -> Text,
        /// The licence document (attachment id).
        document_id -> Nullable<Text>,
        /// Law version the terms were checked against.
        law_version -> Text,
        /// Registered by (user id).
        created_by -> Text,
        /// When (µs).
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Quotas of licences.
    licence_quotas (licence_id, unit) {
        /// Licence.
        licence_id -> Text,
        /// Organisation.
        org_id -> Text,
        /// Unit.
        unit -> Text,
        /// Total (EUR: cents).
        total -> BigInt,
    }
}

diesel::table! {
    /// Draw-downs: what an operation used of a licence, per unit.
    licence_drawdowns (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// Licence.
        licence_id -> Text,
        /// Operation.
        operation_id -> Text,
        /// Unit.
        unit -> Text,
        /// Amount (EUR: cents).
        amount -> BigInt,
        /// Day of use (YYYY-MM-DD).
        used_on -> Text,
        /// Who drew (user id).
        drawn_by -> Text,
        /// When (µs).
        drawn_at -> BigInt,
    }
}

diesel::table! {
    /// Uses of Union general export authorisations.
    general_authorisation_uses (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// `EU001` … `EU008`.
        ugea_id -> Text,
        /// Registration reference.
        registration_ref -> Nullable<Text>,
        /// Registered on.
        registered_on -> Nullable<Text>,
        /// First use.
        first_use_on -> Nullable<Text>,
        /// Notice of first use sent on.
        notice_sent_on -> Nullable<Text>,
        /// Last report on use.
        last_report_on -> Nullable<Text>,
        /// Recorded by (user id).
        recorded_by -> Text,
        /// When (µs).
        recorded_at -> BigInt,
    }
}

/// Errors of the register.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LicenceError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Bad terms or fields, each named.
    #[error("invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// No such licence or operation in the scope's organisation.
    #[error("not found")]
    NotFound,
    /// The scope's role does not allow it.
    #[error("this role may not register or draw on licences (officers and administrators do)")]
    Forbidden,
    /// Another licence of the organisation has that number.
    #[error("number: the organisation already registered licence {0}")]
    DuplicateNumber(String),
    /// The operation already drew on this licence.
    #[error("operation {0} already drew on this licence")]
    AlreadyDrawn(String),
    /// The operation's stored OPERATION cannot be read against the law.
    #[error("operation {id}: its OPERATION cannot be read: {message}")]
    Operation {
        /// The operation.
        id: String,
        /// Why.
        message: String,
    },
    /// A stored licence cannot be read back.
    #[error("licence {id}: stored terms unreadable: {message}")]
    Corrupt {
        /// The licence.
        id: String,
        /// Why.
        message: String,
    },
    /// The document cannot be attached.
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    /// No randomness for an id.
    #[error("cannot get random bytes: {0}")]
    Random(String),
}

impl From<diesel::result::Error> for LicenceError {
    fn from(e: diesel::result::Error) -> Self {
        LicenceError::Store(StoreError::Query(e))
    }
}

/// A stored licence row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = licences)]
pub struct LicenceRow {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Kind.
    pub kind: String,
    /// Number.
    pub number: String,
    /// Authority.
    pub authority: String,
    /// Entries (JSON).
    pub entries_json: String,
    /// Destinations (JSON).
    pub destinations_json: String,
    /// End users (JSON).
    pub end_users_json: String,
    /// From.
    pub valid_from: String,
    /// Until.
    pub valid_until: String,
    /// `yes`/`no`.
    pub large_project: String,
    /// Conditions.
    pub conditions: String,
    /// Reporting.
    pub reporting: String,
    /// Document (attachment id).
    pub document_id: Option<String>,
    /// Law version.
    pub law_version: String,
    /// Registered by.
    pub created_by: String,
    /// When (µs).
    pub created_at: i64,
}

/// A quota with what was used of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUse {
    /// Unit.
    pub unit: QuotaUnit,
    /// Total (EUR: cents).
    pub total: i64,
    /// Used so far.
    pub used: i64,
    /// Left.
    pub remaining: i64,
}

impl QuotaUse {
    /// Share used, 0–100 (for a bar).
    #[must_use]
    pub fn percent_used(&self) -> i64 {
        if self.total <= 0 {
            return 0;
        }
        (self.used.saturating_mul(100) / self.total).clamp(0, 100)
    }
}

/// A licence: its id and record data, its terms, and its quotas with their use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Terms.
    pub terms: LicenceTerms,
    /// Quotas with their use.
    pub quotas: Vec<QuotaUse>,
    /// The licence document (attachment id).
    pub document_id: Option<String>,
    /// Law version the terms were checked against.
    pub law_version: String,
    /// Registered by (user id).
    pub created_by: String,
    /// When (µs).
    pub created_at: i64,
}

/// A draw-down row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = licence_drawdowns)]
pub struct DrawdownRow {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Licence.
    pub licence_id: String,
    /// Operation.
    pub operation_id: String,
    /// Unit (contract name).
    pub unit: String,
    /// Amount (EUR: cents).
    pub amount: i64,
    /// Day of use.
    pub used_on: String,
    /// Who drew (user id).
    pub drawn_by: String,
    /// When (µs).
    pub drawn_at: i64,
}

/// The result of checking (or drawing) an operation on a licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawDownOutcome {
    /// Accepted: per unit drawn and remaining, with warnings. [`draw_down_in`] wrote it.
    Drawn(DrawDown),
    /// Refused: every reason, each with its source. Nothing was written.
    Refused(Vec<Refusal>),
}

/// A recorded use of a Union general export authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneralAuthorisationUseRecord {
    /// Id.
    pub id: String,
    /// The use and its dates.
    pub usage: GeneralAuthorisationUse,
    /// Recorded by (user id).
    pub recorded_by: String,
    /// When (µs).
    pub recorded_at: i64,
}

fn may_decide(scope: &OrgScope) -> Result<(), LicenceError> {
    if scope.role().allows(Action::Decide) {
        Ok(())
    } else {
        Err(LicenceError::Forbidden)
    }
}

fn new_id() -> Result<String, LicenceError> {
    random_id().map_err(LicenceError::Random)
}

fn audit(
    conn: &mut DbConnection,
    scope: &OrgScope,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> Result<(), LicenceError> {
    crate::audit::append_scoped_in(conn, scope, action, subject, detail)?;
    Ok(())
}

fn to_json(v: &[String]) -> Result<String, LicenceError> {
    serde_json::to_string(v).map_err(|e| LicenceError::Random(e.to_string()))
}

fn terms_of(row: &LicenceRow, quotas: &[(String, i64)]) -> Result<LicenceTerms, LicenceError> {
    let corrupt = |message: String| LicenceError::Corrupt {
        id: row.id.clone(),
        message,
    };
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).map_err(|e| corrupt(e.to_string()));
    let entries = list(&row.entries_json)?
        .iter()
        .map(|e| ControlCode::parse(e).map_err(|e| corrupt(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let mut quotas = quotas
        .iter()
        .map(|(u, total)| {
            QuotaUnit::parse(u)
                .map(|unit| Quota {
                    unit,
                    total: *total,
                })
                .ok_or_else(|| corrupt(format!("unknown unit {u}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    quotas.sort_by_key(|q| q.unit);
    Ok(LicenceTerms {
        kind: LicenceKind::parse(&row.kind).ok_or_else(|| corrupt(format!("kind {}", row.kind)))?,
        number: row.number.clone(),
        authority: row.authority.clone(),
        entries,
        destinations: list(&row.destinations_json)?,
        end_users: list(&row.end_users_json)?,
        quotas,
        valid_from: parse_date(&row.valid_from).map_err(corrupt)?,
        valid_until: parse_date(&row.valid_until).map_err(corrupt)?,
        large_project: row.large_project == "yes",
        conditions: row.conditions.clone(),
        reporting: row.reporting.clone(),
    })
}

fn drawn_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    licence_id: &str,
) -> Result<BTreeMap<QuotaUnit, i64>, LicenceError> {
    let rows: Vec<(String, i64)> = licence_drawdowns::table
        .filter(licence_drawdowns::org_id.eq(scope.org_id()))
        .filter(licence_drawdowns::licence_id.eq(licence_id))
        .select((licence_drawdowns::unit, licence_drawdowns::amount))
        .load(conn)?;
    let mut out = BTreeMap::new();
    for (u, a) in rows {
        if let Some(unit) = QuotaUnit::parse(&u) {
            let e = out.entry(unit).or_insert(0i64);
            *e = e.saturating_add(a);
        }
    }
    Ok(out)
}

/// Loads one licence of the scope's organisation on `conn` (`None` when not found).
///
/// # Errors
/// A database failure, unreadable stored terms.
pub fn licence_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &str,
) -> Result<Option<Licence>, LicenceError> {
    let row: Option<LicenceRow> = licences::table
        .filter(licences::org_id.eq(scope.org_id()))
        .filter(licences::id.eq(id))
        .select(LicenceRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let quotas: Vec<(String, i64)> = licence_quotas::table
        .filter(licence_quotas::org_id.eq(scope.org_id()))
        .filter(licence_quotas::licence_id.eq(id))
        .order(licence_quotas::unit.asc())
        .select((licence_quotas::unit, licence_quotas::total))
        .load(conn)?;
    let terms = terms_of(&row, &quotas)?;
    let drawn = drawn_in(conn, scope, id)?;
    let quotas = terms
        .quotas
        .iter()
        .map(|q| {
            let used = drawn.get(&q.unit).copied().unwrap_or(0);
            QuotaUse {
                unit: q.unit,
                total: q.total,
                used,
                remaining: q.total.saturating_sub(used),
            }
        })
        .collect();
    Ok(Some(Licence {
        id: row.id,
        org_id: row.org_id,
        terms,
        quotas,
        document_id: row.document_id,
        law_version: row.law_version,
        created_by: row.created_by,
        created_at: row.created_at,
    }))
}

/// A licence's document to attach at registration.
#[derive(Debug, Clone, Copy)]
pub struct LicenceDocument<'a> {
    /// File name.
    pub filename: &'a str,
    /// MIME type.
    pub content_type: &'a str,
    /// The bytes (at most 10 MiB).
    pub bytes: &'a [u8],
}

/// Registers validated terms on `conn`, inside the caller's transaction (audited:
/// `licence.registered`; the document, if any, is attached as `licence:ID`, audited
/// `attachment.added`).
///
/// # Errors
/// [`LicenceError::Forbidden`] without [`Action::Decide`]; [`LicenceError::DuplicateNumber`];
/// a document refused; a database failure.
pub fn register_licence_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    terms: &LicenceTerms,
    law_version: &str,
    document: Option<LicenceDocument<'_>>,
) -> Result<Licence, LicenceError> {
    may_decide(scope)?;
    let taken: i64 = licences::table
        .filter(licences::org_id.eq(scope.org_id()))
        .filter(licences::number.eq(&terms.number))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(LicenceError::DuplicateNumber(terms.number.clone()));
    }
    let id = new_id()?;
    let entries: Vec<String> = terms.entries.iter().map(ToString::to_string).collect();
    let created_at = now_micros();
    diesel::insert_into(licences::table)
        .values((
            licences::id.eq(&id),
            licences::org_id.eq(scope.org_id()),
            licences::kind.eq(terms.kind.as_str()),
            licences::number.eq(&terms.number),
            licences::authority.eq(&terms.authority),
            licences::entries_json.eq(to_json(&entries)?),
            licences::destinations_json.eq(to_json(&terms.destinations)?),
            licences::end_users_json.eq(to_json(&terms.end_users)?),
            licences::valid_from.eq(terms.valid_from.to_string()),
            licences::valid_until.eq(terms.valid_until.to_string()),
            licences::large_project.eq(if terms.large_project { "yes" } else { "no" }),
            licences::conditions.eq(&terms.conditions),
            licences::reporting.eq(&terms.reporting),
            licences::document_id.eq(None::<String>),
            licences::law_version.eq(law_version),
            licences::created_by.eq(scope.user_id()),
            licences::created_at.eq(created_at),
        ))
        .execute(conn)?;
    for q in &terms.quotas {
        diesel::insert_into(licence_quotas::table)
            .values((
                licence_quotas::licence_id.eq(&id),
                licence_quotas::org_id.eq(scope.org_id()),
                licence_quotas::unit.eq(q.unit.as_str()),
                licence_quotas::total.eq(q.total),
            ))
            .execute(conn)?;
    }
    audit(
        conn,
        scope,
        "licence.registered",
        format!("licence:{id}"),
        json!({
            "kind": terms.kind.as_str(),
            "number": terms.number,
            "authority": terms.authority,
            "entries": entries,
            "destinations": terms.destinations,
            "end_users": terms.end_users,
            "quotas": terms.quotas.iter().map(|q| json!({"unit": q.unit.as_str(), "total": q.total})).collect::<Vec<_>>(),
            "valid_from": terms.valid_from.to_string(),
            "valid_until": terms.valid_until.to_string(),
            "large_project": terms.large_project,
            "law_version": law_version,
        }),
    )?;
    if let Some(doc) = document {
        let att = add_attachment_in(
            conn,
            scope,
            &format!("licence:{id}"),
            doc.filename,
            doc.content_type,
            doc.bytes,
        )?;
        diesel::update(
            licences::table
                .filter(licences::org_id.eq(scope.org_id()))
                .filter(licences::id.eq(&id)),
        )
        .set(licences::document_id.eq(Some(&att.id)))
        .execute(conn)?;
    }
    licence_in(conn, scope, &id)?.ok_or(LicenceError::NotFound)
}

/// The draw request of a stored operation, read on `on`: its OPERATION JSON checked against the
/// law (entries, destination, end users, quantities), dated `on`.
fn request_of(
    operation: &OperationRecord,
    on: Date,
    law: &Law,
) -> Result<DrawRequest, LicenceError> {
    let bad = |message: String| LicenceError::Operation {
        id: operation.id.clone(),
        message,
    };
    let input: OperationInput =
        parse_json(&operation.input_json).map_err(|e| bad(e.to_string()))?;
    let op = input.check(law, on).map_err(|e| bad(e.to_string()))?;
    let mut req = DrawRequest::from_operation(&op);
    req.date = on;
    Ok(req)
}

fn check_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    licence_id: &str,
    operation: &OperationRecord,
    on: Date,
    law: &Law,
) -> Result<(Licence, DrawRequest, DrawDownOutcome), LicenceError> {
    if operation.org_id != scope.org_id() {
        return Err(LicenceError::NotFound);
    }
    let licence = licence_in(conn, scope, licence_id)?.ok_or(LicenceError::NotFound)?;
    let req = request_of(operation, on, law)?;
    let drawn: BTreeMap<QuotaUnit, i64> = licence.quotas.iter().map(|q| (q.unit, q.used)).collect();
    let outcome = match check_draw_down(&licence.terms, &drawn, &req) {
        Ok(d) => DrawDownOutcome::Drawn(d),
        Err(r) => DrawDownOutcome::Refused(r),
    };
    Ok((licence, req, outcome))
}

/// Draws an operation on a licence on `conn`, inside the caller's transaction (the release
/// flow's). The operation's stored OPERATION gives the entries, destination, end users and
/// quantities; `on` is the day of the export (the licence must be valid that day). On
/// [`DrawDownOutcome::Drawn`] one row per unit and a `licence.drawn_down` audit row are
/// inserted; on [`DrawDownOutcome::Refused`] nothing is written.
///
/// The licence row is touched first, so concurrent draws on one licence are serialised.
///
/// # Errors
/// [`LicenceError::Forbidden`] without [`Action::Decide`]; [`LicenceError::NotFound`] for a
/// licence or operation not in the scope's organisation; [`LicenceError::AlreadyDrawn`];
/// [`LicenceError::Operation`] when the stored OPERATION no longer reads; a database failure.
pub fn draw_down_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    licence_id: &str,
    operation: &OperationRecord,
    on: Date,
    law: &Law,
) -> Result<DrawDownOutcome, LicenceError> {
    may_decide(scope)?;
    // Lock the licence row (PostgreSQL row lock; SQLite already holds the write lock).
    let touched = diesel::update(
        licences::table
            .filter(licences::org_id.eq(scope.org_id()))
            .filter(licences::id.eq(licence_id)),
    )
    .set(licences::id.eq(licences::id))
    .execute(conn)?;
    if touched == 0 {
        return Err(LicenceError::NotFound);
    }
    let already: i64 = licence_drawdowns::table
        .filter(licence_drawdowns::org_id.eq(scope.org_id()))
        .filter(licence_drawdowns::licence_id.eq(licence_id))
        .filter(licence_drawdowns::operation_id.eq(&operation.id))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Err(LicenceError::AlreadyDrawn(operation.id.clone()));
    }
    let (licence, _req, outcome) = check_in(conn, scope, licence_id, operation, on, law)?;
    let DrawDownOutcome::Drawn(d) = &outcome else {
        return Ok(outcome);
    };
    let drawn_at = now_micros();
    for u in d.units.iter().filter(|u| u.amount > 0) {
        diesel::insert_into(licence_drawdowns::table)
            .values((
                licence_drawdowns::id.eq(new_id()?),
                licence_drawdowns::org_id.eq(scope.org_id()),
                licence_drawdowns::licence_id.eq(licence_id),
                licence_drawdowns::operation_id.eq(&operation.id),
                licence_drawdowns::unit.eq(u.unit.as_str()),
                licence_drawdowns::amount.eq(u.amount),
                licence_drawdowns::used_on.eq(on.to_string()),
                licence_drawdowns::drawn_by.eq(scope.user_id()),
                licence_drawdowns::drawn_at.eq(drawn_at),
            ))
            .execute(conn)?;
    }
    audit(
        conn,
        scope,
        "licence.drawn_down",
        format!("licence:{licence_id}"),
        json!({
            "number": licence.terms.number,
            "operation": operation.id,
            "used_on": on.to_string(),
            "units": d.units.iter().map(|u| json!({
                "unit": u.unit.as_str(), "amount": u.amount, "remaining": u.remaining,
            })).collect::<Vec<_>>(),
            "warnings": d.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>(),
        }),
    )?;
    Ok(outcome)
}

fn opt_date(field: &'static str, d: Option<&str>) -> Result<Option<Date>, FieldError> {
    match d {
        None => Ok(None),
        Some(s) => parse_date(s).map(Some).map_err(|message| FieldError {
            path: field.to_owned(),
            message,
        }),
    }
}

impl Store {
    /// Registers a licence with its validated terms and optional document, in one transaction.
    ///
    /// # Errors
    /// As [`register_licence_in`].
    pub fn register_licence(
        &self,
        scope: &OrgScope,
        terms: &LicenceTerms,
        law_version: &str,
        document: Option<LicenceDocument<'_>>,
    ) -> Result<Licence, LicenceError> {
        may_decide(scope)?;
        self.write_tx(|c| register_licence_in(c, scope, terms, law_version, document))
    }

    /// The scope's organisation's licences, soonest expiry first.
    ///
    /// # Errors
    /// A database failure, unreadable stored terms.
    pub fn licences(&self, scope: &OrgScope) -> Result<Vec<Licence>, LicenceError> {
        let mut conn = self.conn()?;
        let ids: Vec<String> = licences::table
            .filter(licences::org_id.eq(scope.org_id()))
            .order((licences::valid_until.asc(), licences::number.asc()))
            .select(licences::id)
            .load(&mut *conn)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(l) = licence_in(&mut conn, scope, &id)? {
                out.push(l);
            }
        }
        Ok(out)
    }

    /// One licence of the scope's organisation.
    ///
    /// # Errors
    /// A database failure, unreadable stored terms.
    pub fn licence(&self, scope: &OrgScope, id: &str) -> Result<Option<Licence>, LicenceError> {
        licence_in(&mut *self.conn()?, scope, id)
    }

    /// What operations drew on a licence, oldest first (empty for another organisation's).
    ///
    /// # Errors
    /// A database failure.
    pub fn drawdowns(
        &self,
        scope: &OrgScope,
        licence_id: &str,
    ) -> Result<Vec<DrawdownRow>, StoreError> {
        Ok(licence_drawdowns::table
            .filter(licence_drawdowns::org_id.eq(scope.org_id()))
            .filter(licence_drawdowns::licence_id.eq(licence_id))
            .order((
                licence_drawdowns::drawn_at.asc(),
                licence_drawdowns::id.asc(),
            ))
            .select(DrawdownRow::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// Previews the draw-down of an operation on a licence on day `on` (read-only: nothing is
    /// written, any member may ask).
    ///
    /// # Errors
    /// [`LicenceError::NotFound`] for a licence or operation not in the scope's organisation;
    /// [`LicenceError::Operation`]; a database failure.
    pub fn licence_check(
        &self,
        scope: &OrgScope,
        licence_id: &str,
        operation_id: &str,
        on: Date,
        law: &Law,
    ) -> Result<DrawDownOutcome, LicenceError> {
        let operation = self
            .operation(scope, operation_id)?
            .ok_or(LicenceError::NotFound)?;
        let mut conn = self.conn()?;
        let (_, _, outcome) = check_in(&mut conn, scope, licence_id, &operation, on, law)?;
        Ok(outcome)
    }

    /// Draws an operation on a licence in its own transaction (see [`draw_down_in`]).
    ///
    /// # Errors
    /// As [`draw_down_in`].
    pub fn draw_down(
        &self,
        scope: &OrgScope,
        licence_id: &str,
        operation_id: &str,
        on: Date,
        law: &Law,
    ) -> Result<DrawDownOutcome, LicenceError> {
        may_decide(scope)?;
        let operation = self
            .operation(scope, operation_id)?
            .ok_or(LicenceError::NotFound)?;
        self.write_tx(|c| draw_down_in(c, scope, licence_id, &operation, on, law))
    }

    /// Records (or updates) the organisation's use of a Union general export authorisation and
    /// the dates of its duties (audited: `general_authorisation.used`).
    ///
    /// # Errors
    /// [`LicenceError::Forbidden`]; [`LicenceError::Invalid`] for an unknown authorisation, a
    /// bad date or reference; a database failure.
    pub fn record_general_authorisation_use(
        &self,
        scope: &OrgScope,
        usage: &GeneralAuthorisationUse,
        law: &Law,
    ) -> Result<GeneralAuthorisationUseRecord, LicenceError> {
        may_decide(scope)?;
        let mut errors = Vec::new();
        let id = usage.ugea_id.trim().to_ascii_uppercase();
        if !law.ugeas().iter().any(|g| g.id == id) {
            errors.push(FieldError {
                path: "ugea_id".into(),
                message: format!(
                    "unknown Union general export authorisation `{}` (expected EU001 to EU008, Annex II of Regulation (EU) 2021/821)",
                    usage.ugea_id
                ),
            });
        }
        let reference = usage
            .registration_ref
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if reference.is_some_and(|r| r.chars().count() > 200 || r.chars().any(char::is_control)) {
            errors.push(FieldError {
                path: "registration_ref".into(),
                message: "at most 200 characters".into(),
            });
        }
        if !errors.is_empty() {
            return Err(LicenceError::Invalid(errors));
        }
        let d = |x: Option<Date>| x.map(|d| d.to_string());
        let rec_at = now_micros();
        self.write_tx(|c| {
            let existing: Option<String> = general_authorisation_uses::table
                .filter(general_authorisation_uses::org_id.eq(scope.org_id()))
                .filter(general_authorisation_uses::ugea_id.eq(&id))
                .select(general_authorisation_uses::id)
                .first(c)
                .optional()?;
            let row_id = match existing {
                Some(row_id) => {
                    diesel::update(
                        general_authorisation_uses::table
                            .filter(general_authorisation_uses::org_id.eq(scope.org_id()))
                            .filter(general_authorisation_uses::id.eq(&row_id)),
                    )
                    .set((
                        general_authorisation_uses::registration_ref.eq(reference),
                        general_authorisation_uses::registered_on.eq(d(usage.registered_on)),
                        general_authorisation_uses::first_use_on.eq(d(usage.first_use)),
                        general_authorisation_uses::notice_sent_on.eq(d(usage.notice_sent_on)),
                        general_authorisation_uses::last_report_on.eq(d(usage.last_report_on)),
                        general_authorisation_uses::recorded_by.eq(scope.user_id()),
                        general_authorisation_uses::recorded_at.eq(rec_at),
                    ))
                    .execute(c)?;
                    row_id
                }
                None => {
                    let row_id = new_id()?;
                    diesel::insert_into(general_authorisation_uses::table)
                        .values((
                            general_authorisation_uses::id.eq(&row_id),
                            general_authorisation_uses::org_id.eq(scope.org_id()),
                            general_authorisation_uses::ugea_id.eq(&id),
                            general_authorisation_uses::registration_ref.eq(reference),
                            general_authorisation_uses::registered_on.eq(d(usage.registered_on)),
                            general_authorisation_uses::first_use_on.eq(d(usage.first_use)),
                            general_authorisation_uses::notice_sent_on.eq(d(usage.notice_sent_on)),
                            general_authorisation_uses::last_report_on.eq(d(usage.last_report_on)),
                            general_authorisation_uses::recorded_by.eq(scope.user_id()),
                            general_authorisation_uses::recorded_at.eq(rec_at),
                        ))
                        .execute(c)?;
                    row_id
                }
            };
            audit(
                c,
                scope,
                "general_authorisation.used",
                format!("general_authorisation:{id}"),
                json!({
                    "ugea": id,
                    "registration_ref": reference,
                    "registered_on": d(usage.registered_on),
                    "first_use": d(usage.first_use),
                    "notice_sent_on": d(usage.notice_sent_on),
                    "last_report_on": d(usage.last_report_on),
                }),
            )?;
            Ok(GeneralAuthorisationUseRecord {
                id: row_id,
                usage: GeneralAuthorisationUse {
                    ugea_id: id.clone(),
                    registration_ref: reference.map(str::to_owned),
                    ..usage.clone()
                },
                recorded_by: scope.user_id().to_owned(),
                recorded_at: rec_at,
            })
        })
    }

    /// The organisation's uses of Union general export authorisations, by id.
    ///
    /// # Errors
    /// A database failure; a stored date unreadable.
    pub fn general_authorisation_uses(
        &self,
        scope: &OrgScope,
    ) -> Result<Vec<GeneralAuthorisationUseRecord>, LicenceError> {
        type Row = (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            i64,
        );
        let rows: Vec<Row> = general_authorisation_uses::table
            .filter(general_authorisation_uses::org_id.eq(scope.org_id()))
            .order(general_authorisation_uses::ugea_id.asc())
            .select((
                general_authorisation_uses::id,
                general_authorisation_uses::ugea_id,
                general_authorisation_uses::registration_ref,
                general_authorisation_uses::registered_on,
                general_authorisation_uses::first_use_on,
                general_authorisation_uses::notice_sent_on,
                general_authorisation_uses::last_report_on,
                general_authorisation_uses::recorded_by,
                general_authorisation_uses::recorded_at,
            ))
            .load(&mut *self.conn()?)?;
        rows.into_iter()
            .map(
                |(id, ugea, reference, reg, first, notice, report, by, at)| {
                    let usage = GeneralAuthorisationUse {
                        ugea_id: ugea,
                        registration_ref: reference,
                        registered_on: opt_date("registered_on", reg.as_deref())?,
                        first_use: opt_date("first_use", first.as_deref())?,
                        notice_sent_on: opt_date("notice_sent_on", notice.as_deref())?,
                        last_report_on: opt_date("last_report_on", report.as_deref())?,
                    };
                    Ok(GeneralAuthorisationUseRecord {
                        id,
                        usage,
                        recorded_by: by,
                        recorded_at: at,
                    })
                },
            )
            .collect::<Result<Vec<_>, FieldError>>()
            .map_err(|e| LicenceError::Invalid(vec![e]))
    }
}

// ---------------------------------------------------------------------------------------------
// Amendments.

/// A recorded amendment of a licence.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenceAmendmentRecord {
    /// Id.
    pub id: String,
    /// The licence.
    pub licence_id: String,
    /// The authority's reference.
    pub reference: String,
    /// The day of the amendment.
    pub amended_on: Date,
    /// What changed.
    pub changes: Vec<TermChange>,
    /// The terms before the amendment (EUR totals in euros).
    pub terms_before: LicenceTermsInput,
    /// The amendment's document (attachment id).
    pub document_id: Option<String>,
    /// Recorded by (user id).
    pub amended_by: String,
    /// When (µs).
    pub amended_at: i64,
}

type AmendmentRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
);

fn amendment_of(row: AmendmentRow) -> Result<LicenceAmendmentRecord, LicenceError> {
    let (id, licence_id, reference, on, changes_json, before_json, document_id, by, at) = row;
    let corrupt = |message: String| LicenceError::Corrupt {
        id: licence_id.clone(),
        message,
    };
    Ok(LicenceAmendmentRecord {
        amended_on: parse_date(&on).map_err(corrupt)?,
        changes: serde_json::from_str(&changes_json).map_err(|e| corrupt(e.to_string()))?,
        terms_before: serde_json::from_str(&before_json).map_err(|e| corrupt(e.to_string()))?,
        id,
        licence_id: licence_id.clone(),
        reference,
        document_id,
        amended_by: by,
        amended_at: at,
    })
}

/// What was drawn on a licence: per unit, and the first and last days drawn.
fn drawn_so_far(
    conn: &mut DbConnection,
    scope: &OrgScope,
    licence_id: &str,
) -> Result<DrawnSoFar, LicenceError> {
    let rows: Vec<String> = licence_drawdowns::table
        .filter(licence_drawdowns::org_id.eq(scope.org_id()))
        .filter(licence_drawdowns::licence_id.eq(licence_id))
        .select(licence_drawdowns::used_on)
        .load(conn)?;
    let mut out = DrawnSoFar {
        per_unit: drawn_in(conn, scope, licence_id)?,
        ..DrawnSoFar::default()
    };
    for on in rows {
        let day = parse_date(&on).map_err(|message| LicenceError::Corrupt {
            id: licence_id.to_owned(),
            message,
        })?;
        out.first_day = Some(out.first_day.map_or(day, |d| d.min(day)));
        out.last_day = Some(out.last_day.map_or(day, |d| d.max(day)));
    }
    Ok(out)
}

/// Amends a licence on `conn`, inside the caller's transaction: the amendment is applied to the
/// terms in force and validated (`vigil_domain::icp::amendment`: the rules of registration, and
/// no contradiction with what was drawn), the terms replaced, the amendment recorded with what
/// changed and the terms before, its document (if any) attached as `licence:ID` (audited
/// `attachment.added`), and a `licence.amended` audit row appended. The licence row is locked
/// first, so an amendment and a draw-down on one licence are serialised.
///
/// # Errors
/// [`LicenceError::Forbidden`] without [`Action::Decide`]; [`LicenceError::NotFound`] for a
/// licence not in the scope's organisation; [`LicenceError::Invalid`] naming each bad field
/// (also when nothing changes); a document refused; a database failure. Nothing is written on
/// error when the caller rolls back.
pub fn amend_licence_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    licence_id: &str,
    input: &LicenceAmendmentInput,
    law: &Law,
    document: Option<LicenceDocument<'_>>,
) -> Result<(Licence, LicenceAmendmentRecord), LicenceError> {
    may_decide(scope)?;
    let touched = diesel::update(
        licences::table
            .filter(licences::org_id.eq(scope.org_id()))
            .filter(licences::id.eq(licence_id)),
    )
    .set(licences::id.eq(licences::id))
    .execute(conn)?;
    if touched == 0 {
        return Err(LicenceError::NotFound);
    }
    let licence = licence_in(conn, scope, licence_id)?.ok_or(LicenceError::NotFound)?;
    let amendment = input
        .apply(&licence.terms, law)
        .map_err(LicenceError::Invalid)?;
    let drawn = drawn_so_far(conn, scope, licence_id)?;
    check_against_drawn(input, &amendment.terms, &drawn).map_err(LicenceError::Invalid)?;
    let changed = changes(&licence.terms, &amendment.terms);
    if changed.is_empty() {
        return Err(LicenceError::Invalid(vec![FieldError {
            path: "terms".to_owned(),
            message: "the amendment changes no term of the licence".to_owned(),
        }]));
    }
    let t = &amendment.terms;
    let entries: Vec<String> = t.entries.iter().map(ToString::to_string).collect();
    diesel::update(
        licences::table
            .filter(licences::org_id.eq(scope.org_id()))
            .filter(licences::id.eq(licence_id)),
    )
    .set((
        licences::entries_json.eq(to_json(&entries)?),
        licences::destinations_json.eq(to_json(&t.destinations)?),
        licences::end_users_json.eq(to_json(&t.end_users)?),
        licences::valid_from.eq(t.valid_from.to_string()),
        licences::valid_until.eq(t.valid_until.to_string()),
        licences::large_project.eq(if t.large_project { "yes" } else { "no" }),
        licences::conditions.eq(&t.conditions),
        licences::reporting.eq(&t.reporting),
        licences::law_version.eq(law.version()),
    ))
    .execute(conn)?;
    diesel::delete(
        licence_quotas::table
            .filter(licence_quotas::org_id.eq(scope.org_id()))
            .filter(licence_quotas::licence_id.eq(licence_id)),
    )
    .execute(conn)?;
    for q in &t.quotas {
        diesel::insert_into(licence_quotas::table)
            .values((
                licence_quotas::licence_id.eq(licence_id),
                licence_quotas::org_id.eq(scope.org_id()),
                licence_quotas::unit.eq(q.unit.as_str()),
                licence_quotas::total.eq(q.total),
            ))
            .execute(conn)?;
    }
    let document_id = match document {
        Some(doc) => Some(
            add_attachment_in(
                conn,
                scope,
                &format!("licence:{licence_id}"),
                doc.filename,
                doc.content_type,
                doc.bytes,
            )?
            .id,
        ),
        None => None,
    };
    let id = new_id()?;
    let amended_at = now_micros();
    let terms_before = licence.terms.to_input();
    let bad = |e: serde_json::Error| LicenceError::Corrupt {
        id: licence_id.to_owned(),
        message: e.to_string(),
    };
    diesel::insert_into(licence_amendments::table)
        .values((
            licence_amendments::id.eq(&id),
            licence_amendments::org_id.eq(scope.org_id()),
            licence_amendments::licence_id.eq(licence_id),
            licence_amendments::reference.eq(&amendment.reference),
            licence_amendments::amended_on.eq(amendment.date.to_string()),
            licence_amendments::changes_json.eq(serde_json::to_string(&changed).map_err(bad)?),
            licence_amendments::terms_before_json
                .eq(serde_json::to_string(&terms_before).map_err(bad)?),
            licence_amendments::document_id.eq(document_id.as_deref()),
            licence_amendments::amended_by.eq(scope.user_id()),
            licence_amendments::amended_at.eq(amended_at),
        ))
        .execute(conn)?;
    audit(
        conn,
        scope,
        "licence.amended",
        format!("licence:{licence_id}"),
        json!({
            "number": t.number,
            "amendment": id,
            "reference": amendment.reference,
            "date": amendment.date.to_string(),
            "changes": changed,
            "document": document_id,
            "law_version": law.version(),
        }),
    )?;
    let licence = licence_in(conn, scope, licence_id)?.ok_or(LicenceError::NotFound)?;
    Ok((
        licence,
        LicenceAmendmentRecord {
            id,
            licence_id: licence_id.to_owned(),
            reference: amendment.reference,
            amended_on: amendment.date,
            changes: changed,
            terms_before,
            document_id,
            amended_by: scope.user_id().to_owned(),
            amended_at,
        },
    ))
}

impl Store {
    /// Amends a licence in one transaction (see [`amend_licence_in`]); on error nothing is
    /// written.
    ///
    /// # Errors
    /// As [`amend_licence_in`].
    pub fn amend_licence(
        &self,
        scope: &OrgScope,
        licence_id: &str,
        amendment: &LicenceAmendmentInput,
        law: &Law,
        document: Option<LicenceDocument<'_>>,
    ) -> Result<(Licence, LicenceAmendmentRecord), LicenceError> {
        may_decide(scope)?;
        self.write_tx(|c| amend_licence_in(c, scope, licence_id, amendment, law, document))
    }

    /// The amendments of a licence, oldest first (empty for another organisation's).
    ///
    /// # Errors
    /// A database failure; a stored amendment unreadable.
    pub fn licence_amendments(
        &self,
        scope: &OrgScope,
        licence_id: &str,
    ) -> Result<Vec<LicenceAmendmentRecord>, LicenceError> {
        let rows: Vec<AmendmentRow> = licence_amendments::table
            .filter(licence_amendments::org_id.eq(scope.org_id()))
            .filter(licence_amendments::licence_id.eq(licence_id))
            .order((
                licence_amendments::amended_at.asc(),
                licence_amendments::id.asc(),
            ))
            .select((
                licence_amendments::id,
                licence_amendments::licence_id,
                licence_amendments::reference,
                licence_amendments::amended_on,
                licence_amendments::changes_json,
                licence_amendments::terms_before_json,
                licence_amendments::document_id,
                licence_amendments::amended_by,
                licence_amendments::amended_at,
            ))
            .load(&mut *self.conn()?)?;
        rows.into_iter().map(amendment_of).collect()
    }
}
