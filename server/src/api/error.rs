//! The REST edge's one error type, rendering upstream's body shapes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::EngineError;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// 400 `{code, message}`
    BadRequest { code: &'static str, message: String },
    /// 404 `{message}`
    NotFound(String),
    /// 409 `{externalID, id, message}`
    Conflict {
        external_id: String,
        id: String,
        message: String,
    },
    /// 401, no body
    Unauthorized,
    /// 500/503: logged here, once; the client sees a generic message.
    Internal(String),
}

impl ApiError {
    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code: "invalidRequest",
            message: message.into(),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Logic { code, message } => ApiError::BadRequest { code, message },
            EngineError::NotFound(m) => ApiError::NotFound(m),
            EngineError::ExternalIdConflict {
                external_id,
                id,
                message,
            } => ApiError::Conflict {
                external_id,
                id,
                message,
            },
            EngineError::Unauthorized => ApiError::Unauthorized,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, Json(json!({"code": code, "message": message}))).into_response()
            }
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, Json(json!({"message": message}))).into_response(),
            ApiError::Conflict {
                external_id,
                id,
                message,
            } => (
                StatusCode::CONFLICT,
                Json(json!({"externalID": external_id, "id": id, "message": message})),
            )
                .into_response(),
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"message": "Internal error; please contact support with your X-Request-ID"})),
                )
                    .into_response()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
