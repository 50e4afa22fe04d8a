//! The authorisations register: individual and global licences, the Union general authorisations
//! an organisation uses, their duties and deadlines, and the draw-down of licences by operations.
//!
//! Pages: `/orgs/{org}/licences` (the register, and the form that registers a licence with its
//! document, multipart), `/orgs/{org}/licences/{id}` (terms, quotas used and left, warnings,
//! draw-down and amendment history, the form that amends it), `POST
//! /orgs/{org}/licences/{id}/amendments` (an amendment with its document, multipart),
//! `/orgs/{org}/licences/{id}/drawdowns.csv` (the usage report for the
//! authority), `/orgs/{org}/attachments/{id}` (a document, downloaded), and
//! `/orgs/{org}/general-authorisations` (the EU001–EU008 the organisation uses, their duties from
//! Annex II and their dates). API: `GET/POST /api/v1/licences`, `GET /api/v1/licences/{id}`,
//! `POST /api/v1/licences/{id}/amendments` and
//! the deadlines as an iCalendar feed, `GET /api/v1/calendar.ics` (RFC 5545).
//!
//! Access: every member reads (404 for anyone else); registering or amending a licence or
//! recording the use of a general authorisation needs [`Action::Decide`] (403 otherwise). Terms are validated by
//! `vigil_domain::icp` (Art. 12 of Regulation (EU) 2021/821); a bad field is 422 with the error
//! next to it (pages) or an RFC 9457 problem naming it (API), and nothing is written.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::limit::RequestBodyLimitLayer;
use vigil_domain::Law;
use vigil_domain::access::Action;
use vigil_domain::assess::input::{FieldError, parse_date, parse_json};
use vigil_domain::icp::licence::QuotaInput;
use vigil_domain::icp::{
    Deadline, DeadlineKind, EXPIRY_WARNING_DAYS, GeneralAuthorisationUse, LicenceAmendmentInput,
    LicenceTerms, LicenceTermsInput, QUOTA_WARNING_PERCENT, QuotaUnit, TermChange,
    licence_deadlines, ugea_deadlines, upcoming,
};
use vigil_store::Store;
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::attachments::{Attachment, MAX_ATTACHMENT_BYTES};
use vigil_store::licences::{
    DrawdownRow, GeneralAuthorisationUseRecord, Licence, LicenceAmendmentRecord, LicenceDocument,
    LicenceError,
};

use crate::accounts::{ApiCaller, CurrentUser, PageQuery, message};
use crate::multipart::{self, Part};
use crate::problem::{FieldProblem, Problem};
use crate::ui::Chrome;
use crate::web::rfc3339;
use crate::web::{Member, internal, load, org_chrome, page, require, run, see_other, status_of};
use crate::{AppState, MAX_BODY_BYTES};

/// The largest licence form accepted: a 10 MiB document plus the form's other fields.
pub const MAX_LICENCE_FORM_BYTES: usize = MAX_ATTACHMENT_BYTES + 256 * 1024;

/// The horizon of the deadlines shown on the organisation's page, in days.
pub const DEADLINE_HORIZON_DAYS: i64 = 90;

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    let upload = Router::new()
        .route(
            "/orgs/{org}/licences",
            get(list_licences).post(create_licence),
        )
        .route("/orgs/{org}/licences/{id}/amendments", post(amend_licence))
        .layer(DefaultBodyLimit::max(MAX_LICENCE_FORM_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_LICENCE_FORM_BYTES));
    Router::new()
        .route("/orgs/{org}/licences/{id}", get(show_licence))
        .route(
            "/orgs/{org}/licences/{id}/drawdowns.csv",
            get(drawdowns_csv),
        )
        .route("/orgs/{org}/attachments/{id}", get(download_attachment))
        .route(
            "/orgs/{org}/general-authorisations",
            get(list_general_authorisations).post(record_general_authorisation),
        )
        .route(
            "/api/v1/licences",
            get(api_licences).post(api_create_licence),
        )
        .route("/api/v1/licences/{id}", get(api_licence))
        .route("/api/v1/licences/{id}/amendments", post(api_amend_licence))
        .route("/api/v1/calendar.ics", get(api_calendar))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(upload)
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

/// An amount of a unit as the page's language writes it (`1,234.50 EUR`, `1 234,50 EUR`,
/// `12 seats`).
fn amount(c: &Chrome<'_>, unit: QuotaUnit, v: i64) -> String {
    if unit == QuotaUnit::Eur {
        let sign = if v < 0 { "-" } else { "" };
        let a = v.unsigned_abs();
        let euros = i64::try_from(a / 100).unwrap_or(i64::MAX);
        let sep = if c.lang == "fr" { ',' } else { '.' };
        format!("{sign}{}{sep}{:02} EUR", c.num(&euros), a % 100)
    } else {
        format!(
            "{} {}",
            c.num(&v),
            c.t.get(&format!("lic-unit-{}", unit.as_str()))
        )
    }
}

/// The warnings of a licence on `today`: quotas at least 80 % used, expiry within 60 days,
/// expired.
fn licence_warnings(c: &Chrome<'_>, l: &Licence, today: time::Date) -> Vec<String> {
    let mut out = Vec::new();
    for q in &l.quotas {
        if q.used.saturating_mul(100) >= q.total.saturating_mul(QUOTA_WARNING_PERCENT) {
            out.push(format!(
                "{} {} ({} %)",
                c.t.get("lic-warn-quota"),
                c.t.get(&format!("lic-unit-{}", q.unit.as_str())),
                q.percent_used()
            ));
        }
    }
    let days = (l.terms.valid_until - today).whole_days();
    if days < 0 {
        out.push(c.t.get("lic-warn-expired"));
    } else if days <= EXPIRY_WARNING_DAYS {
        out.push(format!(
            "{} {}",
            c.t.get("lic-warn-expiry"),
            c.date(&l.terms.valid_until.to_string())
        ));
    }
    out
}

/// A quota with its use, as the pages show it.
pub struct QuotaRow {
    unit: String,
    total: String,
    used: String,
    remaining: String,
    percent: i64,
}

fn quota_rows(c: &Chrome<'_>, l: &Licence) -> Vec<QuotaRow> {
    l.quotas
        .iter()
        .map(|q| QuotaRow {
            unit: c.t.get(&format!("lic-unit-{}", q.unit.as_str())),
            total: amount(c, q.unit, q.total),
            used: amount(c, q.unit, q.used),
            remaining: amount(c, q.unit, q.remaining),
            percent: q.percent_used(),
        })
        .collect()
}

/// A licence as the register lists it.
pub struct LicenceRowView {
    id: String,
    number: String,
    kind: String,
    authority: String,
    valid_until: String,
    quotas: Vec<QuotaRow>,
    warnings: Vec<String>,
}

/// Every deadline of the organisation: its general authorisations' duties and its licences'
/// expiries.
///
/// # Errors
/// A database failure.
pub fn org_deadlines(
    store: &Store,
    scope: &OrgScope,
    law: &Law,
) -> Result<Vec<Deadline>, LicenceError> {
    let mut out = Vec::new();
    for u in store.general_authorisation_uses(scope)? {
        out.extend(ugea_deadlines(law, &u.usage));
    }
    for l in store.licences(scope)? {
        out.extend(licence_deadlines(&l.terms));
    }
    out.sort_by(|a, b| a.due.cmp(&b.due).then(a.subject.cmp(&b.subject)));
    Ok(out)
}

/// A deadline as the pages show it.
pub struct DeadlineRow {
    due: String,
    overdue: bool,
    kind: String,
    subject: String,
    text: String,
    cite: String,
    conditional: bool,
    done: bool,
}

fn deadline_rows(c: &Chrome<'_>, ds: &[Deadline], today: time::Date) -> Vec<DeadlineRow> {
    ds.iter()
        .map(|d| DeadlineRow {
            due: c.date(&d.due.to_string()),
            overdue: !d.done && d.due < today,
            kind: c.t.get(&format!("lic-deadline-{}", d.kind.as_str())),
            subject: d.subject.clone(),
            text: d.text.clone(),
            cite: format!("{}, Regulation (EU) {}", d.cite.provision, d.cite.act),
            conditional: d.conditional,
            done: d.done,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "licences_deadlines_panel.html")]
struct DeadlinesPanel<'a> {
    c: &'a Chrome<'a>,
    org_id: String,
    deadlines: Vec<DeadlineRow>,
    horizon: i64,
}

/// The deadlines panel of the organisation's page (upcoming notices, reports and expiries within
/// [`DEADLINE_HORIZON_DAYS`], and overdue ones), rendered; empty (and logged) if it cannot be
/// loaded.
pub(crate) async fn org_panel(state: &AppState, c: &Chrome<'_>, scope: &OrgScope) -> String {
    let (s2, law) = (scope.clone(), state.law.clone());
    let today = (state.today)();
    let Ok(Ok(all)) = run(state, move |s| org_deadlines(s, &s2, &law)).await else {
        tracing::error!("the deadlines could not be loaded");
        return String::new();
    };
    let soon = upcoming(&all, today, DEADLINE_HORIZON_DAYS);
    let panel = DeadlinesPanel {
        c,
        org_id: scope.org_id().to_owned(),
        deadlines: deadline_rows(c, &soon, today),
        horizon: DEADLINE_HORIZON_DAYS,
    };
    panel.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "deadlines panel rendering failed");
        String::new()
    })
}

/// Maps a domain field path (`quotas[1].total`, `entries[0]`) to the form field (`quotas`).
fn form_field(path: &str) -> String {
    path.split(['[', '.']).next().unwrap_or(path).to_owned()
}

fn field_problems(errors: &[FieldError]) -> Response {
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-input",
        "Invalid input",
        "The licence's terms are not valid (Art. 12 of Regulation (EU) 2021/821); see `errors`.",
    );
    p.errors = errors
        .iter()
        .map(|f| FieldProblem {
            path: f.path.clone(),
            detail: f.message.clone(),
        })
        .collect();
    p.into_response()
}

fn forbidden_problem() -> Response {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        "registering a licence is a decision: officers and administrators only",
    )
    .into_response()
}

fn not_found_problem() -> Response {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no licence with this id in your organisation",
    )
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// The register.

/// The new-licence form, as typed.
#[derive(Debug, Default, Clone)]
pub struct LicenceForm {
    kind: String,
    number: String,
    authority: String,
    entries: String,
    destinations: String,
    end_users: String,
    quotas: String,
    valid_from: String,
    valid_until: String,
    large_project: bool,
    conditions: String,
    reporting: String,
}

impl LicenceForm {
    /// The terms the form states: lists split, quota lines `unit total` read (a line that does
    /// not read gives a total the check refuses).
    fn terms(&self) -> LicenceTermsInput {
        let split = |s: &str| -> Vec<String> {
            s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let quotas = self
            .quotas
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut parts = l.split_whitespace();
                let unit = parts.next().unwrap_or_default().to_ascii_lowercase();
                let rest: String = parts.collect::<Vec<_>>().join("");
                let total = rest.replace(',', ".").parse::<f64>().unwrap_or(f64::NAN);
                QuotaInput { unit, total }
            })
            .collect();
        LicenceTermsInput {
            kind: self.kind.trim().to_owned(),
            number: self.number.clone(),
            authority: self.authority.clone(),
            entries: split(&self.entries),
            destinations: split(&self.destinations),
            end_users: self
                .end_users
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            quotas,
            valid_from: self.valid_from.clone(),
            valid_until: self.valid_until.clone(),
            large_project: self.large_project,
            conditions: self.conditions.clone(),
            reporting: self.reporting.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "licences.html")]
struct LicencesPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    licences: Vec<LicenceRowView>,
    can_decide: bool,
    kinds: [&'static str; 2],
    form: LicenceForm,
    errors: BTreeMap<String, String>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn licences_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    status: StatusCode,
    form: LicenceForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let s2 = scope.clone();
    let licences = match load(state, move |s| s.licences(&s2)).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let c = org_chrome(state, headers, q, me, scope.org_id(), "licences");
    let today = (state.today)();
    let rows = licences
        .iter()
        .map(|l| LicenceRowView {
            id: l.id.clone(),
            number: l.terms.number.clone(),
            kind: c.t.get(&format!("lic-kind-{}", l.terms.kind.as_str())),
            authority: l.terms.authority.clone(),
            valid_until: c.date(&l.terms.valid_until.to_string()),
            quotas: quota_rows(&c, l),
            warnings: licence_warnings(&c, l, today),
        })
        .collect();
    page(
        status,
        &LicencesPage {
            c,
            org: scope.org().clone(),
            licences: rows,
            can_decide: scope.role().allows(Action::Decide),
            kinds: ["individual", "global"],
            form,
            errors,
        },
    )
}

/// `GET /orgs/{org}/licences`: the register.
pub async fn list_licences(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
) -> Response {
    let form = LicenceForm {
        kind: "individual".to_owned(),
        ..LicenceForm::default()
    };
    licences_page(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        StatusCode::OK,
        form,
        BTreeMap::new(),
    )
    .await
}

/// `POST /orgs/{org}/licences` (multipart): registers a licence with its document (officers and
/// administrators).
pub async fn create_licence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
    body: Bytes,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let parts = form_parts(&headers, &body);
    let c = org_chrome(&state, &headers, &q, &me, scope.org_id(), "licences");
    let Some(parts) = parts else {
        let errors = BTreeMap::from([("document".to_owned(), c.t.get("lic-error-form"))]);
        return licences_page(
            &state,
            &headers,
            &q,
            &me,
            &scope,
            StatusCode::UNPROCESSABLE_ENTITY,
            LicenceForm::default(),
            errors,
        )
        .await;
    };
    let text = |k: &str| multipart::text(&parts, k).unwrap_or_default();
    let form = LicenceForm {
        kind: text("kind"),
        number: text("number"),
        authority: text("authority"),
        entries: text("entries"),
        destinations: text("destinations"),
        end_users: text("end_users"),
        quotas: text("quotas"),
        valid_from: text("valid_from"),
        valid_until: text("valid_until"),
        large_project: !text("large_project").trim().is_empty(),
        conditions: text("conditions"),
        reporting: text("reporting"),
    };
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let terms = match form.terms().check(&state.law) {
        Ok(t) => Some(t),
        Err(errs) => {
            form_errors(&c, &errs, &mut errors);
            None
        }
    };
    // The document's type is kept in lower case, as this form always has.
    let document = multipart::file(&parts, "document").map(|d| {
        (
            d.filename.clone().unwrap_or_else(|| "document".to_owned()),
            d.content_type
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            d.data.clone(),
        )
    });
    if let Some((_, _, bytes)) = &document
        && bytes.len() > MAX_ATTACHMENT_BYTES
    {
        errors.insert("document".to_owned(), c.t.get("lic-error-document-size"));
    }
    let Some(terms) = terms.filter(|_| errors.is_empty()) else {
        return licences_page(
            &state,
            &headers,
            &q,
            &me,
            &scope,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
        )
        .await;
    };
    let (s2, law_version) = (scope.clone(), state.law.version().to_owned());
    let created = run(&state, move |s| {
        let doc = document.as_ref().map(|(name, ct, bytes)| LicenceDocument {
            filename: name,
            content_type: ct,
            bytes,
        });
        s.register_licence(&s2, &terms, &law_version, doc)
    })
    .await;
    match created {
        Ok(Ok(l)) => see_other(&format!("/orgs/{}/licences/{}", scope.org_id(), l.id)),
        Ok(Err(e)) => {
            let (field, msg) = match &e {
                LicenceError::DuplicateNumber(_) => ("number", c.t.get("lic-error-duplicate")),
                LicenceError::Attachment(a) => ("document", a.to_string()),
                LicenceError::Forbidden => {
                    return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
                }
                other => return internal(other),
            };
            let errors = BTreeMap::from([(field.to_owned(), msg)]);
            licences_page(
                &state,
                &headers,
                &q,
                &me,
                &scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            )
            .await
        }
        Err(r) => r,
    }
}

/// A quota error as the form shows it: the line it is on.
/// The errors of a licence's terms next to the form's fields: several on one field joined,
/// quota lines in the page's language.
fn form_errors(c: &Chrome<'_>, errs: &[FieldError], errors: &mut BTreeMap<String, String>) {
    for e in errs {
        let f = form_field(&e.path);
        let msg = if f == "quotas" {
            quota_line_message(c, e)
        } else {
            e.message.clone()
        };
        errors
            .entry(f)
            .and_modify(|m| {
                m.push_str("; ");
                m.push_str(&msg);
            })
            .or_insert(msg);
    }
}

fn quota_line_message(c: &Chrome<'_>, e: &FieldError) -> String {
    let line = e
        .path
        .strip_prefix("quotas[")
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    match line {
        Some(i) => format!("{} {}: {}", c.t.get("lic-line"), i + 1, e.message),
        None => e.message.clone(),
    }
}

/// An `application/x-www-form-urlencoded` body as form parts (the licence form without a
/// document).
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<Part> {
    fn decode(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => {
                    let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        out
    }
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = match p.iter().position(|b| *b == b'=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, &b""[..]),
            };
            Part {
                name: String::from_utf8_lossy(&decode(k)).into_owned(),
                data: decode(v),
                ..Part::default()
            }
        })
        .collect()
}

/// A draw-down as the licence page shows it.
pub struct DrawdownView {
    used_on: String,
    operation_id: String,
    operation: String,
    amount: String,
    drawn_by: String,
    drawn_at: i64,
}

/// An amendment as the licence page shows it.
pub struct AmendmentView {
    reference: String,
    amended_on: String,
    amended_by: String,
    amended_at: i64,
    changes: Vec<String>,
    document_id: Option<String>,
}

/// The amendment form, as typed: the authority's reference and date, and the terms (prefilled
/// with those in force; kind, number and authority are not amendable).
#[derive(Debug, Default, Clone)]
pub struct AmendForm {
    reference: String,
    date: String,
    terms: LicenceForm,
}

impl AmendForm {
    /// The form prefilled with the terms in force.
    fn of(t: &LicenceTerms) -> AmendForm {
        AmendForm {
            terms: LicenceForm {
                kind: t.kind.as_str().to_owned(),
                number: t.number.clone(),
                authority: t.authority.clone(),
                entries: t
                    .entries
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                destinations: t.destinations.join(", "),
                end_users: t.end_users.join("\n"),
                quotas: t
                    .quotas
                    .iter()
                    .map(|q| {
                        format!(
                            "{} {}",
                            q.unit.as_str(),
                            plain_amount(q.unit.as_str(), q.total)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                valid_from: t.valid_from.to_string(),
                valid_until: t.valid_until.to_string(),
                large_project: t.large_project,
                conditions: t.conditions.clone(),
                reporting: t.reporting.clone(),
            },
            ..AmendForm::default()
        }
    }

    /// The amendment the form states: every amendable term, in full.
    fn input(&self) -> LicenceAmendmentInput {
        let t = self.terms.terms();
        LicenceAmendmentInput {
            reference: self.reference.clone(),
            date: self.date.clone(),
            valid_from: Some(t.valid_from),
            valid_until: Some(t.valid_until),
            large_project: Some(t.large_project),
            entries: Some(t.entries),
            destinations: Some(t.destinations),
            end_users: Some(t.end_users),
            quotas: Some(t.quotas),
            conditions: Some(t.conditions),
            reporting: Some(t.reporting),
        }
    }
}

#[derive(Template)]
#[template(path = "licence.html")]
struct LicencePage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    licence: Licence,
    kind: String,
    valid_from: String,
    valid_until: String,
    quotas: Vec<QuotaRow>,
    warnings: Vec<String>,
    drawdowns: Vec<DrawdownView>,
    documents: Vec<Attachment>,
    amendments: Vec<AmendmentView>,
    can_decide: bool,
    form: AmendForm,
    errors: BTreeMap<String, String>,
}

type LicenceData = (
    Licence,
    Vec<DrawdownRow>,
    Vec<Attachment>,
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    Vec<LicenceAmendmentRecord>,
);

/// The licence, its draw-downs, its documents, operation references, member names and
/// amendments.
fn licence_data(
    s: &Store,
    scope: &OrgScope,
    id: &str,
) -> Result<Option<LicenceData>, LicenceError> {
    let Some(l) = s.licence(scope, id)? else {
        return Ok(None);
    };
    let amendments = s.licence_amendments(scope, id)?;
    let rows = s.drawdowns(scope, id)?;
    let docs = s.attachments_of(scope, &format!("licence:{id}"))?;
    let mut refs = BTreeMap::new();
    for r in &rows {
        if !refs.contains_key(&r.operation_id)
            && let Some(op) = s.operation(scope, &r.operation_id)?
        {
            refs.insert(r.operation_id.clone(), op.reference);
        }
    }
    let names = s
        .members(scope)
        .map(|ms| {
            ms.into_iter()
                .map(|m| {
                    let n = if m.user.display_name.is_empty() {
                        m.user.email.clone()
                    } else {
                        m.user.display_name.clone()
                    };
                    (m.user.id, n)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some((l, rows, docs, refs, names, amendments)))
}

async fn load_licence(
    state: &AppState,
    headers: &HeaderMap,
    scope: &OrgScope,
    id: String,
) -> Result<LicenceData, Response> {
    let s2 = scope.clone();
    match load(state, move |s| licence_data(s, &s2, &id)).await? {
        Some(x) => Ok(x),
        None => Err(message(state, headers, StatusCode::NOT_FOUND, "not-found")),
    }
}

/// A term change as the page shows it (`valid_until: 2027-12-31 → 2028-06-30`).
fn change_line(c: &Chrome<'_>, ch: &TermChange) -> String {
    let none = || c.t.get("lic-amend-none");
    let before = if ch.before.is_empty() {
        none()
    } else {
        ch.before.clone()
    };
    let after = if ch.after.is_empty() {
        none()
    } else {
        ch.after.clone()
    };
    format!("{}: {before} → {after}", ch.field)
}

/// `GET /orgs/{org}/licences/{id}`.
pub async fn show_licence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    licence_page(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::OK,
        None,
        BTreeMap::new(),
    )
    .await
}

/// The licence page; `form` is the amendment form as typed (`None`: prefilled with the terms in
/// force).
#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn licence_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    id: String,
    status: StatusCode,
    form: Option<AmendForm>,
    errors: BTreeMap<String, String>,
) -> Response {
    let (licence, rows, documents, refs, names, amendments) =
        match load_licence(state, headers, scope, id).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let c = org_chrome(
        state,
        headers,
        q,
        me,
        scope.org_id(),
        &format!("licences/{}", licence.id),
    );
    let amendments = amendments
        .iter()
        .rev()
        .map(|a| AmendmentView {
            reference: a.reference.clone(),
            amended_on: c.date(&a.amended_on.to_string()),
            amended_by: names
                .get(&a.amended_by)
                .cloned()
                .unwrap_or_else(|| a.amended_by.clone()),
            amended_at: a.amended_at,
            changes: a.changes.iter().map(|ch| change_line(&c, ch)).collect(),
            document_id: a.document_id.clone(),
        })
        .collect();
    let form = form.unwrap_or_else(|| AmendForm::of(&licence.terms));
    let drawdowns = rows
        .iter()
        .map(|r| DrawdownView {
            used_on: c.date(&r.used_on),
            operation_id: r.operation_id.clone(),
            operation: refs
                .get(&r.operation_id)
                .filter(|x| !x.is_empty())
                .cloned()
                .unwrap_or_else(|| r.operation_id.clone()),
            amount: QuotaUnit::parse(&r.unit).map_or_else(
                || format!("{} {}", r.amount, r.unit),
                |u| amount(&c, u, r.amount),
            ),
            drawn_by: names
                .get(&r.drawn_by)
                .cloned()
                .unwrap_or_else(|| r.drawn_by.clone()),
            drawn_at: r.drawn_at,
        })
        .collect();
    let today = (state.today)();
    page(
        status,
        &LicencePage {
            kind: c
                .t
                .get(&format!("lic-kind-{}", licence.terms.kind.as_str())),
            valid_from: c.date(&licence.terms.valid_from.to_string()),
            valid_until: c.date(&licence.terms.valid_until.to_string()),
            quotas: quota_rows(&c, &licence),
            warnings: licence_warnings(&c, &licence, today),
            c,
            org: scope.org().clone(),
            licence,
            drawdowns,
            documents,
            amendments,
            can_decide: scope.role().allows(Action::Decide),
            form,
            errors,
        },
    )
}

/// The form's parts: multipart (with a document) or URL-encoded; `None` when unreadable.
fn form_parts(headers: &HeaderMap, body: &[u8]) -> Option<Vec<Part>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if multipart::is_form_data(ct) {
        multipart::parse(ct, body).ok()
    } else {
        Some(serde_urlencoded_pairs(body))
    }
}

/// `POST /orgs/{org}/licences/{id}/amendments` (multipart): records an amendment by the
/// authority, with its document (officers and administrators).
pub async fn amend_licence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    body: Bytes,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let c = org_chrome(&state, &headers, &q, &me, scope.org_id(), "licences");
    let Some(parts) = form_parts(&headers, &body) else {
        let errors = BTreeMap::from([("document".to_owned(), c.t.get("lic-error-form"))]);
        return licence_page(
            &state,
            &headers,
            &q,
            &me,
            &scope,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
        )
        .await;
    };
    let text = |k: &str| multipart::text(&parts, k).unwrap_or_default();
    let form = AmendForm {
        reference: text("reference"),
        date: text("date"),
        terms: LicenceForm {
            entries: text("entries"),
            destinations: text("destinations"),
            end_users: text("end_users"),
            quotas: text("quotas"),
            valid_from: text("valid_from"),
            valid_until: text("valid_until"),
            large_project: !text("large_project").trim().is_empty(),
            conditions: text("conditions"),
            reporting: text("reporting"),
            ..LicenceForm::default()
        },
    };
    let document = multipart::file(&parts, "document").map(|d| {
        (
            d.filename.clone().unwrap_or_else(|| "document".to_owned()),
            d.content_type
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            d.data.clone(),
        )
    });
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    if let Some((_, _, bytes)) = &document
        && bytes.len() > MAX_ATTACHMENT_BYTES
    {
        errors.insert("document".to_owned(), c.t.get("lic-error-document-size"));
    }
    if errors.is_empty() {
        let (s2, law, input, lid) = (scope.clone(), state.law.clone(), form.input(), id.clone());
        let r = run(&state, move |s| {
            let doc = document.as_ref().map(|(name, ct, bytes)| LicenceDocument {
                filename: name,
                content_type: ct,
                bytes,
            });
            s.amend_licence(&s2, &lid, &input, &law, doc)
        })
        .await;
        match r {
            Ok(Ok(_)) => {
                return see_other(&format!("/orgs/{}/licences/{id}", scope.org_id()));
            }
            Ok(Err(LicenceError::Invalid(errs))) => form_errors(&c, &errs, &mut errors),
            Ok(Err(LicenceError::Attachment(a))) => {
                errors.insert("document".to_owned(), a.to_string());
            }
            Ok(Err(LicenceError::NotFound)) => {
                return message(&state, &headers, StatusCode::NOT_FOUND, "not-found");
            }
            Ok(Err(LicenceError::Forbidden)) => {
                return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
            }
            Ok(Err(e)) => return internal(&e),
            Err(r) => return r,
        }
    }
    licence_page(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(form),
        errors,
    )
    .await
}

/// One CSV field, quoted when needed, with a leading `'` against spreadsheet formulas.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A stored amount as a plain number for reports and the API (EUR: euros with 2 decimals).
fn plain_amount(unit: &str, v: i64) -> String {
    if unit == "eur" {
        let sign = if v < 0 { "-" } else { "" };
        let a = v.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    } else {
        v.to_string()
    }
}

/// `GET /orgs/{org}/licences/{id}/drawdowns.csv`: the usage report of a licence for the
/// authority (one row per operation and unit, oldest first).
pub async fn drawdowns_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    Member { scope, .. }: Member,
) -> Response {
    let (licence, rows, _, refs, names, _) = match load_licence(&state, &headers, &scope, id).await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut out = String::from(
        "licence_number,authority,operation_id,operation_reference,used_on,unit,amount,total,drawn_by,drawn_at\r\n",
    );
    for r in &rows {
        let total = licence
            .quotas
            .iter()
            .find(|q| q.unit.as_str() == r.unit)
            .map(|q| plain_amount(&r.unit, q.total))
            .unwrap_or_default();
        let fields = [
            licence.terms.number.clone(),
            licence.terms.authority.clone(),
            r.operation_id.clone(),
            refs.get(&r.operation_id).cloned().unwrap_or_default(),
            r.used_on.clone(),
            r.unit.clone(),
            plain_amount(&r.unit, r.amount),
            total,
            names
                .get(&r.drawn_by)
                .cloned()
                .unwrap_or_else(|| r.drawn_by.clone()),
            rfc3339(r.drawn_at),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    let filename: String = licence
        .terms
        .number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut res = out.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"licence-{filename}-drawdowns.csv\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /orgs/{org}/attachments/{id}`: a document, as a download.
pub async fn download_attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    Member { scope, .. }: Member,
) -> Response {
    let s2 = scope.clone();
    let found = match load(&state, move |s| s.attachment(&s2, &id)).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((meta, data)) = found else {
        return message(&state, &headers, StatusCode::NOT_FOUND, "not-found");
    };
    crate::web::document_download(&meta, data)
}

// ---------------------------------------------------------------------------------------------
// Union general authorisations.

/// The form that records the use of a general authorisation.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct UgeaForm {
    #[serde(default)]
    ugea: String,
    #[serde(default)]
    registration_ref: String,
    #[serde(default)]
    registered_on: String,
    #[serde(default)]
    first_use: String,
    #[serde(default)]
    notice_sent_on: String,
    #[serde(default)]
    last_report_on: String,
}

/// One authorisation the organisation uses, with its dates and deadlines.
pub struct UgeaUseView {
    id: String,
    title: String,
    registration_ref: String,
    registered_on: String,
    first_use: String,
    notice_sent_on: String,
    last_report_on: String,
    deadlines: Vec<DeadlineRow>,
}

#[derive(Template)]
#[template(path = "licences_general.html")]
struct GeneralPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    uses: Vec<UgeaUseView>,
    ugeas: Vec<(String, String)>,
    can_decide: bool,
    form: UgeaForm,
    errors: BTreeMap<String, String>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn general_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    status: StatusCode,
    form: UgeaForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let s2 = scope.clone();
    let uses: Vec<GeneralAuthorisationUseRecord> =
        match load(state, move |s| s.general_authorisation_uses(&s2)).await {
            Ok(u) => u,
            Err(r) => return r,
        };
    let c = org_chrome(
        state,
        headers,
        q,
        me,
        scope.org_id(),
        "general-authorisations",
    );
    let today = (state.today)();
    let d = |x: Option<time::Date>| x.map(|d| c.date(&d.to_string())).unwrap_or_default();
    let views = uses
        .iter()
        .map(|u| {
            let title = state
                .law
                .ugeas()
                .iter()
                .find(|g| g.id == u.usage.ugea_id)
                .map(|g| g.title.clone())
                .unwrap_or_default();
            UgeaUseView {
                id: u.usage.ugea_id.clone(),
                title,
                registration_ref: u.usage.registration_ref.clone().unwrap_or_default(),
                registered_on: d(u.usage.registered_on),
                first_use: d(u.usage.first_use),
                notice_sent_on: d(u.usage.notice_sent_on),
                last_report_on: d(u.usage.last_report_on),
                deadlines: deadline_rows(&c, &ugea_deadlines(&state.law, &u.usage), today),
            }
        })
        .collect();
    let ugeas = state
        .law
        .ugeas()
        .iter()
        .map(|g| (g.id.clone(), g.title.clone()))
        .collect();
    page(
        status,
        &GeneralPage {
            c,
            org: scope.org().clone(),
            uses: views,
            ugeas,
            can_decide: scope.role().allows(Action::Decide),
            form,
            errors,
        },
    )
}

/// `GET /orgs/{org}/general-authorisations`.
pub async fn list_general_authorisations(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
) -> Response {
    general_page(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        StatusCode::OK,
        UgeaForm::default(),
        BTreeMap::new(),
    )
    .await
}

/// `POST /orgs/{org}/general-authorisations`: records (or updates) the use of a general
/// authorisation and its dates (officers and administrators).
pub async fn record_general_authorisation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
    Form(form): Form<UgeaForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let mut errors = BTreeMap::new();
    let mut date = |field: &str, v: &str| -> Option<time::Date> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        match parse_date(v) {
            Ok(d) => Some(d),
            Err(m) => {
                errors.insert(field.to_owned(), m);
                None
            }
        }
    };
    let usage = GeneralAuthorisationUse {
        ugea_id: form.ugea.trim().to_owned(),
        registration_ref: Some(form.registration_ref.trim().to_owned()).filter(|s| !s.is_empty()),
        registered_on: date("registered_on", &form.registered_on),
        first_use: date("first_use", &form.first_use),
        notice_sent_on: date("notice_sent_on", &form.notice_sent_on),
        last_report_on: date("last_report_on", &form.last_report_on),
    };
    if errors.is_empty() {
        let (s2, law) = (scope.clone(), state.law.clone());
        let r = run(&state, move |s| {
            s.record_general_authorisation_use(&s2, &usage, &law)
        })
        .await;
        match r {
            Ok(Ok(_)) => {
                return see_other(&format!("/orgs/{}/general-authorisations", scope.org_id()));
            }
            Ok(Err(LicenceError::Invalid(errs))) => {
                for e in errs {
                    let f = if e.path == "ugea_id" {
                        "ugea".to_owned()
                    } else {
                        e.path
                    };
                    errors.insert(f, e.message);
                }
            }
            Ok(Err(LicenceError::Forbidden)) => {
                return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
            }
            Ok(Err(e)) => return internal(&e),
            Err(r) => return r,
        }
    }
    let status = status_of(&errors);
    general_page(&state, &headers, &q, &me, &scope, status, form, errors).await
}

// ---------------------------------------------------------------------------------------------
// The API.

/// A quota with its use, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuotaView {
    /// Unit.
    pub unit: QuotaUnit,
    /// Total (EUR: euros).
    pub total: f64,
    /// Used (EUR: euros).
    pub used: f64,
    /// Left (EUR: euros).
    pub remaining: f64,
    /// Share used, 0–100.
    pub percent_used: i64,
}

/// A licence as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LicenceView {
    /// Id.
    pub id: String,
    /// The terms (EUR totals in euros).
    pub terms: LicenceTermsInput,
    /// Quotas with their use.
    pub quotas: Vec<QuotaView>,
    /// The licence document's download path, if one was attached.
    pub document: Option<String>,
    /// Law version the terms were checked against.
    pub law_version: String,
    /// When registered (RFC 3339).
    pub created_at: String,
}

/// A draw-down as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DrawdownApiView {
    /// Operation id.
    pub operation_id: String,
    /// Day of use.
    pub used_on: String,
    /// Unit.
    pub unit: String,
    /// Amount (EUR: euros).
    pub amount: f64,
    /// Who drew (user id).
    pub drawn_by: String,
    /// When (RFC 3339).
    pub drawn_at: String,
}

/// An amendment of a licence as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AmendmentApiView {
    /// Id.
    pub id: String,
    /// The authority's reference.
    pub reference: String,
    /// The day of the amendment (`YYYY-MM-DD`).
    pub date: String,
    /// What changed, term by term.
    pub changes: Vec<TermChange>,
    /// The terms before the amendment (EUR totals in euros).
    pub terms_before: LicenceTermsInput,
    /// The amendment document's download path, if one was attached.
    pub document: Option<String>,
    /// Recorded by (user id).
    pub amended_by: String,
    /// When recorded (RFC 3339).
    pub amended_at: String,
}

/// A licence with its draw-down and amendment history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LicenceDetail {
    /// The licence (the terms in force).
    #[serde(flatten)]
    pub licence: LicenceView,
    /// What operations drew on it, oldest first.
    pub drawdowns: Vec<DrawdownApiView>,
    /// Its amendments, oldest first.
    pub amendments: Vec<AmendmentApiView>,
}

fn amendment_view(org_id: &str, a: &LicenceAmendmentRecord) -> AmendmentApiView {
    AmendmentApiView {
        id: a.id.clone(),
        reference: a.reference.clone(),
        date: a.amended_on.to_string(),
        changes: a.changes.clone(),
        terms_before: a.terms_before.clone(),
        document: a
            .document_id
            .as_ref()
            .map(|d| format!("/orgs/{org_id}/attachments/{d}")),
        amended_by: a.amended_by.clone(),
        amended_at: rfc3339(a.amended_at),
    }
}

/// The licence's detail: the licence, its draw-downs and its amendments.
fn licence_detail(
    l: &Licence,
    rows: &[DrawdownRow],
    amendments: &[LicenceAmendmentRecord],
) -> LicenceDetail {
    LicenceDetail {
        licence: licence_view(l),
        drawdowns: rows
            .iter()
            .map(|r| DrawdownApiView {
                operation_id: r.operation_id.clone(),
                used_on: r.used_on.clone(),
                unit: r.unit.clone(),
                amount: QuotaUnit::parse(&r.unit).map_or(0.0, |u| api_amount(u, r.amount)),
                drawn_by: r.drawn_by.clone(),
                drawn_at: rfc3339(r.drawn_at),
            })
            .collect(),
        amendments: amendments
            .iter()
            .map(|a| amendment_view(&l.org_id, a))
            .collect(),
    }
}

#[allow(clippy::cast_precision_loss, reason = "amounts shown, bounded")]
fn api_amount(unit: QuotaUnit, v: i64) -> f64 {
    if unit == QuotaUnit::Eur {
        v as f64 / 100.0
    } else {
        v as f64
    }
}

fn licence_view(l: &Licence) -> LicenceView {
    LicenceView {
        id: l.id.clone(),
        terms: l.terms.to_input(),
        quotas: l
            .quotas
            .iter()
            .map(|q| QuotaView {
                unit: q.unit,
                total: api_amount(q.unit, q.total),
                used: api_amount(q.unit, q.used),
                remaining: api_amount(q.unit, q.remaining),
                percent_used: q.percent_used(),
            })
            .collect(),
        document: l
            .document_id
            .as_ref()
            .map(|d| format!("/orgs/{}/attachments/{d}", l.org_id)),
        law_version: l.law_version.clone(),
        created_at: rfc3339(l.created_at),
    }
}

/// List the licences of the token's organisation, soonest expiry first.
#[utoipa::path(get, path = "/api/v1/licences",
    responses((status = 200, body = [LicenceView]), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "licences")]
pub async fn api_licences(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let scope = caller.scope;
    match load(&state, move |s| s.licences(&scope)).await {
        Ok(ls) => Json(ls.iter().map(licence_view).collect::<Vec<_>>()).into_response(),
        Err(r) => r,
    }
}

/// Register a licence (officers and administrators). The body is its terms; they are checked
/// against the law and Art. 12(3) of Regulation (EU) 2021/821 (validity up to two years, four
/// for a large project).
#[utoipa::path(post, path = "/api/v1/licences", request_body = LicenceTermsInput,
    responses((status = 201, body = LicenceView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "licences")]
pub async fn api_create_licence(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Decide) {
        return forbidden_problem();
    }
    let input: LicenceTermsInput = match parse_json(&body) {
        Ok(i) => i,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    let terms = match input.check(&state.law) {
        Ok(t) => t,
        Err(errs) => return field_problems(&errs),
    };
    let (scope, law_version) = (caller.scope, state.law.version().to_owned());
    match run(&state, move |s| {
        s.register_licence(&scope, &terms, &law_version, None)
    })
    .await
    {
        Ok(Ok(l)) => {
            let mut res = (StatusCode::CREATED, Json(licence_view(&l))).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/licences/{}", l.id)) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        Ok(Err(LicenceError::DuplicateNumber(n))) => field_problems(&[FieldError {
            path: "number".to_owned(),
            message: format!("the organisation already registered licence {n}"),
        }]),
        Ok(Err(LicenceError::Forbidden)) => forbidden_problem(),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// One licence of the token's organisation, with its draw-down and amendment history.
#[utoipa::path(get, path = "/api/v1/licences/{id}",
    params(("id" = String, Path, description = "Licence id")),
    responses((status = 200, body = LicenceDetail), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "licences")]
pub async fn api_licence(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope;
    let r = run(&state, move |s| licence_detail_of(s, &scope, &id)).await;
    match r {
        Ok(Ok(Some(d))) => Json(d).into_response(),
        Ok(Ok(None)) => not_found_problem(),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

fn licence_detail_of(
    s: &Store,
    scope: &OrgScope,
    id: &str,
) -> Result<Option<LicenceDetail>, LicenceError> {
    let Some(l) = s.licence(scope, id)? else {
        return Ok(None);
    };
    let rows = s.drawdowns(scope, id)?;
    let amendments = s.licence_amendments(scope, id)?;
    Ok(Some(licence_detail(&l, &rows, &amendments)))
}

/// Record an amendment of a licence by its authority (officers and administrators). The body
/// gives the authority's `reference` and `date` (required) and the terms it changes, each in
/// full (a term left out is unchanged; the kind, number and authority are not amendable). The
/// new terms are checked by the rules of registration (Art. 12(3) of Regulation (EU) 2021/821:
/// validity up to two years, four for a large project) and against what was drawn (a quota below
/// what is used, a quota removed from a unit drawn in, or a validity leaving out a day drawn on
/// is 422). Answers the licence with its histories; draw-downs after it use the new terms.
#[utoipa::path(post, path = "/api/v1/licences/{id}/amendments", request_body = LicenceAmendmentInput,
    params(("id" = String, Path, description = "Licence id")),
    responses((status = 200, body = LicenceDetail), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "licences")]
pub async fn api_amend_licence(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Decide) {
        return Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "amending a licence is a decision: officers and administrators only",
        )
        .into_response();
    }
    // Another organisation's licence is 404 whatever the body.
    let (s2, lid) = (caller.scope.clone(), id.clone());
    match run(&state, move |s| s.licence(&s2, &lid)).await {
        Ok(Ok(Some(_))) => {}
        Ok(Ok(None)) => return not_found_problem(),
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    }
    let input: LicenceAmendmentInput = match parse_json(&body) {
        Ok(i) => i,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    let (scope, law) = (caller.scope, state.law.clone());
    let r = run(&state, move |s| {
        s.amend_licence(&scope, &id, &input, &law, None)?;
        licence_detail_of(s, &scope, &id)
    })
    .await;
    match r {
        Ok(Ok(Some(d))) => Json(d).into_response(),
        Ok(Ok(None) | Err(LicenceError::NotFound)) => not_found_problem(),
        Ok(Err(LicenceError::Invalid(errs))) => field_problems(&errs),
        Ok(Err(LicenceError::Forbidden)) => forbidden_problem(),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets (RFC 5545 §3.1), never inside a character.
fn ics_line(out: &mut String, line: &str) {
    let mut used = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += n;
    }
    out.push_str("\r\n");
}

/// The deadlines as an iCalendar document: one all-day event per deadline not done.
#[must_use]
pub fn calendar(org_name: &str, deadlines: &[Deadline], stamp: time::Date) -> String {
    let ymd = |d: time::Date| format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day());
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Vigil//Export-control deadlines//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ics_line(&mut out, l);
    }
    ics_line(
        &mut out,
        &format!("X-WR-CALNAME:{}", ics_text(&format!("Vigil · {org_name}"))),
    );
    for d in deadlines.iter().filter(|d| !d.done) {
        let what = match d.kind {
            DeadlineKind::Register => "Register before first use",
            DeadlineKind::NotifyFirstUse => "Notice of first use",
            DeadlineKind::Report => "Report on use",
            DeadlineKind::LicenceExpiry => "Licence expires",
        };
        let next = d.due.next_day().unwrap_or(d.due);
        ics_line(&mut out, "BEGIN:VEVENT");
        ics_line(
            &mut out,
            &format!(
                "UID:{}-{}-{}@vigil",
                d.kind.as_str(),
                crate::web::pct_encode(&d.subject),
                ymd(d.due)
            ),
        );
        ics_line(&mut out, &format!("DTSTAMP:{}T000000Z", ymd(stamp)));
        ics_line(&mut out, &format!("DTSTART;VALUE=DATE:{}", ymd(d.due)));
        ics_line(&mut out, &format!("DTEND;VALUE=DATE:{}", ymd(next)));
        ics_line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                ics_text(&format!(
                    "{}: {what}{}",
                    d.subject,
                    if d.conditional {
                        " (if the Member State requires it)"
                    } else {
                        ""
                    }
                ))
            ),
        );
        ics_line(
            &mut out,
            &format!(
                "DESCRIPTION:{}",
                ics_text(&format!(
                    "{}\n{}, Regulation (EU) {}",
                    d.text, d.cite.provision, d.cite.act
                ))
            ),
        );
        ics_line(&mut out, "TRANSP:TRANSPARENT");
        ics_line(&mut out, "END:VEVENT");
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

/// The deadlines of the token's organisation (registrations, notices of first use and reports
/// of the Union general authorisations it uses, Annex II; licence expiries, Art. 12(3)) as an
/// iCalendar feed (RFC 5545).
#[utoipa::path(get, path = "/api/v1/calendar.ics",
    responses((status = 200, description = "iCalendar (text/calendar)", content_type = "text/calendar"),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "licences")]
pub async fn api_calendar(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let (scope, law) = (caller.scope, state.law.clone());
    let org_name = scope.org().name.clone();
    let all = match load(&state, move |s| org_deadlines(s, &scope, &law)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let body = calendar(&org_name, &all, (state.today)());
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The licences part of the OpenAPI document (merged into [`crate::api::ApiDoc`]'s).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api_licences,
        api_create_licence,
        api_licence,
        api_amend_licence,
        api_calendar
    ),
    components(schemas(
        LicenceView,
        LicenceDetail,
        AmendmentApiView,
        LicenceAmendmentInput,
        TermChange,
        QuotaView,
        DrawdownApiView,
        LicenceTermsInput,
        QuotaInput,
        QuotaUnit
    )),
    tags((name = "licences", description = "The authorisations register of the token's organisation: licences, quotas, draw-downs and deadlines"))
)]
pub struct LicencesApi;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use vigil_domain::law::Cite;

    #[test]
    fn ics_lines_are_folded_and_text_escaped() {
        let d = Deadline {
            kind: DeadlineKind::Report,
            subject: "EU007".into(),
            due: time::macros::date!(2027 - 06 - 01),
            done: false,
            conditional: false,
            text: "Report; quantity, value \\ and more ".repeat(5),
            cite: Cite::new("2021/821", "Annex II Section G Part 3(7)"),
        };
        let ics = calendar("Org, A", &[d], time::macros::date!(2026 - 06 - 01));
        assert!(ics.contains("X-WR-CALNAME:Vigil · Org\\, A\r\n"));
        assert!(ics.contains("DTSTART;VALUE=DATE:20270601\r\n"));
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("Report\\; quantity\\, value \\\\ and more"));
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=cmd"), "'=cmd");
        assert_eq!(csv_field("plain"), "plain");
    }
}
