//! Payments on an invoice and their state machine.
//!
//! ```text
//! pending ──authorised──▶ processed ──capture──▶ captured ──full refund──▶ refunded
//!    │  ╲                     │
//!    │   3-D Secure wait      └──cancel / hold expiry──▶ cancelled
//!    └──declined / 3-DS failed──▶ failed
//! ```
//! Every transition is a guarded update (`… where status = <from>`), so racing requests,
//! double clicks and several app instances can never apply one twice.

use crate::auth::Principal;
use crate::bank::PaymentError;
use crate::clock::rfc3339;
use crate::db::is_unique_violation;
use crate::error::{EngineError, EngineResult};
use crate::events;
use crate::invoices::{params_digest, Invoice, InvoiceStatus};
use crate::validate::{email_ok, len_between, phone_ok};
use crate::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Processed,
    Captured,
    Cancelled,
    Refunded,
    Failed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Processed => "processed",
            PaymentStatus::Captured => "captured",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        Some(match s {
            "pending" => PaymentStatus::Pending,
            "processed" => PaymentStatus::Processed,
            "captured" => PaymentStatus::Captured,
            "cancelled" => PaymentStatus::Cancelled,
            "refunded" => PaymentStatus::Refunded,
            "failed" => PaymentStatus::Failed,
            _ => return None,
        })
    }

    /// The allowed transitions, in one place.
    pub fn can_become(self, next: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, next),
            (Pending, Processed)
                | (Pending, Failed)
                | (Processed, Captured)
                | (Processed, Cancelled)
                | (Processed, Failed)
                | (Captured, Refunded)
        )
    }

    /// Still holding the invoice (no other payment may start).
    pub fn is_in_progress(self) -> bool {
        matches!(self, PaymentStatus::Pending | PaymentStatus::Processed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowType {
    Instant,
    Hold,
}

impl FlowType {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowType::Instant => "PaymentFlowInstant",
            FlowType::Hold => "PaymentFlowHold",
        }
    }
}

/// createPayment's body (`PaymentParams`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentParams {
    #[serde(rename = "externalID")]
    pub external_id: Option<String>,
    pub flow: Value,
    pub payer: Value,
    pub processing_deadline: Option<String>,
    #[serde(default)]
    pub make_recurrent: bool,
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Payment {
    pub invoice_id: String,
    pub payment_id: String,
    pub party_id: String,
    pub shop_id: String,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub amount: i64,
    pub currency: String,
    pub flow: FlowType,
    pub on_hold_expiration: Option<String>,
    pub held_until: Option<i64>,
    pub payer: Value,
    pub resource_id: Option<String>,
    pub payment_session: Option<String>,
    pub make_recurrent: bool,
    pub metadata: Option<Value>,
    pub status: PaymentStatus,
    pub error: Option<PaymentError>,
    pub user_interaction: Option<Value>,
    pub bank_ref: Option<String>,
    pub rrn: Option<String>,
    pub approval_code: Option<String>,
    pub fee: i64,
    pub captured_amount: i64,
    /// Sum of refunds that succeeded or are pending (reserved against the captured amount).
    pub refunded_amount: i64,
    pub refund_pending: bool,
    /// A capture or cancel in flight (claimed by one request or worker).
    pub pending_op: Option<String>,
    pub parent: Option<(String, String)>,
    pub updated_at: i64,
}

impl Payment {
    /// Upstream `Payment`, plus `userInteraction` while the buyer must act (3-D Secure).
    pub fn to_api(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.payment_id));
        if let Some(x) = &self.external_id {
            o.insert("externalID".into(), json!(x));
        }
        o.insert("invoiceID".into(), json!(self.invoice_id));
        o.insert("createdAt".into(), json!(rfc3339(self.created_at)));
        // After a partial capture the payment costs what was captured (the rest was released).
        let amount =
            if matches!(self.status, PaymentStatus::Captured | PaymentStatus::Refunded) && self.captured_amount > 0 {
                self.captured_amount
            } else {
                self.amount
            };
        o.insert("amount".into(), json!(amount));
        o.insert("currency".into(), json!(self.currency));
        let flow = match self.flow {
            FlowType::Instant => json!({"type": "PaymentFlowInstant"}),
            FlowType::Hold => {
                let mut f = json!({"type": "PaymentFlowHold", "onHoldExpiration": self.on_hold_expiration.as_deref().unwrap_or("cancel")});
                if let Some(h) = self.held_until {
                    f["heldUntil"] = json!(rfc3339(h));
                }
                f
            }
        };
        o.insert("flow".into(), flow);
        o.insert("payer".into(), self.payer.clone());
        if let (Some(rrn), Some(code)) = (&self.rrn, &self.approval_code) {
            o.insert("transactionInfo".into(), json!({"rrn": rrn, "approvalCode": code}));
        }
        o.insert("makeRecurrent".into(), json!(self.make_recurrent));
        if let Some(m) = &self.metadata {
            o.insert("metadata".into(), m.clone());
        }
        o.insert("status".into(), json!(self.status.as_str()));
        if let Some(e) = &self.error {
            o.insert("error".into(), json!(e));
        }
        if let Some(ui) = &self.user_interaction {
            o.insert("userInteraction".into(), ui.clone());
        }
        Value::Object(o)
    }
}

pub(crate) const PAYMENT_COLUMNS: &str = "invoice_id, payment_id, party_id, shop_id, external_id, created_at, amount, currency, \
     flow_type, on_hold_expiration, held_until, payer_json, resource_id, payment_session, make_recurrent, metadata_json, \
     status, error_json, user_interaction_json, bank_ref, rrn, approval_code, fee, captured_amount, refunded_amount, \
     refund_pending, pending_op, parent_invoice_id, parent_payment_id, updated_at";

pub(crate) fn payment_from_row(r: &sqlx::any::AnyRow) -> Result<Payment, sqlx::Error> {
    let json_opt = |col: &str| -> Result<Option<Value>, sqlx::Error> {
        Ok(r.try_get::<Option<String>, _>(col)?
            .and_then(|t| serde_json::from_str(&t).ok()))
    };
    let status: String = r.try_get("status")?;
    let flow: String = r.try_get("flow_type")?;
    Ok(Payment {
        invoice_id: r.try_get("invoice_id")?,
        payment_id: r.try_get("payment_id")?,
        party_id: r.try_get("party_id")?,
        shop_id: r.try_get("shop_id")?,
        external_id: r.try_get("external_id")?,
        created_at: r.try_get("created_at")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        flow: if flow == "PaymentFlowHold" {
            FlowType::Hold
        } else {
            FlowType::Instant
        },
        on_hold_expiration: r.try_get("on_hold_expiration")?,
        held_until: r.try_get("held_until")?,
        payer: json_opt("payer_json")?.unwrap_or_else(|| json!({})),
        resource_id: r.try_get("resource_id")?,
        payment_session: r.try_get("payment_session")?,
        make_recurrent: r.try_get::<i64, _>("make_recurrent")? != 0,
        metadata: json_opt("metadata_json")?,
        status: PaymentStatus::parse(&status).unwrap_or(PaymentStatus::Failed),
        error: json_opt("error_json")?.and_then(|v| serde_json::from_value(v).ok()),
        user_interaction: json_opt("user_interaction_json")?,
        bank_ref: r.try_get("bank_ref")?,
        rrn: r.try_get("rrn")?,
        approval_code: r.try_get("approval_code")?,
        fee: r.try_get("fee")?,
        captured_amount: r.try_get("captured_amount")?,
        refunded_amount: r.try_get("refunded_amount")?,
        refund_pending: r.try_get::<i64, _>("refund_pending")? != 0,
        pending_op: r.try_get("pending_op")?,
        parent: match (
            r.try_get::<Option<String>, _>("parent_invoice_id")?,
            r.try_get::<Option<String>, _>("parent_payment_id")?,
        ) {
            (Some(i), Some(p)) => Some((i, p)),
            _ => None,
        },
        updated_at: r.try_get("updated_at")?,
    })
}

/// Commission in minor units, rounded half up: `amount × bps / 10 000`.
pub fn commission(amount: i64, fee_bps: i64) -> i64 {
    let fee = (i128::from(amount) * i128::from(fee_bps) + 5_000) / 10_000;
    i64::try_from(fee).unwrap_or(i64::MAX)
}

pub(crate) fn logic(code: &'static str, message: impl Into<String>) -> EngineError {
    EngineError::logic(code, message)
}

/// Checks `contactInfo` against upstream's `ContactInfo` and returns what is kept.
fn check_contact_info(v: &Value) -> EngineResult<Value> {
    let o = v
        .as_object()
        .ok_or_else(|| EngineError::invalid_request("payer.contactInfo must be an object"))?;
    let mut out = Map::new();
    for (key, max) in [
        ("email", 100),
        ("phoneNumber", 16),
        ("firstName", 100),
        ("lastName", 100),
        ("country", 3),
        ("state", 40),
        ("city", 40),
        ("address", 1000),
        ("postalCode", 40),
    ] {
        match o.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                len_between(&format!("contactInfo.{key}"), s, 0, max)?;
                out.insert(key.into(), json!(s));
            }
            Some(_) => {
                return Err(EngineError::invalid_request(format!(
                    "contactInfo.{key} must be a string"
                )))
            }
        }
    }
    if let Some(e) = out.get("email").and_then(Value::as_str) {
        if !email_ok(e) {
            return Err(EngineError::invalid_request(
                "contactInfo.email is not a valid e-mail address",
            ));
        }
    }
    if let Some(p) = out.get("phoneNumber").and_then(Value::as_str) {
        if !phone_ok(p) {
            return Err(EngineError::invalid_request(
                "contactInfo.phoneNumber must be E.164, e.g. +79991234567",
            ));
        }
    }
    if let Some(c) = out.get("country").and_then(Value::as_str) {
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(EngineError::invalid_request(
                "contactInfo.country must be an ISO 3166-1 alpha-3 code",
            ));
        }
    }
    Ok(Value::Object(out))
}

impl Engine {
    pub(crate) async fn payment_where(&self, clause: &str, binds: &[&str]) -> EngineResult<Option<Payment>> {
        let sql = format!("select {PAYMENT_COLUMNS} from payments where {clause}");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(*b);
        }
        let row = q.fetch_optional(&self.db.pool).await?;
        Ok(row.map(|r| payment_from_row(&r)).transpose()?)
    }

    /// getPaymentByID for the caller; another party's payment is "not found".
    pub async fn payment(&self, who: &Principal, invoice_id: &str, payment_id: &str) -> EngineResult<Payment> {
        who.check_invoice(invoice_id)?;
        // By primary key, the owner checked here (see `Engine::invoice`).
        self.payment_where("invoice_id = $1 and payment_id = $2", &[invoice_id, payment_id])
            .await?
            .filter(|p| p.party_id == who.party_id())
            .ok_or_else(|| EngineError::not_found("Payment"))
    }

    /// getPayments: the invoice's payments, oldest first.
    pub async fn payments(&self, who: &Principal, invoice_id: &str) -> EngineResult<Vec<Payment>> {
        who.check_invoice(invoice_id)?;
        self.invoice(who.party_id(), invoice_id).await?;
        let rows = sqlx::query(&format!(
            "select {PAYMENT_COLUMNS} from payments where invoice_id = $1 and party_id = $2 order by created_at, length(payment_id), payment_id"
        ))
        .bind(invoice_id)
        .bind(who.party_id())
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.iter().map(payment_from_row).collect::<Result<_, _>>()?)
    }

    /// createPayment. Returns the payment as it stands after the acquirer answered, and whether
    /// it was created by this call (false: a retry with the same session or externalID).
    #[tracing::instrument(skip_all, fields(invoice_id = %invoice_id))]
    pub async fn create_payment(
        &self,
        who: &Principal,
        invoice_id: &str,
        raw: &Value,
        p: PaymentParams,
    ) -> EngineResult<(Payment, bool)> {
        who.check_invoice(invoice_id)?;
        let party_id = who.party_id().to_string();
        let invoice = self.invoice(&party_id, invoice_id).await?;

        // Shape checks first: a malformed request never reaches the card vault.
        if let Some(x) = &p.external_id {
            len_between("externalID", x, 1, 40)?;
        }
        if let Some(d) = &p.processing_deadline {
            len_between("processingDeadline", d, 1, 40).map_err(|_| {
                logic(
                    "invalidProcessingDeadline",
                    "processingDeadline must be 1 to 40 characters",
                )
            })?;
        }
        if let Some(m) = &p.metadata {
            if !m.is_object() {
                return Err(EngineError::invalid_request("metadata must be a JSON object"));
            }
        }
        let (flow, on_hold_expiration) = match p.flow["type"].as_str() {
            Some("PaymentFlowInstant") => (FlowType::Instant, None),
            Some("PaymentFlowHold") => {
                let policy = match &p.flow["onHoldExpiration"] {
                    Value::Null => "cancel",
                    Value::String(s) if s == "cancel" || s == "capture" => s.as_str(),
                    _ => {
                        return Err(EngineError::invalid_request(
                            "flow.onHoldExpiration must be cancel or capture",
                        ))
                    }
                };
                (FlowType::Hold, Some(policy.to_string()))
            }
            _ => {
                return Err(EngineError::invalid_request(
                    "flow.type must be PaymentFlowInstant or PaymentFlowHold",
                ))
            }
        };
        let payer = p
            .payer
            .as_object()
            .ok_or_else(|| EngineError::invalid_request("payer must be an object"))?;
        let required = |key: &str, max: usize| -> EngineResult<String> {
            let v = payer
                .get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| EngineError::invalid_request(format!("payer.{key} is required")))?;
            len_between(&format!("payer.{key}"), v, 1, max)?;
            Ok(v.to_string())
        };
        let source = match payer.get("payerType").and_then(Value::as_str) {
            Some("PaymentResourcePayer") => PayerSource::Resource {
                token: required("paymentToolToken", 2000)?,
                session: required("paymentSession", 1000)?,
            },
            Some("RecurrentPayer") => {
                // Charging a saved card is the merchant's act (API key), never a buyer's page.
                who.require_merchant()?;
                let parent = payer
                    .get("recurrentParentPayment")
                    .and_then(Value::as_object)
                    .ok_or_else(|| {
                        EngineError::invalid_request("payer.recurrentParentPayment {invoiceID, paymentID} is required")
                    })?;
                let field = |k: &str| {
                    parent
                        .get(k)
                        .and_then(Value::as_str)
                        .filter(|s| (1..=40).contains(&s.len()))
                        .map(str::to_string)
                        .ok_or_else(|| {
                            EngineError::invalid_request(format!("payer.recurrentParentPayment.{k} is required"))
                        })
                };
                PayerSource::Recurrent {
                    invoice_id: field("invoiceID")?,
                    payment_id: field("paymentID")?,
                }
            }
            Some(other) => {
                return Err(EngineError::invalid_request(format!(
                    "payerType {other} is not supported"
                )))
            }
            None => return Err(EngineError::invalid_request("payer.payerType is required")),
        };
        let contact = check_contact_info(
            payer
                .get("contactInfo")
                .ok_or_else(|| EngineError::invalid_request("payer.contactInfo is required"))?,
        )?;
        let redirect_url = match payer.get("sessionInfo").map(|s| &s["redirectUrl"]) {
            None | Some(Value::Null) => None,
            Some(Value::String(u)) if u.len() <= 2000 && (u.starts_with("http://") || u.starts_with("https://")) => {
                Some(u.clone())
            }
            Some(_) => {
                return Err(EngineError::invalid_request(
                    "payer.sessionInfo.redirectUrl must be an http(s) URL of at most 2000 characters",
                ))
            }
        };

        // A retry with the same session returns what the first call made: one debit at most.
        if let PayerSource::Resource { session, .. } = &source {
            if let Some(existing) = self.payment_where("payment_session = $1", &[session]).await? {
                return self.same_session(existing, invoice_id);
            }
        }
        let digest = params_digest(raw);
        if let Some(x) = &p.external_id {
            if let Some(existing) = self.payment_by_external(&party_id, x).await? {
                return self.same_external(existing, x, &digest).await;
            }
        }

        let (resource, cvv, mut payer_doc, parent, session) = match &source {
            PayerSource::Resource { token, session } => {
                let (resource, cvv) = self.resolve_payment_tool_token(&party_id, token, false).await?;
                if &resource.payment_session != session {
                    return Err(logic(
                        "invalidPaymentSession",
                        "the payment session does not belong to this payment tool token",
                    ));
                }
                let doc = json!({
                    "payerType": "PaymentResourcePayer",
                    // The stored token names the card but carries no CVV.
                    "paymentToolToken": self.payment_tool_token(&resource.resource_id, resource.valid_until, None),
                    "paymentSession": session,
                    "paymentToolDetails": resource.details,
                    "clientInfo": resource.client_info,
                    "contactInfo": contact,
                });
                (resource, cvv, doc, None, Some(session.clone()))
            }
            PayerSource::Recurrent {
                invoice_id: parent_invoice,
                payment_id: parent_payment,
            } => {
                let bad_parent = |m: &str| logic("invalidRecurrentParent", m.to_string());
                let parent = self
                    .payment_where(
                        "invoice_id = $1 and payment_id = $2 and party_id = $3",
                        &[parent_invoice, parent_payment, &party_id],
                    )
                    .await?
                    .ok_or_else(|| bad_parent("the parent payment does not exist"))?;
                if !parent.make_recurrent {
                    return Err(bad_parent("the parent payment was not made with makeRecurrent: true"));
                }
                if !matches!(
                    parent.status,
                    PaymentStatus::Processed | PaymentStatus::Captured | PaymentStatus::Refunded
                ) {
                    return Err(bad_parent("the parent payment did not succeed"));
                }
                let resource_id = parent
                    .resource_id
                    .clone()
                    .ok_or_else(|| bad_parent("the parent has no card"))?;
                let resource = self.load_resource(&party_id, &resource_id).await?;
                let doc = json!({
                    "payerType": "RecurrentPayer",
                    "recurrentParentPayment": {"invoiceID": parent.invoice_id, "paymentID": parent.payment_id},
                    "paymentToolDetails": resource.details,
                    "contactInfo": contact,
                });
                (resource, None, doc, Some((parent.invoice_id, parent.payment_id)), None)
            }
        };
        if let Some(u) = &redirect_url {
            payer_doc["sessionInfo"] = json!({"redirectUrl": u});
        }
        let party = self.party(&party_id).await?;
        if party.is_blocked || party.is_suspended {
            return Err(logic("invalidPartyStatus", "your organisation is blocked or suspended"));
        }
        let shop = self.shop(&party_id, &invoice.shop_id).await?;
        if !shop.is_active() {
            return Err(logic("invalidShopStatus", "the shop is blocked or suspended (frozen)"));
        }
        self.check_payable(&invoice)?;

        let now = self.clock.now_micros();
        let mut tx = self.db.begin_write().await?;
        // Claim the invoice: only an unpaid invoice with no payment in progress can start one.
        let claimed: Option<(i64,)> = sqlx::query_as(
            "update invoices set payment_seq = payment_seq + 1, active_payment_id = cast(payment_seq + 1 as text), \
             updated_at = $1 where invoice_id = $2 and status = 'unpaid' \
             and active_payment_id is null and due_date > $1 returning payment_seq",
        )
        .bind(now)
        .bind(invoice_id) // this party's invoice: loaded with its owner checked above
        .fetch_optional(&mut *tx)
        .await?;
        let Some((seq,)) = claimed else {
            tx.rollback().await?;
            if let Some(s) = &session {
                if let Some(existing) = self.payment_where("payment_session = $1", &[s]).await? {
                    return self.same_session(existing, invoice_id);
                }
            }
            self.check_payable(&self.invoice(&party_id, invoice_id).await?)?;
            return Err(logic(
                "invoicePaymentPending",
                "another payment on this invoice is in progress",
            ));
        };
        let payment = Payment {
            invoice_id: invoice_id.to_string(),
            payment_id: seq.to_string(),
            party_id: party_id.clone(),
            shop_id: invoice.shop_id.clone(),
            external_id: p.external_id.clone(),
            created_at: now,
            amount: invoice.amount,
            currency: invoice.currency.clone(),
            flow,
            on_hold_expiration,
            held_until: None,
            payer: payer_doc,
            resource_id: Some(resource.resource_id.clone()),
            payment_session: session.clone(),
            make_recurrent: p.make_recurrent,
            metadata: p.metadata.clone(),
            status: PaymentStatus::Pending,
            error: None,
            user_interaction: None,
            bank_ref: None,
            rrn: None,
            approval_code: None,
            fee: 0,
            captured_amount: 0,
            refunded_amount: 0,
            refund_pending: false,
            pending_op: None,
            parent: parent.clone(),
            updated_at: now,
        };
        let inserted = sqlx::query(
            "insert into payments (invoice_id, payment_id, party_id, shop_id, external_id, params_digest, created_at, \
             amount, currency, flow_type, on_hold_expiration, payer_type, resource_id, payment_session, payer_json, \
             make_recurrent, metadata_json, status, parent_invoice_id, parent_payment_id, payer_email, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'pending', $18, $19, $20, $7)",
        )
        .bind(&payment.invoice_id)
        .bind(&payment.payment_id)
        .bind(&party_id)
        .bind(&payment.shop_id)
        .bind(&payment.external_id)
        .bind(&digest)
        .bind(now)
        .bind(payment.amount)
        .bind(&payment.currency)
        .bind(flow.as_str())
        .bind(&payment.on_hold_expiration)
        .bind(payment.payer["payerType"].as_str().unwrap_or("PaymentResourcePayer"))
        .bind(&payment.resource_id)
        .bind(&session)
        .bind(payment.payer.to_string())
        .bind(i64::from(p.make_recurrent))
        .bind(p.metadata.as_ref().map(|m| m.to_string()))
        .bind(parent.as_ref().map(|x| x.0.clone()))
        .bind(parent.as_ref().map(|x| x.1.clone()))
        .bind(payment.payer["contactInfo"]["email"].as_str().map(str::to_lowercase))
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {
                events::emit(
                    &mut tx,
                    invoice_id,
                    now,
                    vec![json!({"changeType": "PaymentStarted", "payment": payment.to_api()})],
                )
                .await?;
                tx.commit().await?;
            }
            Err(e) if is_unique_violation(&e) => {
                // A concurrent retry with the same session or externalID won the race.
                tx.rollback().await?;
                if let Some(s) = &session {
                    if let Some(existing) = self.payment_where("payment_session = $1", &[s]).await? {
                        return self.same_session(existing, invoice_id);
                    }
                }
                if let Some(x) = &p.external_id {
                    if let Some(existing) = self.payment_by_external(&party_id, x).await? {
                        return self.same_external(existing, x, &digest).await;
                    }
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }

        let card = self.card_of(&resource, cvv)?;
        self.authorise(&payment, card, parent.is_some(), &shop).await?;
        let payment = self.reload(&payment).await?;
        Ok((payment, true))
    }

    pub(crate) async fn reload(&self, p: &Payment) -> EngineResult<Payment> {
        self.payment_where("invoice_id = $1 and payment_id = $2", &[&p.invoice_id, &p.payment_id])
            .await?
            .ok_or_else(|| EngineError::Internal("payment vanished".into()))
    }

    pub(crate) fn check_payable(&self, invoice: &Invoice) -> EngineResult<()> {
        if invoice.status != InvoiceStatus::Unpaid {
            return Err(logic(
                "invalidInvoiceStatus",
                format!("the invoice is {}, it cannot be paid", invoice.status.as_str()),
            ));
        }
        if invoice.due_date <= self.clock.now_micros() {
            return Err(logic(
                "invalidInvoiceStatus",
                "the invoice is past its dueDate and can no longer be paid",
            ));
        }
        Ok(())
    }

    async fn payment_by_external(&self, party_id: &str, external_id: &str) -> EngineResult<Option<Payment>> {
        self.payment_where("party_id = $1 and external_id = $2", &[party_id, external_id])
            .await
    }

    fn same_session(&self, existing: Payment, invoice_id: &str) -> EngineResult<(Payment, bool)> {
        if existing.invoice_id == invoice_id {
            Ok((existing, false))
        } else {
            Err(logic(
                "invalidPaymentSession",
                "this payment session was already used for another payment",
            ))
        }
    }

    /// The same externalID with the same parameters is the same payment; otherwise 409.
    async fn same_external(&self, existing: Payment, external_id: &str, digest: &str) -> EngineResult<(Payment, bool)> {
        let stored: Option<(String,)> =
            sqlx::query_as("select params_digest from payments where invoice_id = $1 and payment_id = $2")
                .bind(&existing.invoice_id)
                .bind(&existing.payment_id)
                .fetch_optional(&self.db.pool)
                .await?;
        if stored.map(|s| s.0 == digest).unwrap_or(false) {
            return Ok((existing, false));
        }
        Err(EngineError::ExternalIdConflict {
            external_id: external_id.to_string(),
            id: existing.payment_id,
            message: "This externalID was already used for another payment".into(),
        })
    }
}

enum PayerSource {
    Resource { token: String, session: String },
    Recurrent { invoice_id: String, payment_id: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_rounds_half_up_in_minor_units() {
        assert_eq!(commission(100_000, 10), 100); // 0.1 % of 1 000.00
        assert_eq!(commission(107_000, 10), 107);
        assert_eq!(commission(5_000, 10), 5);
        assert_eq!(commission(4_999, 10), 5);
        assert_eq!(commission(4_499, 10), 4);
        assert_eq!(commission(i64::MAX, 10_000), i64::MAX);
    }

    #[test]
    fn transitions_follow_the_lifecycle() {
        use PaymentStatus::*;
        assert!(Pending.can_become(Processed) && Processed.can_become(Captured) && Captured.can_become(Refunded));
        assert!(!Failed.can_become(Captured) && !Captured.can_become(Pending) && !Refunded.can_become(Captured));
        assert!(Pending.is_in_progress() && Processed.is_in_progress() && !Captured.is_in_progress());
    }

    #[test]
    fn contact_info_rules() {
        assert!(check_contact_info(&json!({"email": "a@b.ru", "phoneNumber": "+79990001122"})).is_ok());
        assert!(check_contact_info(&json!({"email": "nope"})).is_err());
        assert!(check_contact_info(&json!({"phoneNumber": "8999"})).is_err());
        assert!(check_contact_info(&json!("x")).is_err());
    }
}
