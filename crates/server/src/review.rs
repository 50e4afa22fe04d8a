//! Block → review → release: the holds of an operation and their release by an officer other than
//! its creator (four eyes), with a reason, and the frozen record of a released operation.
//!
//! - `GET /orgs/{org}/operations/{id}/review`: the holds (cause, what triggered it, when, open or
//!   released with who, when, how and why), the documents, and for an officer other than the
//!   creator a release form per open hold; `?licence=ID&on=YYYY-MM-DD` previews the licence's
//!   draw-down (read-only). The creator is told why they cannot release; a prohibited operation
//!   that it can never be released.
//! - `POST /orgs/{org}/operations/{id}/holds/{hold}/release` (multipart, documents up to 10 MiB
//!   in all): kind `licence` (drawn down in the same transaction as the release; a refused
//!   draw-down shows every reason and writes nothing), `authority_answer`, `screening_cleared`
//!   or `review`; the reason is mandatory. A bad field: 422, shown next to it, nothing written.
//! - `POST /orgs/{org}/operations/{id}/complete`: the export was carried out (not while blocked).
//! - `GET /orgs/{org}/records.zip?from=&to=`: the records of a period (Art. 27 of Regulation (EU)
//!   2021/821), for roles that read the audit log.
//! - `GET /orgs/{org}/retention`: the operations whose retention date has passed (deletable
//!   unless a hold, an open due-diligence file or an unanswered notification keeps them) and
//!   those due within [`RETENTION_HORIZON_DAYS`]; `POST /orgs/{org}/retention/delete`: the
//!   selection, then a confirmation step (the count, the records ZIP to download first, the
//!   word DELETE or the organisation's name typed), then the deletion in one transaction (all or
//!   nothing; officers and administrators).
//! - API: `GET /api/v1/retention`, `POST /api/v1/retention/delete` (`{"operations": [...],
//!   "confirm": "DELETE"}`).
//! - API: `GET /api/v1/operations/{id}/holds`, `POST /api/v1/operations/{id}/holds/{hold}/release`
//!   (problem details naming the field).
//!
//! The rules are the store's ([`vigil_store::review`], [`vigil_store::lifecycle`],
//! [`vigil_store::retention`]); this module only reads the input and shows the outcome.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::Date;
use tower_http::limit::RequestBodyLimitLayer;
use vigil_domain::access::Action;
use vigil_domain::icp::{DrawDown, Refusal};
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::attachments::MAX_ATTACHMENT_BYTES;
use vigil_store::licences::{DrawDownOutcome, LicenceError};
use vigil_store::lifecycle::Hold;
use vigil_store::records::{OperationRecord, RecordError};
use vigil_store::retention::{DeleteError, ExportError, KeepReason, RetentionEntry};
use vigil_store::review::{
    AUTHORITY_ANSWERS, Evidence, RELEASE_KINDS, ReleaseDocument, ReleaseError, ReleaseRequest,
};

use crate::accounts::{ApiCaller, CurrentUser, PageQuery, chrome, message};
use crate::multipart;
use crate::problem::{FieldProblem, Problem};
use crate::ui::Chrome;
use crate::web::rfc3339;
use crate::web::{Member, internal, page, run, see_other};
use crate::{AppState, MAX_BODY_BYTES};

/// The largest release form: its documents (10 MiB in all) and the fields around them.
pub const MAX_RELEASE_BODY: usize = MAX_ATTACHMENT_BYTES + 256 * 1024;

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    // The release form carries documents: its own, larger limit.
    let uploads = Router::new()
        .route(
            "/orgs/{org}/operations/{id}/holds/{hold}/release",
            post(release_submit),
        )
        .layer(DefaultBodyLimit::max(MAX_RELEASE_BODY))
        .layer(RequestBodyLimitLayer::new(MAX_RELEASE_BODY));
    Router::new()
        .route("/orgs/{org}/operations/{id}/review", get(review_page))
        .route(
            "/orgs/{org}/operations/{id}/complete",
            post(complete_submit),
        )
        .route("/orgs/{org}/records.zip", get(records_zip))
        .route("/orgs/{org}/retention", get(retention_page))
        .route("/orgs/{org}/retention/delete", post(retention_delete))
        .route("/api/v1/retention", get(api_retention))
        .route("/api/v1/retention/delete", post(api_retention_delete))
        .route("/api/v1/operations/{id}/holds", get(api_holds))
        .route(
            "/api/v1/operations/{id}/holds/{hold}/release",
            post(api_release),
        )
        .route(
            "/api/v1/items/{id}/releases",
            get(api_releases).post(api_register_release),
        )
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(uploads)
}

// ---------------------------------------------------------------------------------------------
// Reading the input.

fn parse_date(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Decodes `application/x-www-form-urlencoded`.
fn urlencoded(body: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &[u8]) -> String {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => {
                    let hex = std::str::from_utf8(&s[i + 1..=i + 2]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split(|b| *b == b'&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let mut it = kv.splitn(2, |b| *b == b'=');
            let k = decode(it.next().unwrap_or_default());
            let v = decode(it.next().unwrap_or_default());
            (k, v)
        })
        .collect()
}

/// The release form as submitted.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReleaseForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default, alias = "licence_id")]
    licence: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    authority_reference: String,
    #[serde(default)]
    authority_date: String,
    #[serde(default)]
    answer: String,
}

impl ReleaseForm {
    fn set(&mut self, k: &str, v: String) {
        match k {
            "kind" => self.kind = v,
            "reason" => self.reason = v,
            "licence" | "licence_id" => self.licence = v,
            "on" => self.on = v,
            "authority_reference" => self.authority_reference = v,
            "authority_date" => self.authority_date = v,
            "answer" => self.answer = v,
            _ => {}
        }
    }

    fn get(&self, k: &str) -> &str {
        match k {
            "kind" => &self.kind,
            "reason" => &self.reason,
            "licence" => &self.licence,
            "on" => &self.on,
            "authority_reference" => &self.authority_reference,
            "authority_date" => &self.authority_date,
            "answer" => &self.answer,
            _ => "",
        }
    }
}

/// A document uploaded with the form.
struct Upload {
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// The form and its documents from a body (multipart or urlencoded).
fn read_form(headers: &HeaderMap, body: &[u8]) -> (ReleaseForm, Vec<Upload>) {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut form = ReleaseForm::default();
    let mut uploads = Vec::new();
    if multipart::is_form_data(ct) {
        // A body that cannot be read is an empty form (its errors say what is missing).
        for p in multipart::parse(ct, body).unwrap_or_default() {
            let carries_file = p.carries_file();
            match p.filename {
                Some(f) if p.name == "documents" => {
                    if carries_file {
                        uploads.push(Upload {
                            filename: f,
                            content_type: p.content_type.unwrap_or_default(),
                            bytes: p.data,
                        });
                    }
                }
                _ => form.set(&p.name, String::from_utf8_lossy(&p.data).into_owned()),
            }
        }
    } else {
        for (k, v) in urlencoded(body) {
            form.set(&k, v);
        }
    }
    (form, uploads)
}

/// The evidence of a form: what it rests on, or the field at fault and the catalogue key.
fn evidence<'a>(
    state: &'a AppState,
    form: &'a ReleaseForm,
    today: Date,
) -> Result<Evidence<'a>, (&'static str, &'static str)> {
    Ok(match form.kind.as_str() {
        "licence" => {
            if form.licence.trim().is_empty() {
                return Err(("licence", "review-err-licence"));
            }
            let on = if form.on.trim().is_empty() {
                today
            } else {
                parse_date(&form.on).ok_or(("on", "review-err-date"))?
            };
            Evidence::Licence {
                licence_id: form.licence.trim(),
                on,
                law: &state.law,
            }
        }
        "authority_answer" => Evidence::AuthorityAnswer {
            reference: &form.authority_reference,
            date: &form.authority_date,
            answer: &form.answer,
        },
        "screening_cleared" => Evidence::ScreeningCleared { today },
        "review" => Evidence::Review,
        _ => return Err(("kind", "review-err-kind")),
    })
}

/// What a refused release shows: field errors and the draw-down's refusals.
type Shown = (BTreeMap<String, String>, Vec<(String, String)>);

/// A refused release as field errors (`form`: the whole form), or `None` when it is a failure to
/// answer otherwise (not found, forbidden, a database failure).
fn release_errors(e: &ReleaseError, c: &Chrome<'_>) -> Option<Shown> {
    let mut errors = BTreeMap::new();
    let mut refusals = Vec::new();
    match e {
        ReleaseError::Record(RecordError::Invalid { field, reason }) => {
            let text = match *field {
                "reason" => c.t.get("review-err-reason"),
                _ => reason.clone(),
            };
            errors.insert((*field).to_owned(), text);
        }
        ReleaseError::Record(RecordError::Refused(why)) => {
            // The store's rules, in the page's language.
            let text = if why.contains("four eyes") {
                c.t.get("review-four-eyes")
            } else if why.contains("prohibited") {
                c.t.get("review-prohibited")
            } else {
                why.clone()
            };
            errors.insert("form".to_owned(), text);
        }
        ReleaseError::Licence(LicenceError::NotFound) => {
            errors.insert("licence".to_owned(), c.t.get("review-err-licence"));
        }
        ReleaseError::Licence(
            l @ (LicenceError::AlreadyDrawn(_)
            | LicenceError::Operation { .. }
            | LicenceError::Forbidden),
        ) => {
            errors.insert("licence".to_owned(), l.to_string());
        }
        ReleaseError::Attachment(a) => {
            errors.insert(
                "documents".to_owned(),
                format!("{} ({a})", c.t.get("review-err-documents")),
            );
        }
        ReleaseError::DrawDownRefused(r) => {
            errors.insert("licence".to_owned(), c.t.get("review-err-drawdown"));
            refusals = r
                .iter()
                .map(|x| (x.message.clone(), x.source.clone()))
                .collect();
        }
        _ => return None,
    }
    Some((errors, refusals))
}

// ---------------------------------------------------------------------------------------------
// The review page.

/// A hold as the page shows it.
pub struct HoldRow {
    id: String,
    cause: String,
    detail: String,
    created_at: i64,
    created_by: String,
    open: bool,
    released_by: String,
    released_at: i64,
    kind: String,
    reason: String,
    release_detail: String,
}

/// A draw-down preview as the page shows it.
pub struct PreviewView {
    licence: String,
    on: String,
    units: Vec<(String, String, String)>,
    warnings: Vec<String>,
    refusals: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    op: OperationRecord,
    holds: Vec<HoldRow>,
    has_open: bool,
    can_decide: bool,
    is_creator: bool,
    prohibited: bool,
    can_release: bool,
    can_complete: bool,
    licences: Vec<(String, String)>,
    attachments: Vec<(String, i64, String)>,
    preview: Option<PreviewView>,
    preview_licence: String,
    preview_on: String,
    kinds: [&'static str; 4],
    answers: [&'static str; 2],
    form: ReleaseForm,
    form_hold: String,
    errors: BTreeMap<String, String>,
    refusals: Vec<(String, String)>,
    today: String,
}

impl ReviewPage<'_> {
    fn name(&self) -> &str {
        if self.op.reference.is_empty() {
            &self.op.id
        } else {
            &self.op.reference
        }
    }

    fn bad(&self, hold: &str, field: &str) -> bool {
        self.form_hold == hold && self.errors.contains_key(field)
    }

    fn err(&self, hold: &str, field: &str) -> Option<&String> {
        if self.form_hold == hold {
            self.errors.get(field)
        } else {
            None
        }
    }

    fn value(&self, hold: &str, field: &str) -> &str {
        if self.form_hold == hold {
            self.form.get(field)
        } else {
            ""
        }
    }

    fn chosen(&self, hold: &str, kind: &str) -> bool {
        if self.form_hold == hold && !self.form.kind.is_empty() {
            self.form.kind == kind
        } else {
            // The likeliest way out of each cause.
            let cause = self
                .holds
                .iter()
                .find(|h| h.id == hold)
                .map_or("", |h| h.cause.as_str());
            let default = match (cause, self.op.decision.as_str()) {
                ("decision", "licence_required") => "licence",
                ("decision", "notify_authority") => "authority_answer",
                ("screening", _) => "screening_cleared",
                _ => "review",
            };
            kind == default
        }
    }

    fn on_value(&self, hold: &str) -> String {
        let v = self.value(hold, "on");
        if v.is_empty() {
            self.today.clone()
        } else {
            v.to_owned()
        }
    }
}

/// The draw-down preview query.
#[derive(Debug, Default, Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    licence: String,
    #[serde(default)]
    on: String,
}

fn pretty(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(m)) if m.is_empty() => String::new(),
        Ok(v) => v.to_string(),
        Err(_) => json.to_owned(),
    }
}

fn hold_row(h: Hold, names: &BTreeMap<String, String>) -> HoldRow {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    HoldRow {
        open: h.is_open(),
        created_by: name(&h.created_by),
        released_by: h.released_by.as_deref().map(name).unwrap_or_default(),
        released_at: h.released_at.unwrap_or_default(),
        kind: h.release_kind.unwrap_or_default(),
        reason: h.release_reason.unwrap_or_default(),
        release_detail: h.release_detail.as_deref().map(pretty).unwrap_or_default(),
        detail: pretty(&h.detail),
        id: h.id,
        cause: h.cause,
        created_at: h.created_at,
    }
}

fn preview_view(
    licence: String,
    on: Date,
    outcome: Result<DrawDownOutcome, LicenceError>,
) -> PreviewView {
    let mut p = PreviewView {
        licence,
        on: on.to_string(),
        units: Vec::new(),
        warnings: Vec::new(),
        refusals: Vec::new(),
        error: None,
    };
    match outcome {
        Ok(DrawDownOutcome::Drawn(d)) => {
            p.units = d
                .units
                .iter()
                .map(|u| {
                    (
                        u.unit.as_str().to_owned(),
                        u.unit.show(u.amount),
                        u.unit.show(u.remaining),
                    )
                })
                .collect();
            p.warnings = d.warnings.iter().map(|w| w.message.clone()).collect();
        }
        Ok(DrawDownOutcome::Refused(r)) => {
            p.refusals = r
                .iter()
                .map(|x| (x.message.clone(), x.source.clone()))
                .collect();
        }
        Err(e) => p.error = Some(e.to_string()),
    }
    p
}

/// What the review page loads.
struct Loaded {
    op: OperationRecord,
    holds: Vec<Hold>,
    names: BTreeMap<String, String>,
    licences: Vec<(String, String)>,
    attachments: Vec<(String, i64, String)>,
    preview: Option<PreviewView>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn render(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    id: String,
    status: StatusCode,
    preview: PreviewQuery,
    form: ReleaseForm,
    form_hold: String,
    errors: BTreeMap<String, String>,
    refusals: Vec<(String, String)>,
) -> Response {
    let today = (state.today)();
    let (s2, law) = (scope.clone(), state.law.clone());
    let preview_licence = preview.licence.clone();
    let loaded = run(state, move |s| -> Result<Option<Loaded>, String> {
        let Some((op, holds)) = s
            .operation_with_holds(&s2, &id)
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let names = s
            .members(&s2)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|m| {
                let n = if m.user.display_name.is_empty() {
                    m.user.email
                } else {
                    m.user.display_name
                };
                (m.user.id, n)
            })
            .collect();
        let licences = s
            .licences(&s2)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|l| {
                let label = format!(
                    "{} · {} · {} → {}",
                    l.terms.number, l.terms.authority, l.terms.valid_from, l.terms.valid_until
                );
                (l.id, label)
            })
            .collect();
        let attachments = s
            .attachments_of(&s2, &format!("operation:{id}"))
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|a| (a.filename, a.size, a.sha256))
            .collect();
        let preview = if preview.licence.trim().is_empty() {
            None
        } else {
            let on = parse_date(&preview.on).unwrap_or(today);
            let outcome = s.licence_check(&s2, preview.licence.trim(), &id, on, &law);
            let number = s
                .licence(&s2, preview.licence.trim())
                .ok()
                .flatten()
                .map_or_else(|| preview.licence.clone(), |l| l.terms.number);
            Some(preview_view(number, on, outcome))
        };
        Ok(Some(Loaded {
            op,
            holds,
            names,
            licences,
            attachments,
            preview,
        }))
    })
    .await;
    let l = match loaded {
        Ok(Ok(Some(l))) => l,
        Ok(Ok(None)) => return message(state, headers, StatusCode::NOT_FOUND, "not-found"),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "store failure");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
        Err(r) => return r,
    };
    let c = chrome(
        state,
        headers,
        q,
        &format!("/orgs/{}/operations/{}/review", scope.org_id(), l.op.id),
        Some(&me.user),
    );
    let can_decide = scope.role().allows(Action::Decide);
    let is_creator = l.op.created_by == scope.user_id();
    let prohibited = l.op.decision == "prohibited";
    let holds: Vec<HoldRow> = l.holds.into_iter().map(|h| hold_row(h, &l.names)).collect();
    let has_open = holds.iter().any(|h| h.open);
    let can_complete = scope.role().allows(Action::Enter)
        && l.op.completed_at.is_none()
        && l.op.status != "blocked";
    page(
        status,
        &ReviewPage {
            c,
            org: scope.org().clone(),
            has_open,
            can_release: can_decide && !is_creator && !prohibited && has_open,
            can_decide,
            is_creator,
            prohibited,
            can_complete,
            holds,
            licences: l.licences,
            attachments: l.attachments,
            preview: l.preview,
            preview_on: today.to_string(),
            preview_licence,
            kinds: RELEASE_KINDS,
            answers: AUTHORITY_ANSWERS,
            form,
            form_hold,
            errors,
            refusals,
            today: today.to_string(),
            op: l.op,
        },
    )
}

/// `GET /orgs/{org}/operations/{id}/review`.
pub async fn review_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Query(p): Query<PreviewQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    render(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::OK,
        p,
        ReleaseForm::default(),
        String::new(),
        BTreeMap::new(),
        Vec::new(),
    )
    .await
}

/// `POST /orgs/{org}/operations/{id}/holds/{hold}/release`.
pub async fn release_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id, hold)): Path<(String, String, String)>,
    Member { me, scope }: Member,
    body: Bytes,
) -> Response {
    // A role that may not decide: 403 (before anything is looked up). Otherwise the hold must
    // be one of this operation in this organisation (404, as for anything of another
    // organisation).
    if !scope.role().allows(Action::Decide) {
        let (s2, h2) = (scope.clone(), hold.clone());
        let ours = matches!(
            run(&state, move |s| s.hold(&s2, &h2)).await,
            Ok(Ok(Some(h))) if h.operation_id == id
        );
        if !ours {
            return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
        }
    }
    let (s2, h2) = (scope.clone(), hold.clone());
    let found = match run(&state, move |s| s.hold(&s2, &h2)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    if found.as_ref().is_none_or(|h| h.operation_id != id) {
        return message(&state, &headers, StatusCode::NOT_FOUND, "not-found");
    }
    let (form, uploads) = read_form(&headers, &body);
    let c = chrome(&state, &headers, &q, "/", Some(&me.user));
    let mut errors = BTreeMap::new();
    let mut refusals = Vec::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if !scope.role().allows(Action::Decide) {
        errors.insert("form".to_owned(), c.t.get("review-not-officer"));
        status = StatusCode::FORBIDDEN;
    } else if found.as_ref().is_some_and(|h| !h.is_open()) {
        errors.insert("form".to_owned(), c.t.get("review-refused"));
    } else {
        let today = (state.today)();
        let (f2, s2, st2, hold2) = (form.clone(), scope.clone(), state.clone(), hold.clone());
        let result = run(&state, move |s| {
            let ev = match evidence(&st2, &f2, today) {
                Ok(ev) => ev,
                Err(fe) => return Err(Ok(fe)),
            };
            let documents = uploads
                .iter()
                .map(|u| ReleaseDocument {
                    filename: &u.filename,
                    content_type: &u.content_type,
                    bytes: &u.bytes,
                })
                .collect();
            s.release_with_evidence(
                &s2,
                &ReleaseRequest {
                    hold_id: &hold2,
                    evidence: ev,
                    reason: &f2.reason,
                    documents,
                },
            )
            .map_err(Err)
        })
        .await;
        match result {
            Ok(Ok(_)) => {
                return see_other(&format!("/orgs/{}/operations/{id}/review", scope.org_id()));
            }
            Ok(Err(Ok((field, key)))) => {
                errors.insert(field.to_owned(), c.t.get(key));
            }
            Ok(Err(Err(e))) => match release_errors(&e, &c) {
                Some((er, re)) => {
                    errors = er;
                    refusals = re;
                }
                None => match e {
                    ReleaseError::Record(RecordError::NotFound) => {
                        return message(&state, &headers, StatusCode::NOT_FOUND, "not-found");
                    }
                    ReleaseError::Record(RecordError::Forbidden) => {
                        return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
                    }
                    other => return internal(&other),
                },
            },
            Err(r) => return r,
        }
    }
    render(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        status,
        PreviewQuery::default(),
        form,
        hold,
        errors,
        refusals,
    )
    .await
}

/// `POST /orgs/{org}/operations/{id}/complete`: the export was carried out.
pub async fn complete_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    if !scope.role().allows(Action::Enter) {
        return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
    }
    let (s2, i2) = (scope.clone(), id.clone());
    match run(&state, move |s| s.complete_operation(&s2, &i2)).await {
        Ok(Ok(_)) => see_other(&format!("/orgs/{}/operations/{id}/review", scope.org_id())),
        Ok(Err(RecordError::NotFound)) => {
            message(&state, &headers, StatusCode::NOT_FOUND, "not-found")
        }
        Ok(Err(RecordError::Forbidden)) => {
            message(&state, &headers, StatusCode::FORBIDDEN, "forbidden")
        }
        Ok(Err(RecordError::Refused(why))) => {
            let mut errors = BTreeMap::new();
            errors.insert("form".to_owned(), why);
            render(
                &state,
                &headers,
                &q,
                &me,
                &scope,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                PreviewQuery::default(),
                ReleaseForm::default(),
                String::new(),
                errors,
                Vec::new(),
            )
            .await
        }
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// The period of the records export.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// `GET /orgs/{org}/records.zip?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: the current year to
/// today).
pub async fn records_zip(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<PeriodQuery>,
    Member { me: _, scope }: Member,
) -> Response {
    if !scope.role().allows(Action::ReadAudit) {
        return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
    }
    let today = (state.today)();
    let from = if p.from.trim().is_empty() {
        Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today)
    } else if let Some(d) = parse_date(&p.from) {
        d
    } else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "from: a date YYYY-MM-DD").into_response();
    };
    let to = if p.to.trim().is_empty() {
        today
    } else if let Some(d) = parse_date(&p.to) {
        d
    } else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "to: a date YYYY-MM-DD").into_response();
    };
    let s2 = scope.clone();
    let r = run(&state, move |s| {
        s.export_records(&s2, from, to, time::OffsetDateTime::now_utc())
    })
    .await;
    match r {
        Ok(Ok(bytes)) => {
            let mut res = (StatusCode::OK, bytes).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&format!(
                "attachment; filename=\"vigil-records-{from}-{to}.zip\""
            )) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Ok(Err(ExportError::Forbidden)) => {
            message(&state, &headers, StatusCode::FORBIDDEN, "forbidden")
        }
        Ok(Err(ExportError::Period(why))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, format!("period: {why}")).into_response()
        }
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Retention: deleting the records whose Art. 27 period has ended.

/// How far ahead the retention page and API show the operations coming due (not yet deletable).
pub const RETENTION_HORIZON_DAYS: i64 = 90;

/// The word that confirms a deletion (the organisation's name also does).
pub const CONFIRM_WORD: &str = "DELETE";

/// An operation of the retention list as the page shows it.
pub struct RetentionRow {
    id: String,
    reference: String,
    decision: String,
    created_at: i64,
    retain_until: String,
    deletable: bool,
    /// Why it is kept, in the page's language (empty when deletable).
    kept: String,
}

fn keep_text(c: &Chrome<'_>, k: &KeepReason) -> String {
    match k {
        KeepReason::Retention(d) => format!(
            "{} {}",
            c.t.get("retention-keep-retention"),
            c.date(&d.to_string())
        ),
        other => c.t.get(&format!("retention-keep-{}", other.code())),
    }
}

fn retention_row(c: &Chrome<'_>, e: &RetentionEntry) -> RetentionRow {
    RetentionRow {
        id: e.operation.id.clone(),
        reference: if e.operation.reference.is_empty() {
            e.operation.id.clone()
        } else {
            e.operation.reference.clone()
        },
        decision: e.operation.decision.clone(),
        created_at: e.operation.created_at,
        retain_until: e.retain_until.to_string(),
        deletable: e.deletable(),
        kept: e.keep.as_ref().map(|k| keep_text(c, k)).unwrap_or_default(),
    }
}

/// The records ZIP link of the period the operations were created in (first to last day).
fn zip_link(org_id: &str, created: impl Iterator<Item = i64>) -> Option<String> {
    let days: Vec<Date> = created
        .filter_map(|us| time::OffsetDateTime::from_unix_timestamp(us.div_euclid(1_000_000)).ok())
        .map(time::OffsetDateTime::date)
        .collect();
    let from = days.iter().min()?;
    let to = days.iter().max()?;
    Some(format!("/orgs/{org_id}/records.zip?from={from}&to={to}"))
}

#[derive(Template)]
#[template(path = "retention.html")]
struct RetentionPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    rows: Vec<RetentionRow>,
    can_delete: bool,
    deletable: usize,
    horizon: i64,
    today: String,
    zip: Option<String>,
    deleted: Option<usize>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "retention_confirm.html")]
struct RetentionConfirm<'a> {
    c: Chrome<'a>,
    org: Organisation,
    rows: Vec<RetentionRow>,
    zip: Option<String>,
    word: &'static str,
    error: Option<String>,
}

/// The retention page's query.
#[derive(Debug, Default, Deserialize)]
pub struct RetentionQuery {
    #[serde(default)]
    deleted: Option<usize>,
}

/// The retention list (on the state's today) or the response to give instead.
async fn retention_entries(
    state: &AppState,
    scope: &OrgScope,
) -> Result<Vec<RetentionEntry>, Response> {
    let today = (state.today)();
    let s2 = scope.clone();
    match run(state, move |s| {
        s.retention_due(&s2, today, RETENTION_HORIZON_DAYS)
    })
    .await
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(RecordError::Forbidden)) => Err(StatusCode::FORBIDDEN.into_response()),
        Ok(Err(e)) => Err(internal(&e)),
        Err(r) => Err(r),
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn render_retention(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    status: StatusCode,
    deleted: Option<usize>,
    error: Option<String>,
) -> Response {
    let entries = match retention_entries(state, scope).await {
        Ok(v) => v,
        Err(r) if r.status() == StatusCode::FORBIDDEN => {
            return message(state, headers, StatusCode::FORBIDDEN, "forbidden");
        }
        Err(r) => return r,
    };
    let c = chrome(
        state,
        headers,
        q,
        &format!("/orgs/{}/retention", scope.org_id()),
        Some(&me.user),
    );
    let rows: Vec<RetentionRow> = entries.iter().map(|e| retention_row(&c, e)).collect();
    let deletable = rows.iter().filter(|r| r.deletable).count();
    let zip = zip_link(
        scope.org_id(),
        entries
            .iter()
            .filter(|e| e.deletable())
            .map(|e| e.operation.created_at),
    );
    page(
        status,
        &RetentionPage {
            c,
            org: scope.org().clone(),
            rows,
            can_delete: scope.role().allows(Action::Decide),
            deletable,
            horizon: RETENTION_HORIZON_DAYS,
            today: (state.today)().to_string(),
            zip,
            deleted,
            error,
        },
    )
}

/// `GET /orgs/{org}/retention`: the operations past their retention date or due within the
/// horizon (roles that read the audit log; officers and administrators may delete).
pub async fn retention_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Query(r): Query<RetentionQuery>,
    Member { me, scope }: Member,
) -> Response {
    if !scope.role().allows(Action::ReadAudit) {
        return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
    }
    render_retention(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        StatusCode::OK,
        r.deleted,
        None,
    )
    .await
}

/// `POST /orgs/{org}/retention/delete`: fields `op` (repeated), then with `step=confirm` the
/// typed `confirm` word. Without `step=confirm`, the confirmation page; with it and the word,
/// the deletion (303 to the list) or the list with the first refusal (422, nothing deleted).
pub async fn retention_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
    body: Bytes,
) -> Response {
    if !scope.role().allows(Action::Decide) {
        return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
    }
    let fields = urlencoded(&body);
    let mut ids: Vec<String> = Vec::new();
    for (k, v) in &fields {
        let v = v.trim();
        if k == "op" && !v.is_empty() && !ids.iter().any(|i| i == v) {
            ids.push(v.to_owned());
        }
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    let c = chrome(
        &state,
        &headers,
        &q,
        &format!("/orgs/{}/retention", scope.org_id()),
        Some(&me.user),
    );
    if ids.is_empty() {
        let e = c.t.get("retention-err-none");
        return render_retention(
            &state,
            &headers,
            &q,
            &me,
            &scope,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(e),
        )
        .await;
    }
    if field("step").as_deref() == Some("confirm") {
        let word = field("confirm").unwrap_or_default();
        if word == CONFIRM_WORD || (!word.is_empty() && word == scope.org().name.trim()) {
            let today = (state.today)();
            let (s2, i2) = (scope.clone(), ids.clone());
            let outcome = run(&state, move |s| s.delete_operations(&s2, &i2, today)).await;
            let error = match outcome {
                Ok(Ok(n)) => {
                    return see_other(&format!("/orgs/{}/retention?deleted={n}", scope.org_id()));
                }
                Ok(Err(DeleteError::Kept {
                    reference, reason, ..
                })) => format!(
                    "{} {reference}: {}",
                    c.t.get("retention-refused"),
                    keep_text(&c, &reason)
                ),
                Ok(Err(DeleteError::NotFound(id))) => format!(
                    "{} {id}: {}",
                    c.t.get("retention-refused"),
                    c.t.get("retention-err-unknown")
                ),
                Ok(Err(DeleteError::Empty)) => c.t.get("retention-err-none"),
                Ok(Err(DeleteError::Forbidden)) => {
                    return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
                }
                Ok(Err(e)) => return internal(&e),
                Err(r) => return r,
            };
            return render_retention(
                &state,
                &headers,
                &q,
                &me,
                &scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(error),
            )
            .await;
        }
        return confirm_page(&state, &headers, &q, &me, &scope, &ids, true).await;
    }
    confirm_page(&state, &headers, &q, &me, &scope, &ids, false).await
}

/// The confirmation step for `ids` (each must be listed and deletable: otherwise the list with
/// the first one refused, 422); `wrong_word` after a confirmation without the word (422).
async fn confirm_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    ids: &[String],
    wrong_word: bool,
) -> Response {
    let entries = match retention_entries(state, scope).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let c = chrome(
        state,
        headers,
        q,
        &format!("/orgs/{}/retention", scope.org_id()),
        Some(&me.user),
    );
    let mut chosen = Vec::new();
    for id in ids {
        let refusal = match entries.iter().find(|e| &e.operation.id == id) {
            Some(e) => match &e.keep {
                None => {
                    chosen.push(e);
                    None
                }
                Some(k) => Some(format!(
                    "{} {}: {}",
                    c.t.get("retention-refused"),
                    retention_row(&c, e).reference,
                    keep_text(&c, k)
                )),
            },
            // Not listed: unknown, another organisation's, or far from its date (the same
            // answer for all, which reveals nothing).
            None => Some(format!(
                "{} {id}: {}",
                c.t.get("retention-refused"),
                c.t.get("retention-err-unknown")
            )),
        };
        if let Some(error) = refusal {
            return render_retention(
                state,
                headers,
                q,
                me,
                scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(error),
            )
            .await;
        }
    }
    let zip = zip_link(
        scope.org_id(),
        chosen.iter().map(|e| e.operation.created_at),
    );
    let rows = chosen.iter().map(|e| retention_row(&c, e)).collect();
    let error = wrong_word.then(|| c.t.get("retention-err-confirm"));
    page(
        if wrong_word {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &RetentionConfirm {
            c,
            org: scope.org().clone(),
            rows,
            zip,
            word: CONFIRM_WORD,
            error,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// The API.

/// A hold as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    /// Id.
    pub id: String,
    /// The operation.
    pub operation_id: String,
    /// `decision`, `screening`, `reclassification` or `due_diligence`.
    pub cause: String,
    /// What triggered it.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Who or what opened it (user id, or `system`).
    pub created_by: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
    /// Still open.
    pub open: bool,
    /// The officer who released it.
    pub released_by: Option<String>,
    /// When (RFC 3339, UTC).
    pub released_at: Option<String>,
    /// `licence`, `authority_answer`, `screening_cleared` or `review`.
    pub release_kind: Option<String>,
    /// The officer's reason.
    pub release_reason: Option<String>,
    /// What the release rests on (licence and draw-down, the authority's answer, documents).
    #[schema(value_type = Option<Object>)]
    pub release_detail: Option<serde_json::Value>,
}

fn json_of(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_owned()))
}

impl From<Hold> for HoldView {
    fn from(h: Hold) -> Self {
        HoldView {
            open: h.is_open(),
            detail: json_of(&h.detail),
            created_at: rfc3339(h.created_at),
            released_at: h.released_at.map(rfc3339),
            release_detail: h.release_detail.as_deref().map(json_of),
            id: h.id,
            operation_id: h.operation_id,
            cause: h.cause,
            created_by: h.created_by,
            released_by: h.released_by,
            release_kind: h.release_kind,
            release_reason: h.release_reason,
        }
    }
}

/// The body of a release.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// `licence`, `authority_answer`, `screening_cleared` or `review`.
    pub kind: String,
    /// Why the hold may be released (mandatory).
    pub reason: String,
    /// `licence`: the licence of the register to draw down.
    #[serde(default)]
    pub licence_id: Option<String>,
    /// `licence`: the day of the export (default: today).
    #[serde(default)]
    pub on: Option<String>,
    /// `authority_answer`: the authority's reference.
    #[serde(default)]
    pub authority_reference: Option<String>,
    /// `authority_answer`: the date of the answer (`YYYY-MM-DD`).
    #[serde(default)]
    pub authority_date: Option<String>,
    /// `authority_answer`: `licence_required` (releases nothing: release with the licence) or
    /// `not_required`.
    #[serde(default)]
    pub answer: Option<String>,
}

/// A release done.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseView {
    /// The operation's id.
    pub operation_id: String,
    /// Its status now (`released` when it was its last open hold, else `blocked`).
    pub status: String,
    /// When its record was frozen (RFC 3339), once released.
    pub frozen_at: Option<String>,
    /// The hold as released.
    pub hold: HoldView,
    /// The licence's draw-down, for a release by licence.
    pub draw_down: Option<DrawDown>,
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Response {
    Problem::new(status, slug, title, detail).into_response()
}

fn field_problem(errors: Vec<FieldProblem>, detail: &str) -> Response {
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-input",
        "Invalid input",
        detail.to_owned(),
    );
    p.errors = errors;
    p.into_response()
}

fn one_field(path: &str, detail: &str) -> Response {
    field_problem(
        vec![FieldProblem {
            path: path.to_owned(),
            detail: detail.to_owned(),
        }],
        "The request body does not satisfy the contract; see `errors`.",
    )
}

fn not_found(what: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        format!("no {what} with this id in your organisation"),
    )
}

/// The holds of an operation, oldest first.
#[utoipa::path(get, path = "/api/v1/operations/{id}/holds",
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 200, body = [HoldView]), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_holds(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope;
    match run(&state, move |s| s.operation_with_holds(&scope, &id)).await {
        Ok(Ok(Some((_, holds)))) => {
            Json(holds.into_iter().map(HoldView::from).collect::<Vec<_>>()).into_response()
        }
        Ok(Ok(None)) => not_found("operation"),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

fn refusal_problems(r: &[Refusal]) -> Vec<FieldProblem> {
    r.iter()
        .map(|x| FieldProblem {
            path: "licence_id".to_owned(),
            detail: format!("{} ({})", x.message, x.source),
        })
        .collect()
}

/// Release one hold of an operation (officers and administrators other than the operation's
/// creator: four eyes, Recommendation (EU) 2019/1318, element 4). A `licence` release draws the
/// operation down on the licence in the same transaction; a refused draw-down writes nothing.
#[utoipa::path(post, path = "/api/v1/operations/{id}/holds/{hold}/release", request_body = ReleaseBody,
    params(("id" = String, Path, description = "Operation id"), ("hold" = String, Path, description = "Hold id")),
    responses((status = 200, body = ReleaseView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field, the four-eyes rule, a prohibited operation or a refused draw-down", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_release(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, hold)): Path<(String, String)>,
    body: String,
) -> Response {
    let scope = caller.scope;
    if !scope.role().allows(Action::Decide) {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "only officers and administrators release holds, and never the person who created \
             the operation (four eyes, Recommendation (EU) 2019/1318, element 4)",
        );
    }
    let (s2, h2) = (scope.clone(), hold.clone());
    let found = match run(&state, move |s| s.hold(&s2, &h2)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    if found.as_ref().is_none_or(|h| h.operation_id != id) {
        return not_found("hold of this operation");
    }
    let b: ReleaseBody = {
        let de = &mut serde_json::Deserializer::from_str(&body);
        match serde_path_to_error::deserialize(de) {
            Ok(b) => b,
            Err(e) => {
                let path = e.path().to_string();
                return one_field(if path == "." { "" } else { &path }, &e.inner().to_string());
            }
        }
    };
    let form = ReleaseForm {
        kind: b.kind,
        reason: b.reason,
        licence: b.licence_id.unwrap_or_default(),
        on: b.on.unwrap_or_default(),
        authority_reference: b.authority_reference.unwrap_or_default(),
        authority_date: b.authority_date.unwrap_or_default(),
        answer: b.answer.unwrap_or_default(),
    };
    let today = (state.today)();
    let (s2, st2, h2) = (scope.clone(), state.clone(), hold.clone());
    let result = run(&state, move |s| {
        let ev = match evidence(&st2, &form, today) {
            Ok(ev) => ev,
            Err((field, _)) => return Err(Ok(field)),
        };
        s.release_with_evidence(
            &s2,
            &ReleaseRequest {
                hold_id: &h2,
                evidence: ev,
                reason: &form.reason,
                documents: Vec::new(),
            },
        )
        .map_err(Err)
    })
    .await;
    let api_field = |f: &str| match f {
        "licence" => "licence_id".to_owned(),
        other => other.to_owned(),
    };
    match result {
        Ok(Ok(done)) => {
            let (s2, h2) = (scope.clone(), hold.clone());
            let hold = match run(&state, move |s| s.hold(&s2, &h2)).await {
                Ok(Ok(Some(h))) => h,
                Ok(Ok(None)) => return not_found("hold"),
                Ok(Err(e)) => return internal(&e),
                Err(r) => return r,
            };
            Json(ReleaseView {
                operation_id: done.operation.id.clone(),
                status: done.operation.status.clone(),
                frozen_at: done.operation.frozen_at.map(rfc3339),
                hold: hold.into(),
                draw_down: done.draw_down,
            })
            .into_response()
        }
        Ok(Err(Ok(field))) => one_field(
            &api_field(field),
            match field {
                "kind" => "licence, authority_answer, screening_cleared or review",
                "licence" => "the id of a licence of the register",
                "on" => "a date YYYY-MM-DD",
                _ => "invalid",
            },
        ),
        Ok(Err(Err(e))) => match e {
            ReleaseError::Record(RecordError::Invalid { field, reason }) => {
                one_field(&api_field(field), &reason)
            }
            ReleaseError::Record(RecordError::Refused(why)) => {
                problem(StatusCode::UNPROCESSABLE_ENTITY, "refused", "Refused", why)
            }
            ReleaseError::Record(RecordError::NotFound) => not_found("open hold"),
            ReleaseError::Record(RecordError::Forbidden)
            | ReleaseError::Licence(LicenceError::Forbidden) => problem(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "only officers and administrators release holds",
            ),
            ReleaseError::Licence(LicenceError::NotFound) => {
                one_field("licence_id", "no licence with this id in your organisation")
            }
            ReleaseError::Licence(
                l @ (LicenceError::AlreadyDrawn(_) | LicenceError::Operation { .. }),
            ) => one_field("licence_id", &l.to_string()),
            ReleaseError::DrawDownRefused(r) => field_problem(
                refusal_problems(&r),
                "the licence does not cover this operation (Art. 12 of Regulation (EU) 2021/821 \
                 and the licence's terms); nothing was recorded",
            ),
            other => internal(&other),
        },
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Product releases.

/// A version of an item as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseInfo {
    /// Id.
    pub id: String,
    /// Version label.
    pub version_label: String,
    /// The answers (fact id → value).
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    /// The classified version compared against, if any.
    pub previous_label: Option<String>,
    /// The facts whose answers changed.
    pub changed: Vec<String>,
    /// `classified`, `unclassified` or `reclassification_required` (the last two may not be
    /// exported: an operation naming them is held, cause `reclassification`).
    pub status: String,
    /// When registered (RFC 3339, UTC).
    pub created_at: String,
}

fn release_info(
    r: &vigil_store::releases::ItemRelease,
    st: vigil_store::releases::ReleaseStatus,
) -> ReleaseInfo {
    ReleaseInfo {
        id: r.id.clone(),
        version_label: r.version_label.clone(),
        answers: json_of(&r.answers_json),
        previous_label: r.previous_label.clone(),
        changed: r.changed(),
        status: st.as_str().to_owned(),
        created_at: rfc3339(r.created_at),
    }
}

/// The body of a new release.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRegistration {
    /// Version label, e.g. `2.4.0`.
    pub version_label: String,
    /// The answers to the classification questions (fact id → value), as for classify.
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
}

/// The registered versions of an item, newest first, with their status.
#[utoipa::path(get, path = "/api/v1/items/{id}/releases",
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, body = [ReleaseInfo]), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_releases(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope;
    let r = run(&state, move |s| {
        Ok::<_, vigil_store::StoreError>(match s.item(&scope, &id)? {
            Some(_) => Some(s.releases(&scope, &id)?),
            None => None,
        })
    })
    .await;
    match r {
        Ok(Ok(Some(rels))) => Json(
            rels.iter()
                .map(|(r, st)| release_info(r, *st))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Ok(Ok(None)) => not_found("item"),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// Register a new version of an item with its answers (operator or above). When the answers
/// differ from the previous classified version's, the version is flagged
/// `reclassification_required` and may not be exported until it is classified.
#[utoipa::path(post, path = "/api/v1/items/{id}/releases", request_body = ReleaseRegistration,
    params(("id" = String, Path, description = "Item id")),
    responses((status = 201, body = ReleaseInfo),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_register_release(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let scope = caller.scope;
    if !scope.role().allows(Action::Enter) {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "your role in this organisation does not allow changes (operator or above needed)",
        );
    }
    let (s2, i2) = (scope.clone(), id.clone());
    match run(&state, move |s| s.item(&s2, &i2)).await {
        Ok(Ok(Some(_))) => {}
        Ok(Ok(None)) => return not_found("item"),
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    }
    let b: ReleaseRegistration = {
        let de = &mut serde_json::Deserializer::from_str(&body);
        match serde_path_to_error::deserialize(de) {
            Ok(b) => b,
            Err(e) => {
                let path = e.path().to_string();
                return one_field(if path == "." { "" } else { &path }, &e.inner().to_string());
            }
        }
    };
    let answers = b.answers.to_string();
    let r = run(&state, move |s| {
        let rel = s.register_release(&scope, &id, &b.version_label, &answers)?;
        let st = s.release_status(&scope, &id, &rel.version_label)?;
        Ok::<_, RecordError>((rel, st))
    })
    .await;
    match r {
        Ok(Ok((rel, st))) => {
            let mut res = (StatusCode::CREATED, Json(release_info(&rel, st))).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/items/{}/releases", rel.item_id))
            {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        Ok(Err(RecordError::Invalid { field, reason })) => one_field(field, &reason),
        Ok(Err(RecordError::NotFound)) => not_found("item"),
        Ok(Err(RecordError::Forbidden)) => problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "your role in this organisation does not allow changes",
        ),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Retention (API).

/// An operation past its retention date or coming due, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetentionView {
    /// Operation id.
    pub id: String,
    /// Its reference.
    pub reference: String,
    /// Its decision.
    pub decision: String,
    /// When it was recorded (RFC 3339, UTC).
    pub created_at: String,
    /// Kept until this day, included (`YYYY-MM-DD`, Art. 27 of Regulation (EU) 2021/821).
    pub retain_until: String,
    /// It may be deleted today.
    pub deletable: bool,
    /// Why it is kept: `retention`, `open_hold`, `due_diligence_open` or
    /// `notification_pending` (none when deletable).
    pub kept_because: Option<String>,
    /// The same, in words.
    pub reason: Option<String>,
}

/// The retention list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetentionList {
    /// The day the list is computed for (`YYYY-MM-DD`).
    pub today: String,
    /// Operations due within this many days are listed too (not deletable).
    pub horizon_days: i64,
    /// The operations, earliest retention date first.
    pub operations: Vec<RetentionView>,
}

/// A deletion request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionDeleteBody {
    /// The operations to delete (all or none).
    pub operations: Vec<String>,
    /// Must be `DELETE`.
    pub confirm: String,
}

/// A deletion done.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetentionDeleted {
    /// How many operations were deleted.
    pub deleted: usize,
    /// Their ids.
    pub operations: Vec<String>,
}

/// The operations whose retention date (Art. 27 of Regulation (EU) 2021/821) has passed, and
/// those due within 90 days, each with whether it may be deleted and what keeps it (roles that
/// read the audit log).
#[utoipa::path(get, path = "/api/v1/retention",
    responses((status = 200, body = RetentionList),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_retention(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let scope = caller.scope;
    if !scope.role().allows(Action::ReadAudit) {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "administrators, officers and auditors read the retention list",
        );
    }
    let today = (state.today)();
    let entries = match retention_entries(&state, &scope).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    Json(RetentionList {
        today: today.to_string(),
        horizon_days: RETENTION_HORIZON_DAYS,
        operations: entries
            .into_iter()
            .map(|e| RetentionView {
                deletable: e.deletable(),
                kept_because: e.keep.as_ref().map(|k| k.code().to_owned()),
                reason: e.keep.as_ref().map(ToString::to_string),
                retain_until: e.retain_until.to_string(),
                created_at: rfc3339(e.operation.created_at),
                id: e.operation.id,
                reference: e.operation.reference,
                decision: e.operation.decision,
            })
            .collect(),
    })
    .into_response()
}

/// Delete operations whose retention date has passed (officers and administrators), in one
/// transaction: all of them, or none when one is refused (422 naming the first refused and
/// why: its retention date, an open hold, an open due-diligence file, a notification awaiting
/// the authority's answer; an id not of your organisation is refused the same way). Each
/// deletion is audited (`operation.deleted`).
#[utoipa::path(post, path = "/api/v1/retention/delete", request_body = RetentionDeleteBody,
    responses((status = 200, body = RetentionDeleted),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field, or an operation refused (nothing was deleted)", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_retention_delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Response {
    let scope = caller.scope;
    if !scope.role().allows(Action::Decide) {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "only officers and administrators delete records",
        );
    }
    let b: RetentionDeleteBody = {
        let de = &mut serde_json::Deserializer::from_str(&body);
        match serde_path_to_error::deserialize(de) {
            Ok(b) => b,
            Err(e) => {
                let path = e.path().to_string();
                return one_field(if path == "." { "" } else { &path }, &e.inner().to_string());
            }
        }
    };
    if b.confirm != CONFIRM_WORD {
        return one_field("confirm", "must be DELETE");
    }
    let today = (state.today)();
    let ids = b.operations;
    let at = |id: &str| {
        ids.iter()
            .position(|i| i == id)
            .map_or_else(|| "operations".to_owned(), |n| format!("operations[{n}]"))
    };
    let i2 = ids.clone();
    let refused = |path: String, detail: String| {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "Refused",
            format!("{detail}; nothing was deleted"),
        );
        p.errors = vec![FieldProblem { path, detail }];
        p.into_response()
    };
    match run(&state, move |s| s.delete_operations(&scope, &i2, today)).await {
        Ok(Ok(n)) => {
            let mut seen = std::collections::BTreeSet::new();
            let done: Vec<String> = ids.into_iter().filter(|i| seen.insert(i.clone())).collect();
            Json(RetentionDeleted {
                deleted: n,
                operations: done,
            })
            .into_response()
        }
        Ok(Err(DeleteError::Empty)) => one_field("operations", "name at least one operation"),
        Ok(Err(DeleteError::NotFound(id))) => refused(
            at(&id),
            format!("operation {id}: no such operation in your organisation"),
        ),
        Ok(Err(DeleteError::Kept {
            id,
            reference,
            reason,
        })) => refused(at(&id), format!("operation {reference} ({id}): {reason}")),
        Ok(Err(DeleteError::Forbidden)) => problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "only officers and administrators delete records",
        ),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// The review part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api_holds,
        api_release,
        api_releases,
        api_register_release,
        api_retention,
        api_retention_delete
    ),
    components(schemas(
        HoldView,
        ReleaseBody,
        ReleaseView,
        ReleaseInfo,
        ReleaseRegistration,
        RetentionView,
        RetentionList,
        RetentionDeleteBody,
        RetentionDeleted
    ))
)]
pub struct ReviewApi;
