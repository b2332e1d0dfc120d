//! Payments API v2, wire-compatible with upstream's swagger (basePath `/v2`).

pub mod error;
pub mod extract;
mod invoices;
mod parties;
mod payments;
mod refunds;
mod resources;
mod search;

use crate::startup::AppState;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(invoices::router())
        .merge(payments::router())
        .merge(resources::router())
        .merge(refunds::router())
        .merge(parties::router())
        .merge(search::router())
        .fallback(|| async { ApiError::NotFound("No such API method".into()) })
        .layer(DefaultBodyLimit::max(256 * 1024))
        .layer(axum::middleware::from_fn(extract::request_id))
}
