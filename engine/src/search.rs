//! Operation searches for the cabinet's lists and upstream's search API
//! (`/analytics/shops/{shopID}/payments|invoices|refunds`): newest first, filtered, keyset
//! paginated.
//!
//! A page never counts and never offsets: it reads `limit + 1` rows ordered by
//! `(created_at, ids…) desc` from an index on `(party_id|shop_id, created_at)` and resumes after
//! the last row it returned (the continuation token carries that row's key). Rows created
//! meanwhile are newer than every cursor, so the following pages neither repeat nor skip rows.

use crate::auth::Principal;
use crate::error::{EngineError, EngineResult};
use crate::invoices::{invoice_from_row, Invoice, INVOICE_COLUMNS};
use crate::payments::{payment_from_row, Payment};
use crate::refunds::Refund;
use crate::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde_json::Value;
use sqlx::Row;

/// Filters shared by the cabinet and the API. Absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct OperationQuery {
    pub shop_id: Option<String>,
    /// Inclusive lower bound, epoch microseconds.
    pub from: i64,
    /// Exclusive upper bound, epoch microseconds.
    pub to: i64,
    pub invoice_id: Option<String>,
    pub payment_id: Option<String>,
    pub refund_id: Option<String>,
    /// The merchant's order number: the invoice's externalID.
    pub order_id: Option<String>,
    pub invoice_status: Option<String>,
    pub payment_status: Option<String>,
    pub refund_status: Option<String>,
    /// `instant` or `hold`.
    pub payment_flow: Option<String>,
    pub payer_email: Option<String>,
    pub payer_ip: Option<String>,
    pub payer_fingerprint: Option<String>,
    pub first6: Option<String>,
    pub last4: Option<String>,
    pub payment_system: Option<String>,
    pub rrn: Option<String>,
    pub approval_code: Option<String>,
    pub payment_amount: Option<i64>,
    pub invoice_amount: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more rows follow.
    pub continuation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PaymentHit {
    pub payment: Payment,
    /// The invoice's externalID (order number).
    pub order_id: Option<String>,
    pub product: String,
}

#[derive(Debug, Clone)]
pub struct RefundHit {
    pub refund: Refund,
    pub updated_at: i64,
}

/// Everything the cabinet's payment card shows.
#[derive(Debug, Clone)]
pub struct PaymentCard {
    pub payment: Payment,
    pub invoice: Invoice,
    pub shop_name: String,
    pub fee_bps: i64,
    pub refunds: Vec<Refund>,
    /// `(at, status)` from the invoice's events, oldest first.
    pub history: Vec<(i64, String)>,
}

const PAYMENT_COLUMNS: &str =
    "p.invoice_id, p.payment_id, p.party_id, p.shop_id, p.external_id, p.created_at, p.amount, \
     p.currency, p.flow_type, p.on_hold_expiration, p.held_until, p.payer_json, p.resource_id, p.payment_session, \
     p.make_recurrent, p.metadata_json, p.status, p.error_json, p.user_interaction_json, p.bank_ref, p.rrn, \
     p.approval_code, p.fee, p.captured_amount, p.refunded_amount, p.refund_pending, p.pending_op, \
     p.parent_invoice_id, p.parent_payment_id, p.updated_at";

const REFUND_COLUMNS: &str = "r.invoice_id, r.payment_id, r.refund_id, r.party_id, r.shop_id, r.external_id, \
     r.created_at, r.amount, r.currency, r.reason, r.cart_json, r.status, r.error_json, r.updated_at";

pub const MAX_LIMIT: i64 = 1000;

enum Bind {
    Text(String),
    Int(i64),
}

/// A WHERE clause under construction with numbered placeholders.
struct Sql {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Sql {
    fn new() -> Sql {
        Sql {
            clauses: Vec::new(),
            binds: Vec::new(),
        }
    }
    fn text(&mut self, v: impl Into<String>) -> String {
        self.binds.push(Bind::Text(v.into()));
        format!("${}", self.binds.len())
    }
    fn int(&mut self, v: i64) -> String {
        self.binds.push(Bind::Int(v));
        format!("${}", self.binds.len())
    }
    fn eq_text(&mut self, col: &str, v: &Option<String>) {
        if let Some(v) = v {
            let p = self.text(v.clone());
            self.clauses.push(format!("{col} = {p}"));
        }
    }
    fn eq_int(&mut self, col: &str, v: Option<i64>) {
        if let Some(v) = v {
            let p = self.int(v);
            self.clauses.push(format!("{col} = {p}"));
        }
    }
    /// `(c0, c1, …) < (v0, v1, …)` spelled so the first column's range can use the index.
    fn before(&mut self, created_col: &str, created: i64, ids: &[(&str, &str)]) {
        let c = self.int(created);
        let mut tail = String::new();
        for (col, v) in ids.iter().rev() {
            let p = self.text(v.to_string());
            tail = if tail.is_empty() {
                format!("{col} < {p}")
            } else {
                format!("{col} < {p} or ({col} = {p} and ({tail}))")
            };
        }
        self.clauses
            .push(format!("{created_col} <= {c} and ({created_col} < {c} or {tail})"));
    }
    fn where_sql(&self) -> String {
        self.clauses.join(" and ")
    }
    async fn fetch(&self, engine: &Engine, sql: &str) -> EngineResult<Vec<sqlx::any::AnyRow>> {
        let mut q = sqlx::query(sql);
        for b in &self.binds {
            q = match b {
                Bind::Text(t) => q.bind(t.clone()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        Ok(q.fetch_all(&engine.db.pool).await?)
    }
}

fn like_escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The continuation token: `created_at` and the row's ids, opaque to clients.
fn encode_cursor(created_at: i64, ids: &[&str]) -> String {
    let mut s = created_at.to_string();
    for id in ids {
        s.push('|');
        s.push_str(id);
    }
    B64.encode(s)
}

/// The continuation token that resumes a payment search after this payment (tools and tests).
pub fn payment_continuation(created_at: i64, invoice_id: &str, payment_id: &str) -> String {
    encode_cursor(created_at, &[invoice_id, payment_id])
}

fn decode_cursor(token: &str, n_ids: usize) -> EngineResult<(i64, Vec<String>)> {
    let bad = || EngineError::invalid_request("continuationToken is not valid");
    let raw = B64.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = text.split('|');
    let created = parts.next().and_then(|c| c.parse::<i64>().ok()).ok_or_else(bad)?;
    let ids: Vec<String> = parts.map(str::to_string).collect();
    if ids.len() != n_ids || ids.iter().any(|i| i.is_empty() || i.len() > 40) {
        return Err(bad());
    }
    Ok((created, ids))
}

fn check_limit(limit: i64) -> EngineResult<()> {
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(EngineError::invalid_request("limit must be between 1 and 1000"));
    }
    Ok(())
}

impl Engine {
    /// Common scoping: the caller's party, an optional shop of it (another's is "not found"),
    /// and the period.
    async fn scope(&self, who: &Principal, q: &OperationQuery, table: &str) -> EngineResult<Sql> {
        let party_id = who.require_merchant()?;
        if q.from >= q.to {
            return Err(EngineError::invalid_request("fromTime must be before toTime"));
        }
        let mut s = Sql::new();
        let p = s.text(party_id);
        s.clauses.push(format!("{table}.party_id = {p}"));
        if let Some(shop) = &q.shop_id {
            self.shop(party_id, shop).await?;
            let p = s.text(shop.clone());
            s.clauses.push(format!("{table}.shop_id = {p}"));
        }
        let from = s.int(q.from);
        let to = s.int(q.to);
        s.clauses
            .push(format!("{table}.created_at >= {from} and {table}.created_at < {to}"));
        Ok(s)
    }

    /// Payment filters on alias `p` (used by both payment and invoice searches).
    fn payment_filters(s: &mut Sql, party_id: &str, q: &OperationQuery) {
        s.eq_text("p.invoice_id", &q.invoice_id);
        s.eq_text("p.payment_id", &q.payment_id);
        s.eq_text("p.status", &q.payment_status);
        if let Some(flow) = &q.payment_flow {
            let v = if flow == "hold" {
                "PaymentFlowHold"
            } else {
                "PaymentFlowInstant"
            };
            let p = s.text(v);
            s.clauses.push(format!("p.flow_type = {p}"));
        }
        s.eq_text("p.rrn", &q.rrn);
        s.eq_text("p.approval_code", &q.approval_code);
        s.eq_int("p.amount", q.payment_amount);
        if let Some(email) = &q.payer_email {
            // An indexed column (migration 5): an exact, case-insensitive match.
            let p = s.text(email.trim().to_lowercase());
            s.clauses.push(format!("p.payer_email = {p}"));
        }
        for (key, v) in [("ip", &q.payer_ip), ("fingerprint", &q.payer_fingerprint)] {
            if let Some(v) = v {
                let p = s.text(format!("%\"{key}\":\"{}\"%", like_escape(v)));
                s.clauses.push(format!("p.payer_json like {p} escape '\\'"));
            }
        }
        if let Some(ps) = &q.payment_system {
            let p = s.text(format!("%\"paymentSystem\":\"{}\"%", like_escape(ps)));
            s.clauses.push(format!("p.payer_json like {p} escape '\\'"));
        }
        if q.first6.is_some() || q.last4.is_some() {
            let party = s.text(party_id);
            let mut card = vec![format!("pr.party_id = {party}")];
            if let Some(l) = &q.last4 {
                let p = s.text(l.clone());
                card.push(format!("pr.last_digits = {p}"));
            }
            if let Some(b) = &q.first6 {
                let p = s.text(b.clone());
                card.push(format!("pr.bin = {p}"));
            }
            s.clauses.push(format!(
                "p.resource_id in (select pr.resource_id from payment_resources pr where {})",
                card.join(" and ")
            ));
        }
    }

    /// searchPayments: the caller's payments in the period, newest first.
    pub async fn search_payments(
        &self,
        who: &Principal,
        q: &OperationQuery,
        limit: i64,
        continuation: Option<&str>,
    ) -> EngineResult<Page<PaymentHit>> {
        check_limit(limit)?;
        let mut s = self.scope(who, q, "p").await?;
        Self::payment_filters(&mut s, who.party_id(), q);
        if let Some(order) = &q.order_id {
            // Through the (party_id, external_id) unique index, then the payments' key: both
            // planners pick that for a subquery, not always for a join condition.
            let party = s.text(who.party_id());
            let p = s.text(order.clone());
            s.clauses.push(format!(
                "p.invoice_id in (select oi.invoice_id from invoices oi where oi.party_id = {party} and oi.external_id = {p})"
            ));
        }
        if let Some(tok) = continuation {
            let (created, ids) = decode_cursor(tok, 2)?;
            s.before(
                "p.created_at",
                created,
                &[("p.invoice_id", &ids[0]), ("p.payment_id", &ids[1])],
            );
        }
        let n = s.int(limit + 1);
        let sql = format!(
            "select {PAYMENT_COLUMNS}, i.external_id as order_id, i.product as product from payments p \
             join invoices i on i.invoice_id = p.invoice_id where {} \
             order by p.created_at desc, p.invoice_id desc, p.payment_id desc limit {n}",
            s.where_sql()
        );
        let rows = s.fetch(self, &sql).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            items.push(PaymentHit {
                payment: payment_from_row(r)?,
                order_id: r.try_get("order_id")?,
                product: r.try_get("product")?,
            });
        }
        let continuation = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items
                .last()
                .map(|h| encode_cursor(h.payment.created_at, &[&h.payment.invoice_id, &h.payment.payment_id]))
        } else {
            None
        };
        Ok(Page { items, continuation })
    }

    /// searchInvoices: the caller's invoices in the period, newest first. Payment filters
    /// select invoices with at least one matching payment.
    pub async fn search_invoices(
        &self,
        who: &Principal,
        q: &OperationQuery,
        limit: i64,
        continuation: Option<&str>,
    ) -> EngineResult<Page<Invoice>> {
        check_limit(limit)?;
        let mut s = self.scope(who, q, "invoices").await?;
        s.eq_text("invoices.invoice_id", &q.invoice_id);
        s.eq_text("invoices.external_id", &q.order_id);
        s.eq_text("invoices.status", &q.invoice_status);
        s.eq_int("invoices.amount", q.invoice_amount);
        let payment_filtered = q.payment_id.is_some()
            || q.payment_status.is_some()
            || q.payment_flow.is_some()
            || q.payer_email.is_some()
            || q.payer_ip.is_some()
            || q.payer_fingerprint.is_some()
            || q.first6.is_some()
            || q.last4.is_some()
            || q.payment_system.is_some()
            || q.rrn.is_some()
            || q.approval_code.is_some()
            || q.payment_amount.is_some();
        if payment_filtered {
            let mut inner = Sql {
                clauses: Vec::new(),
                binds: std::mem::take(&mut s.binds),
            };
            let pq = OperationQuery {
                invoice_id: None,
                ..q.clone()
            };
            Self::payment_filters(&mut inner, who.party_id(), &pq);
            let cond = inner.where_sql();
            s.binds = inner.binds;
            s.clauses.push(format!(
                "exists (select 1 from payments p where p.invoice_id = invoices.invoice_id and {cond})"
            ));
        }
        if let Some(tok) = continuation {
            let (created, ids) = decode_cursor(tok, 1)?;
            s.before("invoices.created_at", created, &[("invoices.invoice_id", &ids[0])]);
        }
        let n = s.int(limit + 1);
        let sql = format!(
            "select {INVOICE_COLUMNS} from invoices where {} \
             order by invoices.created_at desc, invoices.invoice_id desc limit {n}",
            s.where_sql()
        );
        let rows = s.fetch(self, &sql).await?;
        let mut items = rows.iter().map(invoice_from_row).collect::<Result<Vec<_>, _>>()?;
        let continuation = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| encode_cursor(i.created_at, &[&i.invoice_id]))
        } else {
            None
        };
        Ok(Page { items, continuation })
    }

    /// searchRefunds: the caller's refunds in the period, newest first.
    pub async fn search_refunds(
        &self,
        who: &Principal,
        q: &OperationQuery,
        limit: i64,
        continuation: Option<&str>,
    ) -> EngineResult<Page<RefundHit>> {
        check_limit(limit)?;
        let mut s = self.scope(who, q, "r").await?;
        s.eq_text("r.invoice_id", &q.invoice_id);
        s.eq_text("r.payment_id", &q.payment_id);
        s.eq_text("r.refund_id", &q.refund_id);
        s.eq_text("r.status", &q.refund_status);
        if let Some(tok) = continuation {
            let (created, ids) = decode_cursor(tok, 3)?;
            s.before(
                "r.created_at",
                created,
                &[
                    ("r.invoice_id", &ids[0]),
                    ("r.payment_id", &ids[1]),
                    ("r.refund_id", &ids[2]),
                ],
            );
        }
        let n = s.int(limit + 1);
        let sql = format!(
            "select {REFUND_COLUMNS} from refunds r where {} \
             order by r.created_at desc, r.invoice_id desc, r.payment_id desc, r.refund_id desc limit {n}",
            s.where_sql()
        );
        let rows = s.fetch(self, &sql).await?;
        let mut items = rows.iter().map(refund_hit_from_row).collect::<Result<Vec<_>, _>>()?;
        let continuation = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|h| {
                encode_cursor(
                    h.refund.created_at,
                    &[&h.refund.invoice_id, &h.refund.payment_id, &h.refund.refund_id],
                )
            })
        } else {
            None
        };
        Ok(Page { items, continuation })
    }

    /// The cabinet's payment card: the payment, its invoice and shop, refunds and status history.
    pub async fn payment_card(&self, who: &Principal, invoice_id: &str, payment_id: &str) -> EngineResult<PaymentCard> {
        let party_id = who.require_merchant()?;
        let payment = self.payment(who, invoice_id, payment_id).await?;
        let invoice = self.invoice(party_id, invoice_id).await?;
        let shop = self.shop(party_id, &payment.shop_id).await?;
        let refunds = self.refunds(who, invoice_id, payment_id).await?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "select created_at, changes_json from invoice_events where invoice_id = $1 and party_id = $2 order by event_id",
        )
        .bind(invoice_id)
        .bind(party_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut history = Vec::new();
        for (at, changes) in rows {
            let Ok(Value::Array(list)) = serde_json::from_str::<Value>(&changes) else {
                continue;
            };
            for c in list {
                match c["changeType"].as_str() {
                    Some("PaymentStarted") if c["payment"]["id"].as_str() == Some(payment_id) => {
                        history.push((at, "pending".to_string()));
                    }
                    Some("PaymentStatusChanged") if c["paymentID"].as_str() == Some(payment_id) => {
                        if let Some(st) = c["status"].as_str() {
                            history.push((at, st.to_string()));
                        }
                    }
                    _ => {}
                }
            }
        }
        if history.first().map(|h| h.1.as_str()) != Some("pending") {
            history.insert(0, (payment.created_at, "pending".to_string()));
        }
        Ok(PaymentCard {
            payment,
            invoice,
            shop_name: shop.name,
            fee_bps: shop.fee_bps,
            refunds,
            history,
        })
    }
}

fn refund_hit_from_row(r: &sqlx::any::AnyRow) -> Result<RefundHit, sqlx::Error> {
    let json_opt = |col: &str| -> Result<Option<Value>, sqlx::Error> {
        Ok(r.try_get::<Option<String>, _>(col)?
            .and_then(|t| serde_json::from_str(&t).ok()))
    };
    Ok(RefundHit {
        refund: Refund {
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
        },
        updated_at: r.try_get("updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let t = encode_cursor(1_700_000_000_000_000, &["inv1", "2"]);
        assert_eq!(
            decode_cursor(&t, 2).unwrap(),
            (1_700_000_000_000_000, vec!["inv1".into(), "2".into()])
        );
        assert!(decode_cursor(&t, 1).is_err());
        assert!(decode_cursor("!!!", 2).is_err());
        assert!(decode_cursor(&B64.encode("x|a|b"), 2).is_err());
    }

    #[test]
    fn keyset_clause_compares_ids_lexicographically() {
        let mut s = Sql::new();
        s.before("c", 5, &[("a", "x"), ("b", "y")]);
        // Built from the last id outwards: $2 is b's value, $3 is a's.
        assert_eq!(s.where_sql(), "c <= $1 and (c < $1 or a < $3 or (a = $3 and (b < $2)))");
        assert!(matches!(&s.binds[1], Bind::Text(v) if v == "y"));
        assert!(matches!(&s.binds[2], Bind::Text(v) if v == "x"));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("a_b%c\\"), "a\\_b\\%c\\\\");
    }
}
