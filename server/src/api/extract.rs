//! Extractors and middleware shared by every API handler.

use super::error::ApiError;
use crate::startup::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::auth::Principal;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `X-Request-ID` is required on every API call (1–32 characters), echoed back and logged.
/// It is a trace id only: never used to deduplicate.
pub async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(id) = id.filter(|v| (1..=32).contains(&v.chars().count())) else {
        return ApiError::invalid_request("X-Request-ID header is required (1 to 32 characters)").into_response();
    };
    // A NUL anywhere in the path or query is refused before it reaches a database.
    if req.uri().to_string().to_ascii_lowercase().contains("%00") {
        let resp = ApiError::invalid_request("the URL must not contain the NUL character (%00)").into_response();
        return echo(resp, &id);
    }
    let span = tracing::info_span!("api", request_id = %id, method = %req.method(), path = %req.uri().path());
    let started = std::time::Instant::now();
    let resp = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "handled"
        )
    });
    echo(resp, &id)
}

fn echo(mut resp: Response, id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(id) {
        resp.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    resp
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// Query parameters; a malformed or repeated one is a 400 `invalidRequest` like any bad input.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::invalid_request(format!("invalid query parameters: {}", e.body_text())))
    }
}

/// The authenticated caller (`Authorization: Bearer …`); 401 without a body otherwise.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        Ok(Caller(state.engine.authenticate(token).await?))
    }
}

/// A JSON body: any malformed document or wrong type is a 400 `invalidRequest` with the reason.
/// Keeps the raw document too (idempotency compares parameters by digest).
pub struct ApiJson<T> {
    pub raw: Value,
    pub value: T,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::invalid_request(format!("could not read the request body: {e}")))?;
        if bytes.is_empty() {
            return Err(ApiError::invalid_request("a JSON request body is required"));
        }
        let raw: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid_request(format!("the body is not valid JSON: {e}")))?;
        if !raw.is_object() {
            return Err(ApiError::invalid_request("the body must be a JSON object"));
        }
        if has_nul(&raw) {
            return Err(ApiError::invalid_request(
                "strings must not contain the NUL character (\\u0000)",
            ));
        }
        let value =
            T::deserialize(&raw).map_err(|e| ApiError::invalid_request(format!("invalid request body: {e}")))?;
        Ok(ApiJson { raw, value })
    }
}

/// `?externalID=` of the lookups by external id (1–40 characters, required).
#[derive(serde::Deserialize)]
pub struct ExternalIdQuery {
    #[serde(rename = "externalID")]
    external_id: Option<String>,
}

impl ExternalIdQuery {
    pub fn get(self) -> Result<String, ApiError> {
        self.external_id
            .filter(|x| (1..=40).contains(&x.chars().count()))
            .ok_or_else(|| ApiError::invalid_request("query parameter externalID (1 to 40 characters) is required"))
    }
}
