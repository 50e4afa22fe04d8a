//! The JSON API: `/api/v1/classify`, `/api/v1/assess`, `/api/v1/law/entries/{code}` and the
//! OpenAPI 3.1 document at `/api/openapi.json`. Bodies follow the contract of the README (the same
//! as the CLI's).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::OpenApi;
use vigil_domain::assess::{Assessment, OperationInput, parse_operation_json};
use vigil_domain::classify::{Classification, ItemSheet, parse_item_json};
use vigil_domain::law::{ControlCode, Resolution};

use crate::AppState;
use crate::problem::{FieldProblem, Problem};

/// Classify a product sheet.
#[utoipa::path(
    post,
    path = "/api/v1/classify",
    request_body = ItemSheet,
    responses(
        (status = 200, description = "Candidate Annex I entries, Art. 2(20) reading, questions", body = Classification),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "decisions"
)]
pub async fn classify(State(state): State<AppState>, body: String) -> Response {
    let sheet = match parse_item_json(&body) {
        Ok(s) => s,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    match vigil_domain::classify(&state.law, &sheet) {
        Ok(c) => Json(c).into_response(),
        Err(e) => Problem::invalid_input(&e).into_response(),
    }
}

/// Assess an export operation.
#[utoipa::path(
    post,
    path = "/api/v1/assess",
    request_body = OperationInput,
    responses(
        (status = 200, description = "The decision with its conditions, red flags, reasons and citations", body = Assessment),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "decisions"
)]
pub async fn assess(State(state): State<AppState>, body: String) -> Response {
    let checked = parse_operation_json(&body).and_then(|i| i.check(&state.law, (state.today)()));
    match checked {
        Ok(op) => Json(vigil_domain::assess(&state.law, &op)).into_response(),
        Err(e) => Problem::invalid_input(&e).into_response(),
    }
}

/// An Annex I entry as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    /// The code asked for.
    pub code: String,
    /// The entry that defines it (the code itself, or the heading it belongs to).
    pub entry: String,
    /// True when the code is defined exactly.
    pub exact: bool,
    /// Heading.
    pub title: String,
    /// Own-words summary.
    pub summary: String,
    /// A listed cyber-surveillance item.
    pub cyber_surveillance: bool,
    /// Trade terms.
    pub vocabulary: Vec<String>,
    /// Annex IV part, if listed there.
    pub annex_iv: Option<String>,
    /// In Annex II Section I.
    pub section_i: bool,
    /// Act and provision.
    pub citation: vigil_domain::assess::CitationOut,
    /// Official text.
    pub url: Option<String>,
    /// Read in the primary text.
    pub verified: bool,
}

/// Look up an Annex I entry.
#[utoipa::path(
    get,
    path = "/api/v1/law/entries/{code}",
    params(("code" = String, Path, description = "Annex I code, e.g. 5A001.j")),
    responses(
        (status = 200, body = EntryView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    tag = "law"
)]
pub async fn law_entry(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let law = &state.law;
    let parsed = match ControlCode::parse(&code) {
        Ok(c) => c,
        Err(e) => {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "Invalid input",
                e.to_string(),
            );
            p.errors.push(FieldProblem {
                path: "code".into(),
                detail: e.to_string(),
            });
            return p.into_response();
        }
    };
    let (entry, exact) = match law.resolve(&parsed) {
        Resolution::Exact(e) => (e, true),
        Resolution::Within(e) => (e, false),
        Resolution::Unknown(near) => {
            return Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-entry",
                "Unknown Annex I entry",
                format!(
                    "`{parsed}` is not an Annex I entry; nearest: {}",
                    near.join(", ")
                ),
            )
            .into_response();
        }
    };
    Json(EntryView {
        code: parsed.to_string(),
        entry: entry.code.to_string(),
        exact,
        title: entry.title.clone(),
        summary: entry.summary.clone(),
        cyber_surveillance: entry.cyber_surveillance,
        vocabulary: entry.vocabulary.clone(),
        annex_iv: law.annex_iv_item(&parsed).map(|i| i.part.clone()),
        section_i: law.in_section_i(&parsed),
        citation: vigil_domain::assess::CitationOut {
            act: law.act_name(&entry.cite.act),
            provision: entry.cite.provision.clone(),
        },
        url: law.act(&entry.cite.act).map(|a| a.url.clone()),
        verified: entry.verified,
    })
    .into_response()
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigil API",
        description = "Export-control decisions under Regulation (EU) 2021/821: classify products, assess export operations, look up the law.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        classify,
        assess,
        law_entry,
        crate::screening::api_screen,
        crate::accounts::api_me,
        crate::accounts::api_members
    ),
    components(schemas(
        Problem,
        FieldProblem,
        EntryView,
        crate::screening::ScreenRequest,
        crate::screening::ScreenResponse,
        crate::screening::HitView,
        crate::screening::ListView,
        crate::screening::ScreenQueryView,
        crate::accounts::Me,
        crate::accounts::ApiMember
    )),
    tags(
        (name = "decisions", description = "Classification and assessment"),
        (name = "law", description = "The law Vigil applies"),
        (name = "screening", description = "Parties against the served sanctions lists (bearer token or session)"),
        (name = "accounts", description = "The token's user and the members of its organisation"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document: built (and merged) once, on the first request.
static DOC: std::sync::LazyLock<utoipa::openapi::OpenApi> = std::sync::LazyLock::new(|| {
    let mut doc = ApiDoc::openapi();
    doc.merge(<crate::records::RecordsApi as OpenApi>::openapi());
    doc.merge(<crate::party_screening::PartyScreeningApi as OpenApi>::openapi());
    doc.merge(<crate::review::ReviewApi as OpenApi>::openapi());
    doc.merge(<crate::licences::LicencesApi as OpenApi>::openapi());
    doc.merge(<crate::operations_csv::OperationsCsvApi as OpenApi>::openapi());
    doc.merge(<crate::fdi::FdiApi as OpenApi>::openapi());
    doc.merge(<crate::icp::IcpApi as OpenApi>::openapi());
    doc.merge(<crate::due_diligence::DueDiligenceApi as OpenApi>::openapi());
    doc.merge(<crate::transmissions::TransmissionsApi as OpenApi>::openapi());
    doc.merge(<crate::spdx::SpdxApi as OpenApi>::openapi());
    doc
});

/// `GET /api/openapi.json`.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(DOC.clone())
}
