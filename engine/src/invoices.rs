//! Invoices: creation with upstream's validation and externalID idempotency, and reading.
//!
//! Lifecycle: `unpaid` → `paid` → `fulfilled`, or `unpaid` → `cancelled`.

use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::crypto::sha256_hex;
use crate::error::{EngineError, EngineResult};
use crate::events::{self, invoice_status_changed};
use crate::validate::{all_digits, len_between, parse_instant};
use crate::{ids, Engine};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceStatus {
    Unpaid,
    Paid,
    Cancelled,
    Fulfilled,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Unpaid => "unpaid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Cancelled => "cancelled",
            InvoiceStatus::Fulfilled => "fulfilled",
        }
    }
    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        match s {
            "unpaid" => Some(InvoiceStatus::Unpaid),
            "paid" => Some(InvoiceStatus::Paid),
            "cancelled" => Some(InvoiceStatus::Cancelled),
            "fulfilled" => Some(InvoiceStatus::Fulfilled),
            _ => None,
        }
    }
}

/// createInvoice's body (`InvoiceParams`). Unknown fields are ignored, as upstream does.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceParams {
    #[serde(rename = "shopID")]
    pub shop_id: String,
    #[serde(rename = "partyID")]
    pub party_id: Option<String>,
    #[serde(rename = "externalID")]
    pub external_id: Option<String>,
    pub due_date: String,
    pub amount: Option<i64>,
    pub currency: String,
    pub product: String,
    pub description: Option<String>,
    pub cart: Option<Vec<InvoiceLineParams>>,
    pub allocation: Option<Vec<Value>>,
    pub bank_account: Option<Value>,
    pub metadata: Value,
    pub client_info: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceLineParams {
    pub product: String,
    #[serde(default = "one")]
    pub quantity: i64,
    pub price: i64,
    #[serde(rename = "taxMode")]
    pub tax_mode: Option<Value>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    pub invoice_id: String,
    pub party_id: String,
    pub shop_id: String,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub due_date: i64,
    pub amount: i64,
    pub currency: String,
    pub product: String,
    pub description: Option<String>,
    pub cart: Option<Value>,
    pub allocation: Option<Value>,
    pub bank_account: Option<Value>,
    pub metadata: Value,
    pub client_info: Option<Value>,
    pub status: InvoiceStatus,
    pub reason: Option<String>,
    pub active_payment_id: Option<String>,
}

impl Invoice {
    /// Upstream `Invoice`.
    pub fn to_api(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.invoice_id));
        o.insert("shopID".into(), json!(self.shop_id));
        if let Some(x) = &self.external_id {
            o.insert("externalID".into(), json!(x));
        }
        o.insert("createdAt".into(), json!(rfc3339(self.created_at)));
        o.insert("dueDate".into(), json!(rfc3339(self.due_date)));
        o.insert("amount".into(), json!(self.amount));
        o.insert("currency".into(), json!(self.currency));
        o.insert("product".into(), json!(self.product));
        if let Some(x) = &self.description {
            o.insert("description".into(), json!(x));
        }
        for (k, v) in [
            ("cart", &self.cart),
            ("allocation", &self.allocation),
            ("bankAccount", &self.bank_account),
            ("clientInfo", &self.client_info),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), v.clone());
            }
        }
        o.insert("metadata".into(), self.metadata.clone());
        o.insert("status".into(), json!(self.status.as_str()));
        if let Some(x) = &self.reason {
            o.insert("reason".into(), json!(x));
        }
        Value::Object(o)
    }
}

pub(crate) const INVOICE_COLUMNS: &str = "invoice_id, party_id, shop_id, external_id, created_at, due_date, amount, currency, \
     product, description, cart_json, allocation_json, bank_account_json, metadata_json, client_info_json, status, reason, \
     active_payment_id";

fn parse_json(text: Option<String>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

pub(crate) fn invoice_from_row(r: &sqlx::any::AnyRow) -> Result<Invoice, sqlx::Error> {
    let status: String = r.try_get("status")?;
    Ok(Invoice {
        invoice_id: r.try_get("invoice_id")?,
        party_id: r.try_get("party_id")?,
        shop_id: r.try_get("shop_id")?,
        external_id: r.try_get("external_id")?,
        created_at: r.try_get("created_at")?,
        due_date: r.try_get("due_date")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        product: r.try_get("product")?,
        description: r.try_get("description")?,
        cart: parse_json(r.try_get("cart_json")?),
        allocation: parse_json(r.try_get("allocation_json")?),
        bank_account: parse_json(r.try_get("bank_account_json")?),
        metadata: parse_json(Some(r.try_get("metadata_json")?)).unwrap_or_else(|| json!({})),
        client_info: parse_json(r.try_get("client_info_json")?),
        status: InvoiceStatus::parse(&status).unwrap_or(InvoiceStatus::Unpaid),
        reason: r.try_get("reason")?,
        active_payment_id: r.try_get("active_payment_id")?,
    })
}

const VAT_RATES: &[&str] = &["0%", "10%", "18%", "20%", "10/110", "18/118", "20/120"];

fn bad(code: &'static str, message: impl Into<String>) -> EngineError {
    EngineError::logic(code, message)
}

/// Validates the cart and returns it as stored (with each line's cost) and its total.
pub(crate) fn check_cart(lines: &[InvoiceLineParams]) -> EngineResult<(Value, i64)> {
    if lines.is_empty() {
        return Err(bad("invalidInvoiceCart", "cart must hold at least one line"));
    }
    if lines.len() > 100 {
        return Err(bad("invalidInvoiceCart", "cart may hold at most 100 lines"));
    }
    let mut total: i64 = 0;
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let chars = line.product.chars().count();
        if chars == 0 || chars > 1000 {
            return Err(bad(
                "invalidInvoiceCart",
                format!("cart line {n}: product must be 1 to 1000 characters"),
            ));
        }
        if line.quantity < 1 {
            return Err(bad(
                "invalidInvoiceCart",
                format!("cart line {n}: quantity must be at least 1"),
            ));
        }
        if line.price < 1 {
            return Err(bad(
                "invalidInvoiceCart",
                format!("cart line {n}: price must be at least 1"),
            ));
        }
        let cost = line.price.checked_mul(line.quantity).ok_or_else(|| {
            bad(
                "invalidInvoiceCart",
                format!("cart line {n}: price × quantity is too large"),
            )
        })?;
        total = total
            .checked_add(cost)
            .ok_or_else(|| bad("invalidInvoiceCost", "cart total is too large"))?;
        let mut o = json!({"product": line.product, "quantity": line.quantity, "price": line.price, "cost": cost});
        if let Some(tax) = &line.tax_mode {
            let ok = tax["type"] == "InvoiceLineTaxVAT"
                && tax["rate"].as_str().map(|r| VAT_RATES.contains(&r)).unwrap_or(false);
            if !ok {
                return Err(bad(
                    "invalidInvoiceCart",
                    format!(
                        "cart line {n}: taxMode must be {{\"type\": \"InvoiceLineTaxVAT\", \"rate\": one of {}}}",
                        VAT_RATES.join(", ")
                    ),
                ));
            }
            o["taxMode"] = json!({"type": "InvoiceLineTaxVAT", "rate": tax["rate"]});
        }
        out.push(o);
    }
    Ok((Value::Array(out), total))
}

fn check_bank_account(v: &Value) -> EngineResult<Value> {
    if v["accountType"] != "InvoiceRussianBankAccount" {
        return Err(EngineError::invalid_request(
            "bankAccount.accountType must be InvoiceRussianBankAccount",
        ));
    }
    let account = v["account"].as_str().unwrap_or_default();
    let bik = v["bankBik"].as_str().unwrap_or_default();
    if !all_digits(account, 20) {
        return Err(EngineError::invalid_request("bankAccount.account must be 20 digits"));
    }
    if !all_digits(bik, 9) {
        return Err(EngineError::invalid_request("bankAccount.bankBik must be 9 digits"));
    }
    Ok(json!({"accountType": "InvoiceRussianBankAccount", "account": account, "bankBik": bik}))
}

fn check_client_info(v: &Value) -> EngineResult<Value> {
    match v["trustLevel"].as_str() {
        Some(t @ ("wellKnown" | "unknown")) => Ok(json!({"trustLevel": t})),
        _ => Err(EngineError::invalid_request(
            "clientInfo.trustLevel must be wellKnown or unknown",
        )),
    }
}

/// The fee of an `AllocationBodyTotal` transaction, in minor units.
fn allocation_fee(total: i64, fee: &Value) -> EngineResult<(Value, i64)> {
    let invalid = |m: &str| bad("invalidAllocation", m.to_string());
    match fee["allocationFeeType"].as_str() {
        Some("AllocationFeeFixed") => {
            let amount = fee["amount"]
                .as_i64()
                .filter(|a| *a >= 1)
                .ok_or_else(|| invalid("fixed fee amount must be at least 1"))?;
            Ok((
                json!({"allocationFeeType": "AllocationFeeFixed", "amount": amount}),
                amount,
            ))
        }
        Some("AllocationFeeShare") => {
            let m = fee["share"]["m"]
                .as_i64()
                .filter(|m| *m >= 0)
                .ok_or_else(|| invalid("fee share needs m ≥ 0"))?;
            let exp = fee["share"]["exp"]
                .as_i64()
                .ok_or_else(|| invalid("fee share needs exp"))?;
            // share = m × 10^exp; amount = total × share, rounded half up, in integers.
            let (num, den): (i128, i128) = if exp >= 0 {
                (
                    i128::from(m)
                        * 10i128
                            .checked_pow(exp as u32)
                            .ok_or_else(|| invalid("fee share exp too large"))?,
                    1,
                )
            } else {
                (
                    i128::from(m),
                    10i128
                        .checked_pow((-exp) as u32)
                        .ok_or_else(|| invalid("fee share exp too small"))?,
                )
            };
            let amount = (i128::from(total) * num * 2 + den) / (den * 2);
            let amount = i64::try_from(amount).map_err(|_| invalid("fee share too large"))?;
            Ok((
                json!({"allocationFeeType": "AllocationFeeShare", "share": {"m": m, "exp": exp}, "amount": amount}),
                amount,
            ))
        }
        _ => Err(invalid(
            "fee.allocationFeeType must be AllocationFeeFixed or AllocationFeeShare",
        )),
    }
}

impl Engine {
    /// Validates an allocation against the party's shops and returns it as stored.
    async fn check_allocation(
        &self,
        party_id: &str,
        txs: &[Value],
        amount: i64,
        currency: &str,
    ) -> EngineResult<Value> {
        let invalid = |m: String| bad("invalidAllocation", m);
        if txs.is_empty() || txs.len() > 100 {
            return Err(invalid("allocation must hold 1 to 100 transactions".into()));
        }
        let mut seen = std::collections::HashSet::new();
        let mut sum: i64 = 0;
        let mut out = Vec::new();
        for (i, tx) in txs.iter().enumerate() {
            let n = i + 1;
            if tx["target"]["allocationTargetType"] != "AllocationTargetShop" {
                return Err(invalid(format!(
                    "allocation {n}: target.allocationTargetType must be AllocationTargetShop"
                )));
            }
            let shop_id = tx["target"]["shopID"].as_str().unwrap_or_default();
            if self.shop(party_id, shop_id).await.is_err() {
                return Err(invalid(format!("allocation {n}: shop {shop_id:?} is not one of yours")));
            }
            if !seen.insert(shop_id.to_string()) {
                return Err(invalid(format!("allocation {n}: shop {shop_id} appears twice")));
            }
            if tx["currency"].as_str() != Some(currency) {
                return Err(invalid(format!("allocation {n}: currency must be {currency}")));
            }
            let mut o = json!({"target": {"allocationTargetType": "AllocationTargetShop", "shopID": shop_id}});
            let part = match tx["allocationBodyType"].as_str() {
                Some("AllocationBodyAmount") => {
                    let a = tx["amount"]
                        .as_i64()
                        .filter(|a| *a >= 1)
                        .ok_or_else(|| invalid(format!("allocation {n}: amount must be at least 1")))?;
                    o["allocationBodyType"] = json!("AllocationBodyAmount");
                    o["amount"] = json!(a);
                    a
                }
                Some("AllocationBodyTotal") => {
                    let total = tx["total"]
                        .as_i64()
                        .filter(|a| *a >= 1)
                        .ok_or_else(|| invalid(format!("allocation {n}: total must be at least 1")))?;
                    let (fee, fee_amount) = allocation_fee(total, &tx["fee"])?;
                    if fee_amount >= total {
                        return Err(invalid(format!("allocation {n}: fee must be less than total")));
                    }
                    o["allocationBodyType"] = json!("AllocationBodyTotal");
                    o["total"] = json!(total);
                    o["amount"] = json!(total - fee_amount);
                    o["fee"] = fee;
                    total
                }
                _ => {
                    return Err(invalid(format!(
                        "allocation {n}: allocationBodyType must be AllocationBodyAmount or AllocationBodyTotal"
                    )))
                }
            };
            o["currency"] = json!(currency);
            if let Some(cart) = tx.get("cart").filter(|c| !c.is_null()) {
                let lines: Vec<InvoiceLineParams> =
                    serde_json::from_value(cart.clone()).map_err(|e| invalid(format!("allocation {n}: cart: {e}")))?;
                let (cart, cart_total) = check_cart(&lines)?;
                if cart_total != part {
                    return Err(invalid(format!(
                        "allocation {n}: cart total {cart_total} differs from {part}"
                    )));
                }
                o["cart"] = cart;
            }
            sum = sum
                .checked_add(part)
                .ok_or_else(|| invalid("allocation sum is too large".into()))?;
            out.push(o);
        }
        if sum != amount {
            return Err(invalid(format!(
                "allocation sums to {sum}, the invoice amount is {amount}"
            )));
        }
        Ok(Value::Array(out))
    }

    /// createInvoice. Returns the invoice and whether it was created now (false: the same
    /// externalID and parameters were seen before and the existing invoice is returned).
    #[tracing::instrument(skip_all, fields(party_id = %party_id))]
    pub async fn create_invoice(&self, party_id: &str, raw: &Value, p: InvoiceParams) -> EngineResult<(Invoice, bool)> {
        len_between("shopID", &p.shop_id, 1, 40)?;
        if let Some(pid) = &p.party_id {
            len_between("partyID", pid, 1, 40)?;
            if pid != party_id {
                return Err(bad(
                    "invalidPartyID",
                    format!("party {pid} is not available to this API key"),
                ));
            }
        }
        if let Some(x) = &p.external_id {
            len_between("externalID", x, 1, 40)?;
        }
        let now = self.clock.now_micros();
        let due_date = parse_instant(&p.due_date).ok_or_else(|| {
            bad(
                "invalidDeadline",
                "dueDate must be an RFC 3339 date-time, e.g. 2030-08-24T14:15:22Z",
            )
        })?;
        if due_date <= now {
            return Err(bad("invalidDeadline", "dueDate must be in the future"));
        }
        if p.currency.len() != 3 || !p.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(EngineError::invalid_request(
                "currency must be three capital letters (ISO 4217)",
            ));
        }
        len_between("product", &p.product, 1, 100)?;
        if let Some(d) = &p.description {
            len_between("description", d, 0, 1000)?;
        }
        if !p.metadata.is_object() {
            return Err(EngineError::invalid_request("metadata must be a JSON object"));
        }
        let bank_account = p.bank_account.as_ref().map(check_bank_account).transpose()?;
        let client_info = p.client_info.as_ref().map(check_client_info).transpose()?;

        let party = self.party(party_id).await?;
        let shop = self.shop(party_id, &p.shop_id).await.map_err(|_| {
            bad(
                "invalidShopID",
                format!("shop {} does not exist or is not available", p.shop_id),
            )
        })?;
        if party.is_blocked || party.is_suspended {
            return Err(bad("invalidPartyStatus", "your organisation is blocked or suspended"));
        }
        if !shop.is_active() {
            return Err(bad("invalidShopStatus", "the shop is blocked or suspended (frozen)"));
        }
        if p.currency != shop.currency {
            return Err(bad(
                "invoiceTermsViolated",
                format!("the shop accepts {} only", shop.currency),
            ));
        }

        let (cart, cart_total) = match &p.cart {
            Some(lines) => {
                let (c, t) = check_cart(lines)?;
                (Some(c), Some(t))
            }
            None => (None, None),
        };
        let amount = match (p.amount, cart_total) {
            (Some(a), _) if a < 1 => return Err(bad("invalidInvoiceCost", "amount must be at least 1 (minor units)")),
            (Some(a), Some(t)) if a != t => {
                return Err(bad(
                    "invalidInvoiceCost",
                    format!("amount {a} differs from the cart total {t}"),
                ))
            }
            (Some(a), _) => a,
            (None, Some(t)) => t,
            (None, None) => return Err(bad("invalidInvoiceCost", "give an amount or a cart")),
        };
        let allocation = match &p.allocation {
            Some(txs) => Some(self.check_allocation(party_id, txs, amount, &p.currency).await?),
            None => None,
        };

        let digest = params_digest(raw);
        let invoice = Invoice {
            invoice_id: ids::new_id(),
            party_id: party_id.to_string(),
            shop_id: shop.shop_id.clone(),
            external_id: p.external_id.clone(),
            created_at: now,
            due_date,
            amount,
            currency: p.currency.clone(),
            product: p.product.clone(),
            description: p.description.clone(),
            cart,
            allocation,
            bank_account,
            metadata: p.metadata.clone(),
            client_info,
            status: InvoiceStatus::Unpaid,
            reason: None,
            active_payment_id: None,
        };
        let to_text = |v: &Option<Value>| v.as_ref().map(|v| v.to_string());
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "insert into invoices (invoice_id, party_id, shop_id, external_id, params_digest, created_at, due_date, amount, \
             currency, product, description, cart_json, allocation_json, bank_account_json, metadata_json, client_info_json, \
             status, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'unpaid', $6) \
             on conflict do nothing",
        )
        .bind(&invoice.invoice_id)
        .bind(party_id)
        .bind(&invoice.shop_id)
        .bind(&invoice.external_id)
        .bind(&digest)
        .bind(now)
        .bind(due_date)
        .bind(amount)
        .bind(&invoice.currency)
        .bind(&invoice.product)
        .bind(&invoice.description)
        .bind(to_text(&invoice.cart))
        .bind(to_text(&invoice.allocation))
        .bind(to_text(&invoice.bank_account))
        .bind(invoice.metadata.to_string())
        .bind(to_text(&invoice.client_info))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            let change = json!({"changeType": "InvoiceCreated", "invoice": invoice.to_api()});
            events::emit(&mut tx, &invoice.invoice_id, now, vec![change]).await?;
            tx.commit().await?;
            return Ok((invoice, true));
        }
        tx.rollback().await?;
        // The externalID was used before: the same parameters give the same invoice.
        let external_id = p.external_id.clone().unwrap_or_default();
        let row = sqlx::query(&format!(
            "select {INVOICE_COLUMNS}, params_digest from invoices where party_id = $1 and external_id = $2"
        ))
        .bind(party_id)
        .bind(&external_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| EngineError::Internal("invoice insert conflicted but nothing holds its externalID".into()))?;
        let existing = invoice_from_row(&row)?;
        let existing_digest: String = row.try_get("params_digest")?;
        if existing_digest == digest {
            Ok((existing, false))
        } else {
            Err(EngineError::ExternalIdConflict {
                external_id,
                id: existing.invoice_id,
                message: "This externalID was already used with other invoice parameters".into(),
            })
        }
    }

    /// An invoice of this party; another party's invoice is "not found".
    pub async fn invoice(&self, party_id: &str, invoice_id: &str) -> EngineResult<Invoice> {
        // By primary key only, the owner checked here: a planner without statistics (a fresh
        // PostgreSQL database) could otherwise walk the (party_id, external_id) index instead.
        let row = sqlx::query(&format!("select {INVOICE_COLUMNS} from invoices where invoice_id = $1"))
            .bind(invoice_id)
            .fetch_optional(&self.db.pool)
            .await?;
        match row.map(|r| invoice_from_row(&r)).transpose()? {
            Some(invoice) if invoice.party_id == party_id => Ok(invoice),
            _ => Err(EngineError::not_found("Invoice")),
        }
    }

    pub async fn invoice_by_external_id(&self, party_id: &str, external_id: &str) -> EngineResult<Invoice> {
        let row = sqlx::query(&format!(
            "select {INVOICE_COLUMNS} from invoices where party_id = $1 and external_id = $2"
        ))
        .bind(party_id)
        .bind(external_id)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(r) => Ok(invoice_from_row(&r)?),
            None => Err(EngineError::not_found("Invoice")),
        }
    }
}

impl Engine {
    /// Moves an invoice between statuses in one guarded update plus its event.
    async fn set_invoice_status(
        &self,
        invoice_id: &str,
        from: InvoiceStatus,
        to: InvoiceStatus,
        reason: Option<&str>,
        require_idle: bool,
    ) -> EngineResult<bool> {
        let now = self.clock.now_micros();
        let mut tx = self.db.begin_write().await?;
        let idle = if require_idle {
            " and active_payment_id is null"
        } else {
            ""
        };
        let done = sqlx::query(&format!(
            "update invoices set status = $1, reason = $2, updated_at = $3 where invoice_id = $4 and status = $5{idle}"
        ))
        .bind(to.as_str())
        .bind(reason)
        .bind(now)
        .bind(invoice_id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            events::emit(
                &mut tx,
                invoice_id,
                now,
                vec![invoice_status_changed(to.as_str(), reason)],
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        } else {
            tx.rollback().await?;
            Ok(false)
        }
    }

    /// rescindInvoice: an unpaid invoice with no payment in progress is cancelled.
    pub async fn rescind_invoice(&self, who: &Principal, invoice_id: &str, reason: &str) -> EngineResult<()> {
        let party_id = who.require_merchant()?;
        len_between("reason", reason, 0, 1000)?;
        self.invoice(party_id, invoice_id).await?;
        if self
            .set_invoice_status(
                invoice_id,
                InvoiceStatus::Unpaid,
                InvoiceStatus::Cancelled,
                Some(reason),
                true,
            )
            .await?
        {
            return Ok(());
        }
        let now = self.invoice(party_id, invoice_id).await?;
        Err(if now.status != InvoiceStatus::Unpaid {
            bad(
                "invalidInvoiceStatus",
                format!(
                    "the invoice is {}; only an unpaid invoice can be rescinded",
                    now.status.as_str()
                ),
            )
        } else {
            bad("invoicePaymentPending", "a payment on this invoice is in progress")
        })
    }

    /// fulfillInvoice: a paid invoice is marked fulfilled.
    pub async fn fulfill_invoice(&self, who: &Principal, invoice_id: &str, reason: &str) -> EngineResult<()> {
        let party_id = who.require_merchant()?;
        len_between("reason", reason, 0, 1000)?;
        let invoice = self.invoice(party_id, invoice_id).await?;
        if self
            .set_invoice_status(
                invoice_id,
                InvoiceStatus::Paid,
                InvoiceStatus::Fulfilled,
                Some(reason),
                false,
            )
            .await?
        {
            return Ok(());
        }
        Err(bad(
            "invalidInvoiceStatus",
            format!(
                "the invoice is {}; only a paid invoice can be fulfilled",
                invoice.status.as_str()
            ),
        ))
    }

    /// Cancels unpaid invoices past their dueDate (reason `overdue`). Returns how many.
    pub(crate) async fn expire_overdue_invoices(&self) -> EngineResult<usize> {
        let now = self.clock.now_micros();
        let due: Vec<(String,)> = sqlx::query_as(
            "select invoice_id from invoices where status = 'unpaid' and due_date <= $1 and active_payment_id is null limit 200",
        )
        .bind(now)
        .fetch_all(&self.db.pool)
        .await?;
        let mut n = 0;
        for (invoice_id,) in due {
            if self
                .set_invoice_status(
                    &invoice_id,
                    InvoiceStatus::Unpaid,
                    InvoiceStatus::Cancelled,
                    Some("overdue"),
                    true,
                )
                .await?
            {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// A stable digest of request parameters: serde_json objects keep their keys sorted, so the
/// same JSON document always prints the same way.
pub fn params_digest(raw: &Value) -> String {
    sha256_hex(raw.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(price: i64, quantity: i64) -> InvoiceLineParams {
        InvoiceLineParams {
            product: "tea".into(),
            quantity,
            price,
            tax_mode: None,
        }
    }

    #[test]
    fn cart_costs_and_total() {
        let (cart, total) = check_cart(&[line(1000, 2), line(50, 1)]).unwrap();
        assert_eq!(total, 2050);
        assert_eq!(cart[0]["cost"], 2000);
    }

    #[test]
    fn cart_rules_use_the_cart_code() {
        for lines in [vec![], vec![line(0, 1)], vec![line(10, 0)], vec![line(i64::MAX, 2)]] {
            match check_cart(&lines) {
                Err(EngineError::Logic { code, .. }) => assert_eq!(code, "invalidInvoiceCart"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn allocation_share_fee_rounds_half_up() {
        let (_, fee) = allocation_fee(
            1005,
            &json!({"allocationFeeType": "AllocationFeeShare", "share": {"m": 1, "exp": -1}}),
        )
        .unwrap();
        assert_eq!(fee, 101);
    }

    #[test]
    fn digest_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":{"d":3,"c":2},"a":1}"#).unwrap();
        assert_eq!(params_digest(&a), params_digest(&b));
    }
}
