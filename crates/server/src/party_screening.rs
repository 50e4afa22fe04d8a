//! Parties against the served lists: the latest screening of every party, side-by-side hit review,
//! clearances, and rescreening after a list import.

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new().layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}
