//! French foreign-investment screening on the web and in the API: `GET/POST /fdi` (a
//! questionnaire a founder, CFO or counsel fills in before signing an investment) and
//! `POST /api/v1/fdi` (the same questionnaire as JSON). Stateless: nothing is stored.

use askama::Template;
use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use vigil_domain::fdi::{ChainMember, FdiAssessment, FdiQuestionnaire, assess_fdi};

use crate::AppState;
use crate::i18n::Lang;
use crate::problem::Problem;
use crate::ui::{Chrome, LangQuery, chrome, render};

/// Rows of the control chain offered by the form.
const CHAIN_ROWS: usize = 4;

/// An activity offered by the form: id, text in the page's language, checked.
pub struct ActivityChoice {
    /// Id in the law data.
    pub id: String,
    /// Text.
    pub text: String,
    /// Ticked.
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "fdi.html")]
struct FdiPage<'a> {
    c: Chrome<'a>,
    q: FdiQuestionnaire,
    chain: Vec<ChainMember>,
    activities: Vec<ActivityChoice>,
    errors: Vec<(String, String)>,
    result: Option<FdiAssessment>,
}

impl FdiPage<'_> {
    fn error_for(&self, prefix: &str) -> Option<&String> {
        self.errors
            .iter()
            .find(|(p, _)| p == prefix || p.starts_with(&format!("{prefix}[")))
            .map(|(_, m)| m)
    }

    fn outcome_class(&self, outcome: &str) -> &'static str {
        match outcome {
            "authorisation_required" => "hold",
            "notification_required" => "notify_authority",
            _ => "no_licence_required",
        }
    }
}

fn activity_choices(state: &AppState, lang: Lang, ticked: &[String]) -> Vec<ActivityChoice> {
    state
        .law
        .fr_fdi()
        .map(|r| {
            r.activities
                .iter()
                .map(|a| ActivityChoice {
                    id: a.record.id.clone(),
                    text: match lang {
                        Lang::Fr => a.text_fr.clone(),
                        Lang::En => a.record.text.clone(),
                    },
                    checked: ticked.contains(&a.record.id),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn page_of<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    q: &LangQuery,
    questionnaire: FdiQuestionnaire,
    errors: Vec<(String, String)>,
    result: Option<FdiAssessment>,
) -> (FdiPage<'a>, bool) {
    let (c, cookie) = chrome(state, headers, q, "/fdi");
    let lang = c.t.lang;
    let mut chain = questionnaire.chain.clone();
    while chain.len() < CHAIN_ROWS {
        chain.push(ChainMember::default());
    }
    let activities = activity_choices(state, lang, &questionnaire.activities);
    (
        FdiPage {
            c,
            q: questionnaire,
            chain,
            activities,
            errors,
            result,
        },
        cookie,
    )
}

/// `GET /fdi`.
pub async fn fdi_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let blank = FdiQuestionnaire {
        target_kind: "french_entity".to_owned(),
        ..FdiQuestionnaire::default()
    };
    let (page, cookie) = page_of(&state, &headers, &q, blank, Vec::new(), None);
    let lang = page.c.lang;
    render(StatusCode::OK, &page, lang, cookie)
}

/// Builds the questionnaire from the form's fields (chain rows with an empty name are skipped);
/// numbers that do not parse are errors on their field.
fn questionnaire_of(fields: &[(String, String)]) -> (FdiQuestionnaire, Vec<(String, String)>) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let mut percent = |k: &str| {
        let v = get(k).replace(',', ".");
        if v.is_empty() {
            return 0.0;
        }
        v.parse::<f64>().unwrap_or_else(|_| {
            errors.push((k.to_owned(), format!("`{v}` is not a number")));
            0.0
        })
    };
    let before = percent("voting_rights_before");
    let after = percent("voting_rights_after");
    let mut chain = Vec::new();
    for i in 0..CHAIN_ROWS {
        let name = get(&format!("chain_{i}_name"));
        if name.is_empty() {
            continue;
        }
        chain.push(ChainMember {
            name,
            kind: get(&format!("chain_{i}_kind")),
            country: get(&format!("chain_{i}_country")).to_ascii_uppercase(),
            french_tax_resident: !get(&format!("chain_{i}_resident")).is_empty(),
        });
    }
    let activities = fields
        .iter()
        .filter(|(n, _)| n == "activity")
        .map(|(_, v)| v.clone())
        .collect();
    (
        FdiQuestionnaire {
            target: get("target"),
            target_kind: get("target_kind"),
            listed: !get("listed").is_empty(),
            chain,
            acquires_control: !get("acquires_control").is_empty(),
            acquires_branch_of_activity: !get("acquires_branch_of_activity").is_empty(),
            voting_rights_before: before,
            voting_rights_after: after,
            activities,
        },
        errors,
    )
}

/// `POST /fdi`.
pub async fn fdi_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (questionnaire, mut errors) = questionnaire_of(&fields);
    let result = if errors.is_empty() {
        match assess_fdi(&state.law, &questionnaire) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.extend(e.errors.into_iter().map(|f| (f.path, f.message)));
                None
            }
        }
    } else {
        None
    };
    let status = if result.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (page, cookie) = page_of(&state, &headers, &q, questionnaire, errors, result);
    let lang = page.c.lang;
    render(status, &page, lang, cookie)
}

/// Check whether an investment in a French company needs the prior authorisation of the
/// Minister of the Economy (French foreign-investment screening; legal references from secondary
/// sources, flagged UNVERIFIED).
#[utoipa::path(
    post,
    path = "/api/v1/fdi",
    request_body = FdiQuestionnaire,
    responses(
        (status = 200, description = "The answer with its reasons, time limits and citations", body = FdiAssessment),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "decisions"
)]
pub async fn api_fdi(State(state): State<AppState>, body: String) -> Response {
    let de = &mut serde_json::Deserializer::from_str(&body);
    let q: FdiQuestionnaire = match serde_path_to_error::deserialize(de) {
        Ok(q) => q,
        Err(e) => {
            let path = e.path().to_string();
            let err = vigil_domain::assess::InputError {
                errors: vec![vigil_domain::assess::FieldError {
                    path: if path == "." { String::new() } else { path },
                    message: e.inner().to_string(),
                }],
            };
            return Problem::invalid_input(&err).into_response();
        }
    };
    match assess_fdi(&state.law, &q) {
        Ok(a) => Json(a).into_response(),
        Err(e) => Problem::invalid_input(&e).into_response(),
    }
}

/// The OpenAPI paths of this module (merged into the document by `crate::api`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_fdi),
    components(schemas(
        FdiQuestionnaire,
        ChainMember,
        FdiAssessment,
        vigil_domain::fdi::DeadlineRule,
        vigil_domain::fdi::FdiRecord,
        vigil_domain::fdi::Procedure
    ))
)]
pub struct FdiApi;
