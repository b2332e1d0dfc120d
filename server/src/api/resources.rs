use super::error::ApiResult;
use super::extract::{ApiJson, Caller};
use crate::startup::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use engine::resources::PaymentResourceParams;
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new().route("/processing/payment-resources", post(create_payment_resource))
}

/// Card data arrives here; nothing of the body is logged.
#[tracing::instrument(skip_all)]
async fn create_payment_resource(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: ApiJson<PaymentResourceParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let result = s.engine.create_payment_resource(who.party_id(), body.value).await?;
    Ok((StatusCode::CREATED, Json(result)))
}
