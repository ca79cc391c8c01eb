//! The dashboard: `GET /` in a browser.

use std::sync::Arc;

use axum::Router;

use crate::state::State;

/// The dashboard's routes, merged into the server's router.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
}
