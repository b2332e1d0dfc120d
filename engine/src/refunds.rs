//! Refunds: full or partial, one pending at a time, never more than was captured.
//!
//! The captured amount is reserved in the same guarded update that starts a refund
//! (`refunded_amount + $amount <= captured_amount`), so concurrent refunds can never together
//! exceed it; a failed refund gives its reservation back.

use crate::auth::Principal;
use crate::bank::OpOutcome;
use crate::clock::rfc3339;
use crate::db::is_unique_violation;
use crate::error::{EngineError, EngineResult};
use crate::events::{self, payment_status_changed};
use crate::invoices::{check_cart, params_digest, InvoiceLineParams};
use crate::ledger::{self, shop_account, Refs, ACQUIRER};
use crate::payments::{logic, Payment, PaymentStatus};
use crate::validate::len_between;
use crate::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sqlx::Row;

#[derive(Debug, Clone, Deserialize)]
pub struct RefundParams {
    #[serde(rename = "externalID")]
    pub external_id: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub reason: Option<String>,
    pub cart: Option<Vec<InvoiceLineParams>>,
    pub allocation: Option<Vec<Value>>,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub invoice_id: String,
    pub payment_id: String,
    pub refund_id: String,
    pub party_id: String,
    pub shop_id: String,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub amount: i64,
    pub currency: String,
    pub reason: Option<String>,
    pub cart: Option<Value>,
    pub status: String,
    pub error: Option<Value>,
}

impl Refund {
    /// Upstream `Refund`, plus `invoiceID`/`paymentID` so a refund found by externalID is placeable.
    pub fn to_api(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.refund_id));
        if let Some(x) = &self.external_id {
            o.insert("externalID".into(), json!(x));
        }
        o.insert("invoiceID".into(), json!(self.invoice_id));
        o.insert("paymentID".into(), json!(self.payment_id));
        o.insert("createdAt".into(), json!(rfc3339(self.created_at)));
        o.insert("amount".into(), json!(self.amount));
        o.insert("currency".into(), json!(self.currency));
        if let Some(r) = &self.reason {
            o.insert("reason".into(), json!(r));
        }
        if let Some(c) = &self.cart {
            o.insert("cart".into(), c.clone());
        }
        o.insert("status".into(), json!(self.status));
        if let Some(e) = &self.error {
            o.insert("error".into(), e.clone());
        }
        Value::Object(o)
    }
}

pub(crate) const REFUND_COLUMNS: &str =
    "invoice_id, payment_id, refund_id, party_id, shop_id, external_id, created_at, amount, \
     currency, reason, cart_json, status, error_json";

pub(crate) fn refund_from_row(r: &sqlx::any::AnyRow) -> Result<Refund, sqlx::Error> {
    let json_opt = |col: &str| -> Result<Option<Value>, sqlx::Error> {
        Ok(r.try_get::<Option<String>, _>(col)?
            .and_then(|t| serde_json::from_str(&t).ok()))
    };
    Ok(Refund {
        invoice_id: r.try_get("invoice_id")?,
        payment_id: r.try_get("payment_id")?,
        refund_id: r.try_get("refund_id")?,
        party_id: r.try_get("party_id")?,
        shop_id: r.try_get("shop_id")?,
        external_id: r.try_get("external_id")?,
        created_at: r.try_get("created_at")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        reason: r.try_get("reason")?,
        cart: json_opt("cart_json")?,
        status: r.try_get("status")?,
        error: json_opt("error_json")?,
    })
}

impl Engine {
    async fn refund_where(&self, clause: &str, binds: &[&str]) -> EngineResult<Vec<Refund>> {
        let sql = format!("select {REFUND_COLUMNS} from refunds where {clause}");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(*b);
        }
        let rows = q.fetch_all(&self.db.pool).await?;
        Ok(rows.iter().map(refund_from_row).collect::<Result<_, _>>()?)
    }

    pub async fn refunds(&self, who: &Principal, invoice_id: &str, payment_id: &str) -> EngineResult<Vec<Refund>> {
        who.require_merchant()?;
        self.payment(who, invoice_id, payment_id).await?;
        self.refund_where(
            "invoice_id = $1 and payment_id = $2 and party_id = $3 order by created_at, length(refund_id), refund_id",
            &[invoice_id, payment_id, who.party_id()],
        )
        .await
    }

    pub async fn refund(
        &self,
        who: &Principal,
        invoice_id: &str,
        payment_id: &str,
        refund_id: &str,
    ) -> EngineResult<Refund> {
        who.require_merchant()?;
        self.refund_where(
            "invoice_id = $1 and payment_id = $2 and refund_id = $3 and party_id = $4",
            &[invoice_id, payment_id, refund_id, who.party_id()],
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::not_found("Refund"))
    }

    pub async fn refund_by_external_id(&self, who: &Principal, external_id: &str) -> EngineResult<Refund> {
        let party_id = who.require_merchant()?;
        self.refund_where("party_id = $1 and external_id = $2", &[party_id, external_id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| EngineError::not_found("Refund"))
    }

    /// The same externalID with the same parameters is the same refund; otherwise 409.
    async fn same_refund(
        &self,
        party_id: &str,
        external_id: &str,
        digest: &str,
    ) -> EngineResult<Option<(Refund, bool)>> {
        let row = sqlx::query(&format!(
            "select {REFUND_COLUMNS}, params_digest from refunds where party_id = $1 and external_id = $2"
        ))
        .bind(party_id)
        .bind(external_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let existing = refund_from_row(&row)?;
        if row.try_get::<String, _>("params_digest")? == digest {
            return Ok(Some((existing, false)));
        }
        Err(EngineError::ExternalIdConflict {
            external_id: external_id.to_string(),
            id: existing.refund_id,
            message: "This externalID was already used for another refund".into(),
        })
    }

    /// createRefund. Returns the refund after the bank answered and whether this call made it.
    #[tracing::instrument(skip_all, fields(invoice_id = %invoice_id, payment_id = %payment_id))]
    pub async fn create_refund(
        &self,
        who: &Principal,
        invoice_id: &str,
        payment_id: &str,
        raw: &Value,
        r: RefundParams,
    ) -> EngineResult<(Refund, bool)> {
        let party_id = who.require_merchant()?.to_string();
        let p = self.payment(who, invoice_id, payment_id).await?;
        if let Some(x) = &r.external_id {
            len_between("externalID", x, 1, 40)?;
        }
        if let Some(reason) = &r.reason {
            len_between("reason", reason, 0, 1000)?;
        }
        let digest = params_digest(raw);
        if let Some(x) = &r.external_id {
            if let Some(found) = self.same_refund(&party_id, x, &digest).await? {
                return Ok(found);
            }
        }
        if let Some(cur) = &r.currency {
            if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(EngineError::invalid_request(
                    "currency must be three capital letters (ISO 4217)",
                ));
            }
            if cur != &p.currency {
                return Err(logic(
                    "inconsistentRefundCurrency",
                    format!("the payment is in {}", p.currency),
                ));
            }
        }
        if r.allocation.is_some() {
            return Err(logic(
                "allocationNotPermitted",
                "allocation on refunds is not available",
            ));
        }
        let cart = match &r.cart {
            Some(lines) => Some(check_cart(lines)?),
            None => None,
        };
        let amount = match (r.amount, &cart) {
            (Some(a), _) if a < 1 => return Err(EngineError::invalid_request("amount must be at least 1")),
            (Some(a), Some((_, total))) if a != *total => {
                return Err(logic("invalidInvoiceCart", format!("the cart totals {total}, not {a}")))
            }
            (Some(a), _) => a,
            (None, Some((_, total))) => *total,
            // No amount: refund what is left.
            (None, None) => p.captured_amount - p.refunded_amount,
        };
        if p.status != PaymentStatus::Captured {
            return Err(logic(
                "invalidPaymentStatus",
                format!(
                    "the payment is {}; only a captured payment can be refunded",
                    p.status.as_str()
                ),
            ));
        }
        if amount < 1 {
            return Err(logic(
                "invoicePaymentAmountExceeded",
                "the payment is already refunded in full",
            ));
        }
        let shop = self.shop(&party_id, &p.shop_id).await?;
        if shop.is_blocked {
            return Err(logic("invalidShopStatus", "the shop is blocked"));
        }

        let now = self.clock.now_micros();
        let mut tx = self.db.begin_write().await?;
        let reserved: Option<(i64,)> = sqlx::query_as(
            "update payments set refunded_amount = refunded_amount + $1, refund_seq = refund_seq + 1, refund_pending = 1, \
             updated_at = $2 where invoice_id = $3 and payment_id = $4 and status = 'captured' and refund_pending = 0 \
             and refunded_amount + $1 <= captured_amount returning refund_seq",
        )
        .bind(amount)
        .bind(now)
        .bind(invoice_id)
        .bind(payment_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((seq,)) = reserved else {
            tx.rollback().await?;
            let now_p = self.reload(&p).await?;
            let left = now_p.captured_amount - now_p.refunded_amount;
            // Judge by amounts: a refund that fits failed only because another one was pending
            // at that instant (it may have finished since).
            return Err(if now_p.status != PaymentStatus::Captured {
                logic(
                    "invalidPaymentStatus",
                    format!("the payment is {}", now_p.status.as_str()),
                )
            } else if amount > left {
                logic(
                    "invoicePaymentAmountExceeded",
                    format!("{left} of {} is left to refund", now_p.captured_amount),
                )
            } else {
                logic(
                    "operationNotPermitted",
                    "another refund of this payment is pending; try again when it completes",
                )
            });
        };
        let refund = Refund {
            invoice_id: invoice_id.to_string(),
            payment_id: payment_id.to_string(),
            refund_id: seq.to_string(),
            party_id: party_id.clone(),
            shop_id: p.shop_id.clone(),
            external_id: r.external_id.clone(),
            created_at: now,
            amount,
            currency: p.currency.clone(),
            reason: r.reason.clone(),
            cart: cart.map(|c| c.0),
            status: "pending".into(),
            error: None,
        };
        let inserted = sqlx::query(
            "insert into refunds (invoice_id, payment_id, refund_id, party_id, shop_id, external_id, params_digest, \
             created_at, amount, currency, reason, cart_json, status, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $8)",
        )
        .bind(invoice_id)
        .bind(payment_id)
        .bind(&refund.refund_id)
        .bind(&party_id)
        .bind(&refund.shop_id)
        .bind(&refund.external_id)
        .bind(&digest)
        .bind(now)
        .bind(amount)
        .bind(&refund.currency)
        .bind(&refund.reason)
        .bind(refund.cart.as_ref().map(|c| c.to_string()))
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {
                let change = json!({"changeType": "RefundStarted", "paymentID": payment_id, "refund": refund.to_api()});
                events::emit(&mut tx, invoice_id, now, vec![change]).await?;
                tx.commit().await?;
            }
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                if let Some(x) = &r.external_id {
                    if let Some(found) = self.same_refund(&party_id, x, &digest).await? {
                        return Ok(found);
                    }
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
        self.process_refund(&p, &refund).await?;
        Ok((self.refund(who, invoice_id, payment_id, &refund.refund_id).await?, true))
    }

    /// Asks the bank (idempotently, by refund reference) and applies its answer.
    pub(crate) async fn process_refund(&self, p: &Payment, refund: &Refund) -> EngineResult<()> {
        let reference = format!("{}.{}.{}", refund.invoice_id, refund.payment_id, refund.refund_id);
        let outcome = self
            .bank
            .refund(p.bank_ref.as_deref().unwrap_or_default(), &reference, refund.amount)
            .await?;
        let now = self.clock.now_micros();
        let mut tx = self.db.begin_write().await?;
        let (status, error) = match &outcome {
            OpOutcome::Done => ("succeeded", None),
            OpOutcome::Failed(e) => (
                "failed",
                Some(json!({"code": e.code, "message": format!("the bank refused the refund: {}", e.path())})),
            ),
        };
        let moved = sqlx::query(
            "update refunds set status = $1, error_json = $2, updated_at = $3 where invoice_id = $4 and payment_id = $5 \
             and refund_id = $6 and status = 'pending'",
        )
        .bind(status)
        .bind(error.as_ref().map(|e| e.to_string()))
        .bind(now)
        .bind(&refund.invoice_id)
        .bind(&refund.payment_id)
        .bind(&refund.refund_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(()); // already finished by someone else
        }
        let mut change = json!({"changeType": "RefundStatusChanged", "paymentID": refund.payment_id, "refundID": refund.refund_id, "status": status});
        if let Some(e) = &error {
            change["error"] = e.clone();
        }
        let mut changes = vec![change];
        if status == "succeeded" {
            let fully: Option<(i64,)> = sqlx::query_as(
                "update payments set refund_pending = 0, status = case when refunded_amount = captured_amount then 'refunded' \
                 else status end, updated_at = $1 where invoice_id = $2 and payment_id = $3 \
                 returning cast(case when status = 'refunded' then 1 else 0 end as bigint)",
            )
            .bind(now)
            .bind(&refund.invoice_id)
            .bind(&refund.payment_id)
            .fetch_optional(&mut *tx)
            .await?;
            if fully.map(|f| f.0 == 1).unwrap_or(false) {
                changes.push(payment_status_changed(&refund.payment_id, "refunded", None));
            }
            let refs = Refs {
                invoice_id: &refund.invoice_id,
                payment_id: &refund.payment_id,
                refund_id: Some(&refund.refund_id),
                currency: &refund.currency,
                kind: "refund",
                now,
            };
            ledger::post(
                &mut tx,
                &refs,
                &[
                    (&shop_account(&refund.shop_id), -refund.amount),
                    (ACQUIRER, refund.amount),
                ],
            )
            .await?;
        } else {
            sqlx::query(
                "update payments set refund_pending = 0, refunded_amount = refunded_amount - $1, updated_at = $2 \
                 where invoice_id = $3 and payment_id = $4",
            )
            .bind(refund.amount)
            .bind(now)
            .bind(&refund.invoice_id)
            .bind(&refund.payment_id)
            .execute(&mut *tx)
            .await?;
        }
        events::emit(&mut tx, &refund.invoice_id, now, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refunds left pending by a crash, for the recovery worker.
    pub(crate) async fn stale_refunds(&self, before: i64) -> EngineResult<Vec<Refund>> {
        let rows = sqlx::query(&format!(
            "select {REFUND_COLUMNS} from refunds where status = 'pending' and updated_at <= $1 limit 100"
        ))
        .bind(before)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.iter().map(refund_from_row).collect::<Result<_, _>>()?)
    }
}
