//! The acquiring bank behind a trait, so a real acquirer can replace the built-in sandbox.

pub mod sandbox;

use crate::cards::{CardNumber, ExpDate};
use crate::crypto::Secret;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Upstream's nested error: `{code, subError: {code, subError: …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentError {
    pub code: String,
    #[serde(rename = "subError", skip_serializing_if = "Option::is_none")]
    pub sub_error: Option<Box<PaymentError>>,
}

impl PaymentError {
    /// Builds the tree from a colon path such as `authorization_failed:insufficient_funds`.
    pub fn from_path(path: &str) -> PaymentError {
        let mut parts: Vec<&str> = path.split(':').filter(|p| !p.is_empty()).collect();
        let mut node: Option<Box<PaymentError>> = None;
        while let Some(code) = parts.pop() {
            node = Some(Box::new(PaymentError {
                code: code.to_string(),
                sub_error: node,
            }));
        }
        node.map(|b| *b).unwrap_or(PaymentError {
            code: "authorization_failed".into(),
            sub_error: None,
        })
    }

    /// The colon path again (for reports and failure-reason analytics).
    pub fn path(&self) -> String {
        let mut out = self.code.clone();
        let mut cur = &self.sub_error;
        while let Some(next) = cur {
            out.push(':');
            out.push_str(&next.code);
            cur = &next.sub_error;
        }
        out
    }
}

/// Card details as the acquirer receives them. The CVV is present only for the first
/// authorisation of a freshly tokenised card.
#[derive(Debug, Clone)]
pub struct Card {
    pub number: CardNumber,
    pub exp: ExpDate,
    pub holder: Option<String>,
    pub cvv: Option<Secret<String>>,
}

#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// Our reference (`invoiceID.paymentID`); acquirers use it to deduplicate.
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    pub card: Card,
    /// A merchant-initiated recurring charge: no CVV and no 3-D Secure.
    pub recurrent: bool,
    /// Where the issuer's 3-D Secure page sends the buyer back to (our TermUrl).
    pub term_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    Approved {
        txn_id: String,
        rrn: String,
        approval_code: String,
    },
    Declined {
        txn_id: Option<String>,
        error: PaymentError,
    },
    /// The issuer wants the buyer: send the browser to `acs_url` with the `PaReq` form field.
    Challenge {
        txn_id: String,
        acs_url: String,
        pareq: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpOutcome {
    Done,
    Failed(PaymentError),
}

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("the bank is unavailable: {0}")]
    Unavailable(String),
    #[error("unknown bank transaction {0}")]
    UnknownTxn(String),
}

#[async_trait]
pub trait Acquirer: Send + Sync {
    async fn authorise(&self, req: AuthRequest) -> Result<AuthOutcome, BankError>;
    /// Finishes a 3-D Secure challenge with the issuer's answer (`PaRes`).
    async fn complete_challenge(&self, txn_id: &str, pares: &str) -> Result<AuthOutcome, BankError>;
    async fn capture(&self, txn_id: &str, amount: i64) -> Result<OpOutcome, BankError>;
    async fn cancel(&self, txn_id: &str) -> Result<OpOutcome, BankError>;
    async fn refund(&self, txn_id: &str, refund_id: &str, amount: i64) -> Result<OpOutcome, BankError>;
    async fn payout(&self, card: &Card, payout_id: &str, amount: i64) -> Result<OpOutcome, BankError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_paths_nest_like_upstream() {
        let e = PaymentError::from_path("authorization_failed:payment_tool_rejected:bank_card_rejected:cvv_invalid");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "authorization_failed");
        assert_eq!(json["subError"]["subError"]["subError"]["code"], "cvv_invalid");
        assert!(json["subError"]["subError"]["subError"].get("subError").is_none());
        assert_eq!(
            e.path(),
            "authorization_failed:payment_tool_rejected:bank_card_rejected:cvv_invalid"
        );
    }
}
