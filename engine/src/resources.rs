//! Payment resources: a card is tokenised once. PAN, expiry and holder are sealed into the
//! database; the CVV travels only inside the payment tool token the client holds (sealed with
//! the same AEAD key) and is never written anywhere by us.

use crate::bank::Card;
use crate::cards::{parse_cvv, parse_holder, CardNumber, ExpDate};
use crate::clock::rfc3339;
use crate::crypto::Secret;
use crate::error::{EngineError, EngineResult};
use crate::{ids, Engine};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentResourceParams {
    pub payment_tool: Value,
    pub client_info: Value,
}

/// A card as stored: what the vault holds for one resource.
#[derive(Debug, Clone)]
pub struct StoredResource {
    pub resource_id: String,
    pub party_id: String,
    pub payment_session: String,
    pub details: Value,
    pub client_info: Value,
    pub valid_until: i64,
    card_sealed: String,
}

const TOKEN_KIND: &str = "payment-tool";

/// The masked card as upstream's `PaymentToolDetailsBankCard` (plus `bin`/`lastDigits`).
fn details_of(card: &CardNumber) -> Value {
    json!({
        "detailsType": "PaymentToolDetailsBankCard",
        "cardNumberMask": card.mask(),
        "first6": card.bin(),
        "last4": card.last4(),
        "bin": card.bin(),
        "lastDigits": card.last4(),
        "paymentSystem": card.payment_system(),
        "tokenizationMethod": "none",
    })
}

fn invalid(m: impl Into<String>) -> EngineError {
    EngineError::invalid_request(m)
}

impl Engine {
    /// createPaymentResource: returns upstream's `PaymentResourceResult`.
    #[tracing::instrument(skip_all, fields(party_id = %party_id))]
    pub async fn create_payment_resource(&self, party_id: &str, p: PaymentResourceParams) -> EngineResult<Value> {
        let tool = p
            .payment_tool
            .as_object()
            .ok_or_else(|| invalid("paymentTool must be an object"))?;
        match tool.get("paymentToolType").and_then(Value::as_str) {
            Some("CardData") => {}
            Some(other) => {
                return Err(invalid(format!(
                    "paymentToolType {other} is not supported; use CardData"
                )))
            }
            None => return Err(invalid("paymentTool.paymentToolType is required")),
        }
        let text = |k: &str| -> EngineResult<Option<&str>> {
            match tool.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(invalid(format!("paymentTool.{k} must be a string"))),
            }
        };
        let number = text("cardNumber")?.ok_or_else(|| invalid("paymentTool.cardNumber is required"))?;
        let number = CardNumber::parse(number).map_err(|e| invalid(format!("paymentTool.cardNumber: {e}")))?;
        let exp = text("expDate")?.ok_or_else(|| invalid("paymentTool.expDate is required"))?;
        let exp = ExpDate::parse(exp, self.clock.now().date_naive())
            .map_err(|e| invalid(format!("paymentTool.expDate: {e}")))?;
        let cvv = text("cvv")?
            .map(parse_cvv)
            .transpose()
            .map_err(|e| invalid(format!("paymentTool.cvv: {e}")))?;
        let holder = text("cardHolder")?
            .map(parse_holder)
            .transpose()
            .map_err(|e| invalid(format!("paymentTool.cardHolder: {e}")))?;

        let ci = p
            .client_info
            .as_object()
            .ok_or_else(|| invalid("clientInfo must be an object"))?;
        let fingerprint = ci
            .get("fingerprint")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("clientInfo.fingerprint is required"))?;
        if fingerprint.chars().count() > 1000 {
            return Err(invalid("clientInfo.fingerprint must be at most 1000 characters"));
        }
        let mut client_info = json!({"fingerprint": fingerprint});
        if let Some(ip) = ci.get("ip").and_then(Value::as_str) {
            if ip.len() > 45 || ip.parse::<std::net::IpAddr>().is_err() {
                return Err(invalid("clientInfo.ip must be an IP address"));
            }
            client_info["ip"] = json!(ip);
        }
        if let Some(url) = ci.get("url").and_then(Value::as_str) {
            if url.len() > 1000 {
                return Err(invalid("clientInfo.url must be at most 1000 characters"));
            }
            client_info["url"] = json!(url);
        }

        let resource_id = ids::new_id();
        let session = ids::random_base62(32);
        let now = self.clock.now_micros();
        let valid_until = now
            + self
                .config
                .payment_resource_ttl
                .num_microseconds()
                .unwrap_or(3_600_000_000);
        let vault = json!({"pan": number.expose(), "exp": exp.to_mm_yyyy(), "holder": holder});
        let sealed = self.keys.seal(vault.to_string().as_bytes(), &resource_id);
        let details = details_of(&number);
        sqlx::query(
            "insert into payment_resources (resource_id, party_id, payment_session, card_sealed, bin, last_digits, \
             payment_system, client_info_json, created_at, valid_until) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&resource_id)
        .bind(party_id)
        .bind(&session)
        .bind(&sealed)
        .bind(number.bin())
        .bind(number.last4())
        .bind(number.payment_system())
        .bind(client_info.to_string())
        .bind(now)
        .bind(valid_until)
        .execute(&self.db.pool)
        .await?;

        let token = self.payment_tool_token(&resource_id, valid_until, cvv.as_ref());
        Ok(json!({
            "paymentToolToken": token,
            "paymentSession": session,
            "paymentToolDetails": details,
            "clientInfo": client_info,
            "validUntil": rfc3339(valid_until),
        }))
    }

    /// A token naming the resource; with `cvv`, the CVV rides along sealed for one use.
    pub(crate) fn payment_tool_token(
        &self,
        resource_id: &str,
        valid_until: i64,
        cvv: Option<&Secret<String>>,
    ) -> String {
        let mut claims = json!({"r": resource_id, "e": valid_until});
        if let Some(cvv) = cvv {
            claims["c"] = json!(self.keys.seal(cvv.expose().as_bytes(), &format!("cvv:{resource_id}")));
        }
        self.keys.sign(TOKEN_KIND, &claims)
    }

    /// Resolves a payment tool token of this party. `Err(invalidPaymentToolToken)` when it is
    /// forged, foreign or expired. Returns the resource and the CVV, if the token carries one.
    pub async fn resolve_payment_tool_token(
        &self,
        party_id: &str,
        token: &str,
        allow_expired: bool,
    ) -> EngineResult<(StoredResource, Option<Secret<String>>)> {
        let bad = |m: &str| EngineError::logic("invalidPaymentToolToken", m.to_string());
        let claims = self
            .keys
            .verify(TOKEN_KIND, token)
            .ok_or_else(|| bad("the payment tool token is not valid"))?;
        let resource_id = claims["r"]
            .as_str()
            .ok_or_else(|| bad("the payment tool token is not valid"))?;
        let resource = self
            .find_resource(party_id, resource_id)
            .await?
            .ok_or_else(|| bad("the payment tool token is not valid"))?;
        if !allow_expired && resource.valid_until <= self.clock.now_micros() {
            return Err(bad("the payment tool token has expired; tokenise the card again"));
        }
        let cvv = claims["c"]
            .as_str()
            .and_then(|c| self.keys.open(c, &format!("cvv:{resource_id}")))
            .and_then(|b| String::from_utf8(b).ok())
            .map(Secret::new);
        Ok((resource, cvv))
    }

    /// A stored card of this party by id, whatever its token's age (recurring payments, payouts).
    pub async fn load_resource(&self, party_id: &str, resource_id: &str) -> EngineResult<StoredResource> {
        self.find_resource(party_id, resource_id)
            .await?
            .ok_or_else(|| EngineError::not_found("Payment resource"))
    }

    async fn find_resource(&self, party_id: &str, resource_id: &str) -> EngineResult<Option<StoredResource>> {
        let row = sqlx::query(
            "select resource_id, party_id, payment_session, card_sealed, client_info_json, valid_until \
             from payment_resources where resource_id = $1 and party_id = $2",
        )
        .bind(resource_id)
        .bind(party_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let card_sealed: String = row.try_get("card_sealed")?;
        let mut resource = StoredResource {
            resource_id: resource_id.to_string(),
            party_id: row.try_get("party_id")?,
            payment_session: row.try_get("payment_session")?,
            details: Value::Null,
            client_info: serde_json::from_str(&row.try_get::<String, _>("client_info_json")?)
                .unwrap_or_else(|_| json!({})),
            valid_until: row.try_get("valid_until")?,
            card_sealed,
        };
        resource.details = details_of(&self.card_of(&resource, None)?.number);
        Ok(Some(resource))
    }

    /// Opens the vault for the acquirer (the only place a full PAN exists in memory).
    pub(crate) fn card_of(&self, resource: &StoredResource, cvv: Option<Secret<String>>) -> EngineResult<Card> {
        let raw = self
            .keys
            .open(&resource.card_sealed, &resource.resource_id)
            .ok_or_else(|| EngineError::Internal("card data does not open with the configured key".into()))?;
        let vault: Value = serde_json::from_slice(&raw).map_err(|e| EngineError::Internal(e.to_string()))?;
        let number = CardNumber::parse(vault["pan"].as_str().unwrap_or_default())
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let (mm, yyyy) = vault["exp"]
            .as_str()
            .unwrap_or("01/1970")
            .split_once('/')
            .unwrap_or(("01", "1970"));
        let exp = ExpDate {
            month: mm.parse().unwrap_or(1),
            year: yyyy.parse().unwrap_or(1970),
        };
        Ok(Card {
            number,
            exp,
            holder: vault["holder"].as_str().map(str::to_string),
            cvv,
        })
    }
}
