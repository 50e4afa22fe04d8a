//! Intangible exports (issue 7, item 3): software vendors also export by download, SaaS access,
//! updates and remote support. A download portal, update server or SaaS login calls
//! **`POST /api/v1/transmissions`** (the organisation's API token) before it serves controlled
//! software or technology, and gets **allow**, **deny** or **hold** with the reasons and the
//! covering authorisation. Each call is recorded as an export event (`vigil_store::transmissions`):
//! an operation of type `electronic_transmission` (Art. 2(2)(d) of Regulation (EU) 2021/821), or
//! `technical_assistance` for remote support (Art. 8), drawing one unit on a licence when a
//! licence covers it. `GET /api/v1/transmissions` and the page `/orgs/{org}/transmissions` list
//! them.
//!
//! The decision, in order:
//! 1. bad input (unknown item version, country or purpose, a field of the contract) → 422
//!    problem details naming the field, nothing written;
//! 2. the destination is the country **seen** by the caller when it differs from the declared one;
//! 3. the item version's classification (its Annex I entries and Art. 2(20) reading) builds an
//!    OPERATION that `vigil_domain::assess` decides (sanctions overlays, Union general
//!    authorisations, licence requirement); its result is cached per operation (the item version's
//!    entries, destination, purpose, recipient and date are the key, so a new classification
//!    is a new key), since assessing is a pure function of the law and the operation;
//! 4. the recipient (person and organisation) is screened against the served lists;
//! 5. `prohibited` → **deny**; a version awaiting (re-)classification, a declared ≠ seen country,
//!    a screening alert, a hold or a notification → **hold** (a blocked operation with its hold,
//!    in the review flow); a licence required → **allow** when a licence of the organisation
//!    covers it with a remaining balance (drawn on in the same transaction), **hold** otherwise;
//!    a Union general authorisation or no licence required → **allow**.
//!
//! Access: operators, officers and administrators record (an auditor gets 403); every member
//! reads; another organisation's records are never named.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use vigil_domain::Law;
use vigil_domain::access::Action;
use vigil_domain::assess::input::parse_json;
use vigil_domain::assess::{Assessment, Decision, InputError, ScreeningHit, parse_operation_json};
use vigil_domain::law::ControlCode;
use vigil_screening::score::ALERT_THRESHOLD;
use vigil_store::Store;
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::lifecycle::HoldCause;
use vigil_store::party_screening::search_party;
use vigil_store::records::RecordError;
use vigil_store::releases::ReleaseStatus;
use vigil_store::transmissions::{
    DrawAsk, ItemVersion, NewTransmission, Purpose, Recorded, Transmission, TransmissionDecision,
    TransmissionError,
};

use crate::accounts::{ApiCaller, PageQuery};
use crate::problem::field_problem;
use crate::problem::{FieldProblem, Problem};
use crate::ui::Chrome;
use crate::web::rfc3339;
use crate::web::{Member, internal, org_page, run};
use crate::{AppState, MAX_BODY_BYTES};

/// How many transmissions the list shows (newest first).
pub const LIST_LIMIT: i64 = 500;

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/transmissions",
            get(api_transmissions).post(api_transmit),
        )
        .route("/orgs/{org}/transmissions", get(transmissions_page))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
}

// ---------------------------------------------------------------------------------------------
// The contract.

/// Who receives the item.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientBody {
    /// The person (account name) receiving it.
    pub name: String,
    /// Their organisation (the end user a licence may name).
    pub organisation: String,
}

/// A transmission asked for by a portal, update server or SaaS login.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransmissionBody {
    /// The item: its id or its name (case ignored).
    pub item: String,
    /// The version label (a classification record or a registered release of the item).
    pub version: String,
    /// The recipient.
    pub recipient: RecipientBody,
    /// The recipient's country as declared (ISO 3166-1 alpha-2).
    pub country_declared: String,
    /// The country the caller sees (e.g. IP geolocation; ISO 3166-1 alpha-2). When it differs
    /// from the declared one, it is the destination, and the transmission is held.
    pub country_seen: String,
    /// `download`, `update`, `saas_access` or `remote_support`.
    pub purpose: String,
    /// The exporter's country of establishment (ISO 3166-1 alpha-2, a Member State).
    pub exporter_country: String,
    /// The stated end use (default: the purpose in words).
    #[serde(default)]
    pub end_use: Option<String>,
    /// For software or technology: the Annex I entries of the equipment it relates to (e.g.
    /// `["5A002.a.2"]`, which EU008 needs for 5D002.c.1 software).
    #[serde(default)]
    pub relates_to: Vec<String>,
    /// Operation facts of the assessment contract (e.g. `{"published_crypto_standards": true}`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub facts: Option<Value>,
}

/// The authorisation that covers a transmission.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoveringAuthorisation {
    /// `EU001`…`EU008`, `individual licence N`, `global licence N`, or `none`.
    pub reference: String,
    /// The assessment's authorisation kind (`EU001`…, `individual`, `global`, `none`).
    pub kind: String,
    /// The licence drawn on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence_id: Option<String>,
    /// Conditions and duties that come with it.
    pub conditions: Vec<String>,
}

/// A draw-down made on a licence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawnView {
    /// Licence number.
    pub licence: String,
    /// Unit (`downloads`, `installations`, `seats`, `customers`).
    pub unit: String,
    /// Drawn.
    pub amount: i64,
    /// The quota's total, when the licence has one in this unit.
    pub total: Option<i64>,
    /// Left after this transmission.
    pub remaining: Option<i64>,
}

/// The answer to a transmission.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransmissionView {
    /// Transmission id.
    pub id: String,
    /// `allow`, `deny` or `hold`.
    pub decision: String,
    /// Why, each reason citing its provision.
    pub reasons: Vec<String>,
    /// The covering authorisation.
    pub authorisation: CoveringAuthorisation,
    /// The assessment's decision (the contract's decisions).
    pub assessment_decision: String,
    /// The operation recording it (`GET /api/v1/operations/{id}`).
    pub operation_id: String,
    /// The hold opened (deny, hold).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<String>,
    /// The type it is recorded as: `electronic_transmission` or `technical_assistance`.
    #[serde(rename = "type")]
    pub operation_type: String,
    /// The country the decision rests on.
    pub destination: String,
    /// The licence drawn on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drawn: Option<DrawnView>,
    /// Screening hits on the recipient (score ≥ 0.70).
    #[schema(value_type = Vec<Object>)]
    pub screening: Vec<ScreeningHit>,
    /// Provisions applied.
    #[schema(value_type = Vec<Object>)]
    pub citations: Vec<vigil_domain::assess::CitationOut>,
    /// The law version.
    pub law_version: String,
}

/// A recorded transmission as the list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransmissionSummary {
    /// Id.
    pub id: String,
    /// The operation recording it.
    pub operation_id: String,
    /// Item id.
    pub item_id: String,
    /// Version label.
    pub version: String,
    /// Recipient.
    pub recipient_name: String,
    /// Recipient's organisation.
    pub recipient_organisation: String,
    /// Declared country.
    pub country_declared: String,
    /// Seen country.
    pub country_seen: String,
    /// Country the decision rests on.
    pub destination: String,
    /// Purpose.
    pub purpose: String,
    /// `allow`, `deny` or `hold`.
    pub decision: String,
    /// Covering authorisation.
    pub authorisation: String,
    /// Licence drawn on.
    pub licence_id: Option<String>,
    /// Reasons.
    pub reasons: Vec<String>,
    /// When (RFC 3339).
    pub recorded_at: String,
}

impl From<&Transmission> for TransmissionSummary {
    fn from(t: &Transmission) -> Self {
        TransmissionSummary {
            id: t.id.clone(),
            operation_id: t.operation_id.clone(),
            item_id: t.item_id.clone(),
            version: t.version_label.clone(),
            recipient_name: t.recipient_name.clone(),
            recipient_organisation: t.recipient_org.clone(),
            country_declared: t.country_declared.clone(),
            country_seen: t.country_seen.clone(),
            destination: t.destination.clone(),
            purpose: t.purpose.clone(),
            decision: t.decision.clone(),
            authorisation: t.authorisation.clone(),
            licence_id: t.licence_id.clone(),
            reasons: t.reasons(),
            recorded_at: rfc3339(t.created_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Problems.

fn fields_problem(errors: Vec<FieldProblem>) -> Response {
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-input",
        "Invalid input",
        "The request body does not satisfy the contract; see `errors`. Nothing was recorded.",
    );
    p.errors = errors;
    p.into_response()
}

fn forbidden_problem() -> Response {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        "your role in this organisation does not allow recording transmissions (operator or above needed)",
    )
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// The decision.

/// The assessments already made, by OPERATION (without reference): assessing is a pure function
/// of the law and the operation, whose date, item entries (from the version's classification),
/// destination, purpose and recipient are all in the key, so a new classification or another day
/// is another key. Bounded: emptied when full.
static ASSESSED: LazyLock<Mutex<HashMap<String, Arc<Assessment>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The most assessments kept.
const CACHE_MAX: usize = 20_000;

fn cached_assessment(
    law: &Law,
    key: String,
    text: &str,
    today: time::Date,
) -> Result<Arc<Assessment>, InputError> {
    let full_key = format!("{}\n{key}", law.version());
    if let Some(a) = ASSESSED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&full_key)
    {
        return Ok(a.clone());
    }
    let op = parse_operation_json(text)?.check(law, today)?;
    let a = Arc::new(vigil_domain::assess(law, &op));
    let mut cache = ASSESSED.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= CACHE_MAX {
        cache.clear();
    }
    cache.insert(full_key, a.clone());
    Ok(a)
}

/// A checked request.
struct Checked {
    body: TransmissionBody,
    purpose: Purpose,
    declared: String,
    seen: String,
    exporter_country: String,
}

/// Checks the fields that need no database: the purpose and the countries.
fn check_body(law: &Law, body: TransmissionBody) -> Result<Checked, Vec<FieldProblem>> {
    let mut errors = Vec::new();
    let purpose = Purpose::parse(body.purpose.trim());
    if purpose.is_none() {
        errors.push(FieldProblem {
            path: "purpose".into(),
            detail: format!(
                "unknown purpose `{}` (expected download, update, saas_access or remote_support)",
                body.purpose
            ),
        });
    }
    let mut country = |field: &str, v: &str| {
        let c = v.trim().to_ascii_uppercase();
        if law.country(&c).is_none() {
            errors.push(FieldProblem {
                path: field.to_owned(),
                detail: format!(
                    "unknown country `{v}` (expected an ISO 3166-1 alpha-2 code, e.g. US)"
                ),
            });
        }
        c
    };
    let declared = country("country_declared", &body.country_declared);
    let seen = country("country_seen", &body.country_seen);
    let exporter_country = country("exporter_country", &body.exporter_country);
    for (field, v) in [
        ("recipient.name", &body.recipient.name),
        ("recipient.organisation", &body.recipient.organisation),
        ("item", &body.item),
        ("version", &body.version),
    ] {
        if v.trim().is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
            errors.push(FieldProblem {
                path: field.to_owned(),
                detail: "1 to 200 characters".to_owned(),
            });
        }
    }
    if let Some(f) = &body.facts
        && !f.is_object()
    {
        errors.push(FieldProblem {
            path: "facts".into(),
            detail: "an object of operation facts".into(),
        });
    }
    match purpose {
        Some(purpose) if errors.is_empty() => Ok(Checked {
            body,
            purpose,
            declared,
            seen,
            exporter_country,
        }),
        _ => Err(errors),
    }
}

/// The OPERATION recording a transmission, and its cache key (the same without the reference).
fn operation_text(
    c: &Checked,
    org: &Organisation,
    v: &ItemVersion,
    entries: &[String],
    today: time::Date,
) -> String {
    let cs = v
        .basis
        .as_ref()
        .is_some_and(|r| r.cyber_surveillance == "yes");
    let end_use = c
        .body
        .end_use
        .clone()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| {
            format!(
                "{} of {} version {} by the recipient",
                c.purpose.as_str().replace('_', " "),
                v.item.name,
                v.version_label
            )
        });
    json!({
        "date": today.to_string(),
        "type": c.purpose.operation_type(),
        "exporter": {"name": org.name, "country": c.exporter_country},
        "destination": c.seen,
        "items": [{
            "id": v.item.name,
            "description": v.item.description,
            "kind": v.item.kind,
            "entries": entries,
            "cyber_surveillance": cs,
            "relates_to": c.body.relates_to,
            "quantity": {"amount": 1, "unit": c.purpose.unit().as_str()},
        }],
        "parties": [{"role": "end_user", "name": c.body.recipient.organisation.trim(), "country": c.seen}],
        "end_use": end_use,
        "facts": c.body.facts.clone().unwrap_or_else(|| json!({})),
    })
    .to_string()
}

/// The contract's field of an OPERATION path (the transmission's own names).
fn field_of(path: &str) -> String {
    if path.starts_with("facts") || path.starts_with("end_use") {
        return path.to_owned();
    }
    if path.starts_with("exporter") {
        return "exporter_country".to_owned();
    }
    if path.starts_with("destination") || path.starts_with("parties") {
        return "country_seen".to_owned();
    }
    if let Some(rest) = path.strip_prefix("items[0].relates_to") {
        return format!("relates_to{rest}");
    }
    if path.starts_with("items") {
        return "version".to_owned();
    }
    path.to_owned()
}

/// What the transmission rules make of an assessment.
struct Verdict {
    decision: TransmissionDecision,
    reasons: Vec<String>,
    cause: HoldCause,
    operation_decision: String,
    authorisation: String,
    draw: bool,
}

/// The transmission's decision from its assessment (screening applied), the version's status
/// and the countries.
fn verdict(a: &Assessment, v: &ItemVersion, declared: &str, seen: &str) -> Verdict {
    let assessed = a.decision.as_str().to_owned();
    if a.decision == Decision::Prohibited {
        let acts: Vec<String> = a
            .citations
            .iter()
            .filter(|c| c.act.starts_with("Council"))
            .map(|c| format!("{} {}", c.act, c.provision))
            .collect();
        let mut reasons = vec![format!(
            "Prohibited: the transmission to {seen} may not take place ({}).",
            if acts.is_empty() {
                "see the reasons".to_owned()
            } else {
                acts.join("; ")
            }
        )];
        reasons.extend(a.reasons.iter().cloned());
        return Verdict {
            decision: TransmissionDecision::Deny,
            reasons,
            cause: HoldCause::Decision,
            operation_decision: assessed,
            authorisation: "none".into(),
            draw: false,
        };
    }
    let mut holds = Vec::new();
    let mut cause = HoldCause::Decision;
    if !v.status.exportable() {
        cause = HoldCause::Reclassification;
        holds.push(format!(
            "Version {} of {} is {}: it must be classified before it is exported (Annex I and Art. 2(1) of Regulation (EU) 2021/821: the classification is of the item as transmitted).",
            v.version_label,
            v.item.name,
            match v.status {
                ReleaseStatus::ReclassificationRequired => "awaiting re-classification (its answers changed since the last classified version)",
                _ => "not classified",
            }
        ));
    }
    if declared != seen {
        holds.push(format!(
            "The recipient declared {declared} but is seen in {seen}: the destination is taken as {seen}, and a mismatch of the declared and the actual location is a red flag (Art. 4 and Art. 5 of Regulation (EU) 2021/821; Recommendation (EU) 2019/1318, element 4, transaction screening): an officer must verify where the recipient is before the item is made available."
        ));
    }
    let alert = a
        .screening
        .iter()
        .any(|h| !h.cleared && h.score >= ALERT_THRESHOLD);
    if alert && holds.is_empty() {
        cause = HoldCause::Screening;
    }
    if matches!(a.decision, Decision::Hold | Decision::NotifyAuthority) {
        holds.extend(a.reasons.iter().cloned());
    }
    if !holds.is_empty() {
        return Verdict {
            decision: TransmissionDecision::Hold,
            reasons: holds,
            cause,
            operation_decision: if a.decision >= Decision::Hold {
                assessed
            } else {
                "hold".into()
            },
            authorisation: "none".into(),
            draw: false,
        };
    }
    let (authorisation, draw) = match a.decision {
        Decision::LicenceRequired => ("none".to_owned(), true),
        Decision::GeneralAuthorisation => (a.authorisation.kind.clone(), false),
        _ => ("none".to_owned(), false),
    };
    Verdict {
        decision: TransmissionDecision::Allow,
        reasons: a.reasons.clone(),
        cause: HoldCause::Decision,
        operation_decision: assessed,
        authorisation,
        draw,
    }
}

/// Screens the recipient (person and organisation) against the served lists, country the
/// destination.
fn screen(state: &AppState, person: &str, org: &str, country: &str) -> Vec<ScreeningHit> {
    let lists = state.screening.current();
    let mut hits = Vec::new();
    for (role, name) in [("end_user", org), ("recipient", person)] {
        for f in search_party(&lists.index, name, country) {
            let version = lists
                .records
                .iter()
                .find(|r| r.source == f.entry.list)
                .map(vigil_store::ImportRecord::version_label)
                .unwrap_or_default();
            hits.push(ScreeningHit {
                role: role.to_owned(),
                party: name.to_owned(),
                list: format!("{} {version}", f.entry.list),
                entry_id: f.entry.entry_id.clone(),
                name: f.entry.primary_name().to_owned(),
                matched_alias: f.matched_alias,
                score: f.score,
                why: f.why,
                cleared: false,
            });
        }
    }
    hits
}

/// Why a transmission was not recorded.
enum Refused {
    /// Bad input: the fields.
    Fields(Vec<FieldProblem>),
    /// The store refused or failed.
    Store(TransmissionError),
}

/// Decides and records one transmission (blocking: store reads, assessment, screening, the
/// write).
fn transmit(
    store: &Store,
    state: &AppState,
    scope: &OrgScope,
    c: &Checked,
) -> Result<(Recorded, Arc<Assessment>), Refused> {
    let today = (state.today)();
    let law = &state.law;
    let Some(v) = store
        .item_version(scope, &c.body.item, &c.body.version)
        .map_err(|e| Refused::Store(e.into()))?
    else {
        let item_known = store
            .find_item(scope, &c.body.item)
            .map_err(|e| Refused::Store(e.into()))?
            .is_some();
        return Err(Refused::Fields(vec![FieldProblem {
            path: if item_known { "version" } else { "item" }.to_owned(),
            detail: format!(
                "no item `{}` with a classification record or registered release `{}` in this organisation",
                c.body.item, c.body.version
            ),
        }]));
    };
    let entries = match &v.basis {
        Some(r) => r
            .entries()
            .map_err(|e| Refused::Store(TransmissionError::Record(e.into())))?,
        None => Vec::new(),
    };
    let text = operation_text(c, scope.org(), &v, &entries, today);
    let mut assessment = match cached_assessment(law, text.clone(), &text, today) {
        Ok(a) => (*a).clone(),
        Err(e) => {
            return Err(Refused::Fields(
                e.errors
                    .iter()
                    .map(|f| FieldProblem {
                        path: field_of(&f.path),
                        detail: f.message.clone(),
                    })
                    .collect(),
            ));
        }
    };
    let hits = screen(
        state,
        &c.body.recipient.name,
        &c.body.recipient.organisation,
        &c.seen,
    );
    vigil_domain::apply_screening(&mut assessment, hits, ALERT_THRESHOLD);
    let verdict = verdict(&assessment, &v, &c.declared, &c.seen);
    let assessment_json = serde_json::to_string(&assessment).map_err(|e| {
        Refused::Store(TransmissionError::Invalid {
            field: "assessment",
            reason: e.to_string(),
        })
    })?;
    let codes: Vec<ControlCode> = entries
        .iter()
        .filter_map(|e| ControlCode::parse(e).ok())
        .collect();
    let new = NewTransmission {
        item_id: &v.item.id,
        version_label: &v.version_label,
        recipient_name: &c.body.recipient.name,
        recipient_org: &c.body.recipient.organisation,
        country_declared: &c.declared,
        country_seen: &c.seen,
        destination: &c.seen,
        purpose: c.purpose,
        decision: verdict.decision,
        authorisation: &verdict.authorisation,
        reasons: &verdict.reasons,
        hold_cause: verdict.cause,
        input_json: &text,
        assessment_json: &assessment_json,
        operation_decision: &verdict.operation_decision,
        law_version: &assessment.law_version,
        retain_until: assessment.records.as_ref().map(|r| r.retain_until.as_str()),
        draw: verdict.draw.then_some(DrawAsk {
            entries: codes,
            on: today,
        }),
    };
    let recorded = store
        .record_transmission(scope, &new)
        .map_err(Refused::Store)?;
    Ok((recorded, Arc::new(assessment)))
}

fn view(r: &Recorded, a: &Assessment, purpose: Purpose) -> TransmissionView {
    let t = &r.transmission;
    TransmissionView {
        id: t.id.clone(),
        decision: t.decision.clone(),
        reasons: t.reasons(),
        authorisation: CoveringAuthorisation {
            reference: t.authorisation.clone(),
            kind: a.authorisation.kind.clone(),
            licence_id: t.licence_id.clone(),
            conditions: if t.decision == "allow" {
                a.authorisation.conditions.clone()
            } else {
                Vec::new()
            },
        },
        assessment_decision: a.decision.as_str().to_owned(),
        operation_id: t.operation_id.clone(),
        hold_id: r.hold_id.clone(),
        operation_type: purpose.operation_type().to_owned(),
        destination: t.destination.clone(),
        drawn: r.drawn.as_ref().map(|d| DrawnView {
            licence: d.number.clone(),
            unit: d.unit.as_str().to_owned(),
            amount: 1,
            total: d.total,
            remaining: d.remaining,
        }),
        screening: a.screening.clone(),
        citations: a.citations.clone(),
        law_version: a.law_version.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// The API.

/// Decide a transmission of software or technology (download, update, SaaS access, remote
/// support) and record it as an export event (operator or above).
#[utoipa::path(post, path = "/api/v1/transmissions", request_body = TransmissionBody,
    responses(
        (status = 201, description = "Decided (allow, deny or hold) and recorded", body = TransmissionView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown item version, country or purpose, or a bad field: nothing recorded", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "transmissions")]
pub async fn api_transmit(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Enter) {
        return forbidden_problem();
    }
    let parsed: TransmissionBody = match parse_json(&body) {
        Ok(b) => b,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    let checked = match check_body(&state.law, parsed) {
        Ok(c) => c,
        Err(errors) => return fields_problem(errors),
    };
    let (st, scope) = (state.clone(), caller.scope.clone());
    let purpose = checked.purpose;
    match run(&state, move |s| transmit(s, &st, &scope, &checked)).await {
        Ok(Ok((r, a))) => {
            let mut res = (StatusCode::CREATED, Json(view(&r, &a, purpose))).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "/api/v1/operations/{}",
                r.transmission.operation_id
            )) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        Ok(Err(Refused::Fields(errors))) => fields_problem(errors),
        Ok(Err(Refused::Store(TransmissionError::Forbidden))) => forbidden_problem(),
        Ok(Err(Refused::Store(TransmissionError::Invalid { field, reason }))) => {
            field_problem(field, &reason)
        }
        Ok(Err(Refused::Store(TransmissionError::Record(RecordError::NotFound)))) => {
            field_problem("item", "no such item in this organisation")
        }
        Ok(Err(Refused::Store(e))) => internal(&e),
        Err(r) => r,
    }
}

/// List the transmissions of the token's organisation, newest first (at most 500).
#[utoipa::path(get, path = "/api/v1/transmissions",
    responses((status = 200, body = [TransmissionSummary]), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "transmissions")]
pub async fn api_transmissions(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let scope = caller.scope;
    match run(&state, move |s| s.transmissions(&scope, LIST_LIMIT)).await {
        Ok(Ok(ts)) => {
            Json(ts.iter().map(TransmissionSummary::from).collect::<Vec<_>>()).into_response()
        }
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A transmission as the page shows it.
pub struct Row {
    when: String,
    recipient: String,
    organisation: String,
    item: String,
    version: String,
    purpose: String,
    declared: String,
    seen: String,
    mismatch: bool,
    decision: String,
    reasons: Vec<String>,
    authorisation: String,
    operation_id: String,
}

#[derive(Template)]
#[template(path = "transmissions.html")]
struct TransmissionsPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    rows: Vec<Row>,
}

/// `GET /orgs/{org}/transmissions`: who received what, where, the decision and the authorisation.
pub async fn transmissions_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
) -> Response {
    let org = scope.org().clone();
    org_page(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        "transmissions",
        StatusCode::OK,
        |s, sc| {
            let ts = s.transmissions(sc, LIST_LIMIT)?;
            let names: HashMap<String, String> =
                s.items(sc)?.into_iter().map(|i| (i.id, i.name)).collect();
            Ok::<_, vigil_store::StoreError>((ts, names))
        },
        |c, (ts, names)| {
            let rows = ts
                .iter()
                .map(|t| Row {
                    when: c.date(&rfc3339(t.created_at).chars().take(10).collect::<String>()),
                    recipient: t.recipient_name.clone(),
                    organisation: t.recipient_org.clone(),
                    item: names
                        .get(&t.item_id)
                        .cloned()
                        .unwrap_or_else(|| t.item_id.clone()),
                    version: t.version_label.clone(),
                    purpose: t.purpose.clone(),
                    declared: t.country_declared.clone(),
                    seen: t.country_seen.clone(),
                    mismatch: t.country_declared != t.country_seen,
                    decision: t.decision.clone(),
                    reasons: t.reasons(),
                    authorisation: t.authorisation.clone(),
                    operation_id: t.operation_id.clone(),
                })
                .collect();
            TransmissionsPage { c, org, rows }
        },
    )
    .await
}

/// The transmissions part of the OpenAPI document (merged into [`crate::api::ApiDoc`]'s).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_transmit, api_transmissions),
    components(schemas(
        TransmissionBody,
        RecipientBody,
        TransmissionView,
        CoveringAuthorisation,
        DrawnView,
        TransmissionSummary
    )),
    tags((name = "transmissions", description = "Intangible exports: downloads, updates, SaaS access and remote support decided and recorded before they are served"))
)]
pub struct TransmissionsApi;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_paths_map_to_the_transmission_fields() {
        assert_eq!(field_of("exporter.country"), "exporter_country");
        assert_eq!(field_of("destination"), "country_seen");
        assert_eq!(field_of("facts.nope"), "facts.nope");
        assert_eq!(field_of("items[0].entries[0]"), "version");
        assert_eq!(field_of("items[0].relates_to[1]"), "relates_to[1]");
    }
}
