//! Invoice events: upstream's `InvoiceEvent` history, written in the same transaction as the
//! change each describes (so they can feed webhooks from a durable outbox).

use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{EngineError, EngineResult};
use crate::Engine;
use serde_json::{json, Value};
use sqlx::AnyConnection;

/// Appends one event with `changes` to the invoice's history and returns its id. The counter
/// update also locks the invoice row, so each invoice's events are numbered without gaps.
pub(crate) async fn emit(
    conn: &mut AnyConnection,
    invoice_id: &str,
    now: i64,
    changes: Vec<Value>,
) -> Result<i64, sqlx::Error> {
    let (event_id, party_id): (i64, String) = sqlx::query_as(
        "update invoices set event_seq = event_seq + 1 where invoice_id = $1 returning event_seq, party_id",
    )
    .bind(invoice_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into invoice_events (invoice_id, event_id, party_id, created_at, changes_json) values ($1, $2, $3, $4, $5)",
    )
    .bind(invoice_id)
    .bind(event_id)
    .bind(&party_id)
    .bind(now)
    .bind(Value::Array(changes).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(event_id)
}

pub(crate) fn invoice_status_changed(status: &str, reason: Option<&str>) -> Value {
    let mut v = json!({"changeType": "InvoiceStatusChanged", "status": status});
    if let Some(r) = reason {
        v["reason"] = json!(r);
    }
    v
}

pub(crate) fn payment_status_changed(payment_id: &str, status: &str, error: Option<&Value>) -> Value {
    let mut v = json!({"changeType": "PaymentStatusChanged", "paymentID": payment_id, "status": status});
    if let Some(e) = error {
        v["error"] = e.clone();
    }
    v
}

impl Engine {
    /// getInvoiceEvents: up to `limit` events after `after` (the last event id the client saw).
    pub async fn invoice_events(
        &self,
        who: &Principal,
        invoice_id: &str,
        limit: i64,
        after: Option<i64>,
    ) -> EngineResult<Value> {
        who.check_invoice(invoice_id)?;
        self.invoice(who.party_id(), invoice_id).await?;
        if !(1..=1000).contains(&limit) {
            return Err(EngineError::invalid_request("limit must be between 1 and 1000"));
        }
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "select event_id, created_at, changes_json from invoice_events where invoice_id = $1 and event_id > $2 \
             order by event_id limit $3",
        )
        .bind(invoice_id)
        .bind(after.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(Value::Array(
            rows.into_iter()
                .map(|(id, at, changes)| {
                    json!({"id": id, "createdAt": rfc3339(at), "changes": serde_json::from_str::<Value>(&changes).unwrap_or(json!([]))})
                })
                .collect(),
        ))
    }
}
