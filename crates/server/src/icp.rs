//! The internal compliance programme of an organisation (Recommendation (EU) 2019/1318): its
//! policies, named responsible persons, training and audit records, and the inspection dossier.
//!
//! - `GET /orgs/{org}/icp`: the programme by element (every member reads it), the form that adds
//!   a record (officers and admins: [`Action::Decide`]) and the dossier form (roles with
//!   [`Action::ReadAudit`]);
//! - `POST /orgs/{org}/icp`: adds a record, with its document when one is uploaded (the form is
//!   `multipart/form-data`; a plain form still works without a document); a bad field is shown
//!   next to it with 422, a document over 10 MiB with 413, a type not accepted with 415, and
//!   nothing is written; 403 for operators and auditors;
//! - `GET /orgs/{org}/icp/{id}/document`: the record's document, downloaded (every member; 404
//!   for another organisation's record or a record without a document);
//! - `GET /orgs/{org}/dossier.pdf?from=YYYY-MM-DD&to=YYYY-MM-DD`: the inspection dossier as PDF
//!   ([`crate::dossier`] gathers, `vigil-report` renders, both on a blocking thread); 403 without
//!   [`Action::ReadAudit`], 422 for a bad period.
//!
//! - `GET/POST /api/v1/icp`: the same records in the JSON API (bearer token); `POST` takes JSON
//!   (naming a document already in Vigil by `attachment_id`) or `multipart/form-data` with the
//!   same fields and the file in the part `document`, stored with the record in one transaction;
//!   a bad field is a problem naming it (422), a document over 10 MiB 413, a type not accepted
//!   415, with nothing written; 403 for a role that may not record.
//!   `GET /api/v1/icp/{id}/document` downloads a record's document.
//!
//! Non-members get 404 on every route (the [`Member`] extractor).

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;
use vigil_domain::access::Action;
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::attachments::{Attachment, MAX_ATTACHMENT_BYTES};
use vigil_store::icp::{ICP_KINDS, IcpDocument, IcpError, IcpRecord, NewIcpRecord};

use crate::accounts::{CurrentUser, PageQuery};
use crate::multipart::{self, Part};
use crate::ui::Chrome;
use crate::web::{Member, internal, org_page, require, run, see_other};
use crate::{AppState, MAX_BODY_BYTES};

/// The largest record form accepted: a 10 MiB document plus the form's other fields.
pub const MAX_ICP_FORM_BYTES: usize = MAX_ATTACHMENT_BYTES + 256 * 1024;

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    let upload = Router::new()
        .route("/orgs/{org}/icp", get(icp_get).post(icp_post))
        .route("/api/v1/icp", get(api_icp).post(api_record_icp))
        .layer(DefaultBodyLimit::max(MAX_ICP_FORM_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_ICP_FORM_BYTES));
    Router::new()
        .route("/orgs/{org}/icp/{id}/document", get(icp_document))
        .route("/orgs/{org}/dossier.pdf", get(dossier_pdf))
        .route("/api/v1/icp/{id}/document", get(api_icp_document))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(upload)
}

// ---------------------------------------------------------------------------------------------
// Uploads and downloads.

/// A document uploaded with a record.
#[derive(Debug, Clone)]
struct Upload {
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
}

impl Upload {
    fn as_document(&self) -> IcpDocument<'_> {
        IcpDocument {
            filename: &self.filename,
            content_type: &self.content_type,
            bytes: &self.bytes,
        }
    }
}

/// Why a submission could not be read.
enum Unreadable {
    /// Over [`MAX_ICP_FORM_BYTES`].
    TooLarge,
    /// Not a form this area reads.
    Malformed,
}

/// The fields of a multipart submission, and its document (a file part `document` with a name
/// or bytes; a form sent without a file has an empty one).
fn from_parts(parts: &[Part]) -> (BTreeMap<String, String>, Option<Upload>) {
    let fields = parts
        .iter()
        .filter(|p| p.name != "document")
        .map(|p| (p.name.clone(), p.text()))
        .collect();
    let upload = multipart::file(parts, "document").map(|p| Upload {
        filename: p.filename.clone().unwrap_or_else(|| "document".to_owned()),
        content_type: p.content_type.clone().unwrap_or_default(),
        bytes: p.data.clone(),
    });
    (fields, upload)
}

/// Reads the body of a record submission: multipart (with its document) or url-encoded.
async fn read_form(
    state: &AppState,
    headers: &HeaderMap,
    req: Request,
) -> Result<(IcpForm, Option<Upload>), Unreadable> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if multipart::is_form_data(&ct) {
        let body = axum::body::to_bytes(req.into_body(), MAX_ICP_FORM_BYTES)
            .await
            .map_err(|_| Unreadable::TooLarge)?;
        let parts = multipart::parse(&ct, &body).map_err(|_| Unreadable::Malformed)?;
        let (f, upload) = from_parts(&parts);
        let text = |k: &str| f.get(k).cloned().unwrap_or_default();
        let form = IcpForm {
            element: text("element"),
            kind: text("kind"),
            title: text("title"),
            person_name: text("person_name"),
            person_role: text("person_role"),
            date: text("date"),
            details: text("details"),
            attachment_id: text("attachment_id"),
        };
        Ok((form, upload))
    } else {
        let Form(form) = Form::<IcpForm>::from_request(req, state)
            .await
            .map_err(|_| Unreadable::Malformed)?;
        Ok((form, None))
    }
}

/// `GET /orgs/{org}/icp/{id}/document`: a record's document (every member).
pub async fn icp_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    Member { scope, .. }: Member,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Read) {
        return r;
    }
    match run(&state, move |s| s.icp_document(&scope, &id)).await {
        Ok(Ok(Some((meta, data)))) => crate::web::document_download(&meta, data),
        Ok(Ok(None)) => {
            crate::accounts::message(&state, &headers, StatusCode::NOT_FOUND, "not-found")
        }
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
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
    documents: BTreeMap<String, Attachment>,
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

    /// The document a record names, when it is one of the organisation's.
    fn document(&self, r: &IcpRecord) -> Option<&Attachment> {
        r.attachment_id.as_ref().and_then(|a| self.documents.get(a))
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
        let documents = s.icp_documents(sc, &records)?;
        Ok::<_, vigil_store::StoreError>((records, names, documents))
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
        |c, (records, names, documents)| {
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
                documents,
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
        "document" => "err-icp-document-both".to_owned(),
        _ if reason == "required" => "err-icp-required".to_owned(),
        "details" => "err-icp-details".to_owned(),
        _ => "err-icp-text".to_owned(),
    }
}

/// `POST /orgs/{org}/icp`: adds a record (officers and admins), with its document when one is
/// uploaded (multipart).
pub async fn icp_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DossierQuery>,
    Member { me, scope }: Member,
    req: Request,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let again = |status: StatusCode, form: IcpForm, errors: BTreeMap<&'static str, String>| {
        icp_page(
            &state,
            &headers,
            q.lang.clone(),
            &me,
            scope.clone(),
            status,
            form,
            errors,
            DossierQuery::default(),
            BTreeMap::new(),
        )
    };
    let (form, upload) = match read_form(&state, &headers, req).await {
        Ok(f) => f,
        Err(Unreadable::TooLarge) => {
            let errors = BTreeMap::from([("document", "err-icp-document-size".to_owned())]);
            return again(StatusCode::PAYLOAD_TOO_LARGE, IcpForm::default(), errors).await;
        }
        Err(Unreadable::Malformed) => {
            let errors = BTreeMap::from([("document", "err-icp-form".to_owned())]);
            return again(StatusCode::UNPROCESSABLE_ENTITY, IcpForm::default(), errors).await;
        }
    };
    let (s2, f2) = (scope.clone(), form.clone());
    let recorded = run(&state, move |s| {
        s.record_icp_with_document(
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
            upload.as_ref().map(Upload::as_document).as_ref(),
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
            again(StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
        }
        Ok(Err(IcpError::TooLarge { .. })) => {
            let errors = BTreeMap::from([("document", "err-icp-document-size".to_owned())]);
            again(StatusCode::PAYLOAD_TOO_LARGE, form, errors).await
        }
        Ok(Err(IcpError::UnsupportedType { .. })) => {
            let errors = BTreeMap::from([("document", "err-icp-document-type".to_owned())]);
            again(StatusCode::UNSUPPORTED_MEDIA_TYPE, form, errors).await
        }
        Ok(Err(IcpError::Attachment(vigil_store::attachments::AttachmentError::Invalid {
            ..
        }))) => {
            let errors = BTreeMap::from([("document", "err-icp-document-name".to_owned())]);
            again(StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
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
    /// The document: its name, type, size and SHA-256, and where to download it.
    pub document: Option<IcpDocumentView>,
    /// Who recorded it (user id).
    pub recorded_by: String,
}

/// The document of a record, as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IcpDocumentView {
    /// Attachment id.
    pub id: String,
    /// File name as uploaded.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the bytes (hex).
    pub sha256: String,
    /// Where the document is downloaded (`GET`, bearer token).
    pub download: String,
}

fn record_view(r: IcpRecord, documents: &BTreeMap<String, Attachment>) -> IcpRecordView {
    let document = r
        .attachment_id
        .as_ref()
        .and_then(|a| documents.get(a))
        .map(|a| IcpDocumentView {
            id: a.id.clone(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            download: format!("/api/v1/icp/{}/document", r.id),
        });
    IcpRecordView {
        document,
        ..IcpRecordView::from(r)
    }
}

impl From<IcpRecord> for IcpRecordView {
    fn from(r: IcpRecord) -> Self {
        IcpRecordView {
            document: None,
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

/// The document of a record of the organisation's compliance programme (every member).
#[utoipa::path(get, path = "/api/v1/icp/{id}/document",
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, description = "The document's bytes, with its type", content_type = "application/octet-stream"),
        (status = 404, description = "No such record with a document in your organisation", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_icp_document(
    State(state): State<AppState>,
    caller: crate::accounts::ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope;
    match run(&state, move |s| s.icp_document(&scope, &id)).await {
        Ok(Ok(Some((meta, data)))) => crate::web::document_download(&meta, data),
        Ok(Ok(None)) => icp_problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no record with a document with this id in your organisation",
        ),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
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
    match run(&state, move |s| {
        let records = s.icp_records(&scope)?;
        let documents = s.icp_documents(&scope, &records)?;
        Ok::<_, vigil_store::StoreError>((records, documents))
    })
    .await
    {
        Ok(Ok((records, documents))) => axum::Json(
            records
                .into_iter()
                .map(|r| record_view(r, &documents))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// Record a policy, responsible person, training or audit of the programme (officer or
/// administrator; audited `icp.recorded`). The body is JSON (a document already in Vigil named by
/// `attachment_id`) or `multipart/form-data` with the same fields as parts and the file in the
/// part `document` (at most 10 MiB; PDF, PNG, JPEG, text, CSV, Word, Excel or OpenDocument),
/// stored with its SHA-256 in the same transaction as the record (`attachment.added`).
#[utoipa::path(post, path = "/api/v1/icp",
    request_body(content(
        (IcpRecordBody = "application/json"),
        (IcpRecordUpload = "multipart/form-data")
    )),
    responses((status = 201, body = IcpRecordView),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The document is larger than 10 MiB", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The document's type is not accepted", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_record_icp(
    State(state): State<AppState>,
    caller: crate::accounts::ApiCaller,
    headers: HeaderMap,
    req: Request,
) -> Response {
    if !caller.scope.role().allows(Action::Decide) {
        return icp_problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "recording the compliance programme needs an officer or administrator",
        );
    }
    let too_large = || {
        icp_problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Document too large",
            "at most 10 MiB (10485760 bytes) may be attached",
        )
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (element, b, upload) = if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        let (form, upload) = match read_form(&state, &headers, req).await {
            Ok(f) => f,
            Err(Unreadable::TooLarge) => return too_large(),
            Err(Unreadable::Malformed) => {
                return crate::problem::field_problem("", "a multipart/form-data body");
            }
        };
        let body = IcpRecordBody {
            element: 0,
            kind: form.kind,
            title: form.title,
            person_name: form.person_name,
            person_role: form.person_role,
            date: form.date,
            details: form.details,
            attachment_id: form.attachment_id,
        };
        (form.element, body, upload)
    } else {
        let Ok(bytes) = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await else {
            return too_large();
        };
        let body = String::from_utf8_lossy(&bytes);
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
        (b.element.to_string(), b, None)
    };
    let scope = caller.scope;
    let saved = run(&state, move |s| {
        let r = s.record_icp_with_document(
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
            upload.as_ref().map(Upload::as_document).as_ref(),
        )?;
        let documents = s.icp_documents(&scope, std::slice::from_ref(&r))?;
        Ok::<_, IcpError>((r, documents))
    })
    .await;
    match saved {
        Ok(Ok((r, documents))) => {
            (StatusCode::CREATED, axum::Json(record_view(r, &documents))).into_response()
        }
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
        Ok(Err(IcpError::TooLarge { .. })) => too_large(),
        Ok(Err(e @ IcpError::UnsupportedType { .. })) => icp_problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Document type not accepted",
            &e.to_string(),
        ),
        Ok(Err(IcpError::Attachment(vigil_store::attachments::AttachmentError::Invalid {
            reason,
            ..
        }))) => crate::problem::field_problem("document", &reason),
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

/// A new record of the programme with its document, as `multipart/form-data` (documentation
/// only: the parts are read as text, the file from `document`).
#[derive(Debug, utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "describes the multipart body in the OpenAPI document"
)]
pub struct IcpRecordUpload {
    /// The element of Recommendation (EU) 2019/1318 (1–7).
    pub element: i64,
    /// `policy`, `responsible_person`, `training`, `audit` or `other`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// The person concerned (may be empty).
    pub person_name: Option<String>,
    /// Their role or function.
    pub person_role: Option<String>,
    /// Date (`YYYY-MM-DD`).
    pub date: String,
    /// Details.
    pub details: Option<String>,
    /// The document (a file part; at most 10 MiB).
    #[schema(value_type = String, format = Binary)]
    pub document: Vec<u8>,
}

/// The OpenAPI paths of this module (merged into the document by `crate::api`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_icp, api_record_icp, api_icp_document),
    components(schemas(IcpRecordView, IcpRecordBody, IcpRecordUpload, IcpDocumentView))
)]
pub struct IcpApi;
