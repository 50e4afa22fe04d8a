//! Errors of the JSON API as RFC 9457 problem details (`application/problem+json`), each naming
//! the bad field by its JSON path.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vigil_domain::assess::InputError;

/// One bad field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// JSON path of the field, e.g. `items[0].entries[1]`.
    pub path: String,
    /// What is wrong and what was expected.
    pub detail: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation of this occurrence.
    pub detail: String,
    /// The bad fields, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl Problem {
    /// A problem of `status` with a type slug.
    #[must_use]
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:vigil:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// Invalid input, with its fields.
    #[must_use]
    pub fn invalid_input(e: &InputError) -> Problem {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "Invalid input",
            "The request body does not satisfy the contract; see `errors`.",
        );
        p.errors = e
            .errors
            .iter()
            .map(|f| FieldProblem {
                path: f.path.clone(),
                detail: f.message.clone(),
            })
            .collect();
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

impl Problem {
    /// The response, for contexts that need an owned `Response` value.
    #[must_use]
    pub fn into_response_owned(self) -> Response {
        self.into_response()
    }
}

/// A 422 problem naming one bad field (`field`: its JSON path or form name), for the handlers
/// that check a body field by field.
pub(crate) fn field_problem(field: &str, detail: &str) -> axum::response::Response {
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-input",
        "Invalid input",
        "The request body does not satisfy the contract; see `errors`. Nothing was recorded.",
    );
    p.errors.push(FieldProblem {
        path: field.to_owned(),
        detail: detail.to_owned(),
    });
    axum::response::IntoResponse::into_response(p)
}
