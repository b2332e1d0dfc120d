//! Who is calling: a merchant with an API key, or a buyer's page with an invoice access token.

use crate::error::{EngineError, EngineResult};
use crate::Engine;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Full access to the party's own objects.
    Merchant { party_id: String },
    /// Read that one invoice, tokenise cards, create and read payments on it. Nothing else.
    Invoice { party_id: String, invoice_id: String },
}

impl Principal {
    pub fn party_id(&self) -> &str {
        match self {
            Principal::Merchant { party_id } | Principal::Invoice { party_id, .. } => party_id,
        }
    }

    /// May this caller act on this invoice? A token for another invoice may not (401).
    pub fn check_invoice(&self, invoice_id: &str) -> EngineResult<()> {
        match self {
            Principal::Merchant { .. } => Ok(()),
            Principal::Invoice { invoice_id: own, .. } if own == invoice_id => Ok(()),
            Principal::Invoice { .. } => Err(EngineError::Unauthorized),
        }
    }

    /// Merchant-only operations.
    pub fn require_merchant(&self) -> EngineResult<&str> {
        match self {
            Principal::Merchant { party_id } => Ok(party_id),
            Principal::Invoice { .. } => Err(EngineError::Unauthorized),
        }
    }
}

const INVOICE_TOKEN: &str = "invoice-access";

impl Engine {
    /// A new access token scoped to one invoice, valid for the configured lifetime.
    pub fn invoice_access_token(&self, party_id: &str, invoice_id: &str) -> String {
        let exp = self.clock.now_micros() + self.config.invoice_token_ttl.num_microseconds().unwrap_or(i64::MAX / 4);
        self.keys
            .sign(INVOICE_TOKEN, &json!({"p": party_id, "i": invoice_id, "e": exp}))
    }

    /// Resolves a bearer credential. API keys start with `dp_`; anything else must be a valid,
    /// unexpired invoice access token.
    pub async fn authenticate(&self, bearer: &str) -> EngineResult<Principal> {
        if bearer.starts_with("dp_") {
            return match self.party_for_api_key(bearer).await? {
                Some(party_id) => Ok(Principal::Merchant { party_id }),
                None => Err(EngineError::Unauthorized),
            };
        }
        let claims = self
            .keys
            .verify(INVOICE_TOKEN, bearer)
            .ok_or(EngineError::Unauthorized)?;
        let (Some(party_id), Some(invoice_id), Some(exp)) =
            (claims["p"].as_str(), claims["i"].as_str(), claims["e"].as_i64())
        else {
            return Err(EngineError::Unauthorized);
        };
        if exp <= self.clock.now_micros() {
            return Err(EngineError::Unauthorized);
        }
        Ok(Principal::Invoice {
            party_id: party_id.to_string(),
            invoice_id: invoice_id.to_string(),
        })
    }
}
