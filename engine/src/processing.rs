//! What happens after a payment starts: authorisation, 3-D Secure, capture, cancellation and
//! failure. Bank calls happen outside transactions; each outcome is then applied in one
//! transaction (state, invoice, events, ledger) guarded by the state it expects, so a second
//! request, a worker or another instance racing it finds nothing left to do.

use crate::auth::Principal;
use crate::bank::{AuthOutcome, AuthRequest, Card, OpOutcome, PaymentError};
use crate::error::{EngineError, EngineResult};
use crate::events::{self, invoice_status_changed, payment_status_changed};
use crate::invoices::InvoiceLineParams;
use crate::ledger::{self, shop_account, shop_hold_account, Refs, ACQUIRER, ACQUIRER_HOLDS, FEES};
use crate::parties::Shop;
use crate::payments::{commission, logic, FlowType, Payment, PaymentStatus};
use crate::validate::len_between;
use crate::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

/// Where the buyer's browser lands after 3-D Secure, and what it carries.
#[derive(Debug, Clone)]
pub struct InteractionResult {
    pub payment: Payment,
    pub redirect_url: Option<String>,
}

const MD_KIND: &str = "3ds-md";

/// capturePayment's body (`CaptureParams`).
#[derive(Debug, Clone, Deserialize)]
pub struct CaptureParams {
    pub reason: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub cart: Option<Vec<InvoiceLineParams>>,
    pub allocation: Option<Vec<Value>>,
}

/// cancelPayment's, rescindInvoice's and fulfillInvoice's body (`Reason`).
#[derive(Debug, Clone, Deserialize)]
pub struct ReasonParams {
    pub reason: String,
}

impl Engine {
    /// Sends the authorisation and records the answer.
    pub(crate) async fn authorise(
        &self,
        payment: &Payment,
        card: Card,
        recurrent: bool,
        shop: &Shop,
    ) -> EngineResult<()> {
        let md = self
            .keys
            .sign(MD_KIND, &json!({"i": payment.invoice_id, "p": payment.payment_id}));
        let term_url = format!("{}/interaction/3ds", self.config.public_url.trim_end_matches('/'));
        let req = AuthRequest {
            reference: format!("{}.{}", payment.invoice_id, payment.payment_id),
            amount: payment.amount,
            currency: payment.currency.clone(),
            card,
            recurrent,
            term_url: term_url.clone(),
        };
        match self.bank.authorise(req).await {
            Ok(AuthOutcome::Approved {
                txn_id,
                rrn,
                approval_code,
            }) => self.on_authorised(payment, &txn_id, &rrn, &approval_code, shop).await,
            Ok(AuthOutcome::Declined { txn_id, error }) => self.fail_payment(payment, txn_id.as_deref(), &error).await,
            Ok(AuthOutcome::Challenge { txn_id, acs_url, pareq }) => {
                let interaction = json!({
                    "interactionType": "Redirect",
                    "request": {
                        "requestType": "BrowserPostRequest",
                        "uriTemplate": acs_url,
                        "form": [
                            {"key": "PaReq", "template": pareq},
                            {"key": "MD", "template": md},
                            {"key": "TermUrl", "template": term_url},
                        ],
                    },
                });
                let now = self.clock.now_micros();
                let mut tx = self.db.begin_write().await?;
                let moved = sqlx::query(
                    "update payments set user_interaction_json = $1, bank_ref = $2, updated_at = $3 \
                     where invoice_id = $4 and payment_id = $5 and status = 'pending'",
                )
                .bind(interaction.to_string())
                .bind(&txn_id)
                .bind(now)
                .bind(&payment.invoice_id)
                .bind(&payment.payment_id)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() == 1 {
                    let change = json!({"changeType": "PaymentInteractionRequested", "paymentID": payment.payment_id, "userInteraction": interaction});
                    events::emit(&mut tx, &payment.invoice_id, now, vec![change]).await?;
                }
                tx.commit().await?;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "acquirer unavailable; failing the payment");
                let error = PaymentError::from_path("authorization_failed:temporarily_unavailable");
                self.fail_payment(payment, None, &error).await
            }
        }
    }

    /// pending → processed (a hold starts its clock); an instant payment then goes on to capture.
    async fn on_authorised(
        &self,
        p: &Payment,
        txn_id: &str,
        rrn: &str,
        approval: &str,
        shop: &Shop,
    ) -> EngineResult<()> {
        let now = self.clock.now_micros();
        let held_until = (p.flow == FlowType::Hold).then(|| now + shop.hold_seconds * 1_000_000);
        let mut tx = self.db.begin_write().await?;
        let moved = sqlx::query(
            "update payments set status = 'processed', bank_ref = $1, rrn = $2, approval_code = $3, \
             user_interaction_json = null, authorised_at = $4, held_until = $5, updated_at = $4 \
             where invoice_id = $6 and payment_id = $7 and status = 'pending'",
        )
        .bind(txn_id)
        .bind(rrn)
        .bind(approval)
        .bind(now)
        .bind(held_until)
        .bind(&p.invoice_id)
        .bind(&p.payment_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(()); // someone else already moved it on
        }
        let mut changes = Vec::new();
        if let Some(ui) = &p.user_interaction {
            changes.push(
                json!({"changeType": "PaymentInteractionCompleted", "paymentID": p.payment_id, "userInteraction": ui}),
            );
        }
        changes.push(payment_status_changed(&p.payment_id, "processed", None));
        events::emit(&mut tx, &p.invoice_id, now, changes).await?;
        if p.flow == FlowType::Hold {
            let refs = Refs {
                invoice_id: &p.invoice_id,
                payment_id: &p.payment_id,
                refund_id: None,
                currency: &p.currency,
                kind: "hold",
                now,
            };
            ledger::post(
                &mut tx,
                &refs,
                &[(ACQUIRER_HOLDS, -p.amount), (&shop_hold_account(&p.shop_id), p.amount)],
            )
            .await?;
        }
        tx.commit().await?;
        if p.flow == FlowType::Instant && self.claim(p, "capture", Some(p.amount)).await? {
            let p = self.reload(p).await?;
            self.finish_capture(&p, shop).await?;
        }
        Ok(())
    }

    /// Claims a processed payment for one capture or cancel. Exactly one claimant wins.
    pub(crate) async fn claim(&self, p: &Payment, op: &str, capture_amount: Option<i64>) -> EngineResult<bool> {
        let done = sqlx::query(
            "update payments set pending_op = $1, captured_amount = coalesce($2, captured_amount), updated_at = $3 \
             where invoice_id = $4 and payment_id = $5 and status = 'processed' and pending_op is null",
        )
        .bind(op)
        .bind(capture_amount)
        .bind(self.clock.now_micros())
        .bind(&p.invoice_id)
        .bind(&p.payment_id)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// processed (claimed for capture) → captured: commission, invoice paid, hold released and
    /// the capture posted — one transaction.
    pub(crate) async fn finish_capture(&self, p: &Payment, shop: &Shop) -> EngineResult<()> {
        let amount = p.captured_amount;
        match self
            .bank
            .capture(p.bank_ref.as_deref().unwrap_or_default(), amount)
            .await?
        {
            OpOutcome::Done => {
                let now = self.clock.now_micros();
                let fee = commission(amount, shop.fee_bps);
                let mut tx = self.db.begin_write().await?;
                let moved = sqlx::query(
                    "update payments set status = 'captured', pending_op = null, fee = $1, updated_at = $2 \
                     where invoice_id = $3 and payment_id = $4 and status = 'processed' and pending_op = 'capture'",
                )
                .bind(fee)
                .bind(now)
                .bind(&p.invoice_id)
                .bind(&p.payment_id)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() == 1 {
                    let paid = sqlx::query(
                        "update invoices set status = 'paid', updated_at = $1 where invoice_id = $2 and status = 'unpaid'",
                    )
                    .bind(now)
                    .bind(&p.invoice_id)
                    .execute(&mut *tx)
                    .await?;
                    let mut changes = vec![payment_status_changed(&p.payment_id, "captured", None)];
                    if paid.rows_affected() == 1 {
                        changes.push(invoice_status_changed("paid", None));
                    }
                    events::emit(&mut tx, &p.invoice_id, now, changes).await?;
                    let refs = Refs {
                        invoice_id: &p.invoice_id,
                        payment_id: &p.payment_id,
                        refund_id: None,
                        currency: &p.currency,
                        kind: "capture",
                        now,
                    };
                    if p.flow == FlowType::Hold {
                        let release = Refs {
                            kind: "hold_release",
                            ..refs
                        };
                        ledger::post(
                            &mut tx,
                            &release,
                            &[(ACQUIRER_HOLDS, p.amount), (&shop_hold_account(&p.shop_id), -p.amount)],
                        )
                        .await?;
                    }
                    let refs = Refs {
                        invoice_id: &p.invoice_id,
                        payment_id: &p.payment_id,
                        refund_id: None,
                        currency: &p.currency,
                        kind: "capture",
                        now,
                    };
                    ledger::post(
                        &mut tx,
                        &refs,
                        &[
                            (ACQUIRER, -amount),
                            (&shop_account(&p.shop_id), amount - fee),
                            (FEES, fee),
                        ],
                    )
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }
            OpOutcome::Failed(error) => {
                if p.flow == FlowType::Instant {
                    self.fail_payment(p, None, &error).await
                } else {
                    self.release_claim(p).await?;
                    Err(logic(
                        "operationNotPermitted",
                        format!("the bank refused the capture: {}", error.path()),
                    ))
                }
            }
        }
    }

    /// processed (claimed for cancel) → cancelled: the hold is released and the invoice cancelled.
    pub(crate) async fn finish_cancel(&self, p: &Payment, reason: &str) -> EngineResult<()> {
        match self.bank.cancel(p.bank_ref.as_deref().unwrap_or_default()).await? {
            OpOutcome::Done => {
                let now = self.clock.now_micros();
                let mut tx = self.db.begin_write().await?;
                let moved = sqlx::query(
                    "update payments set status = 'cancelled', pending_op = null, captured_amount = 0, updated_at = $1 \
                     where invoice_id = $2 and payment_id = $3 and status = 'processed' and pending_op = 'cancel'",
                )
                .bind(now)
                .bind(&p.invoice_id)
                .bind(&p.payment_id)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() == 1 {
                    let cancelled = sqlx::query(
                        "update invoices set status = 'cancelled', reason = $1, updated_at = $2 \
                         where invoice_id = $3 and status = 'unpaid'",
                    )
                    .bind(reason)
                    .bind(now)
                    .bind(&p.invoice_id)
                    .execute(&mut *tx)
                    .await?;
                    let mut changes = vec![payment_status_changed(&p.payment_id, "cancelled", None)];
                    if cancelled.rows_affected() == 1 {
                        changes.push(invoice_status_changed("cancelled", Some(reason)));
                    }
                    events::emit(&mut tx, &p.invoice_id, now, changes).await?;
                    if p.flow == FlowType::Hold {
                        let refs = Refs {
                            invoice_id: &p.invoice_id,
                            payment_id: &p.payment_id,
                            refund_id: None,
                            currency: &p.currency,
                            kind: "hold_release",
                            now,
                        };
                        ledger::post(
                            &mut tx,
                            &refs,
                            &[(ACQUIRER_HOLDS, p.amount), (&shop_hold_account(&p.shop_id), -p.amount)],
                        )
                        .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }
            OpOutcome::Failed(error) => {
                self.release_claim(p).await?;
                Err(logic(
                    "operationNotPermitted",
                    format!("the bank refused the cancellation: {}", error.path()),
                ))
            }
        }
    }

    async fn release_claim(&self, p: &Payment) -> EngineResult<()> {
        sqlx::query("update payments set pending_op = null, updated_at = $1 where invoice_id = $2 and payment_id = $3 and status = 'processed'")
            .bind(self.clock.now_micros())
            .bind(&p.invoice_id)
            .bind(&p.payment_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// pending (or an instant payment whose capture failed) → failed; the invoice is free again.
    pub(crate) async fn fail_payment(
        &self,
        p: &Payment,
        txn_id: Option<&str>,
        error: &PaymentError,
    ) -> EngineResult<()> {
        let now = self.clock.now_micros();
        let current = self.reload(p).await?;
        let error_json = serde_json::to_value(error).unwrap_or(Value::Null);
        let mut tx = self.db.begin_write().await?;
        let moved = sqlx::query(
            "update payments set status = 'failed', error_json = $1, bank_ref = coalesce($2, bank_ref), \
             user_interaction_json = null, pending_op = null, captured_amount = 0, updated_at = $3 \
             where invoice_id = $4 and payment_id = $5 \
             and (status = 'pending' or (status = 'processed' and flow_type = 'PaymentFlowInstant'))",
        )
        .bind(error_json.to_string())
        .bind(txn_id)
        .bind(now)
        .bind(&p.invoice_id)
        .bind(&p.payment_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 1 {
            sqlx::query(
                "update invoices set active_payment_id = null, updated_at = $1 where invoice_id = $2 and active_payment_id = $3",
            )
            .bind(now)
            .bind(&p.invoice_id)
            .bind(&p.payment_id)
            .execute(&mut *tx)
            .await?;
            let mut changes = Vec::new();
            if let Some(ui) = &current.user_interaction {
                changes.push(json!({"changeType": "PaymentInteractionCompleted", "paymentID": p.payment_id, "userInteraction": ui}));
            }
            changes.push(payment_status_changed(&p.payment_id, "failed", Some(&error_json)));
            events::emit(&mut tx, &p.invoice_id, now, changes).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The buyer came back from the issuer's 3-D Secure page (`TermUrl`) with `MD` and `PaRes`.
    #[tracing::instrument(skip_all)]
    pub async fn complete_interaction(&self, md: &str, pares: &str) -> EngineResult<InteractionResult> {
        let claims = self
            .keys
            .verify(MD_KIND, md)
            .ok_or_else(|| EngineError::invalid_request("MD is not valid"))?;
        let (Some(invoice_id), Some(payment_id)) = (claims["i"].as_str(), claims["p"].as_str()) else {
            return Err(EngineError::invalid_request("MD is not valid"));
        };
        let payment = self
            .payment_where("invoice_id = $1 and payment_id = $2", &[invoice_id, payment_id])
            .await?
            .ok_or_else(|| EngineError::not_found("Payment"))?;
        let redirect_url = payment.payer["sessionInfo"]["redirectUrl"].as_str().map(str::to_string);
        if payment.status == PaymentStatus::Pending && payment.user_interaction.is_some() {
            let txn_id = payment.bank_ref.clone().unwrap_or_default();
            let shop = self.shop(&payment.party_id, &payment.shop_id).await?;
            match self.bank.complete_challenge(&txn_id, pares).await? {
                AuthOutcome::Approved {
                    txn_id,
                    rrn,
                    approval_code,
                } => {
                    self.on_authorised(&payment, &txn_id, &rrn, &approval_code, &shop)
                        .await?
                }
                AuthOutcome::Declined { error, .. } => self.fail_payment(&payment, None, &error).await?,
                AuthOutcome::Challenge { .. } => {}
            }
        }
        let payment = self.reload(&payment).await?;
        Ok(InteractionResult { payment, redirect_url })
    }

    /// capturePayment: a held payment is captured in full or in part; the rest is released.
    #[tracing::instrument(skip_all, fields(invoice_id = %invoice_id, payment_id = %payment_id))]
    pub async fn capture_payment(
        &self,
        who: &Principal,
        invoice_id: &str,
        payment_id: &str,
        c: CaptureParams,
    ) -> EngineResult<()> {
        let p = self
            .held_payment(who, invoice_id, payment_id, &c.reason, "captured")
            .await?;
        if let Some(cur) = &c.currency {
            if cur != &p.currency {
                return Err(logic(
                    "inconsistentCaptureCurrency",
                    format!("the payment is in {}", p.currency),
                ));
            }
        }
        let mut amount = c.amount.unwrap_or(p.amount);
        if let Some(lines) = &c.cart {
            let (_, total) = crate::invoices::check_cart(lines)?;
            if c.amount.is_some() && total != amount {
                return Err(logic(
                    "invalidInvoiceCart",
                    format!("the cart totals {total}, not {amount}"),
                ));
            }
            amount = total;
        }
        if c.allocation.is_some() {
            return Err(logic(
                "allocationNotPermitted",
                "allocation on capture is not available",
            ));
        }
        if amount < 1 {
            return Err(EngineError::invalid_request("amount must be at least 1"));
        }
        if amount > p.amount {
            return Err(logic(
                "amountExceededCaptureBalance",
                format!("at most {} is held", p.amount),
            ));
        }
        let shop = self.shop(&p.party_id, &p.shop_id).await?;
        // Freezing stops new invoices and payments; a hold already authorised may still be
        // settled (its expiry policy would capture it anyway). A blocked shop settles nothing.
        if shop.is_blocked {
            return Err(logic("invalidShopStatus", "the shop is blocked"));
        }
        if !self.claim(&p, "capture", Some(amount)).await? {
            return Err(self.not_capturable(&p).await);
        }
        let p = self.reload(&p).await?;
        self.finish_capture(&p, &shop).await
    }

    /// cancelPayment: a held payment is released; the invoice is cancelled.
    #[tracing::instrument(skip_all, fields(invoice_id = %invoice_id, payment_id = %payment_id))]
    pub async fn cancel_payment(
        &self,
        who: &Principal,
        invoice_id: &str,
        payment_id: &str,
        r: ReasonParams,
    ) -> EngineResult<()> {
        let p = self
            .held_payment(who, invoice_id, payment_id, &r.reason, "cancelled")
            .await?;
        if !self.claim(&p, "cancel", None).await? {
            return Err(self.not_capturable(&p).await);
        }
        self.finish_cancel(&p, &r.reason).await
    }

    /// The merchant's two-stage payment that a capture or cancel names, with its reason checked.
    async fn held_payment(
        &self,
        who: &Principal,
        invoice_id: &str,
        payment_id: &str,
        reason: &str,
        verb: &str,
    ) -> EngineResult<Payment> {
        who.require_merchant()?;
        let p = self.payment(who, invoice_id, payment_id).await?;
        len_between("reason", reason, 0, 1000)?;
        if p.flow != FlowType::Hold {
            return Err(logic(
                "operationNotPermitted",
                format!("only a two-stage (PaymentFlowHold) payment can be {verb}"),
            ));
        }
        Ok(p)
    }

    async fn not_capturable(&self, p: &Payment) -> EngineError {
        match self.reload(p).await {
            Ok(now) if now.status == PaymentStatus::Processed => logic(
                "invalidPaymentStatus",
                "the payment is already being captured or cancelled",
            ),
            Ok(now) => logic(
                "invalidPaymentStatus",
                format!(
                    "the payment is {}; only a held (processed) payment can be captured or cancelled",
                    now.status.as_str()
                ),
            ),
            Err(e) => e,
        }
    }
}
