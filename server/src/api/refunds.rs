use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, Caller, ExternalIdQuery};
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use engine::refunds::RefundParams;
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/processing/invoices/{invoice_id}/payments/{payment_id}/refunds",
            get(list_refunds).post(create_refund),
        )
        .route(
            "/processing/invoices/{invoice_id}/payments/{payment_id}/refunds/{refund_id}",
            get(get_refund),
        )
        .route("/processing/refunds", get(refund_by_external_id))
}

#[tracing::instrument(skip_all, fields(invoice_id = %invoice_id, payment_id = %payment_id))]
async fn create_refund(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((invoice_id, payment_id)): Path<(String, String)>,
    body: ApiJson<RefundParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (refund, _) = s
        .engine
        .create_refund(&who, &invoice_id, &payment_id, &body.raw, body.value)
        .await?;
    Ok((StatusCode::CREATED, Json(refund.to_api())))
}

async fn list_refunds(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((invoice_id, payment_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let refunds = s.engine.refunds(&who, &invoice_id, &payment_id).await?;
    Ok(Json(Value::Array(refunds.iter().map(|r| r.to_api()).collect())))
}

async fn get_refund(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((invoice_id, payment_id, refund_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        s.engine
            .refund(&who, &invoice_id, &payment_id, &refund_id)
            .await?
            .to_api(),
    ))
}

async fn refund_by_external_id(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ExternalIdQuery>,
) -> ApiResult<Json<Value>> {
    let external_id = q.get()?;
    Ok(Json(s.engine.refund_by_external_id(&who, &external_id).await?.to_api()))
}
