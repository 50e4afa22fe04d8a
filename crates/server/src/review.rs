//! Block → review → release: the holds of an operation and their release by an officer other than
//! its creator (four eyes), with a reason, and the frozen record of a released operation.

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new().layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}
