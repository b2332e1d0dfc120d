use super::error::ApiResult;
use super::extract::{ApiJson, Caller};
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::payments::PaymentParams;
use engine::processing::{CaptureParams, ReasonParams};
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/processing/invoices/{invoice_id}/payments",
            get(list_payments).post(create_payment),
        )
        .route(
            "/processing/invoices/{invoice_id}/payments/{payment_id}",
            get(get_payment),
        )
        .route(
            "/processing/invoices/{invoice_id}/payments/{payment_id}/capture",
            post(capture_payment),
        )
        .route(
            "/processing/invoices/{invoice_id}/payments/{payment_id}/cancel",
            post(cancel_payment),
        )
}

#[tracing::instrument(skip_all, fields(invoice_id = %invoice_id))]
async fn create_payment(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(invoice_id): Path<String>,
    body: ApiJson<PaymentParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (payment, _created) = s
        .engine
        .create_payment(&who, &invoice_id, &body.raw, body.value)
        .await?;
    Ok((StatusCode::CREATED, Json(payment.to_api())))
}

async fn list_payments(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(invoice_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let payments = s.engine.payments(&who, &invoice_id).await?;
    Ok(Json(Value::Array(payments.iter().map(|p| p.to_api()).collect())))
}

async fn get_payment(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((invoice_id, payment_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(s.engine.payment(&who, &invoice_id, &payment_id).await?.to_api()))
}

#[tracing::instrument(skip_all, fields(invoice_id = %invoice_id, payment_id = %payment_id))]
async fn capture_payment(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((invoice_id, payment_id)): Path<(String, String)>,
    body: ApiJson<CaptureParams>,
) -> ApiResult<StatusCode> {
    s.engine
        .capture_payment(&who, &invoice_id, &payment_id, body.value)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[tracing::instrument(skip_all, fields(invoice_id = %invoice_id, payment_id = %payment_id))]
async fn cancel_payment(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((invoice_id, payment_id)): Path<(String, String)>,
    body: ApiJson<ReasonParams>,
) -> ApiResult<StatusCode> {
    s.engine
        .cancel_payment(&who, &invoice_id, &payment_id, body.value)
        .await?;
    Ok(StatusCode::ACCEPTED)
}
