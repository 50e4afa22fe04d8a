//! SPDX 3 export and import of item versions' export-control classifications (issue 7, item 3).
//!
//! - **Export**: `GET /api/v1/items/{id}/spdx?country=FR[&version=V]` (API token, any member)
//!   and the item page's download form (`GET /orgs/{org}/items/{id}/spdx?country=FR`) answer an
//!   `application/spdx+json` document (see `vigil_domain::spdx`: SPDX 3.0.1 core and software
//!   terms with the draft SPDX 3.1 Operations profile) with one package and one export-control
//!   assessment per classified version of the item: its newest classification record, the
//!   Annex I entries against Regulation (EU) 2021/821 as replaced by Delegated Regulation (EU)
//!   2025/2003, the exporting country (the organisation's Member State, given by `country`:
//!   Vigil does not record it), the classifier and the time.
//! - **Import**: `POST /api/v1/spdx` (the document as body) and the form of `/orgs/{org}/spdx`
//!   (officers and administrators: an auditor, operator or viewer gets 403). Every problem of the
//!   document is answered at once (422, each with its JSON path and element) and nothing is
//!   written; a good document is stored in one transaction as imported assessments — proposals
//!   an officer accepts into a classification record on `/orgs/{org}/spdx`, never a silent
//!   change of the organisation's own classification (`vigil_store::spdx`). The page's form takes
//!   the document pasted or as a file (`multipart/form-data`, field `file`; the same 1 MiB limit
//!   as the API).
//! - **Proposals by API**: `GET /api/v1/spdx/proposals` lists the organisation's imported
//!   assessments (every member); `POST /api/v1/spdx/proposals/{id}/accept` (officers and
//!   administrators) accepts one as the page does: body `{"cyber_surveillance": true|false}`,
//!   required when the document stated no Art. 2(20) reading (else 422), optional otherwise; 201
//!   with the classification record; 404 for an unknown id or another organisation's; 409 when
//!   it was accepted already; 422 for an informative assessment; nothing is written on error.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use vigil_domain::access::Action;
use vigil_domain::spdx::{
    ExportError, ExportRequest, ExportVersion, ImportError, MEDIA_TYPE, export_document,
    import_document,
};
use vigil_store::Store;
use vigil_store::accounts::{OrgScope, Organisation, now_micros};
use vigil_store::spdx::{ImportSummary, SpdxAssessment, SpdxError, SpdxImport};

use crate::accounts::{ApiCaller, PageQuery, message};
use crate::multipart;
use crate::problem::{FieldProblem, Problem, field_problem};
use crate::ui::Chrome;
use crate::web::{Member, internal, org_chrome, page, require, run, see_other};
use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/items/{id}/spdx", get(api_export))
        .route("/api/v1/spdx", post(api_import))
        .route("/api/v1/spdx/proposals", get(api_proposals))
        .route("/api/v1/spdx/proposals/{id}/accept", post(api_accept))
        .route("/orgs/{org}/items/{id}/spdx", get(download))
        .route("/orgs/{org}/spdx", get(spdx_page).post(import_form))
        .route("/orgs/{org}/spdx/{id}/accept", post(accept_form))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
}

// ---------------------------------------------------------------------------------------------
// The contract.

/// Which document to export.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// The exporting country: the organisation's Member State (ISO 3166-1 alpha-2, e.g. FR).
    #[serde(default)]
    pub country: Option<String>,
    /// One version label (default: every classified version).
    #[serde(default)]
    pub version: Option<String>,
}

/// A classification read against another specification than Regulation (EU) 2021/821.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForeignView {
    /// The classification, e.g. `5D002` or `EAR99`.
    pub classification: String,
    /// The specification (its name).
    pub specification: String,
    /// ISO 3166-1 alpha-3.
    pub exporting_country: String,
}

/// An imported assessment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedAssessmentView {
    /// Id (to accept it on `/orgs/{org}/spdx`).
    pub id: String,
    /// The item matched by name, or created.
    pub item_id: String,
    /// Its name.
    pub item: String,
    /// True when the import created the item.
    pub item_created: bool,
    /// The version label.
    pub version: String,
    /// The package's spdxId.
    pub package: String,
    /// The assessment's spdxId.
    pub assessment: String,
    /// EU Annex I entries (checked against the law).
    pub eu_entries: Vec<String>,
    /// The assessor found no Annex I entry.
    pub not_listed: bool,
    /// Classifications against other specifications (informative).
    pub foreign: Vec<ForeignView>,
    /// The Art. 2(20) reading stated: `yes`, `no` or `unknown`.
    pub cyber_surveillance: String,
    /// The assessor named by the document.
    pub assessor: String,
    /// The assessment time, as given.
    pub assessed_at: String,
    /// `proposed` (an officer may accept it), `informative` (no EU classification) or
    /// `accepted`.
    pub status: String,
}

/// An import.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpdxImportView {
    /// Id.
    pub id: String,
    /// The document's name.
    pub document: String,
    /// The document's spdxId.
    pub document_id: String,
    /// Its `specVersion`.
    pub spec_version: String,
    /// SHA-256 of the body.
    pub sha256: String,
    /// The assessments stored.
    pub assessments: Vec<ImportedAssessmentView>,
}

/// An imported assessment with its source document (`GET /api/v1/spdx/proposals`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    /// The assessment.
    #[serde(flatten)]
    pub assessment: ImportedAssessmentView,
    /// The import that brought it.
    pub import_id: String,
    /// The source document's name.
    pub document: String,
    /// The source document's spdxId.
    pub document_id: String,
    /// When it was imported (RFC 3339, UTC).
    pub imported_at: String,
}

/// How to accept a proposal.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AcceptBody {
    /// The Art. 2(20) (cyber-surveillance) reading: required when the document stated none;
    /// when given, it overrides the document's.
    #[serde(default)]
    pub cyber_surveillance: Option<bool>,
}

fn assessment_view(a: &SpdxAssessment, item: &str, created: bool) -> ImportedAssessmentView {
    ImportedAssessmentView {
        id: a.id.clone(),
        item_id: a.item_id.clone(),
        item: item.to_owned(),
        item_created: created,
        version: a.version_label.clone(),
        package: a.element_id.clone(),
        assessment: a.assessment_id.clone(),
        eu_entries: a.entries(),
        not_listed: a.not_listed == "yes",
        foreign: a
            .foreign()
            .into_iter()
            .map(|f| ForeignView {
                classification: f.classification,
                specification: f.specification,
                exporting_country: f.exporting_country,
            })
            .collect(),
        cyber_surveillance: a.cyber_surveillance.clone(),
        assessor: a.assessor.clone(),
        assessed_at: a.assessed_at.clone(),
        status: a.status.clone(),
    }
}

fn import_view(s: &ImportSummary) -> SpdxImportView {
    SpdxImportView {
        id: s.import.id.clone(),
        document: s.import.document_name.clone(),
        document_id: s.import.document_id.clone(),
        spec_version: s.import.spec_version.clone(),
        sha256: s.import.content_sha256.clone(),
        assessments: s
            .assessments
            .iter()
            .map(|(a, item, created)| assessment_view(a, &item.name, *created))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Export.

/// Why an export cannot be made.
#[derive(Debug)]
pub enum ExportRefusal {
    /// No such item in the organisation.
    NotFound,
    /// A bad parameter (`country`, `version`) or nothing to export.
    Field(&'static str, String),
    /// The store failed.
    Store(vigil_store::StoreError),
}

impl From<vigil_store::StoreError> for ExportRefusal {
    fn from(e: vigil_store::StoreError) -> Self {
        ExportRefusal::Store(e)
    }
}

/// The SPDX document of an item of the scope's organisation (`item`: its id, or its name when
/// `by_name`), and a file name for it (blocking: store reads). Shared by the API, the page and
/// `vigil spdx export`.
///
/// # Errors
/// [`ExportRefusal`]: no such item, a bad `country` or `version`, nothing classified, a store
/// failure.
pub fn export_item(
    store: &Store,
    law: &vigil_domain::Law,
    scope: &OrgScope,
    item: &str,
    by_name: bool,
    q: &ExportQuery,
) -> Result<(String, String), ExportRefusal> {
    let found = if by_name {
        store.find_item(scope, item)?
    } else {
        store.item(scope, item)?
    };
    let Some(item) = found else {
        return Err(ExportRefusal::NotFound);
    };
    let country = q.country.as_deref().map(str::trim).unwrap_or_default();
    if country.is_empty() {
        return Err(ExportRefusal::Field(
            "country",
            "the exporting country is required (the organisation's Member State, ISO 3166-1 \
             alpha-2, e.g. FR): SPDX needs it and Vigil does not record it"
                .into(),
        ));
    }
    let names: BTreeMap<String, String> = store
        .members(scope)?
        .into_iter()
        .map(|m| (m.user.id, m.user.display_name))
        .collect();
    // The newest record of each version (records come newest first).
    let mut versions: Vec<ExportVersion> = Vec::new();
    for rec in store.classifications(scope, &item.id)? {
        if versions.iter().any(|v| v.version == rec.version_label) {
            continue;
        }
        if let Some(want) = q.version.as_deref()
            && want.trim() != rec.version_label
        {
            continue;
        }
        let entries = rec.entries().map_err(|e| ExportRefusal::Store(e.into()))?;
        versions.push(ExportVersion {
            item_name: item.name.clone(),
            item_kind: item.kind.clone(),
            version: rec.version_label.clone(),
            entries,
            cyber_surveillance: rec.cyber_surveillance == "yes",
            assessor: names
                .get(&rec.classified_by)
                .cloned()
                .unwrap_or_else(|| rec.classified_by.clone()),
            assessed_at: crate::web::rfc3339(rec.classified_at),
            law_version: rec.law_version.clone(),
        });
    }
    if versions.is_empty() {
        return Err(match &q.version {
            Some(v) => ExportRefusal::Field(
                "version",
                format!("the item has no classification record of version `{v}`"),
            ),
            None => ExportRefusal::Field(
                "id",
                "the item has no classification record to export".into(),
            ),
        });
    }
    let now = now_micros();
    let namespace = format!("urn:vigil:spdx:{}:{}:{now}", scope.org_id(), item.id);
    let name = format!(
        "Export-control classification of {} ({})",
        item.name,
        scope.org().name
    );
    let created = crate::web::rfc3339(now);
    let tool = format!("Vigil {}", env!("CARGO_PKG_VERSION"));
    let doc = export_document(
        law,
        &ExportRequest {
            namespace: &namespace,
            name: &name,
            created: &created,
            tool: &tool,
            organisation: &scope.org().name,
            exporting_country: country,
            versions: &versions,
        },
    )
    .map_err(|e| match e {
        ExportError::Country(_) | ExportError::NotMemberState(_) => {
            ExportRefusal::Field("country", e.to_string())
        }
        other => ExportRefusal::Field("id", other.to_string()),
    })?;
    let body = serde_json::to_string_pretty(&doc)
        .map_err(|e| ExportRefusal::Field("id", e.to_string()))?;
    let file: String = item
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((body, format!("{file}.spdx.json")))
}

fn spdx_response(body: String, file: &str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The export-control classifications of an item's versions as an SPDX 3 document (every
/// member).
#[utoipa::path(get, path = "/api/v1/items/{id}/spdx",
    params(("id" = String, Path, description = "Item id"), ExportQuery),
    responses(
        (status = 200, description = "SPDX 3 JSON-LD (Operations profile, SPDX 3.1 draft)", content_type = "application/spdx+json", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No or unknown country, no classified version", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "spdx")]
pub async fn api_export(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let (st, scope) = (state.clone(), caller.scope);
    match run(&state, move |s| {
        export_item(s, &st.law, &scope, &id, false, &q)
    })
    .await
    {
        Ok(Ok((body, file))) => spdx_response(body, &file),
        Ok(Err(ExportRefusal::NotFound)) => Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no such item in this organisation",
        )
        .into_response(),
        Ok(Err(ExportRefusal::Field(f, d))) => field_problem(f, &d),
        Ok(Err(ExportRefusal::Store(e))) => internal(&e),
        Err(r) => r,
    }
}

/// `GET /orgs/{org}/items/{id}/spdx?country=FR`: the item's SPDX document, as a download.
pub async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ExportQuery>,
    Member { scope, .. }: Member,
) -> Response {
    let st = state.clone();
    match run(&state, move |s| {
        export_item(s, &st.law, &scope, &id, false, &q)
    })
    .await
    {
        Ok(Ok((body, file))) => spdx_response(body, &file),
        Ok(Err(ExportRefusal::NotFound)) => {
            message(&state, &headers, StatusCode::NOT_FOUND, "not-found")
        }
        Ok(Err(ExportRefusal::Field(f, _))) => message(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            if f == "country" {
                "spdx-err-country"
            } else {
                "spdx-err-nothing"
            },
        ),
        Ok(Err(ExportRefusal::Store(e))) => internal(&e),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Import.

fn import_problem(e: &ImportError) -> Response {
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-spdx",
        "Invalid SPDX document",
        format!(
            "The SPDX document has {} problem(s); see `errors` (each with its JSON path and the \
             spdxId of the element). Nothing was recorded.",
            e.problems.len()
        ),
    );
    p.errors = e
        .problems
        .iter()
        .map(|pr| FieldProblem {
            path: pr.path.clone(),
            detail: match &pr.element {
                Some(el) => format!("{el}: {}", pr.message),
                None => pr.message.clone(),
            },
        })
        .collect();
    p.into_response()
}

fn forbidden_problem() -> Response {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        "your role in this organisation does not allow importing classifications (officer or administrator needed)",
    )
    .into_response()
}

/// Why an import was refused.
enum Refused {
    /// The document's problems.
    Document(ImportError),
    /// The store's.
    Store(SpdxError),
}

fn import(
    store: &Store,
    state: &AppState,
    scope: &OrgScope,
    body: &str,
) -> Result<ImportSummary, Refused> {
    let doc = import_document(body, &state.law).map_err(Refused::Document)?;
    store.import_spdx(scope, body, &doc).map_err(Refused::Store)
}

/// Import the export-control assessments of an SPDX 3 document (officer or administrator):
/// stored as proposals an officer accepts, never as the organisation's classification.
#[utoipa::path(post, path = "/api/v1/spdx",
    request_body(content = Object, content_type = "application/spdx+json", description = "An SPDX 3 JSON-LD document with ExportControlClassificationAssessment elements"),
    responses(
        (status = 201, description = "Imported (one transaction)", body = SpdxImportView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same document was imported before", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every problem of the document, each with its JSON path and element; nothing recorded", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "spdx")]
pub async fn api_import(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Decide) {
        return forbidden_problem();
    }
    let (st, scope) = (state.clone(), caller.scope);
    match run(&state, move |s| import(s, &st, &scope, &body)).await {
        Ok(Ok(summary)) => (StatusCode::CREATED, Json(import_view(&summary))).into_response(),
        Ok(Err(Refused::Document(e))) => import_problem(&e),
        Ok(Err(Refused::Store(SpdxError::Forbidden))) => forbidden_problem(),
        Ok(Err(Refused::Store(SpdxError::Duplicate(prev)))) => Problem::new(
            StatusCode::CONFLICT,
            "duplicate-import",
            "Already imported",
            format!("this document was imported already (import {prev}); nothing was recorded"),
        )
        .into_response(),
        Ok(Err(Refused::Store(SpdxError::Element { element, reason }))) => {
            field_problem("@graph", &format!("{element}: {reason}"))
        }
        Ok(Err(Refused::Store(e))) => internal(&e),
        Err(r) => r,
    }
}

/// The organisation's imported assessments (proposals, informative and accepted ones), newest
/// import first (every member).
#[utoipa::path(get, path = "/api/v1/spdx/proposals",
    responses(
        (status = 200, description = "The imported assessments with their status and source", body = [ProposalView]),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "spdx")]
pub async fn api_proposals(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let scope = caller.scope;
    let loaded = run(&state, move |s| {
        let rows = s.spdx_assessments(&scope, None)?;
        let names: BTreeMap<String, String> = s
            .items(&scope)?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect();
        Ok::<_, vigil_store::StoreError>((rows, names))
    })
    .await;
    let (rows, names) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let list: Vec<ProposalView> = rows
        .iter()
        .map(|(a, imp)| ProposalView {
            assessment: assessment_view(
                a,
                names
                    .get(&a.item_id)
                    .map_or(a.item_id.as_str(), String::as_str),
                false,
            ),
            import_id: imp.id.clone(),
            document: imp.document_name.clone(),
            document_id: imp.document_id.clone(),
            imported_at: crate::web::rfc3339(imp.imported_at),
        })
        .collect();
    Json(list).into_response()
}

/// Why an acceptance was refused.
enum AcceptRefusal {
    /// Accepted already.
    Twice,
    /// The store's.
    Store(SpdxError),
}

/// Accepts an imported assessment into a classification record of its item version (officer or
/// administrator), as the page's accept button does.
#[utoipa::path(post, path = "/api/v1/spdx/proposals/{id}/accept",
    params(("id" = String, Path, description = "Imported assessment id")),
    request_body(content = AcceptBody, description = "The Art. 2(20) reading: required when the document stated none (an empty body is `{}`)"),
    responses(
        (status = 201, description = "The classification record written", body = crate::records::ClassificationView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such imported assessment in this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Accepted already; nothing written", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No Art. 2(20) reading known, an informative assessment (no EU classification) or a bad body; nothing written", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "spdx")]
pub async fn api_accept(
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
            "your role in this organisation does not allow accepting classifications (officer or administrator needed)",
        )
        .into_response();
    }
    let accept = if body.trim().is_empty() {
        AcceptBody::default()
    } else {
        match serde_json::from_str::<AcceptBody>(&body) {
            Ok(b) => b,
            Err(e) => {
                return field_problem("cyber_surveillance", &format!("unreadable body: {e}"));
            }
        }
    };
    let (scope, law_version) = (caller.scope, state.law.version().to_owned());
    let done = run(&state, move |s| {
        match s.accept_spdx_assessment(&scope, &id, accept.cyber_surveillance, &law_version) {
            Ok(rec) => Ok(rec),
            Err(SpdxError::Refused(why)) => {
                // Nothing was written; tell "accepted already" (409) from the other refusals.
                let accepted = s
                    .spdx_assessments(&scope, None)
                    .map_err(|e| AcceptRefusal::Store(e.into()))?
                    .iter()
                    .any(|(a, _)| a.id == id && a.status == "accepted");
                Err(if accepted {
                    AcceptRefusal::Twice
                } else {
                    AcceptRefusal::Store(SpdxError::Refused(why))
                })
            }
            Err(e) => Err(AcceptRefusal::Store(e)),
        }
    })
    .await;
    match done {
        Ok(Ok(rec)) => match crate::records::ClassificationView::try_from(&rec) {
            Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
            Err(e) => internal(&e),
        },
        Ok(Err(AcceptRefusal::Twice)) => Problem::new(
            StatusCode::CONFLICT,
            "already-accepted",
            "Already accepted",
            "this imported assessment was accepted already; nothing was written",
        )
        .into_response(),
        Ok(Err(AcceptRefusal::Store(SpdxError::NotFound))) => Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no such imported assessment in this organisation",
        )
        .into_response(),
        Ok(Err(AcceptRefusal::Store(SpdxError::Forbidden))) => forbidden_problem(),
        Ok(Err(AcceptRefusal::Store(SpdxError::Refused(why)))) => {
            field_problem("cyber_surveillance", &format!("{why}; nothing was written"))
        }
        Ok(Err(AcceptRefusal::Store(e))) => internal(&e),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// The page.

/// An imported assessment as the page shows it.
pub struct Row {
    a: ImportedAssessmentView,
    document: String,
    imported_at: i64,
}

#[derive(Template)]
#[template(path = "spdx.html")]
struct SpdxPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    rows: Vec<Row>,
    imports: Vec<SpdxImport>,
    can_decide: bool,
    document: String,
    problems: Vec<String>,
    /// Why the upload could not be read (shown next to the fields).
    field_error: Option<String>,
}

/// The import form.
#[derive(Debug, Default, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    document: String,
}

/// The acceptance form.
#[derive(Debug, Default, Deserialize)]
pub struct AcceptForm {
    /// `yes`, `no`, or empty (the document's reading).
    #[serde(default)]
    cyber_surveillance: String,
}

/// What the import form shows again: the pasted document, its problems, an upload error key.
#[derive(Default)]
struct Shown {
    document: String,
    problems: Vec<String>,
    field_error: Option<&'static str>,
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    member: &Member,
    status: StatusCode,
    shown: Shown,
) -> Response {
    let Shown {
        document,
        problems,
        field_error,
    } = shown;
    let scope = member.scope.clone();
    let loaded = run(state, move |s| {
        let rows = s.spdx_assessments(&scope, None)?;
        let imports = s.spdx_imports(&scope)?;
        let names: BTreeMap<String, String> = s
            .items(&scope)?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect();
        Ok::<_, vigil_store::StoreError>((rows, imports, names))
    })
    .await;
    let (rows, imports, names) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let c = org_chrome(state, headers, q, &member.me, member.scope.org_id(), "spdx");
    let field_error = field_error.map(|k| c.t.get(k));
    let rows = rows
        .iter()
        .map(|(a, imp)| Row {
            a: assessment_view(
                a,
                names
                    .get(&a.item_id)
                    .map_or(a.item_id.as_str(), String::as_str),
                false,
            ),
            document: imp.document_name.clone(),
            imported_at: imp.imported_at,
        })
        .collect();
    page(
        status,
        &SpdxPage {
            c,
            org: member.scope.org().clone(),
            rows,
            imports,
            can_decide: member.scope.role().allows(Action::Decide),
            document,
            problems,
            field_error,
        },
    )
}

/// `GET /orgs/{org}/spdx`: the imported assessments, the import form and the acceptances.
pub async fn spdx_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    member: Member,
) -> Response {
    render(
        &state,
        &headers,
        &q,
        &member,
        StatusCode::OK,
        Shown::default(),
    )
    .await
}

/// The document of the import form: the file uploaded (field `file`, `multipart/form-data`) or
/// else the text pasted (field `document`, either encoding); `Err` names the message key.
fn form_document(headers: &HeaderMap, body: &[u8]) -> Result<String, &'static str> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if multipart::is_form_data(ct) {
        let parts = multipart::parse(ct, body).map_err(|_| "spdx-err-not-upload")?;
        if let Some(f) = multipart::file(&parts, "file") {
            if f.data.len() > MAX_BODY_BYTES {
                return Err("spdx-err-too-large");
            }
            return String::from_utf8(f.data.clone()).map_err(|_| "spdx-err-not-text");
        }
        let text = multipart::text(&parts, "document").unwrap_or_default();
        if text.trim().is_empty() {
            return Err("spdx-err-no-document");
        }
        return Ok(text);
    }
    Err("spdx-err-not-upload")
}

/// The pasted document of a URL-encoded form (read by axum's `Form`, as before the upload).
async fn pasted_document(body: Vec<u8>) -> Result<String, &'static str> {
    use axum::extract::FromRequest;
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .map_err(|_| "spdx-err-not-upload")?;
    let Form(form) = Form::<ImportForm>::from_request(req, &())
        .await
        .map_err(|_| "spdx-err-not-upload")?;
    if form.document.trim().is_empty() {
        return Err("spdx-err-no-document");
    }
    Ok(form.document)
}

/// `POST /orgs/{org}/spdx`: imports the document uploaded as a file or pasted in the form
/// (officer or administrator).
pub async fn import_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    member: Member,
    body: Body,
) -> Response {
    if let Err(r) = require(&state, &headers, &member.scope, Action::Decide) {
        return r;
    }
    // The whole body (the file and the form's fields) within the API import's limit.
    let read = axum::body::to_bytes(body, MAX_BODY_BYTES).await;
    let is_upload = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(multipart::is_form_data);
    let document = match read {
        Ok(bytes) if is_upload => form_document(&headers, &bytes),
        Ok(bytes) => pasted_document(bytes.to_vec()).await,
        Err(_) => Err("spdx-err-too-large"),
    };
    let document = match document {
        Ok(d) => d,
        Err(key) => {
            let status = if key == "spdx-err-too-large" {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return render(
                &state,
                &headers,
                &q,
                &member,
                status,
                Shown {
                    field_error: Some(key),
                    ..Shown::default()
                },
            )
            .await;
        }
    };
    let (st, scope, body) = (state.clone(), member.scope.clone(), document.clone());
    let problems = match run(&state, move |s| import(s, &st, &scope, &body)).await {
        Ok(Ok(_)) => return see_other(&format!("/orgs/{}/spdx", member.scope.org_id())),
        Ok(Err(Refused::Document(e))) => e.problems.iter().map(ToString::to_string).collect(),
        Ok(Err(Refused::Store(SpdxError::Forbidden))) => {
            return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
        }
        Ok(Err(Refused::Store(e @ (SpdxError::Duplicate(_) | SpdxError::Element { .. })))) => {
            vec![e.to_string()]
        }
        Ok(Err(Refused::Store(e))) => return internal(&e),
        Err(r) => return r,
    };
    render(
        &state,
        &headers,
        &q,
        &member,
        StatusCode::UNPROCESSABLE_ENTITY,
        Shown {
            document,
            problems,
            field_error: None,
        },
    )
    .await
}

/// `POST /orgs/{org}/spdx/{id}/accept`: an officer accepts an imported assessment into a
/// classification record of the item version.
pub async fn accept_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    member: Member,
    Form(form): Form<AcceptForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &member.scope, Action::Decide) {
        return r;
    }
    let cyber = match form.cyber_surveillance.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let (scope, law_version) = (member.scope.clone(), state.law.version().to_owned());
    match run(&state, move |s| {
        s.accept_spdx_assessment(&scope, &id, cyber, &law_version)
    })
    .await
    {
        Ok(Ok(_)) => see_other(&format!("/orgs/{}/spdx", member.scope.org_id())),
        Ok(Err(SpdxError::NotFound)) => {
            message(&state, &headers, StatusCode::NOT_FOUND, "not-found")
        }
        Ok(Err(SpdxError::Forbidden)) => {
            message(&state, &headers, StatusCode::FORBIDDEN, "forbidden")
        }
        Ok(Err(e @ SpdxError::Refused(_))) => {
            render(
                &state,
                &headers,
                &q,
                &member,
                StatusCode::UNPROCESSABLE_ENTITY,
                Shown {
                    problems: vec![e.to_string()],
                    ..Shown::default()
                },
            )
            .await
        }
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// The SPDX part of the OpenAPI document (merged into [`crate::api::ApiDoc`]'s).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_export, api_import, api_proposals, api_accept),
    components(schemas(SpdxImportView, ImportedAssessmentView, ForeignView, ProposalView, AcceptBody)),
    tags((name = "spdx", description = "SPDX 3 export and import of the export-control classifications of item versions (Operations profile: SPDX 3.1 draft)"))
)]
pub struct SpdxApi;
