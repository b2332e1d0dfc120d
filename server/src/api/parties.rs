use super::error::ApiResult;
use super::extract::Caller;
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/processing/me", get(me))
        .route("/processing/shops", get(shops))
        .route("/processing/shops/{shop_id}", get(shop))
}

async fn me(State(s): State<AppState>, Caller(who): Caller) -> ApiResult<Json<Value>> {
    let party_id = who.require_merchant()?;
    Ok(Json(s.engine.party(party_id).await?.to_api()))
}

async fn shops(State(s): State<AppState>, Caller(who): Caller) -> ApiResult<Json<Value>> {
    let party_id = who.require_merchant()?;
    let shops = s.engine.shops(party_id).await?;
    Ok(Json(Value::Array(shops.iter().map(|s| s.to_api()).collect())))
}

async fn shop(State(s): State<AppState>, Caller(who): Caller, Path(shop_id): Path<String>) -> ApiResult<Json<Value>> {
    let party_id = who.require_merchant()?;
    Ok(Json(s.engine.shop(party_id, &shop_id).await?.to_api()))
}
