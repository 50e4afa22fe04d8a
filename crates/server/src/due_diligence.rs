//! The Art. 5 due-diligence file of an operation, its signed conclusion, the drafted notification
//! to the competent authority, and the authority's answer.
//!
//! - `GET /orgs/{org}/operations/{id}/due-diligence`: the file as a form by step (the catalogue
//!   `law/due-diligence.toml`, Recommendation (EU) 2024/2659, in the page's language), the saved
//!   answers, Vigil's evaluation (missing answers, red flags with their source and the UNVERIFIED
//!   mark, risk, suggestion and why), the re-run triggers, and for an officer the conclusion form.
//!   After "aware": "awaiting the authority's answer", the drafted notification (in the
//!   authority's language, downloadable as text), the form that records its sending and then the
//!   authority's answer. `POST` the same path saves answers; `…/due-diligence/conclusion`
//!   concludes; `…/due-diligence/rerun` runs a concluded file again; `…/due-diligence/reuse`
//!   opens a new file from a concluded file of another operation for the same item and end user
//!   (offered on the page with the re-run triggers fired since its conclusion; its answers are
//!   carried over and marked so; the new file is concluded anew); `…/notification.txt`,
//!   `…/notification/sent` and `…/notification/answer` serve and record the notification.
//! - API: `GET/PUT /api/v1/operations/{id}/due-diligence`, `POST` the same path with
//!   `{"from": FILE}` (reuse: 201; another organisation's file 404; a file not concluded, or
//!   concluded "aware" with the authority's answer pending, 422), `POST …/due-diligence/conclusion`,
//!   `GET /api/v1/notifications/{id}`, `POST /api/v1/notifications/{id}/sent` and `…/answer`.
//! - [`bind_authority_answers`]: an authority's answer "licence required" binds later operations
//!   with the same item and end user (Art. 5(1) of Regulation (EU) 2021/821: the authority has
//!   informed the exporter), hooked into the one path that records an operation.
//!
//! Access: members read (404 for anyone else); answering needs [`Action::Enter`]; concluding and
//! recording the sending and the answer need [`Action::Decide`] (403 otherwise). The rules are the
//! store's ([`vigil_store::due_diligence`]) and the domain's; a bad field is 422 with the error
//! next to it (pages) or a problem naming it (API), and nothing is written.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_http::limit::RequestBodyLimitLayer;
use vigil_domain::access::Action;
use vigil_domain::assess::input::{FieldError, parse_json};
use vigil_domain::assess::{Assessment, InputError};
use vigil_domain::due_diligence::{
    Catalogue, Changes, Conclusion, Evaluation, QuestionKind, check_answers, evaluate, rerun_due,
};
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::due_diligence::{
    AnswerChange, AuthorityAnswer, BindingAnswer, CarriedAnswer, ConclusionInput, DdFile,
    Notification, ReuseOffer,
};
use vigil_store::lifecycle::HoldCause;
use vigil_store::records::{OperationRecord, RecordError};

use crate::accounts::{ApiCaller, CurrentUser, PageQuery, message};
use crate::problem::Problem;
use crate::ui::Chrome;
use crate::web::rfc3339;
use crate::web::{Member, internal, org_chrome, page, require, run, see_other};
use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/orgs/{org}/operations/{id}/due-diligence",
            get(dd_page).post(dd_save),
        )
        .route(
            "/orgs/{org}/operations/{id}/due-diligence/conclusion",
            post(dd_conclude),
        )
        .route(
            "/orgs/{org}/operations/{id}/due-diligence/rerun",
            post(dd_rerun),
        )
        .route(
            "/orgs/{org}/operations/{id}/due-diligence/reuse",
            post(dd_reuse),
        )
        .route(
            "/orgs/{org}/operations/{id}/notification.txt",
            get(notice_txt),
        )
        .route(
            "/orgs/{org}/operations/{id}/notification.pdf",
            get(notice_pdf),
        )
        .route(
            "/orgs/{org}/operations/{id}/notification/sent",
            post(notice_sent),
        )
        .route(
            "/orgs/{org}/operations/{id}/notification/answer",
            post(notice_answer),
        )
        .route(
            "/api/v1/operations/{id}/due-diligence",
            get(api_file).put(api_answers).post(api_reuse),
        )
        .route(
            "/api/v1/operations/{id}/due-diligence/conclusion",
            post(api_conclude),
        )
        .route("/api/v1/notifications/{id}", get(api_notification))
        .route("/api/v1/notifications/{id}/sent", post(api_sent))
        .route("/api/v1/notifications/{id}/answer", post(api_answer))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}

// ---------------------------------------------------------------------------------------------
// The binding answers (Art. 5(1)).

/// How the one path that records an operation assesses the OPERATION text.
pub(crate) type AssessFn = fn(&AppState, &str) -> Result<Assessment, InputError>;

/// The reason an assessment gives for a binding answer.
fn binding_reason(b: &BindingAnswer) -> String {
    format!(
        "The competent authority ({}) answered the Art. 5(2) notification on {} (reference {}): a licence is required for {} to {} ({}). This operation names the same item and end user: the authority has informed the exporter, so an authorisation is required under Art. 5(1) of Regulation (EU) 2021/821.",
        b.authority,
        b.answer_date,
        b.answer_reference,
        b.item_name,
        b.end_user_name,
        b.end_user_country
    )
}

/// Adds `internal_repression` to `facts.informed` of an OPERATION; `false` when the OPERATION
/// has no room for it (its own checks will say why).
fn add_informed(op: &mut Value) -> bool {
    let Some(obj) = op.as_object_mut() else {
        return false;
    };
    let facts = obj
        .entry("facts")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    let Some(facts) = facts.as_object_mut() else {
        return false;
    };
    let informed = facts
        .entry("informed")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(list) = informed.as_array_mut() else {
        return false;
    };
    if !list.iter().any(|c| c == "internal_repression") {
        list.push(Value::from("internal_repression"));
    }
    true
}

/// The authorities' answers to Art. 5(2) notifications, applied before the assessment: when the
/// organisation holds an answer "licence required" for the same item (by name, or its record)
/// and the same end user (its party record when known, else name and country), the OPERATION
/// gains the Art. 5(1) `informed` concern `internal_repression` (stored with it) and the
/// assessment says which answer (authority, reference, date) binds it. Returns the OPERATION
/// text as assessed and its assessment (or its field errors).
///
/// # Errors
/// `Err(Response)` when the store cannot be reached.
pub(crate) async fn bind_authority_answers(
    state: &AppState,
    scope: &OrgScope,
    text: String,
    party_ids: &[String],
    assess: AssessFn,
) -> Result<(String, Result<Assessment, InputError>), Response> {
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let Some(mut op) = parsed.filter(|_| state.accounts.is_some()) else {
        let a = assess(state, &text);
        return Ok((text, a));
    };
    let (s2, v2, p2) = (scope.clone(), op.clone(), party_ids.to_vec());
    let bindings = match run(state, move |s| s.binding_answers_for(&s2, &v2, &p2)).await? {
        Ok(b) => b,
        Err(e) => return Err(internal(&e)),
    };
    if bindings.is_empty() || !add_informed(&mut op) {
        let a = assess(state, &text);
        return Ok((text, a));
    }
    let bound = serde_json::to_string_pretty(&op).unwrap_or_else(|_| text.clone());
    let assessed = assess(state, &bound).map(|mut a| {
        for b in &bindings {
            let reason = binding_reason(b);
            for item in &mut a.items {
                item.reasons.push(reason.clone());
            }
            a.reasons.push(reason);
        }
        a
    });
    Ok((bound, assessed))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

/// Everything a file's page or view needs, loaded in one go.
struct Loaded {
    op: OperationRecord,
    files: Vec<DdFile>,
    history: Vec<AnswerChange>,
    notifications: Vec<Notification>,
    awaiting: bool,
    /// Concluded files of other operations for the same item and end user, offered for reuse.
    offers: Vec<ReuseOffer>,
    /// The answers the newest file carried over.
    carried: Vec<CarriedAnswer>,
    /// Members' names by user id.
    names: BTreeMap<String, String>,
    /// What changed since the newest file was concluded (for its re-run triggers).
    changes: Changes,
}

fn load_all(
    s: &vigil_store::Store,
    scope: &OrgScope,
    law: &vigil_domain::Law,
    today: time::Date,
    id: &str,
) -> Result<Option<Loaded>, RecordError> {
    let Some(op) = s.operation(scope, id)? else {
        return Ok(None);
    };
    let files = s.dd_files(scope, id)?;
    let history = match files.first() {
        Some(f) => s.dd_answer_changes(scope, &f.id)?,
        None => Vec::new(),
    };
    let notifications = s.notifications_of_operation(scope, id)?;
    let awaiting = s
        .holds(scope, id)?
        .iter()
        .any(|h| h.is_open() && h.cause == HoldCause::DueDiligence.as_str());
    let input = op.input()?;
    let subject = vigil_store::due_diligence::operation_subject(&input);
    let offers = s.dd_reuse_offers(scope, law, id, today)?;
    let carried = match files.first() {
        Some(f) => s.dd_carried_answers(scope, &f.id)?,
        None => Vec::new(),
    };
    let names = s
        .members(scope)?
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
    let changes = match files.first() {
        Some(f) => changes_since(s, scope, f, &subject)?,
        None => Changes::default(),
    };
    Ok(Some(Loaded {
        op,
        files,
        history,
        notifications,
        awaiting,
        offers,
        carried,
        names,
        changes,
    }))
}

/// The catalogue, or a 500 (the embedded law always has one; a test guards it).
fn catalogue(state: &AppState) -> Result<&Catalogue, Response> {
    state.law.due_diligence().ok_or_else(|| {
        tracing::error!("the law has no due-diligence catalogue");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    })
}

/// What changed since `file` was concluded: an end user of the operation other than the file's,
/// a release of the file's item registered after the conclusion, or the file's own answer that
/// the destination came under new measures.
fn changes_since(
    s: &vigil_store::Store,
    scope: &OrgScope,
    file: &DdFile,
    subject: &vigil_store::due_diligence::OperationSubject,
) -> Result<Changes, vigil_store::StoreError> {
    let Some(concluded_at) = file.concluded_at else {
        return Ok(Changes::default());
    };
    let new_product_release = match &file.item_id {
        Some(item) => s
            .releases(scope, item)?
            .iter()
            .any(|(r, _)| r.created_at > concluded_at),
        None => false,
    };
    // The file reviewed one end user: it no longer covers an operation that does not name it.
    let new_end_user = !file.end_user_name.is_empty()
        && !subject.end_users.iter().any(|(name, country)| {
            name.eq_ignore_ascii_case(&file.end_user_name) && *country == file.end_user_country
        });
    Ok(Changes {
        new_end_user,
        new_product_release,
        destination_new_measures: file
            .answers()
            .get("new_measures")
            .is_some_and(|v| v == "yes"),
    })
}

/// The re-run triggers of a concluded file that have fired.
fn triggers_due<'c>(
    cat: &'c Catalogue,
    file: &DdFile,
    changes: &Changes,
    today: time::Date,
) -> Vec<&'c str> {
    let Some(at) = file.concluded_at else {
        return Vec::new();
    };
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1_000_000)) else {
        return Vec::new();
    };
    rerun_due(cat, t.date(), today, changes)
        .into_iter()
        .map(|tr| tr.id.as_str())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A question as the form shows it.
pub struct QuestionView {
    /// Id (the form field's name).
    pub id: String,
    /// `yes_no`, `choice`, `text` or `evidence`.
    pub kind: &'static str,
    /// The question in the page's language.
    pub text: String,
    /// The offered answers (value, label).
    pub choices: Vec<(String, String)>,
    /// Needed to conclude.
    pub required: bool,
    /// The answer shown.
    pub value: String,
    /// Its error.
    pub error: Option<String>,
    /// Carried over from a concluded file (and not changed since).
    pub carried: Option<CarriedView>,
}

/// Where a carried-over answer comes from, as the page shows it.
pub struct CarriedView {
    /// The file copied from.
    pub source_file: String,
    /// Who first gave the answer.
    pub answered_by: String,
    /// When (µs).
    pub answered_at: i64,
}

/// A concluded file offered as the starting point of a new file, as the page shows it.
pub struct OfferView {
    /// The file.
    pub file_id: String,
    /// Its operation.
    pub operation_id: String,
    /// Its operation's reference.
    pub operation_reference: String,
    /// `aware` or `not_aware`.
    pub conclusion: String,
    /// When concluded (µs).
    pub concluded_at: i64,
    /// The signing officer.
    pub concluded_by: String,
    /// The authority's answer to its notification.
    pub authority_answer: Option<String>,
    /// The triggers fired since its conclusion (in the page's language).
    pub triggers: Vec<String>,
    /// Why it may not be reused (`not_concluded`, `awaiting_authority`).
    pub refusal: Option<&'static str>,
    /// The latest file that may be reused.
    pub latest: bool,
}

/// A step as the form shows it.
pub struct StepView {
    /// Id.
    pub id: String,
    /// Title in the page's language.
    pub title: String,
    /// The provision it rests on.
    pub provision: String,
    /// Questions.
    pub questions: Vec<QuestionView>,
}

/// A red flag as the page shows it.
pub struct FlagView {
    /// Code.
    pub code: String,
    /// Wording.
    pub text: String,
    /// Its source.
    pub source: String,
    /// The source is unverified.
    pub unverified: bool,
    /// `high` or `medium`.
    pub severity: &'static str,
    /// The question that raised it (in the page's language).
    pub question: String,
}

#[derive(Template)]
#[template(path = "dd.html")]
struct DdPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    op: OperationRecord,
    file: Option<DdFile>,
    catalogue_version: String,
    catalogue_verified: bool,
    steps: Vec<StepView>,
    missing: Vec<String>,
    flags: Vec<FlagView>,
    risk: &'static str,
    suggestion: &'static str,
    suggestion_reasons: Vec<String>,
    triggers: Vec<(String, bool)>,
    history: Vec<AnswerChange>,
    notification: Option<Notification>,
    awaiting: bool,
    related: Vec<OfferView>,
    can_enter: bool,
    can_decide: bool,
    errors: BTreeMap<String, String>,
    form: BTreeMap<String, String>,
    today: String,
}

impl DdPage<'_> {
    fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn value(&self, field: &str) -> &str {
        self.form.get(field).map_or("", String::as_str)
    }

    fn concluded(&self) -> bool {
        self.file.as_ref().is_some_and(DdFile::is_concluded)
    }

    /// The operation has an open file (a reused file is opened only when it has none).
    fn open(&self) -> bool {
        self.file.as_ref().is_some_and(|f| !f.is_concluded())
    }

    /// The newest file started from a concluded one.
    fn reused(&self) -> bool {
        self.file.as_ref().is_some_and(|f| f.reused_from.is_some())
    }

    fn name(&self) -> &str {
        if self.op.reference.is_empty() {
            &self.op.id
        } else {
            &self.op.reference
        }
    }
}

fn risk_name(e: &Evaluation) -> &'static str {
    match e.risk {
        vigil_domain::due_diligence::FileRisk::Low => "low",
        vigil_domain::due_diligence::FileRisk::Medium => "medium",
        vigil_domain::due_diligence::FileRisk::High => "high",
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn dd_page_with(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    id: String,
    status: StatusCode,
    answers_shown: Option<BTreeMap<String, String>>,
    errors: BTreeMap<String, String>,
    form: BTreeMap<String, String>,
) -> Response {
    let cat = match catalogue(state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (s2, law, today) = (scope.clone(), state.law.clone(), (state.today)());
    let loaded = match run(state, move |s| load_all(s, &s2, &law, today, &id)).await {
        Ok(Ok(Some(l))) => l,
        Ok(Ok(None)) => return message(state, headers, StatusCode::NOT_FOUND, "not-found"),
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let c = org_chrome(state, headers, q, me, scope.org_id(), "operations");
    let fr = c.lang == "fr";
    let file = loaded.files.first().cloned();
    let name_of = |id: &str| {
        loaded
            .names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };
    let carried: BTreeMap<String, CarriedView> = loaded
        .carried
        .iter()
        .filter(|k| k.is_current())
        .map(|k| {
            (
                k.question.clone(),
                CarriedView {
                    source_file: k.source_file_id.clone(),
                    answered_by: name_of(&k.answered_by),
                    answered_at: k.answered_at,
                },
            )
        })
        .collect();
    let trigger_text = |id: &str| {
        cat.triggers.iter().find(|t| t.id == id).map_or_else(
            || id.to_owned(),
            |t| {
                if fr {
                    t.text_fr.clone()
                } else {
                    t.text.clone()
                }
            },
        )
    };
    let mut latest_seen = false;
    let related: Vec<OfferView> = loaded
        .offers
        .iter()
        .map(|o| {
            let latest = o.refusal.is_none() && !latest_seen;
            latest_seen |= latest;
            OfferView {
                file_id: o.file.id.clone(),
                operation_id: o.file.operation_id.clone(),
                operation_reference: o.operation_reference.clone(),
                conclusion: o.file.conclusion.clone().unwrap_or_default(),
                concluded_at: o.file.concluded_at.unwrap_or_default(),
                concluded_by: o.concluded_by_name.clone(),
                authority_answer: o.notification.as_ref().and_then(|n| n.answer.clone()),
                triggers: o.triggers.iter().map(|t| trigger_text(t)).collect(),
                refusal: o
                    .refusal
                    .map(vigil_domain::due_diligence::ReuseRefusal::as_str),
                latest,
            }
        })
        .collect();
    let saved = file.as_ref().map(DdFile::answers).unwrap_or_default();
    let shown = answers_shown.unwrap_or_else(|| saved.clone());
    let e = evaluate(&state.law, cat, &saved);
    let q_text = |qid: &str| {
        cat.question(qid).map_or_else(
            || qid.to_owned(),
            |(_, q)| {
                if fr {
                    q.text_fr.clone()
                } else {
                    q.text.clone()
                }
            },
        )
    };
    let steps = cat
        .steps
        .iter()
        .map(|s| StepView {
            id: s.id.clone(),
            title: if fr {
                s.title_fr.clone()
            } else {
                s.title.clone()
            },
            provision: s.provision.clone(),
            questions: s
                .questions
                .iter()
                .map(|qn| QuestionView {
                    id: qn.id.clone(),
                    kind: match qn.kind {
                        QuestionKind::YesNo => "yes_no",
                        QuestionKind::Choice => "choice",
                        QuestionKind::Text => "text",
                        QuestionKind::Evidence => "evidence",
                    },
                    text: if fr {
                        qn.text_fr.clone()
                    } else {
                        qn.text.clone()
                    },
                    choices: match qn.kind {
                        QuestionKind::YesNo => vec![
                            ("yes".to_owned(), c.t.get("dd-yes")),
                            ("no".to_owned(), c.t.get("dd-no")),
                        ],
                        _ => qn
                            .choices
                            .iter()
                            .map(|v| (v.clone(), c.t.get(&format!("dd-choice-{v}"))))
                            .collect(),
                    },
                    required: qn.required,
                    value: shown.get(&qn.id).cloned().unwrap_or_default(),
                    error: errors.get(&format!("answers.{}", qn.id)).cloned(),
                    carried: carried
                        .get(&qn.id)
                        .filter(|_| shown.get(&qn.id) == saved.get(&qn.id))
                        .map(|k| CarriedView {
                            source_file: k.source_file.clone(),
                            answered_by: k.answered_by.clone(),
                            answered_at: k.answered_at,
                        }),
                })
                .collect(),
        })
        .collect();
    let flags = e
        .red_flags
        .iter()
        .map(|f| FlagView {
            code: f.code.clone(),
            text: f.text.clone(),
            source: f.source.trim_end_matches(" [UNVERIFIED]").to_owned(),
            unverified: f.source.ends_with("[UNVERIFIED]"),
            severity: match f.severity {
                vigil_domain::due_diligence::Severity::High => "high",
                vigil_domain::due_diligence::Severity::Medium => "medium",
            },
            question: q_text(&f.question),
        })
        .collect();
    let due = file
        .as_ref()
        .map(|f| triggers_due(cat, f, &loaded.changes, (state.today)()))
        .unwrap_or_default();
    let triggers = cat
        .triggers
        .iter()
        .map(|t| {
            (
                if fr {
                    t.text_fr.clone()
                } else {
                    t.text.clone()
                },
                due.contains(&t.id.as_str()),
            )
        })
        .collect();
    let missing = e.missing.iter().map(|m| q_text(m)).collect();
    let tpl = DdPage {
        org: scope.org().clone(),
        op: loaded.op,
        file,
        catalogue_version: cat.version.clone(),
        catalogue_verified: cat.verified,
        steps,
        missing,
        flags,
        risk: risk_name(&e),
        suggestion: e.suggestion.as_str(),
        suggestion_reasons: e.suggestion_reasons.clone(),
        triggers,
        history: loaded.history,
        notification: loaded.notifications.into_iter().next(),
        awaiting: loaded.awaiting,
        related,
        can_enter: scope.role().allows(Action::Enter),
        can_decide: scope.role().allows(Action::Decide),
        errors,
        form,
        today: (state.today)().to_string(),
        c,
    };
    page(status, &tpl)
}

/// `GET /orgs/{org}/operations/{id}/due-diligence`.
pub async fn dd_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    dd_page_with(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::OK,
        None,
        BTreeMap::new(),
        BTreeMap::new(),
    )
    .await
}

fn dd_url(scope: &OrgScope, id: &str) -> String {
    format!("/orgs/{}/operations/{id}/due-diligence", scope.org_id())
}

/// A store refusal as the form's errors, or the response it calls for.
fn form_errors(
    state: &AppState,
    headers: &HeaderMap,
    e: &RecordError,
) -> Result<BTreeMap<String, String>, Response> {
    let mut errors = BTreeMap::new();
    match e {
        RecordError::Invalid { field, reason } => {
            errors.insert((*field).to_owned(), reason.clone());
        }
        RecordError::Refused(why) => {
            errors.insert("form".to_owned(), why.clone());
        }
        RecordError::Forbidden => {
            return Err(message(state, headers, StatusCode::FORBIDDEN, "forbidden"));
        }
        RecordError::NotFound => {
            return Err(message(state, headers, StatusCode::NOT_FOUND, "not-found"));
        }
        other => return Err(internal(other)),
    }
    Ok(errors)
}

/// `POST /orgs/{org}/operations/{id}/due-diligence`: saves the answers of the form.
pub async fn dd_save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let cat = match catalogue(&state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let answers: BTreeMap<String, String> = fields
        .into_iter()
        .filter(|(k, _)| cat.question(k).is_some())
        .collect();
    let mut errors = BTreeMap::new();
    if let Err(errs) = check_answers(cat, &answers) {
        for f in errs {
            errors.insert(f.path, f.message);
        }
    } else {
        let (s2, id2, law, a2) = (
            scope.clone(),
            id.clone(),
            state.law.clone(),
            answers.clone(),
        );
        match run(&state, move |s| s.save_dd_answers(&s2, &law, &id2, &a2)).await {
            Ok(Ok(_)) => return see_other(&dd_url(&scope, &id)),
            Ok(Err(e)) => match form_errors(&state, &headers, &e) {
                Ok(e) => errors = e,
                Err(r) => return r,
            },
            Err(r) => return r,
        }
    }
    dd_page_with(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(answers),
        errors,
        BTreeMap::new(),
    )
    .await
}

/// The conclusion form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ConclusionForm {
    #[serde(default)]
    conclusion: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    authority: String,
}

/// `POST /orgs/{org}/operations/{id}/due-diligence/conclusion`: an officer signs the file.
pub async fn dd_conclude(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    Form(form): Form<ConclusionForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let mut errors = BTreeMap::new();
    match Conclusion::parse(&form.conclusion) {
        None => {
            // The page shows the catalogue's message (dd-err-conclusion) next to the field.
            errors.insert("conclusion".to_owned(), String::new());
        }
        Some(conclusion) => {
            let (s2, id2, law, f2, today) = (
                scope.clone(),
                id.clone(),
                state.law.clone(),
                form.clone(),
                (state.today)(),
            );
            let r = run(&state, move |s| {
                s.conclude_dd_file(
                    &s2,
                    &law,
                    &id2,
                    &ConclusionInput {
                        conclusion,
                        justification: &f2.justification,
                        authority: Some(f2.authority.as_str()),
                        today,
                    },
                )
            })
            .await;
            match r {
                Ok(Ok(_)) => return see_other(&dd_url(&scope, &id)),
                Ok(Err(e)) => match form_errors(&state, &headers, &e) {
                    Ok(e) => errors = e,
                    Err(r) => return r,
                },
                Err(r) => return r,
            }
        }
    }
    let form = BTreeMap::from([
        ("conclusion".to_owned(), form.conclusion),
        ("justification".to_owned(), form.justification),
        ("authority".to_owned(), form.authority),
    ]);
    dd_page_with(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        form,
    )
    .await
}

/// `POST /orgs/{org}/operations/{id}/due-diligence/rerun`: a new file from a concluded one.
pub async fn dd_rerun(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let (s2, id2, law) = (scope.clone(), id.clone(), state.law.clone());
    let errors = match run(&state, move |s| s.rerun_dd_file(&s2, &law, &id2)).await {
        Ok(Ok(_)) => return see_other(&dd_url(&scope, &id)),
        Ok(Err(e)) => match form_errors(&state, &headers, &e) {
            Ok(e) => e,
            Err(r) => return r,
        },
        Err(r) => return r,
    };
    dd_page_with(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        BTreeMap::new(),
    )
    .await
}

/// The reuse form: the concluded file to start from.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReuseForm {
    #[serde(default)]
    from: String,
}

/// `POST /orgs/{org}/operations/{id}/due-diligence/reuse`: a new file from a concluded file of
/// the organisation for the same item and end user (its answers carried over).
pub async fn dd_reuse(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    Form(form): Form<ReuseForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let (s2, id2, law, today) = (
        scope.clone(),
        id.clone(),
        state.law.clone(),
        (state.today)(),
    );
    let errors = match run(&state, move |s| {
        s.reuse_dd_file(&s2, &law, &id2, &form.from, today)
    })
    .await
    {
        Ok(Ok(_)) => return see_other(&dd_url(&scope, &id)),
        Ok(Err(RecordError::Invalid { reason, .. })) => {
            BTreeMap::from([("form".to_owned(), reason)])
        }
        Ok(Err(e)) => match form_errors(&state, &headers, &e) {
            Ok(e) => e,
            Err(r) => return r,
        },
        Err(r) => return r,
    };
    dd_page_with(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        BTreeMap::new(),
    )
    .await
}

/// The newest notification of an operation of the scope's organisation: `Err(404)` when the
/// operation or its notification is not there.
async fn operation_notice(
    state: &AppState,
    headers: &HeaderMap,
    scope: &OrgScope,
    id: &str,
) -> Result<Notification, Response> {
    let (s2, id2) = (scope.clone(), id.to_owned());
    match run(state, move |s| {
        Ok::<_, vigil_store::StoreError>(match s.operation(&s2, &id2)? {
            Some(_) => s.notifications_of_operation(&s2, &id2)?.into_iter().next(),
            None => None,
        })
    })
    .await?
    {
        Ok(Some(n)) => Ok(n),
        Ok(None) => Err(message(state, headers, StatusCode::NOT_FOUND, "not-found")),
        Err(e) => Err(internal(&e)),
    }
}

/// `GET /orgs/{org}/operations/{id}/notification.txt`: the drafted letter as plain text.
pub async fn notice_txt(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    Member { scope, .. }: Member,
) -> Response {
    let n = match operation_notice(&state, &headers, &scope, &id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let mut res = format!("{}\n\n{}", n.subject, n.body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"notification-art-5-2-{}.txt\"",
        n.id
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The drafted notice laid out as a letter: the sender (the organisation), the addressee (the
/// authority), the date, the subject, the body's paragraphs after its subject line, the closing
/// and the signatory (the draft's last two blocks), with the salutation of its language.
fn notice_letter(org: &Organisation, n: &Notification) -> vigil_report::Letter {
    let blocks: Vec<&str> = n
        .body
        .split("\n\n")
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .collect();
    let start = blocks
        .iter()
        .position(|b| b.starts_with(n.subject.as_str()))
        .map_or(0, |i| i + 1);
    let end = blocks.len().saturating_sub(2).max(start);
    let closing = blocks.get(end).copied().unwrap_or_default();
    let signature: Vec<&str> = blocks
        .get(end + 1)
        .map(|b| b.lines().collect())
        .unwrap_or_default();
    let salutation = match n.language.as_str() {
        "fr" => "Madame, Monsieur,",
        "de" => "Sehr geehrte Damen und Herren,",
        _ => "Dear Sir or Madam,",
    };
    vigil_report::Letter {
        sender: vec![org.name.clone()],
        addressee: vec![n.authority.clone()],
        place_date: letter_date(&n.language, n.created_at),
        reference: n.id.clone(),
        subject: n.subject.clone(),
        salutation: salutation.to_owned(),
        paragraphs: blocks
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|b| (*b).to_owned())
            .collect(),
        closing: closing.to_owned(),
        signatory: signature.first().copied().unwrap_or_default().to_owned(),
        signatory_role: signature.get(1..).unwrap_or_default().join(" "),
    }
}

/// The day a notice was drafted, as its language writes it (`26 Nov 2026`, `26 nov. 2026`).
fn letter_date(language: &str, micros: i64) -> String {
    let lang = if language == "fr" {
        crate::i18n::Lang::Fr
    } else {
        crate::i18n::Lang::En
    };
    time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .map(|t| {
            let d = t.date();
            crate::i18n::format_date(
                lang,
                &format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            )
        })
        .unwrap_or_default()
}

/// `GET /orgs/{org}/operations/{id}/notification.pdf`: the drafted letter as PDF (rendered off
/// the async threads).
pub async fn notice_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    Member { scope, .. }: Member,
) -> Response {
    let n = match operation_notice(&state, &headers, &scope, &id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let letter = notice_letter(scope.org(), &n);
    let pdf = match tokio::task::spawn_blocking(move || vigil_report::render_letter(&letter)).await
    {
        Ok(Ok(pdf)) => pdf,
        Ok(Err(e)) => return internal(&e),
        Err(e) => return internal(&e),
    };
    let mut res = pdf.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"notification-art-5-2-{}.pdf\"",
        n.id
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The sending form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SentForm {
    #[serde(default)]
    sent_on: String,
    #[serde(default)]
    sent_reference: String,
}

/// The answer form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    answer_reference: String,
    #[serde(default)]
    answer_date: String,
}

/// `POST /orgs/{org}/operations/{id}/notification/sent`.
pub async fn notice_sent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    Form(form): Form<SentForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let mut errors = BTreeMap::new();
    if vigil_domain::assess::input::parse_date(form.sent_on.trim()).is_err() {
        errors.insert("sent_on".to_owned(), "YYYY-MM-DD".to_owned());
    }
    if form.sent_reference.trim().is_empty() {
        errors.insert(
            "sent_reference".to_owned(),
            "1 to 200 characters".to_owned(),
        );
    }
    if errors.is_empty() {
        let n = match operation_notice(&state, &headers, &scope, &id).await {
            Ok(n) => n,
            Err(r) => return r,
        };
        let (s2, f2) = (scope.clone(), form.clone());
        match run(&state, move |s| {
            s.record_notification_sent(&s2, &n.id, &f2.sent_on, &f2.sent_reference)
        })
        .await
        {
            Ok(Ok(_)) => return see_other(&dd_url(&scope, &id)),
            Ok(Err(e)) => match form_errors(&state, &headers, &e) {
                Ok(e) => {
                    errors = e
                        .into_iter()
                        .map(|(k, v)| {
                            (
                                if k == "reference" {
                                    "sent_reference".to_owned()
                                } else {
                                    k
                                },
                                v,
                            )
                        })
                        .collect();
                }
                Err(r) => return r,
            },
            Err(r) => return r,
        }
    }
    let form = BTreeMap::from([
        ("sent_on".to_owned(), form.sent_on),
        ("sent_reference".to_owned(), form.sent_reference),
    ]);
    dd_page_with(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        form,
    )
    .await
}

/// `POST /orgs/{org}/operations/{id}/notification/answer`.
pub async fn notice_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    Form(form): Form<AnswerForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let mut errors = BTreeMap::new();
    if !vigil_store::due_diligence::AUTHORITY_ANSWERS.contains(&form.answer.as_str()) {
        errors.insert(
            "answer".to_owned(),
            "licence_required / not_required".to_owned(),
        );
    }
    if vigil_domain::assess::input::parse_date(form.answer_date.trim()).is_err() {
        errors.insert("answer_date".to_owned(), "YYYY-MM-DD".to_owned());
    }
    if form.answer_reference.trim().is_empty() {
        errors.insert(
            "answer_reference".to_owned(),
            "1 to 200 characters".to_owned(),
        );
    }
    if errors.is_empty() {
        let n = match operation_notice(&state, &headers, &scope, &id).await {
            Ok(n) => n,
            Err(r) => return r,
        };
        let (s2, f2) = (scope.clone(), form.clone());
        match run(&state, move |s| {
            s.record_authority_answer(
                &s2,
                &n.id,
                &AuthorityAnswer {
                    answer: &f2.answer,
                    reference: &f2.answer_reference,
                    date: &f2.answer_date,
                },
            )
        })
        .await
        {
            Ok(Ok(_)) => return see_other(&dd_url(&scope, &id)),
            Ok(Err(e)) => match form_errors(&state, &headers, &e) {
                Ok(e) => {
                    errors = e
                        .into_iter()
                        .map(|(k, v)| {
                            let k = match k.as_str() {
                                "reference" => "answer_reference".to_owned(),
                                "date" => "answer_date".to_owned(),
                                _ => k,
                            };
                            (k, v)
                        })
                        .collect();
                }
                Err(r) => return r,
            },
            Err(r) => return r,
        }
    }
    let form = BTreeMap::from([
        ("answer".to_owned(), form.answer),
        ("answer_reference".to_owned(), form.answer_reference),
        ("answer_date".to_owned(), form.answer_date),
    ]);
    dd_page_with(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        form,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The API.

/// A notification as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    /// Id.
    pub id: String,
    /// The operation.
    pub operation_id: String,
    /// The due-diligence file concluded "aware".
    pub file_id: String,
    /// The competent authority written to (Art. 5(2)).
    pub authority: String,
    /// The letter's language (`fr`, `de`, `en`).
    pub language: String,
    /// Subject.
    pub subject: String,
    /// The letter.
    pub body: String,
    /// `draft`, `sent` or `answered`.
    pub status: String,
    /// When drafted (RFC 3339).
    pub created_at: String,
    /// Date sent.
    pub sent_on: Option<String>,
    /// The sending reference.
    pub sent_reference: Option<String>,
    /// The authority's answer: `licence_required` or `not_required`.
    pub answer: Option<String>,
    /// The answer's reference.
    pub answer_reference: Option<String>,
    /// The answer's date.
    pub answer_date: Option<String>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            created_at: rfc3339(n.created_at),
            id: n.id,
            operation_id: n.operation_id,
            file_id: n.file_id,
            authority: n.authority,
            language: n.language,
            subject: n.subject,
            body: n.body,
            status: n.status,
            sent_on: n.sent_on,
            sent_reference: n.sent_reference,
            answer: n.answer,
            answer_reference: n.answer_reference,
            answer_date: n.answer_date,
        }
    }
}

/// A due-diligence file as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// Id.
    pub id: String,
    /// `open` or `concluded` (frozen).
    pub status: String,
    /// The catalogue version it was run with.
    pub catalogue: String,
    /// The item reviewed.
    pub item_name: String,
    /// Its record, when known.
    pub item_id: Option<String>,
    /// The end user reviewed.
    pub end_user_name: String,
    /// Its country.
    pub end_user_country: String,
    /// Its party record, when known.
    pub party_id: Option<String>,
    /// Answers (question id → answer).
    pub answers: BTreeMap<String, String>,
    /// `aware` or `not_aware`.
    pub conclusion: Option<String>,
    /// The officer's reasons.
    pub justification: Option<String>,
    /// The signing officer (user id).
    pub concluded_by: Option<String>,
    /// When concluded (RFC 3339).
    pub concluded_at: Option<String>,
    /// The concluded file this one started from (reuse for the same item and end user).
    pub reused_from: Option<String>,
    /// The answers carried over from it and not changed since (the others are the file's own).
    pub carried_over: Vec<CarriedOverView>,
}

/// An answer carried over from a concluded file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CarriedOverView {
    /// Question id.
    pub question: String,
    /// The answer.
    pub value: String,
    /// The file copied from.
    pub source_file: String,
    /// The file where the answer was first given.
    pub origin_file: String,
    /// Who gave it there (user id).
    pub answered_by: String,
    /// When (RFC 3339).
    pub answered_at: String,
    /// Who carried it over (user id).
    pub carried_by: String,
    /// When (RFC 3339).
    pub carried_at: String,
}

/// A concluded file of another operation for the same item and end user, offered as the
/// starting point of the operation's next file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReuseOfferView {
    /// The file (`from` of the reuse call).
    pub file_id: String,
    /// Its operation.
    pub operation_id: String,
    /// Its operation's reference.
    pub operation_reference: String,
    /// `aware` or `not_aware`.
    pub conclusion: Option<String>,
    /// When concluded (RFC 3339).
    pub concluded_at: Option<String>,
    /// The signing officer (user id).
    pub concluded_by: Option<String>,
    /// The authority's answer to its Art. 5(2) notification, when concluded "aware".
    pub authority_answer: Option<String>,
    /// Whether it may be reused.
    pub reusable: bool,
    /// Why not: `not_concluded` or `awaiting_authority`.
    pub refusal: Option<String>,
    /// Why not, in a sentence.
    pub refusal_reason: Option<String>,
    /// The re-run triggers fired since its conclusion (`law/due-diligence.toml` ids): the
    /// carried-over answers must be revisited in their light.
    pub triggers: Vec<String>,
}

impl From<&ReuseOffer> for ReuseOfferView {
    fn from(o: &ReuseOffer) -> Self {
        ReuseOfferView {
            file_id: o.file.id.clone(),
            operation_id: o.file.operation_id.clone(),
            operation_reference: o.operation_reference.clone(),
            conclusion: o.file.conclusion.clone(),
            concluded_at: o.file.concluded_at.map(rfc3339),
            concluded_by: o.file.concluded_by.clone(),
            authority_answer: o.notification.as_ref().and_then(|n| n.answer.clone()),
            reusable: o.refusal.is_none(),
            refusal: o.refusal.map(|r| r.as_str().to_owned()),
            refusal_reason: o.refusal.map(|r| r.message().to_owned()),
            triggers: o.triggers.clone(),
        }
    }
}

/// An operation's due diligence as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DueDiligenceView {
    /// The operation.
    pub operation_id: String,
    /// The current file (none before the first answers).
    pub file: Option<FileView>,
    /// Vigil's evaluation of the current answers (Recommendation (EU) 2024/2659).
    pub evaluation: Evaluation,
    /// The operation is held until the authority answers (Art. 5(2)).
    pub awaiting_authority: bool,
    /// Its notifications, newest first.
    pub notifications: Vec<NotificationView>,
    /// Concluded files of other operations for the same item and end user, newest first: the
    /// starting points `POST /api/v1/operations/{id}/due-diligence` accepts as `from`.
    pub reuse_offers: Vec<ReuseOfferView>,
}

fn file_view(f: &DdFile, carried: &[CarriedAnswer]) -> FileView {
    FileView {
        id: f.id.clone(),
        status: f.status.clone(),
        catalogue: f.catalogue_version.clone(),
        item_name: f.item_name.clone(),
        item_id: f.item_id.clone(),
        end_user_name: f.end_user_name.clone(),
        end_user_country: f.end_user_country.clone(),
        party_id: f.party_id.clone(),
        answers: f.answers(),
        conclusion: f.conclusion.clone(),
        justification: f.justification.clone(),
        concluded_by: f.concluded_by.clone(),
        concluded_at: f.concluded_at.map(rfc3339),
        reused_from: f.reused_from.clone(),
        carried_over: carried
            .iter()
            .filter(|k| k.file_id == f.id && k.is_current())
            .map(|k| CarriedOverView {
                question: k.question.clone(),
                value: k.value.clone(),
                source_file: k.source_file_id.clone(),
                origin_file: k.origin_file_id.clone(),
                answered_by: k.answered_by.clone(),
                answered_at: rfc3339(k.answered_at),
                carried_by: k.carried_by.clone(),
                carried_at: rfc3339(k.carried_at),
            })
            .collect(),
    }
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Response {
    Problem::new(status, slug, title, detail).into_response()
}

fn not_found(what: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        format!("no {what} with this id in your organisation"),
    )
}

fn forbidden(what: &str) -> Response {
    problem(StatusCode::FORBIDDEN, "forbidden", "Forbidden", what)
}

fn field_problems(errors: &[FieldError]) -> Response {
    Problem::invalid_input(&InputError {
        errors: errors.to_vec(),
    })
    .into_response()
}

/// A store refusal as a problem document.
fn record_problem(e: &RecordError, what: &str) -> Response {
    match e {
        RecordError::Invalid { field, reason } => {
            // Field errors of answers come as `answers.<id>: message; …`.
            let errors: Vec<FieldError> = if reason.contains(": ") && field.starts_with("answers") {
                reason
                    .split("; ")
                    .map(|p| {
                        let (path, message) = p.split_once(": ").unwrap_or((*field, p));
                        FieldError {
                            path: path.to_owned(),
                            message: message.to_owned(),
                        }
                    })
                    .collect()
            } else {
                vec![FieldError {
                    path: (*field).to_owned(),
                    message: reason.clone(),
                }]
            };
            field_problems(&errors)
        }
        RecordError::Refused(why) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "Refused",
            why.clone(),
        ),
        RecordError::NotFound => not_found(what),
        RecordError::Forbidden => forbidden("this role may not do this"),
        other => internal(other),
    }
}

async fn dd_view(state: &AppState, scope: OrgScope, id: String) -> Response {
    let cat = match catalogue(state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (law, today) = (state.law.clone(), (state.today)());
    let loaded = match run(state, move |s| load_all(s, &scope, &law, today, &id)).await {
        Ok(Ok(Some(l))) => l,
        Ok(Ok(None)) => return not_found("operation"),
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let file = loaded.files.first();
    let evaluation = evaluate(
        &state.law,
        cat,
        &file.map(DdFile::answers).unwrap_or_default(),
    );
    Json(DueDiligenceView {
        operation_id: loaded.op.id.clone(),
        file: file.map(|f| file_view(f, &loaded.carried)),
        evaluation,
        awaiting_authority: loaded.awaiting,
        notifications: loaded
            .notifications
            .into_iter()
            .map(NotificationView::from)
            .collect(),
        reuse_offers: loaded.offers.iter().map(ReuseOfferView::from).collect(),
    })
    .into_response()
}

/// The due-diligence file of an operation (Art. 5 of Regulation (EU) 2021/821), its evaluation
/// and its notifications.
#[utoipa::path(get, path = "/api/v1/operations/{id}/due-diligence",
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 200, body = DueDiligenceView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "due-diligence")]
pub async fn api_file(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    dd_view(&state, caller.scope, id).await
}

/// The answers saved to the file.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersBody {
    /// Question id → answer (`yes`/`no`, a choice, or text); an empty answer removes one.
    pub answers: BTreeMap<String, String>,
}

/// Save answers to the operation's open file (operators, officers, administrators). Unknown
/// questions and bad answers are refused (422, `answers.<id>`) and nothing is written; a
/// concluded file is frozen (422).
#[utoipa::path(put, path = "/api/v1/operations/{id}/due-diligence", request_body = AnswersBody,
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 200, body = DueDiligenceView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "due-diligence")]
pub async fn api_answers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let scope = caller.scope;
    if !scope.role().allows(Action::Enter) {
        return forbidden("this role may read the file, not answer it");
    }
    if let Err(r) = operation_exists(&state, &scope, &id).await {
        return r;
    }
    let b: AnswersBody = match parse_json(&body) {
        Ok(b) => b,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    let (s2, id2, law) = (scope.clone(), id.clone(), state.law.clone());
    match run(&state, move |s| {
        s.save_dd_answers(&s2, &law, &id2, &b.answers)
    })
    .await
    {
        Ok(Ok(_)) => dd_view(&state, scope, id).await,
        Ok(Err(e)) => record_problem(&e, "operation"),
        Err(r) => r,
    }
}

/// Open a new file from a concluded one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseBody {
    /// The concluded file of the organisation, for the same item and end user, to start from
    /// (one of the view's `reuse_offers`).
    pub from: String,
}

/// Open the operation's next file from a concluded file of the organisation for the same item
/// and end user (operators, officers, administrators): its answers still in the catalogue are
/// carried over and listed as such (`file.carried_over`, with the file and the person and time
/// of the original answer); any may be changed; the new file needs its own signed conclusion.
/// Refused (422) for a file not concluded, a file concluded "aware" whose notification the
/// authority has not answered (the awareness persists, Art. 5(2) of Regulation (EU) 2021/821),
/// a file of another item or end user, or when the operation already has an open file; another
/// organisation's file is 404. Nothing is written on error; the reuse is audited `dd.reused`.
#[utoipa::path(post, path = "/api/v1/operations/{id}/due-diligence", request_body = ReuseBody,
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 201, body = DueDiligenceView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such operation, or no such file, in your organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is not concluded, awaits the authority's answer, is about another item or end user, or the operation has an open file", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "due-diligence")]
pub async fn api_reuse(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let scope = caller.scope;
    if !scope.role().allows(Action::Enter) {
        return forbidden("this role may read the file, not open one");
    }
    if let Err(r) = operation_exists(&state, &scope, &id).await {
        return r;
    }
    let b: ReuseBody = match parse_json(&body) {
        Ok(b) => b,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    let (s2, id2, law, today) = (
        scope.clone(),
        id.clone(),
        state.law.clone(),
        (state.today)(),
    );
    match run(&state, move |s| {
        s.reuse_dd_file(&s2, &law, &id2, &b.from, today)
    })
    .await
    {
        Ok(Ok(_)) => {
            let mut res = dd_view(&state, scope, id).await;
            if res.status() == StatusCode::OK {
                *res.status_mut() = StatusCode::CREATED;
            }
            res
        }
        Ok(Err(e)) => record_problem(&e, "due-diligence file"),
        Err(r) => r,
    }
}

/// A signed conclusion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConclusionBody {
    /// `aware` or `not_aware`.
    pub conclusion: Conclusion,
    /// The officer's reasons (required; at least 50 characters for "not aware" on a high-risk
    /// file).
    pub justification: String,
    /// The competent authority, when Vigil knows none for the exporter's Member State.
    #[serde(default)]
    pub authority: Option<String>,
}

/// Conclude the file (officers and administrators). "Aware" holds the operation until the
/// authority answers and drafts the notification in its language (Art. 5(2) of Regulation (EU)
/// 2021/821), in one transaction.
#[utoipa::path(post, path = "/api/v1/operations/{id}/due-diligence/conclusion", request_body = ConclusionBody,
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 200, body = DueDiligenceView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing answers, no reasons, no authority, or a concluded file", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "due-diligence")]
pub async fn api_conclude(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let scope = caller.scope;
    if !scope.role().allows(Action::Decide) {
        return forbidden("only officers and administrators sign a due-diligence file");
    }
    if let Err(r) = operation_exists(&state, &scope, &id).await {
        return r;
    }
    let b: ConclusionBody = match parse_json(&body) {
        Ok(b) => b,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    let (s2, id2, law, today) = (
        scope.clone(),
        id.clone(),
        state.law.clone(),
        (state.today)(),
    );
    let r = run(&state, move |s| {
        s.conclude_dd_file(
            &s2,
            &law,
            &id2,
            &ConclusionInput {
                conclusion: b.conclusion,
                justification: &b.justification,
                authority: b.authority.as_deref(),
                today,
            },
        )
    })
    .await;
    match r {
        Ok(Ok(_)) => dd_view(&state, scope, id).await,
        Ok(Err(e)) => record_problem(&e, "operation"),
        Err(r) => r,
    }
}

/// One notification of the token's organisation.
#[utoipa::path(get, path = "/api/v1/notifications/{id}",
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, body = NotificationView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "due-diligence")]
pub async fn api_notification(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope;
    match run(&state, move |s| s.notification(&scope, &id)).await {
        Ok(Ok(Some(n))) => Json(NotificationView::from(n)).into_response(),
        Ok(Ok(None)) => not_found("notification"),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// The sending of a notification.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SentBody {
    /// Date sent (`YYYY-MM-DD`).
    pub sent_on: String,
    /// The sending reference (registered letter, portal number).
    pub reference: String,
}

/// The authority's answer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// `licence_required` or `not_required`.
    pub answer: String,
    /// The answer's reference.
    pub reference: String,
    /// The answer's date (`YYYY-MM-DD`).
    pub date: String,
}

async fn operation_exists(state: &AppState, scope: &OrgScope, id: &str) -> Result<(), Response> {
    let (s2, id2) = (scope.clone(), id.to_owned());
    match run(state, move |s| s.operation(&s2, &id2)).await? {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(not_found("operation")),
        Err(e) => Err(internal(&e)),
    }
}

async fn notice_exists(state: &AppState, scope: &OrgScope, id: &str) -> Result<(), Response> {
    let (s2, id2) = (scope.clone(), id.to_owned());
    match run(state, move |s| s.notification(&s2, &id2)).await? {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(not_found("notification")),
        Err(e) => Err(internal(&e)),
    }
}

/// Record that a notification was sent (officers and administrators).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/sent", request_body = SentBody,
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, body = NotificationView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "due-diligence")]
pub async fn api_sent(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    update_notice(
        &state,
        caller.scope,
        id,
        &body,
        "only officers and administrators record the sending",
        |s, scope, id, b: SentBody| s.record_notification_sent(scope, id, &b.sent_on, &b.reference),
    )
    .await
}

/// What the notification API's updates share: the role check, the notification found in the
/// scope's organisation (else 404), the body read (else 422), the store's change, the view.
async fn update_notice<B>(
    state: &AppState,
    scope: OrgScope,
    id: String,
    body: &str,
    forbidden_why: &str,
    change: impl FnOnce(&vigil_store::Store, &OrgScope, &str, B) -> Result<Notification, RecordError>
    + Send
    + 'static,
) -> Response
where
    B: serde::de::DeserializeOwned + Send + 'static,
{
    if !scope.role().allows(Action::Decide) {
        return forbidden(forbidden_why);
    }
    if let Err(r) = notice_exists(state, &scope, &id).await {
        return r;
    }
    let b: B = match parse_json(body) {
        Ok(b) => b,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    match run(state, move |s| change(s, &scope, &id, b)).await {
        Ok(Ok(n)) => Json(NotificationView::from(n)).into_response(),
        Ok(Err(e)) => record_problem(&e, "notification"),
        Err(r) => r,
    }
}

/// Record the authority's answer (officers and administrators). "Licence required" binds later
/// operations with the same item and end user (Art. 5(1) of Regulation (EU) 2021/821); the hold
/// is released in the review (kind `authority_answer`).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/answer", request_body = AnswerBody,
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, body = NotificationView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "due-diligence")]
pub async fn api_answer(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    update_notice(
        &state,
        caller.scope,
        id,
        &body,
        "only officers and administrators record the authority's answer",
        |s, scope, id, b: AnswerBody| {
            s.record_authority_answer(
                scope,
                id,
                &AuthorityAnswer {
                    answer: &b.answer,
                    reference: &b.reference,
                    date: &b.date,
                },
            )
        },
    )
    .await
}

/// The due-diligence part of the OpenAPI document (merged into [`crate::api::ApiDoc`]'s).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api_file,
        api_answers,
        api_reuse,
        api_conclude,
        api_notification,
        api_sent,
        api_answer
    ),
    components(schemas(
        DueDiligenceView,
        FileView,
        CarriedOverView,
        ReuseOfferView,
        ReuseBody,
        NotificationView,
        AnswersBody,
        ConclusionBody,
        SentBody,
        AnswerBody,
        Evaluation,
        Conclusion
    )),
    tags((name = "due-diligence", description = "Art. 5 due-diligence files (Recommendation (EU) 2024/2659), their signed conclusions, the Art. 5(2) notifications and the authorities' answers"))
)]
pub struct DueDiligenceApi;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn informed_is_added_once() {
        let mut op = serde_json::json!({"facts": {"informed": ["wmd"]}});
        assert!(add_informed(&mut op));
        assert!(add_informed(&mut op));
        assert_eq!(
            op["facts"]["informed"],
            serde_json::json!(["wmd", "internal_repression"])
        );
        let mut bare = serde_json::json!({"type": "export"});
        assert!(add_informed(&mut bare));
        assert_eq!(
            bare["facts"]["informed"],
            serde_json::json!(["internal_repression"])
        );
        assert!(!add_informed(&mut serde_json::json!({"facts": 3})));
    }
}
