//! SPDX 3 export and import of item versions' export-control classifications (stub: filled in by
//! the SPDX work).

use axum::Router;

use crate::AppState;

/// The SPDX routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
