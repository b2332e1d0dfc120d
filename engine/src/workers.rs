//! Due work: hold expiry, overdue invoices, abandoned 3-D Secure and recovery of operations a
//! crash left half-done. Every step claims its object with a guarded update first, so several
//! app instances can run it at once and still act on each payment exactly once.

use crate::bank::sandbox::PREAUTH_FAILED;
use crate::bank::PaymentError;
use crate::payments::{FlowType, Payment, PaymentStatus};
use crate::{Engine, EngineResult};
use serde::Serialize;

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct WorkReport {
    pub holds_captured: usize,
    pub holds_cancelled: usize,
    pub invoices_expired: usize,
    pub interactions_expired: usize,
    pub operations_recovered: usize,
    pub refunds_recovered: usize,
}

impl WorkReport {
    pub fn is_empty(&self) -> bool {
        *self == WorkReport::default()
    }
}

impl Engine {
    /// Runs everything that is due now (by this engine's clock) once.
    pub async fn run_due_work(&self) -> EngineResult<WorkReport> {
        let mut report = WorkReport::default();
        self.expire_holds(&mut report).await?;
        report.invoices_expired = self.expire_overdue_invoices().await?;
        self.expire_interactions(&mut report).await?;
        self.recover(&mut report).await?;
        Ok(report)
    }

    async fn payments_due(&self, clause: &str, at: i64) -> EngineResult<Vec<Payment>> {
        let keys: Vec<(String, String)> = sqlx::query_as(&format!(
            "select invoice_id, payment_id from payments where {clause} limit 200"
        ))
        .bind(at)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::with_capacity(keys.len());
        for (i, p) in keys {
            if let Some(payment) = self
                .payment_where("invoice_id = $1 and payment_id = $2", &[&i, &p])
                .await?
            {
                out.push(payment);
            }
        }
        Ok(out)
    }

    /// A hold whose `heldUntil` passed gets its policy: capture (shop is paid) or cancel.
    async fn expire_holds(&self, report: &mut WorkReport) -> EngineResult<()> {
        let now = self.clock.now_micros();
        let due = self
            .payments_due(
                "status = 'processed' and flow_type = 'PaymentFlowHold' and pending_op is null and held_until <= $1",
                now,
            )
            .await?;
        for p in due {
            let capture = p.on_hold_expiration.as_deref() == Some("capture");
            let op = if capture { "capture" } else { "cancel" };
            if !self.claim(&p, op, capture.then_some(p.amount)).await? {
                continue; // a merchant's capture/cancel or another instance got there first
            }
            let p = self.reload(&p).await?;
            let result = if capture {
                let shop = self.shop(&p.party_id, &p.shop_id).await?;
                self.finish_capture(&p, &shop).await
            } else {
                self.finish_cancel(&p, "hold expired").await
            };
            match result {
                Ok(()) if capture => report.holds_captured += 1,
                Ok(()) => report.holds_cancelled += 1,
                Err(e) => tracing::warn!(error = %e, invoice_id = %p.invoice_id, "hold expiry failed; will retry"),
            }
        }
        Ok(())
    }

    /// A buyer who never came back from the issuer page: the payment fails.
    async fn expire_interactions(&self, report: &mut WorkReport) -> EngineResult<()> {
        let before = self.clock.now_micros()
            - self
                .config
                .interaction_timeout
                .num_microseconds()
                .unwrap_or(i64::MAX / 4);
        let due = self
            .payments_due(
                "status = 'pending' and user_interaction_json is not null and updated_at <= $1",
                before,
            )
            .await?;
        for p in due {
            self.fail_payment(&p, None, &PaymentError::from_path(PREAUTH_FAILED))
                .await?;
            report.interactions_expired += 1;
        }
        Ok(())
    }

    /// Takes over work a crash interrupted. Only rows untouched for `recovery_after` qualify, and
    /// each is re-claimed by bumping `updated_at` so one instance takes it.
    async fn recover(&self, report: &mut WorkReport) -> EngineResult<()> {
        let now = self.clock.now_micros();
        let before = now - self.config.recovery_after.num_microseconds().unwrap_or(60_000_000);
        let stuck = self
            .payments_due(
                "((status = 'processed' and (pending_op is not null or flow_type = 'PaymentFlowInstant')) \
                 or (status = 'pending' and user_interaction_json is null)) and updated_at <= $1",
                before,
            )
            .await?;
        for p in stuck {
            let taken = sqlx::query(
                "update payments set updated_at = $1 where invoice_id = $2 and payment_id = $3 and updated_at = $4 and status = $5",
            )
            .bind(now)
            .bind(&p.invoice_id)
            .bind(&p.payment_id)
            .bind(p.updated_at)
            .bind(p.status.as_str())
            .execute(&self.db.pool)
            .await?;
            if taken.rows_affected() == 0 {
                continue;
            }
            let p = self.reload(&p).await?;
            let shop = self.shop(&p.party_id, &p.shop_id).await?;
            let result = match (p.status, p.pending_op.as_deref(), p.flow) {
                // Authorisation never answered (the bank is asked nothing twice): fail it.
                (PaymentStatus::Pending, _, _) => {
                    let error = PaymentError::from_path("authorization_failed:processing_deadline_reached");
                    self.fail_payment(&p, None, &error).await
                }
                (PaymentStatus::Processed, Some("capture"), _) => self.finish_capture(&p, &shop).await,
                (PaymentStatus::Processed, Some("cancel"), _) => self.finish_cancel(&p, "cancelled").await,
                (PaymentStatus::Processed, None, FlowType::Instant) => {
                    if self.claim(&p, "capture", Some(p.amount)).await? {
                        let p = self.reload(&p).await?;
                        self.finish_capture(&p, &shop).await
                    } else {
                        Ok(())
                    }
                }
                _ => Ok(()),
            };
            match result {
                Ok(()) => report.operations_recovered += 1,
                Err(e) => tracing::warn!(error = %e, invoice_id = %p.invoice_id, "recovery failed; will retry"),
            }
        }
        for refund in self.stale_refunds(before).await? {
            let taken = sqlx::query(
                "update refunds set updated_at = $1 where invoice_id = $2 and payment_id = $3 and refund_id = $4 \
                 and status = 'pending' and updated_at <= $5",
            )
            .bind(now)
            .bind(&refund.invoice_id)
            .bind(&refund.payment_id)
            .bind(&refund.refund_id)
            .bind(before)
            .execute(&self.db.pool)
            .await?;
            if taken.rows_affected() == 0 {
                continue;
            }
            if let Some(p) = self
                .payment_where(
                    "invoice_id = $1 and payment_id = $2",
                    &[&refund.invoice_id, &refund.payment_id],
                )
                .await?
            {
                self.process_refund(&p, &refund).await?;
                report.refunds_recovered += 1;
            }
        }
        Ok(())
    }
}
