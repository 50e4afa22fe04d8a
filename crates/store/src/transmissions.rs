//! Intangible exports: software and technology transmitted by download, update, SaaS access, or
//! made available by remote support (Art. 2(2)(d) and Art. 8 of Regulation (EU) 2021/821), as a
//! download portal, update server or SaaS login reports them before serving the item.
//!
//! Rules:
//! - every read and write takes an [`OrgScope`]; recording needs [`Action::Enter`]
//!   ([`TransmissionError::Forbidden`] otherwise);
//! - each transmission is recorded as an export event in one transaction: an operation (type
//!   `electronic_transmission`, or `technical_assistance` for remote support) with its assessment
//!   and `operation.assessed` audit row, a hold when the decision is `deny` or `hold` (so that it
//!   shows in the review flow; `operation.held`), the transmission row (`transmission.recorded`),
//!   and, when a licence covers it, one unit drawn on that licence (`licence.drawn_down`);
//! - the store decides nothing of the law: the caller brings the assessment and the decision;
//!   when it asks for a licence draw-down, the licences of the organisation are checked here,
//!   inside the transaction, by `vigil_domain::icp::check_draw_down` (the first that covers the
//!   transmission with a remaining balance is drawn on; when none does, the transmission is held
//!   with every licence's refusal as its reasons).

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde_json::json;
use time::Date;
use vigil_domain::access::Action;
use vigil_domain::audit::AuditEvent;
use vigil_domain::icp::{DrawRequest, QuotaUnit, Refusal, RequestLine, check_draw_down};
use vigil_domain::law::ControlCode;

use crate::accounts::{OrgScope, now_micros};
use crate::audit::append_all_in;
use crate::licences::{LicenceError, licence_drawdowns, licence_in, licences};
use crate::lifecycle::{HoldCause, hold_row_in};
use crate::records::{ClassificationRecord, Item, OperationRecord, RecordError, new_id};
use crate::releases::{ReleaseStatus, release_status_in};
use crate::schema::{classifications, items, operations};
use crate::{DbConnection, Store, StoreError};

diesel::table! {
    /// Transmissions of software or technology (intangible exports).
    transmissions (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The operation recording it.
        operation_id -> Text,
        /// Item.
        item_id -> Text,
        /// Version label.
        version_label -> Text,
        /// Recipient (person).
        recipient_name -> Text,
        /// Recipient's organisation.
        recipient_org -> Text,
        /// Country as declared by the recipient.
        country_declared -> Text,
        /// Country as seen by the caller (e.g. IP geolocation).
        country_seen -> Text,
        /// Country the decision rests on.
        destination -> Text,
        /// `download`, `update`, `saas_access` or `remote_support`.
        purpose -> Text,
        /// `allow`, `deny` or `hold`.
        decision -> Text,
        /// The covering authorisation (`EU001`…, `licence NUMBER`, `none`).
        authorisation -> Text,
        /// The licence drawn on.
        licence_id -> Nullable<Text>,
        /// The unit drawn.
        unit -> Nullable<Text>,
        /// Reasons (JSON array).
        reasons_json -> Text,
        /// Recorded by (user id).
        created_by -> Text,
        /// When (µs).
        created_at -> BigInt,
    }
}

diesel::joinable!(transmissions -> operations (operation_id));
diesel::allow_tables_to_appear_in_same_query!(transmissions, operations);

/// Errors of transmissions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransmissionError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record could not be written (a bad field, a missing record).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A licence could not be read or drawn on.
    #[error(transparent)]
    Licence(#[from] LicenceError),
    /// The scope's role does not allow it.
    #[error("this role may not record transmissions (operators, officers and administrators do)")]
    Forbidden,
    /// A field is not acceptable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl From<diesel::result::Error> for TransmissionError {
    fn from(e: diesel::result::Error) -> Self {
        TransmissionError::Store(StoreError::Query(e))
    }
}

/// What the recipient does with the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// A download of the software or technology.
    Download,
    /// An update of installed software.
    Update,
    /// Access to the software as a service.
    SaasAccess,
    /// Remote support: technical assistance (Art. 8).
    RemoteSupport,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 4] = [
        Purpose::Download,
        Purpose::Update,
        Purpose::SaasAccess,
        Purpose::RemoteSupport,
    ];

    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Download => "download",
            Purpose::Update => "update",
            Purpose::SaasAccess => "saas_access",
            Purpose::RemoteSupport => "remote_support",
        }
    }

    /// The purpose of a contract name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The operation type it is recorded as: remote support is technical assistance (Art. 8),
    /// the rest an export by electronic transmission (Art. 2(2)(d)).
    #[must_use]
    pub fn operation_type(self) -> &'static str {
        match self {
            Purpose::RemoteSupport => "technical_assistance",
            _ => "electronic_transmission",
        }
    }

    /// The licence unit one transmission draws: a download, an installation (an update), a
    /// seat (SaaS access), a customer (remote support).
    #[must_use]
    pub fn unit(self) -> QuotaUnit {
        match self {
            Purpose::Download => QuotaUnit::Downloads,
            Purpose::Update => QuotaUnit::Installations,
            Purpose::SaasAccess => QuotaUnit::Seats,
            Purpose::RemoteSupport => QuotaUnit::Customers,
        }
    }
}

/// The answer given to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransmissionDecision {
    /// Serve it: no licence needed, a Union general authorisation or a licence covers it.
    Allow,
    /// Do not serve it: prohibited.
    Deny,
    /// Do not serve it yet: an officer must look at it.
    Hold,
}

impl TransmissionDecision {
    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TransmissionDecision::Allow => "allow",
            TransmissionDecision::Deny => "deny",
            TransmissionDecision::Hold => "hold",
        }
    }
}

/// A stored transmission.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = transmissions)]
pub struct Transmission {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The operation recording it.
    pub operation_id: String,
    /// Item.
    pub item_id: String,
    /// Version label.
    pub version_label: String,
    /// Recipient.
    pub recipient_name: String,
    /// Recipient's organisation.
    pub recipient_org: String,
    /// Declared country.
    pub country_declared: String,
    /// Seen country.
    pub country_seen: String,
    /// Country the decision rests on.
    pub destination: String,
    /// Purpose (contract name).
    pub purpose: String,
    /// `allow`, `deny` or `hold`.
    pub decision: String,
    /// The covering authorisation.
    pub authorisation: String,
    /// The licence drawn on.
    pub licence_id: Option<String>,
    /// The unit drawn.
    pub unit: Option<String>,
    /// Reasons (JSON array).
    pub reasons_json: String,
    /// Recorded by (user id).
    pub created_by: String,
    /// When (µs).
    pub created_at: i64,
}

impl Transmission {
    /// The reasons.
    #[must_use]
    pub fn reasons(&self) -> Vec<String> {
        serde_json::from_str(&self.reasons_json).unwrap_or_default()
    }
}

/// A licence draw-down asked for: one unit of the purpose's unit, for the item's entries, to the
/// destination, for the recipient's organisation as end user, on `on`.
#[derive(Debug, Clone)]
pub struct DrawAsk {
    /// The item's Annex I entries.
    pub entries: Vec<ControlCode>,
    /// The day of the transmission.
    pub on: Date,
}

/// A transmission to record.
#[derive(Debug, Clone)]
pub struct NewTransmission<'a> {
    /// Item.
    pub item_id: &'a str,
    /// Version label.
    pub version_label: &'a str,
    /// Recipient.
    pub recipient_name: &'a str,
    /// Recipient's organisation (the end user a licence may name).
    pub recipient_org: &'a str,
    /// Declared country.
    pub country_declared: &'a str,
    /// Seen country.
    pub country_seen: &'a str,
    /// Country the decision rests on.
    pub destination: &'a str,
    /// Purpose.
    pub purpose: Purpose,
    /// The decision (with [`NewTransmission::draw`], `Allow` only if a licence accepts it).
    pub decision: TransmissionDecision,
    /// The covering authorisation (`EU001`, `none`, …).
    pub authorisation: &'a str,
    /// Reasons, each citing its provision.
    pub reasons: &'a [String],
    /// Why it is held, when it is (`Deny` is held with cause `decision`).
    pub hold_cause: HoldCause,
    /// The OPERATION recording it (JSON).
    pub input_json: &'a str,
    /// Its assessment (JSON).
    pub assessment_json: &'a str,
    /// The assessment's decision (contract name), or `hold` when the transmission rules hold it.
    pub operation_decision: &'a str,
    /// Law version.
    pub law_version: &'a str,
    /// Art. 27 retention date.
    pub retain_until: Option<&'a str>,
    /// Draw on a licence of the organisation (the assessment says a licence is required).
    pub draw: Option<DrawAsk>,
}

/// What was recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The transmission row.
    pub transmission: Transmission,
    /// The operation recording it.
    pub operation: OperationRecord,
    /// The hold opened, if any.
    pub hold_id: Option<String>,
    /// The licence drawn on: its number, the unit's total and what remains.
    pub drawn: Option<Drawn>,
    /// The licences' refusals when none covered it (the transmission is then held).
    pub refusals: Vec<LicenceRefusals>,
}

/// A licence's number and why it does not cover a transmission.
pub type LicenceRefusals = (String, Vec<Refusal>);

/// A draw-down made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// Licence id.
    pub licence_id: String,
    /// Licence number.
    pub number: String,
    /// `individual` or `global`.
    pub kind: String,
    /// Unit.
    pub unit: QuotaUnit,
    /// The quota's total (`None`: the licence has no quota in this unit — no quotas at all).
    pub total: Option<i64>,
    /// Left after this transmission.
    pub remaining: Option<i64>,
}

/// The classification of one version of an item, as a transmission reads it.
#[derive(Debug, Clone)]
pub struct ItemVersion {
    /// The item.
    pub item: Item,
    /// The version's label as stored.
    pub version_label: String,
    /// The classification record of that version (`None`: the version is registered but not
    /// classified; [`ItemVersion::basis`] is then the item's latest record, if any).
    pub record: Option<ClassificationRecord>,
    /// The record the entries are read from.
    pub basis: Option<ClassificationRecord>,
    /// Where the version stands (product releases).
    pub status: ReleaseStatus,
}

fn text(field: &'static str, v: &str, max: usize) -> Result<(), TransmissionError> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(TransmissionError::Invalid {
            field,
            reason: format!("1 to {max} characters"),
        });
    }
    Ok(())
}

/// Tries every licence of the organisation in turn (soonest expiry first) on `conn`: the first
/// that accepts one unit is drawn on (its row touched first, so concurrent draws on one licence
/// are serialised, then checked again with what is drawn now). `Err` with every licence's
/// refusals when none accepts.
fn draw_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    new: &NewTransmission<'_>,
    ask: &DrawAsk,
    operation_id: &str,
    events: &mut Vec<AuditEvent>,
) -> Result<Result<Drawn, Vec<LicenceRefusals>>, TransmissionError> {
    let unit = new.purpose.unit();
    let req = DrawRequest {
        date: ask.on,
        destination: new.destination.to_owned(),
        end_users: vec![new.recipient_org.trim().to_owned()],
        lines: vec![RequestLine {
            item_id: new.item_id.to_owned(),
            entries: ask.entries.clone(),
            quantities: vec![(unit, 1)],
        }],
    };
    let ids: Vec<String> = licences::table
        .filter(licences::org_id.eq(scope.org_id()))
        .order((licences::valid_until.asc(), licences::number.asc()))
        .select(licences::id)
        .load(conn)?;
    let mut refusals = Vec::new();
    for id in ids {
        let Some(l) = licence_in(conn, scope, &id)? else {
            continue;
        };
        let drawn: BTreeMap<QuotaUnit, i64> = l.quotas.iter().map(|q| (q.unit, q.used)).collect();
        if let Err(r) = check_draw_down(&l.terms, &drawn, &req) {
            refusals.push((l.terms.number.clone(), r));
            continue;
        }
        // Lock the licence row, then check again with what is drawn now.
        diesel::update(
            licences::table
                .filter(licences::org_id.eq(scope.org_id()))
                .filter(licences::id.eq(&id)),
        )
        .set(licences::id.eq(licences::id))
        .execute(conn)?;
        let Some(l) = licence_in(conn, scope, &id)? else {
            continue;
        };
        let drawn: BTreeMap<QuotaUnit, i64> = l.quotas.iter().map(|q| (q.unit, q.used)).collect();
        let d = match check_draw_down(&l.terms, &drawn, &req) {
            Ok(d) => d,
            Err(r) => {
                refusals.push((l.terms.number.clone(), r));
                continue;
            }
        };
        let drawn_at = now_micros();
        let amount = if l.terms.quotas.is_empty() { 0 } else { 1 };
        diesel::insert_into(licence_drawdowns::table)
            .values((
                licence_drawdowns::id.eq(new_id()?),
                licence_drawdowns::org_id.eq(scope.org_id()),
                licence_drawdowns::licence_id.eq(&id),
                licence_drawdowns::operation_id.eq(operation_id),
                licence_drawdowns::unit.eq(unit.as_str()),
                licence_drawdowns::amount.eq(amount),
                licence_drawdowns::used_on.eq(ask.on.to_string()),
                licence_drawdowns::drawn_by.eq(scope.user_id()),
                licence_drawdowns::drawn_at.eq(drawn_at),
            ))
            .execute(conn)?;
        events.push(crate::audit::scoped_event(
            scope,
            "licence.drawn_down",
            format!("licence:{id}"),
            json!({
                "number": l.terms.number,
                "operation": operation_id,
                "used_on": ask.on.to_string(),
                "units": d.units.iter().map(|u| json!({
                    "unit": u.unit.as_str(), "amount": u.amount, "remaining": u.remaining,
                })).collect::<Vec<_>>(),
                "warnings": d.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>(),
            }),
        ));
        let u = d.units.iter().find(|u| u.unit == unit);
        return Ok(Ok(Drawn {
            licence_id: id,
            number: l.terms.number.clone(),
            kind: l.terms.kind.as_str().to_owned(),
            unit,
            total: u.map(|u| u.total),
            remaining: u.map(|u| u.remaining),
        }));
    }
    Ok(Err(refusals))
}

/// Records a transmission on `conn`, inside the caller's transaction (see the module's rules).
///
/// # Errors
/// [`TransmissionError::Forbidden`]; a bad field; a database failure.
pub fn record_transmission_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    new: &NewTransmission<'_>,
) -> Result<Recorded, TransmissionError> {
    if !scope.role().allows(Action::Enter) {
        return Err(TransmissionError::Forbidden);
    }
    text("recipient.name", new.recipient_name, 200)?;
    text("recipient.organisation", new.recipient_org, 200)?;
    for (field, c) in [
        ("country_declared", new.country_declared),
        ("country_seen", new.country_seen),
        ("destination", new.destination),
    ] {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(TransmissionError::Invalid {
                field,
                reason: "an ISO 3166-1 alpha-2 code, e.g. FR".to_owned(),
            });
        }
    }
    let found: i64 = items::table
        .filter(items::org_id.eq(scope.org_id()))
        .filter(items::id.eq(new.item_id))
        .count()
        .get_result(conn)?;
    if found == 0 {
        return Err(RecordError::NotFound.into());
    }
    let mut decision = new.decision;
    let mut reasons: Vec<String> = new.reasons.to_vec();
    let mut authorisation = new.authorisation.to_owned();
    let mut operation_decision = new.operation_decision.to_owned();
    let mut hold_cause = new.hold_cause;
    // The operation first: draw-downs and the transmission name it.
    let op_id = new_id()?;
    let created_at = now_micros();
    let mut op = OperationRecord {
        id: op_id.clone(),
        org_id: scope.org_id().to_owned(),
        reference: String::new(),
        input_json: new.input_json.to_owned(),
        assessment_json: new.assessment_json.to_owned(),
        decision: operation_decision.clone(),
        law_version: new.law_version.to_owned(),
        status: "decided".to_owned(),
        created_by: scope.user_id().to_owned(),
        created_at,
        retain_until: new.retain_until.map(str::to_owned),
        frozen_at: None,
        completed_at: None,
    };
    diesel::insert_into(operations::table)
        .values((
            operations::id.eq(&op.id),
            operations::org_id.eq(&op.org_id),
            operations::reference.eq(&op.reference),
            operations::input_json.eq(&op.input_json),
            operations::assessment_json.eq(&op.assessment_json),
            operations::decision.eq(&op.decision),
            operations::law_version.eq(&op.law_version),
            operations::status.eq(&op.status),
            operations::created_by.eq(&op.created_by),
            operations::created_at.eq(op.created_at),
            operations::retain_until.eq(&op.retain_until),
        ))
        .execute(conn)?;
    // The audit rows, appended together at the end (one lock, one read of the chain's end).
    let mut events: Vec<AuditEvent> = Vec::with_capacity(4);
    let mut drawn = None;
    let mut refusals = Vec::new();
    if let (TransmissionDecision::Allow, Some(ask)) = (decision, &new.draw) {
        match draw_in(conn, scope, new, ask, &op_id, &mut events)? {
            Ok(d) => {
                authorisation = format!("{} licence {}", d.kind, d.number);
                drawn = Some(d);
            }
            Err(r) => {
                decision = TransmissionDecision::Hold;
                hold_cause = HoldCause::Decision;
                authorisation = "none".to_owned();
                if r.is_empty() {
                    reasons.push("A licence is required (Art. 3(1) and Art. 12 of Regulation (EU) 2021/821) and the organisation has registered none: hold until an officer attaches one.".to_owned());
                }
                for (number, rs) in &r {
                    for x in rs {
                        reasons.push(format!(
                            "Licence {number} does not cover this transmission: {} ({})",
                            x.message, x.source
                        ));
                    }
                }
                refusals = r;
            }
        }
    }
    if decision != TransmissionDecision::Allow && operation_decision != "prohibited" {
        // Blocking: whatever the assessment said, an officer must look at it.
        if !crate::records::BLOCKING_DECISIONS.contains(&operation_decision.as_str()) {
            operation_decision = "hold".to_owned();
        }
    }
    if operation_decision != op.decision {
        diesel::update(
            operations::table
                .filter(operations::org_id.eq(scope.org_id()))
                .filter(operations::id.eq(&op_id)),
        )
        .set(operations::decision.eq(&operation_decision))
        .execute(conn)?;
        op.decision.clone_from(&operation_decision);
    }
    events.push(crate::audit::scoped_event(
        scope,
        "operation.assessed",
        format!("operation:{op_id}"),
        json!({
            "reference": op.reference,
            "decision": op.decision,
            "status": op.status,
            "law_version": op.law_version,
            "parties": [],
            "retain_until": op.retain_until,
            "transmission": true,
        }),
    ));
    let mut hold_id = None;
    if decision != TransmissionDecision::Allow {
        let (hold, held) = hold_row_in(
            conn,
            scope.org_id(),
            scope.user_id(),
            &op_id,
            hold_cause,
            &json!({
                "decision": op.decision,
                "transmission": decision.as_str(),
                "reasons": reasons,
            }),
        )?;
        events.push(held);
        op.status = "blocked".to_owned();
        hold_id = Some(hold.id);
    }
    let t = Transmission {
        id: new_id()?,
        org_id: scope.org_id().to_owned(),
        operation_id: op_id.clone(),
        item_id: new.item_id.to_owned(),
        version_label: new.version_label.trim().to_owned(),
        recipient_name: new.recipient_name.trim().to_owned(),
        recipient_org: new.recipient_org.trim().to_owned(),
        country_declared: new.country_declared.to_owned(),
        country_seen: new.country_seen.to_owned(),
        destination: new.destination.to_owned(),
        purpose: new.purpose.as_str().to_owned(),
        decision: decision.as_str().to_owned(),
        authorisation,
        licence_id: drawn.as_ref().map(|d| d.licence_id.clone()),
        unit: drawn.as_ref().map(|d| d.unit.as_str().to_owned()),
        reasons_json: json!(reasons).to_string(),
        created_by: scope.user_id().to_owned(),
        created_at,
    };
    diesel::insert_into(transmissions::table)
        .values((
            transmissions::id.eq(&t.id),
            transmissions::org_id.eq(&t.org_id),
            transmissions::operation_id.eq(&t.operation_id),
            transmissions::item_id.eq(&t.item_id),
            transmissions::version_label.eq(&t.version_label),
            transmissions::recipient_name.eq(&t.recipient_name),
            transmissions::recipient_org.eq(&t.recipient_org),
            transmissions::country_declared.eq(&t.country_declared),
            transmissions::country_seen.eq(&t.country_seen),
            transmissions::destination.eq(&t.destination),
            transmissions::purpose.eq(&t.purpose),
            transmissions::decision.eq(&t.decision),
            transmissions::authorisation.eq(&t.authorisation),
            transmissions::licence_id.eq(&t.licence_id),
            transmissions::unit.eq(&t.unit),
            transmissions::reasons_json.eq(&t.reasons_json),
            transmissions::created_by.eq(&t.created_by),
            transmissions::created_at.eq(t.created_at),
        ))
        .execute(conn)?;
    events.push(crate::audit::scoped_event(
        scope,
        "transmission.recorded",
        format!("transmission:{}", t.id),
        json!({
            "operation": op_id,
            "item": t.item_id,
            "version": t.version_label,
            "recipient": t.recipient_name,
            "recipient_org": t.recipient_org,
            "country_declared": t.country_declared,
            "country_seen": t.country_seen,
            "destination": t.destination,
            "purpose": t.purpose,
            "type": new.purpose.operation_type(),
            "decision": t.decision,
            "authorisation": t.authorisation,
            "licence": t.licence_id,
        }),
    ));
    append_all_in(conn, scope.org_id(), events)?;
    Ok(Recorded {
        transmission: t,
        operation: op,
        hold_id,
        drawn,
        refusals,
    })
}

impl Store {
    /// Records a transmission in one transaction (see [`record_transmission_in`]).
    ///
    /// # Errors
    /// As [`record_transmission_in`].
    pub fn record_transmission(
        &self,
        scope: &OrgScope,
        new: &NewTransmission<'_>,
    ) -> Result<Recorded, TransmissionError> {
        if !scope.role().allows(Action::Enter) {
            return Err(TransmissionError::Forbidden);
        }
        // Writes none of the tables the read cache depends on.
        self.write_tx_keeping_reads(|c| record_transmission_in(c, scope, new))
    }

    /// The scope's organisation's transmissions, newest first (at most `limit`).
    ///
    /// # Errors
    /// A database failure.
    pub fn transmissions(
        &self,
        scope: &OrgScope,
        limit: i64,
    ) -> Result<Vec<Transmission>, StoreError> {
        Ok(transmissions::table
            .filter(transmissions::org_id.eq(scope.org_id()))
            .order((transmissions::created_at.desc(), transmissions::id.asc()))
            .limit(limit)
            .select(Transmission::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// The item of the scope's organisation named by its id or its name (case ignored).
    ///
    /// # Errors
    /// A database failure.
    pub fn find_item(&self, scope: &OrgScope, item: &str) -> Result<Option<Item>, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let item = item.trim();
        let by_id: Option<Item> = items::table
            .filter(items::org_id.eq(scope.org_id()))
            .filter(items::id.eq(item))
            .select(Item::as_select())
            .first(conn)
            .optional()?;
        if by_id.is_some() {
            return Ok(by_id);
        }
        let lower = item.to_lowercase();
        let all: Vec<Item> = items::table
            .filter(items::org_id.eq(scope.org_id()))
            .select(Item::as_select())
            .load(conn)?;
        Ok(all.into_iter().find(|i| i.name.to_lowercase() == lower))
    }

    /// One version of an item of the scope's organisation, the item named by its id or its name
    /// (case ignored), the version by its label (case ignored): `None` when the organisation has
    /// no such item, or the item neither a classification record nor a registered release of
    /// that label.
    ///
    /// # Errors
    /// A database failure.
    pub fn item_version(
        &self,
        scope: &OrgScope,
        item: &str,
        version: &str,
    ) -> Result<Option<ItemVersion>, StoreError> {
        let key = crate::read_cache::version_key(scope.org_id(), item, version);
        if let Some(hit) = self.reads.version(&key) {
            return Ok(Some(hit));
        }
        let generation = self.reads.generation();
        let found = self.item_version_read(scope, item, version)?;
        if let Some(v) = &found {
            self.reads.put_version(key, generation, v.clone());
        }
        Ok(found)
    }

    fn item_version_read(
        &self,
        scope: &OrgScope,
        item: &str,
        version: &str,
    ) -> Result<Option<ItemVersion>, StoreError> {
        let Some(item) = self.find_item(scope, item)? else {
            return Ok(None);
        };
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let found = Some(item);
        let Some(item) = found else {
            return Ok(None);
        };
        let records: Vec<ClassificationRecord> = classifications::table
            .filter(classifications::org_id.eq(scope.org_id()))
            .filter(classifications::item_id.eq(&item.id))
            .order((
                classifications::classified_at.desc(),
                classifications::id.asc(),
            ))
            .select(ClassificationRecord::as_select())
            .load(conn)?;
        let wanted = version.trim().to_lowercase();
        let record = records
            .iter()
            .find(|r| r.version_label.to_lowercase() == wanted)
            .cloned();
        let release_label: Option<String> = crate::releases::item_releases::table
            .filter(crate::releases::item_releases::org_id.eq(scope.org_id()))
            .filter(crate::releases::item_releases::item_id.eq(&item.id))
            .select(crate::releases::item_releases::version_label)
            .load::<String>(conn)?
            .into_iter()
            .find(|l| l.to_lowercase() == wanted);
        let label = match (&record, release_label) {
            (_, Some(l)) => l,
            (Some(r), None) => r.version_label.clone(),
            (None, None) => return Ok(None),
        };
        let status = release_status_in(conn, scope, &item.id, &label)?;
        let basis = record.clone().or_else(|| records.first().cloned());
        Ok(Some(ItemVersion {
            item,
            version_label: label,
            record,
            basis,
            status,
        }))
    }
}
