//! Operations by CSV upload: many lines at once, each assessed and recorded like a form entry; a
//! malformed line is refused with its line number and nothing of the file is written.

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new().layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}
