use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, Caller, ExternalIdQuery};
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::invoices::InvoiceParams;
use engine::processing::ReasonParams;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/processing/invoices", post(create_invoice).get(invoice_by_external_id))
        .route("/processing/invoices/{invoice_id}", get(get_invoice))
        .route(
            "/processing/invoices/{invoice_id}/access-tokens",
            post(create_access_token),
        )
        .route("/processing/invoices/{invoice_id}/rescind", post(rescind))
        .route("/processing/invoices/{invoice_id}/fulfill", post(fulfill))
        .route("/processing/invoices/{invoice_id}/events", get(events))
}

#[tracing::instrument(skip_all)]
async fn create_invoice(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: ApiJson<InvoiceParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let party_id = who.require_merchant()?.to_string();
    let (invoice, _created) = s.engine.create_invoice(&party_id, &body.raw, body.value).await?;
    let token = s.engine.invoice_access_token(&party_id, &invoice.invoice_id);
    Ok((
        StatusCode::CREATED,
        Json(json!({"invoice": invoice.to_api(), "invoiceAccessToken": {"payload": token}})),
    ))
}

async fn invoice_by_external_id(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ExternalIdQuery>,
) -> ApiResult<Json<Value>> {
    let party_id = who.require_merchant()?;
    let external_id = q.get()?;
    Ok(Json(
        s.engine.invoice_by_external_id(party_id, &external_id).await?.to_api(),
    ))
}

async fn get_invoice(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(invoice_id): Path<String>,
) -> ApiResult<Json<Value>> {
    who.check_invoice(&invoice_id)?;
    Ok(Json(s.engine.invoice(who.party_id(), &invoice_id).await?.to_api()))
}

async fn create_access_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(invoice_id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let party_id = who.require_merchant()?;
    let invoice = s.engine.invoice(party_id, &invoice_id).await?;
    let token = s.engine.invoice_access_token(party_id, &invoice.invoice_id);
    Ok((StatusCode::CREATED, Json(json!({"payload": token}))))
}

async fn rescind(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(invoice_id): Path<String>,
    body: ApiJson<ReasonParams>,
) -> ApiResult<StatusCode> {
    s.engine.rescind_invoice(&who, &invoice_id, &body.value.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn fulfill(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(invoice_id): Path<String>,
    body: ApiJson<ReasonParams>,
) -> ApiResult<StatusCode> {
    s.engine.fulfill_invoice(&who, &invoice_id, &body.value.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct EventsQuery {
    limit: Option<String>,
    #[serde(rename = "eventID")]
    event_id: Option<String>,
}

async fn events(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(invoice_id): Path<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q
        .limit
        .as_deref()
        .and_then(|l| l.parse::<i64>().ok())
        .ok_or_else(|| ApiError::invalid_request("query parameter limit (1 to 1000) is required"))?;
    let after = match q.event_id.as_deref() {
        None | Some("") => None,
        Some(e) => Some(
            e.parse::<i64>()
                .map_err(|_| ApiError::invalid_request("eventID must be an integer"))?,
        ),
    };
    Ok(Json(s.engine.invoice_events(&who, &invoice_id, limit, after).await?))
}
