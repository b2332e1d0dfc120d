//! Domain errors. Each maps to one of upstream's body shapes at the REST edge.

use crate::bank::BankError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Business-logic error: 400 `{code, message}` with an upstream code.
    #[error("{code}: {message}")]
    Logic { code: &'static str, message: String },
    /// The object does not exist or belongs to someone else: 404 `{message}`.
    #[error("{0}")]
    NotFound(String),
    /// externalID reused with other parameters: 409 `{externalID, id, message}`.
    #[error("externalID {external_id} conflicts with {id}")]
    ExternalIdConflict {
        external_id: String,
        id: String,
        message: String,
    },
    /// The credential is not good for this call: 401 without a body.
    #[error("unauthorized")]
    Unauthorized,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("bank: {0}")]
    Bank(#[from] BankError),
    #[error("internal: {0}")]
    Internal(String),
}

impl EngineError {
    pub fn logic(code: &'static str, message: impl Into<String>) -> EngineError {
        EngineError::Logic {
            code,
            message: message.into(),
        }
    }
    pub fn invalid_request(message: impl Into<String>) -> EngineError {
        EngineError::logic("invalidRequest", message)
    }
    pub fn not_found(what: &str) -> EngineError {
        EngineError::NotFound(format!("{what} not found"))
    }
}

pub type EngineResult<T> = Result<T, EngineError>;
