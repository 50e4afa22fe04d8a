//! The authorisations register: individual and global licences, the Union general authorisations
//! an organisation uses, their duties and deadlines, and the draw-down of licences by operations.

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new().layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}
