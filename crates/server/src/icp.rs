//! The internal compliance programme of an organisation (Recommendation (EU) 2019/1318): its
//! policies, named responsible persons, training and audit records, and the inspection dossier.
//!
//! - `GET /orgs/{org}/icp`: the programme by element (every member reads it), the form that adds
//!   a record (officers and admins: [`Action::Decide`]) and the dossier form (roles with
//!   [`Action::ReadAudit`]);
//! - `POST /orgs/{org}/icp`: adds a record; a bad field is shown next to it with 422 and nothing
//!   is written; 403 for operators and auditors;
//! - `GET /orgs/{org}/dossier.pdf?from=YYYY-MM-DD&to=YYYY-MM-DD`: the inspection dossier as PDF
//!   ([`crate::dossier`] gathers, `vigil-report` renders, both on a blocking thread); 403 without
//!   [`Action::ReadAudit`], 422 for a bad period.
//!
//! - `GET/POST /api/v1/icp`: the same records in the JSON API (bearer token); a bad field is a
//!   problem naming it, with nothing written; 403 for a role that may not record.
//!
//! Non-members get 404 on every route (the [`Member`] extractor).

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;
use vigil_domain::access::Action;
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::icp::{ICP_KINDS, IcpError, IcpRecord, NewIcpRecord};

use crate::accounts::{CurrentUser, PageQuery};
use crate::ui::Chrome;
use crate::web::{Member, internal, org_page, require, run, see_other};
use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/icp", get(icp_get).post(icp_post))
        .route("/orgs/{org}/dossier.pdf", get(dossier_pdf))
        .route("/api/v1/icp", get(api_icp).post(api_record_icp))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}

/// The add-a-record form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct IcpForm {
    #[serde(default)]
    element: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    person_name: String,
    #[serde(default)]
    person_role: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    attachment_id: String,
}

/// `?from=&to=&lang=` of the dossier.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct DossierQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    lang: Option<String>,
}

/// One element of the programme with its records.
struct ElementView {
    n: i32,
    records: Vec<IcpRecord>,
}

#[derive(Template)]
#[template(path = "icp.html")]
struct IcpPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    elements: Vec<ElementView>,
    names: BTreeMap<String, String>,
    can_record: bool,
    can_dossier: bool,
    kinds: [&'static str; 5],
    form: IcpForm,
    errors: BTreeMap<String, String>,
    period: DossierQuery,
    period_errors: BTreeMap<String, String>,
}

impl IcpPage<'_> {
    /// A member's name by user id (the id when not a member any more).
    fn name_of(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// Renders the programme page with the forms as given.
#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn icp_page(
    state: &AppState,
    headers: &HeaderMap,
    lang: Option<String>,
    me: &CurrentUser,
    scope: OrgScope,
    status: StatusCode,
    form: IcpForm,
    errors: BTreeMap<&'static str, String>,
    period: DossierQuery,
    period_errors: BTreeMap<&'static str, String>,
) -> Response {
    let org = scope.org().clone();
    let can_record = scope.role().allows(Action::Decide);
    let can_dossier = scope.role().allows(Action::ReadAudit);
    let today = (state.today)();
    let period = DossierQuery {
        from: if period.from.is_empty() {
            format!("{}-01-01", today.year())
        } else {
            period.from
        },
        to: if period.to.is_empty() {
            today.to_string()
        } else {
            period.to
        },
        lang: None,
    };
    let form = IcpForm {
        date: if form.date.is_empty() && errors.is_empty() {
            today.to_string()
        } else {
            form.date
        },
        ..form
    };
    let fetch = |s: &vigil_store::Store, sc: &OrgScope| {
        let records = s.icp_records(sc)?;
        let names = s
            .members(sc)?
            .into_iter()
            .map(|m| {
                let n = if m.user.display_name.is_empty() {
                    m.user.email
                } else {
                    m.user.display_name
                };
                (m.user.id, n)
            })
            .collect::<BTreeMap<_, _>>();
        Ok::<_, vigil_store::StoreError>((records, names))
    };
    let q = PageQuery::with_lang(lang);
    org_page(
        state,
        headers,
        &q,
        me,
        &scope,
        "icp",
        status,
        fetch,
        |c, (records, names)| {
            let elements = (1..=7)
                .map(|n| ElementView {
                    n,
                    records: records.iter().filter(|r| r.element == n).cloned().collect(),
                })
                .collect();
            let tr = |m: BTreeMap<&'static str, String>| {
                m.into_iter()
                    .map(|(k, key)| (k.to_owned(), c.t.get(&key)))
                    .collect::<BTreeMap<_, _>>()
            };
            let errors = tr(errors);
            let period_errors = tr(period_errors);
            IcpPage {
                c,
                org,
                elements,
                names,
                can_record,
                can_dossier,
                kinds: ICP_KINDS,
                form,
                errors,
                period,
                period_errors,
            }
        },
    )
    .await
}

/// `GET /orgs/{org}/icp`.
pub async fn icp_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DossierQuery>,
    Member { me, scope }: Member,
) -> Response {
    icp_page(
        &state,
        &headers,
        q.lang.clone(),
        &me,
        scope,
        StatusCode::OK,
        IcpForm::default(),
        BTreeMap::new(),
        DossierQuery::default(),
        BTreeMap::new(),
    )
    .await
}

/// The catalogue key of a store field error.
fn field_key(field: &str, reason: &str) -> String {
    match field {
        "element" => "err-icp-element".to_owned(),
        "kind" => "err-icp-kind".to_owned(),
        "date" => "err-icp-date".to_owned(),
        "attachment_id" => "err-icp-attachment".to_owned(),
        _ if reason == "required" => "err-icp-required".to_owned(),
        "details" => "err-icp-details".to_owned(),
        _ => "err-icp-text".to_owned(),
    }
}

/// `POST /orgs/{org}/icp`: adds a record (officers and admins).
pub async fn icp_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DossierQuery>,
    Member { me, scope }: Member,
    Form(form): Form<IcpForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let (s2, f2) = (scope.clone(), form.clone());
    let recorded = run(&state, move |s| {
        s.record_icp(
            &s2,
            &NewIcpRecord {
                element: &f2.element,
                kind: &f2.kind,
                title: &f2.title,
                person_name: &f2.person_name,
                person_role: &f2.person_role,
                date: &f2.date,
                details: &f2.details,
                attachment_id: &f2.attachment_id,
            },
        )
    })
    .await;
    match recorded {
        Ok(Ok(r)) => see_other(&format!(
            "/orgs/{}/icp#element-{}",
            scope.org_id(),
            r.element
        )),
        Ok(Err(IcpError::Invalid(fields))) => {
            let errors = fields
                .iter()
                .map(|e| (e.field, field_key(e.field, &e.reason)))
                .collect();
            icp_page(
                &state,
                &headers,
                q.lang.clone(),
                &me,
                scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                DossierQuery::default(),
                BTreeMap::new(),
            )
            .await
        }
        Ok(Err(IcpError::Forbidden)) => {
            crate::accounts::message(&state, &headers, StatusCode::FORBIDDEN, "forbidden")
        }
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// `GET /orgs/{org}/dossier.pdf?from=&to=`: the inspection dossier (roles that read the audit
/// log).
pub async fn dossier_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DossierQuery>,
    Member { me, scope }: Member,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::ReadAudit) {
        return r;
    }
    let period = match crate::dossier::parse_period(&q.from, &q.to) {
        Ok(p) => p,
        Err(errors) => {
            let errors = errors.into_iter().map(|(f, k)| (f, k.to_owned())).collect();
            return icp_page(
                &state,
                &headers,
                q.lang.clone(),
                &me,
                scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                IcpForm::default(),
                BTreeMap::new(),
                q,
                errors,
            )
            .await;
        }
    };
    let by = if me.user.display_name.is_empty() {
        me.user.email.clone()
    } else {
        format!("{} <{}>", me.user.display_name, me.user.email)
    };
    let law_version = state.law.version().to_owned();
    let s2 = scope.clone();
    let rendered = run(&state, move |s| {
        crate::dossier::render(
            s,
            &s2,
            &law_version,
            period,
            &by,
            time::OffsetDateTime::now_utc(),
        )
    })
    .await;
    let pdf = match rendered {
        Ok(Ok(pdf)) => pdf,
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let file: String = scope
        .org()
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"dossier-{file}-{}-{}.pdf\"",
        period.0, period.1
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

// ---------------------------------------------------------------------------------------------
// The API.

/// A record of the programme, as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IcpRecordView {
    /// Id.
    pub id: String,
    /// The element of Recommendation (EU) 2019/1318 (1–7).
    pub element: i32,
    /// `policy`, `responsible_person`, `training`, `audit` or `other`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// The person concerned.
    pub person_name: String,
    /// Their role or function.
    pub person_role: String,
    /// Date (`YYYY-MM-DD`).
    pub date: String,
    /// Details.
    pub details: String,
    /// A document of the organisation.
    pub attachment_id: Option<String>,
    /// Who recorded it (user id).
    pub recorded_by: String,
}

impl From<IcpRecord> for IcpRecordView {
    fn from(r: IcpRecord) -> Self {
        IcpRecordView {
            id: r.id,
            element: r.element,
            kind: r.kind,
            title: r.title,
            person_name: r.person_name,
            person_role: r.person_role,
            date: r.record_date,
            details: r.details,
            attachment_id: r.attachment_id,
            recorded_by: r.recorded_by,
        }
    }
}

/// A new record of the programme.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IcpRecordBody {
    /// The element of Recommendation (EU) 2019/1318 (1–7).
    pub element: i64,
    /// `policy`, `responsible_person`, `training`, `audit` or `other`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// The person concerned (may be empty).
    #[serde(default)]
    pub person_name: String,
    /// Their role or function.
    #[serde(default)]
    pub person_role: String,
    /// Date (`YYYY-MM-DD`).
    pub date: String,
    /// Details.
    #[serde(default)]
    pub details: String,
    /// A document of the organisation (its id).
    #[serde(default)]
    pub attachment_id: String,
}

fn icp_problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> Response {
    crate::problem::Problem::new(status, slug, title, detail).into_response()
}

/// The records of the organisation's compliance programme (every member).
#[utoipa::path(get, path = "/api/v1/icp",
    responses((status = 200, body = [IcpRecordView]),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_icp(
    State(state): State<AppState>,
    caller: crate::accounts::ApiCaller,
) -> Response {
    let scope = caller.scope;
    match run(&state, move |s| s.icp_records(&scope)).await {
        Ok(Ok(records)) => axum::Json(
            records
                .into_iter()
                .map(IcpRecordView::from)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// Record a policy, responsible person, training or audit of the programme (officer or
/// administrator; audited `icp.recorded`).
#[utoipa::path(post, path = "/api/v1/icp", request_body = IcpRecordBody,
    responses((status = 201, body = IcpRecordView),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_record_icp(
    State(state): State<AppState>,
    caller: crate::accounts::ApiCaller,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Decide) {
        return icp_problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "recording the compliance programme needs an officer or administrator",
        );
    }
    let de = &mut serde_json::Deserializer::from_str(&body);
    let b: IcpRecordBody = match serde_path_to_error::deserialize(de) {
        Ok(b) => b,
        Err(e) => {
            let path = e.path().to_string();
            let err = vigil_domain::assess::InputError {
                errors: vec![vigil_domain::assess::FieldError {
                    path: if path == "." { String::new() } else { path },
                    message: e.inner().to_string(),
                }],
            };
            return crate::problem::Problem::invalid_input(&err).into_response();
        }
    };
    let scope = caller.scope;
    let saved = run(&state, move |s| {
        let element = b.element.to_string();
        s.record_icp(
            &scope,
            &NewIcpRecord {
                element: &element,
                kind: &b.kind,
                title: &b.title,
                person_name: &b.person_name,
                person_role: &b.person_role,
                date: &b.date,
                details: &b.details,
                attachment_id: &b.attachment_id,
            },
        )
    })
    .await;
    match saved {
        Ok(Ok(r)) => (StatusCode::CREATED, axum::Json(IcpRecordView::from(r))).into_response(),
        Ok(Err(IcpError::Invalid(errors))) => {
            let err = vigil_domain::assess::InputError {
                errors: errors
                    .into_iter()
                    .map(|f| vigil_domain::assess::FieldError {
                        path: f.field.to_owned(),
                        message: f.reason,
                    })
                    .collect(),
            };
            crate::problem::Problem::invalid_input(&err).into_response()
        }
        Ok(Err(IcpError::Forbidden)) => icp_problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "recording the compliance programme needs an officer or administrator",
        ),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// The OpenAPI paths of this module (merged into the document by `crate::api`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_icp, api_record_icp),
    components(schemas(IcpRecordView, IcpRecordBody))
)]
pub struct IcpApi;
