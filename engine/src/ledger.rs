//! The double-entry ledger. Every money movement posts a batch whose amounts sum to zero, in
//! the same transaction as the state change. Balances are sums of postings; `verify`
//! recomputes them and cross-checks payments and refunds.
//!
//! Accounts (positive = the account's balance grows):
//! - `acquirer:settlement` — the acquirer's side of captured money (goes negative as buyers pay)
//! - `acquirer:holds` / `shop_hold:<shop>` — funds authorised on a hold, not yet captured
//! - `shop:<shop>` — what DucatPay owes the shop (captured − commission − refunds)
//! - `ducatpay:fees` — commission earned

use crate::{ids, Engine, EngineResult};
use sqlx::AnyConnection;

pub const ACQUIRER: &str = "acquirer:settlement";
pub const ACQUIRER_HOLDS: &str = "acquirer:holds";
pub const FEES: &str = "ducatpay:fees";

pub fn shop_account(shop_id: &str) -> String {
    format!("shop:{shop_id}")
}

pub fn shop_hold_account(shop_id: &str) -> String {
    format!("shop_hold:{shop_id}")
}

/// What a posting batch refers to.
pub(crate) struct Refs<'a> {
    pub invoice_id: &'a str,
    pub payment_id: &'a str,
    pub refund_id: Option<&'a str>,
    pub currency: &'a str,
    pub kind: &'a str,
    pub now: i64,
}

/// Posts one balanced batch. Zero legs are skipped; an unbalanced batch is a bug and refused.
pub(crate) async fn post(conn: &mut AnyConnection, refs: &Refs<'_>, legs: &[(&str, i64)]) -> Result<(), sqlx::Error> {
    let sum: i128 = legs.iter().map(|(_, a)| i128::from(*a)).sum();
    if sum != 0 {
        return Err(sqlx::Error::Protocol(format!(
            "unbalanced ledger batch {}: {legs:?}",
            refs.kind
        )));
    }
    let batch_id = ids::new_id();
    for (account, amount) in legs.iter().filter(|(_, a)| *a != 0) {
        sqlx::query(
            "insert into ledger_postings (posting_id, batch_id, account, amount, currency, kind, invoice_id, payment_id, \
             refund_id, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(ids::random_base62(16))
        .bind(&batch_id)
        .bind(*account)
        .bind(*amount)
        .bind(refs.currency)
        .bind(refs.kind)
        .bind(refs.invoice_id)
        .bind(refs.payment_id)
        .bind(refs.refund_id)
        .bind(refs.now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Engine {
    /// The balance of one account, from its postings.
    pub async fn account_balance(&self, account: &str) -> EngineResult<i64> {
        let (sum,): (i64,) =
            sqlx::query_as("select cast(coalesce(sum(amount), 0) as bigint) from ledger_postings where account = $1")
                .bind(account)
                .fetch_one(&self.db.pool)
                .await?;
        Ok(sum)
    }

    /// Recomputes every balance from postings and cross-checks them against payments, refunds
    /// and invoices. Returns the problems found (empty = consistent).
    pub async fn verify(&self) -> EngineResult<Vec<String>> {
        let mut problems = Vec::new();
        let unbalanced: Vec<(String, i64)> = sqlx::query_as(
            "select batch_id, cast(sum(amount) as bigint) from ledger_postings group by batch_id having sum(amount) <> 0",
        )
        .fetch_all(&self.db.pool)
        .await?;
        for (batch, sum) in unbalanced {
            problems.push(format!("ledger batch {batch} does not balance (sum {sum})"));
        }

        // Per payment: what the postings say against what the payment row says.
        type PayRow = (
            String,
            String,
            String,
            String,
            i64,
            i64,
            i64,
            i64,
            i64,
            String,
            Option<String>,
        );
        let payments: Vec<PayRow> = sqlx::query_as(
            "select invoice_id, payment_id, shop_id, status, amount, captured_amount, fee, refunded_amount, refund_pending, \
             flow_type, pending_op from payments",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let sums: Vec<(String, String, String, i64)> = sqlx::query_as(
            "select invoice_id, payment_id, account, cast(sum(amount) as bigint) from ledger_postings \
             where payment_id is not null group by invoice_id, payment_id, account",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut posted = std::collections::HashMap::new();
        for (inv, pay, account, sum) in sums {
            posted.insert((inv, pay, account), sum);
        }
        let refund_sums: Vec<(String, String, String, i64)> = sqlx::query_as(
            "select invoice_id, payment_id, status, cast(sum(amount) as bigint) from refunds group by invoice_id, payment_id, status",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut refunds = std::collections::HashMap::new();
        for (inv, pay, status, sum) in refund_sums {
            refunds.insert((inv, pay, status), sum);
        }
        for (inv, pay, shop, status, amount, captured, fee, refunded, refund_pending, flow, _op) in &payments {
            let get = |acc: &str| {
                posted
                    .get(&(inv.clone(), pay.clone(), acc.to_string()))
                    .copied()
                    .unwrap_or(0)
            };
            let refund_of = |st: &str| {
                refunds
                    .get(&(inv.clone(), pay.clone(), st.to_string()))
                    .copied()
                    .unwrap_or(0)
            };
            let name = format!("payment {inv}.{pay} ({status})");
            let succeeded = refund_of("succeeded");
            let pending = refund_of("pending");
            let is_captured = status == "captured" || status == "refunded";
            let want_shop = if is_captured { captured - fee - succeeded } else { 0 };
            if get(&shop_account(shop)) != want_shop {
                problems.push(format!(
                    "{name}: shop account holds {} but captured − fee − refunds = {want_shop}",
                    get(&shop_account(shop))
                ));
            }
            let want_fee = if is_captured { *fee } else { 0 };
            if get(FEES) != want_fee {
                problems.push(format!(
                    "{name}: fee postings {} but the payment's fee is {want_fee}",
                    get(FEES)
                ));
            }
            let want_hold = if status == "processed" && flow == "PaymentFlowHold" {
                *amount
            } else {
                0
            };
            if get(&shop_hold_account(shop)) != want_hold {
                problems.push(format!(
                    "{name}: hold postings {} but {want_hold} should be held",
                    get(&shop_hold_account(shop))
                ));
            }
            if captured > amount {
                problems.push(format!("{name}: captured {captured} exceeds the authorised {amount}"));
            }
            if succeeded + pending != *refunded {
                problems.push(format!(
                    "{name}: refunds total {} but the payment counts {refunded}",
                    succeeded + pending
                ));
            }
            if succeeded + pending > *captured {
                problems.push(format!(
                    "{name}: refunds {} exceed the captured {captured}",
                    succeeded + pending
                ));
            }
            if (pending > 0) != (*refund_pending != 0) {
                problems.push(format!("{name}: pending-refund flag disagrees with the refunds"));
            }
            let fully = succeeded == *captured && *captured > 0;
            if (status == "refunded") != fully {
                problems.push(format!(
                    "{name}: status {status} but {succeeded} of {captured} refunded"
                ));
            }
        }

        // Each invoice is paid at most once, and paid exactly when one payment was captured.
        let invoices: Vec<(String, String, i64)> = sqlx::query_as(
            "select i.invoice_id, i.status, (select count(*) from payments p where p.invoice_id = i.invoice_id \
             and p.status in ('captured', 'refunded')) from invoices i",
        )
        .fetch_all(&self.db.pool)
        .await?;
        for (inv, status, captured) in invoices {
            if captured > 1 {
                problems.push(format!("invoice {inv}: paid {captured} times"));
            }
            let paid = status == "paid" || status == "fulfilled";
            if paid != (captured == 1) {
                problems.push(format!(
                    "invoice {inv}: status {status} with {captured} captured payments"
                ));
            }
        }
        Ok(problems)
    }
}
