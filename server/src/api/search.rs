//! Upstream's search API: `GET /analytics/shops/{shopID}/payments|invoices|refunds`.
//! The cabinet's operation lists call the same engine searches.
//!
//! Answers are `{result, continuationToken}`; the token is absent on the last page. No count
//! is computed (a page must stay cheap on a shop with millions of rows), so searchRefunds'
//! optional `totalCount` is not sent and its `offset` is refused in favour of the token.

use super::error::{ApiError, ApiResult};
use super::extract::{ApiQuery, Caller};
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use engine::auth::Principal;
use engine::clock::rfc3339;
use engine::search::{OperationQuery, PaymentHit};
use engine::validate::{email_ok, parse_instant};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/analytics/shops/{shop_id}/payments", get(search_payments))
        .route("/analytics/shops/{shop_id}/invoices", get(search_invoices))
        .route("/analytics/shops/{shop_id}/refunds", get(search_refunds))
}

/// Every filter of the three operations; each handler rejects what does not apply to it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchParams {
    from_time: Option<String>,
    to_time: Option<String>,
    limit: Option<String>,
    continuation_token: Option<String>,
    offset: Option<String>,
    invoice_status: Option<String>,
    payment_status: Option<String>,
    refund_status: Option<String>,
    payment_flow: Option<String>,
    payment_method: Option<String>,
    payment_terminal_provider: Option<String>,
    #[serde(rename = "invoiceID")]
    invoice_id: Option<String>,
    #[serde(rename = "paymentID")]
    payment_id: Option<String>,
    #[serde(rename = "refundID")]
    refund_id: Option<String>,
    #[serde(rename = "externalID")]
    external_id: Option<String>,
    payer_email: Option<String>,
    #[serde(rename = "payerIP")]
    payer_ip: Option<String>,
    payer_fingerprint: Option<String>,
    #[serde(rename = "customerID")]
    customer_id: Option<String>,
    first6: Option<String>,
    last4: Option<String>,
    rrn: Option<String>,
    approval_code: Option<String>,
    bank_card_token_provider: Option<String>,
    bank_card_payment_system: Option<String>,
    payment_amount: Option<String>,
    invoice_amount: Option<String>,
}

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::invalid_request(m)
}

fn id_param(name: &str, v: &Option<String>) -> ApiResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(s) if (1..=40).contains(&s.chars().count()) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{name} must be 1 to 40 characters"))),
    }
}

fn one_of(name: &str, v: &Option<String>, allowed: &[&str]) -> ApiResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(s) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{name} must be one of {}", allowed.join(", ")))),
    }
}

fn amount_param(name: &str, v: &Option<String>) -> ApiResult<Option<i64>> {
    match v {
        None => Ok(None),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(bad(format!("{name} must be an integer of at least 1"))),
        },
    }
}

/// The common part: period, limit, token, shop; plus whether the filters can match at all
/// (a payment terminal or a tokenised-wallet provider never matches card payments).
fn common(shop_id: String, p: &SearchParams) -> ApiResult<(OperationQuery, i64, bool)> {
    let from = p
        .from_time
        .as_deref()
        .ok_or_else(|| bad("fromTime is required"))
        .and_then(|t| parse_instant(t).ok_or_else(|| bad("fromTime must be an RFC 3339 date-time")))?;
    let to = p
        .to_time
        .as_deref()
        .ok_or_else(|| bad("toTime is required"))
        .and_then(|t| parse_instant(t).ok_or_else(|| bad("toTime must be an RFC 3339 date-time")))?;
    if from >= to {
        return Err(bad("fromTime must be before toTime"));
    }
    let limit = p
        .limit
        .as_deref()
        .ok_or_else(|| bad("limit is required"))?
        .parse::<i64>()
        .ok()
        .filter(|l| (1..=1000).contains(l))
        .ok_or_else(|| bad("limit must be an integer from 1 to 1000"))?;
    if !(1..=40).contains(&shop_id.chars().count()) {
        return Err(bad("shopID must be 1 to 40 characters"));
    }
    let mut matchable = true;
    if let Some(m) = one_of("paymentMethod", &p.payment_method, &["bankCard", "paymentTerminal"])? {
        matchable &= m == "bankCard";
    }
    matchable &=
        p.payment_terminal_provider.is_none() && p.bank_card_token_provider.is_none() && p.customer_id.is_none();
    Ok((
        OperationQuery {
            shop_id: Some(shop_id),
            from,
            to,
            ..OperationQuery::default()
        },
        limit,
        matchable,
    ))
}

fn payment_filters(q: &mut OperationQuery, p: &SearchParams) -> ApiResult<()> {
    q.invoice_id = id_param("invoiceID", &p.invoice_id)?;
    q.payment_id = id_param("paymentID", &p.payment_id)?;
    q.order_id = id_param("externalID", &p.external_id)?;
    q.payment_status = one_of(
        "paymentStatus",
        &p.payment_status,
        &["pending", "processed", "captured", "cancelled", "refunded", "failed"],
    )?;
    q.payment_flow = one_of("paymentFlow", &p.payment_flow, &["instant", "hold"])?;
    if let Some(e) = &p.payer_email {
        if !email_ok(e) {
            return Err(bad("payerEmail must be an e-mail address of at most 100 characters"));
        }
        q.payer_email = Some(e.clone());
    }
    if let Some(ip) = &p.payer_ip {
        if ip.len() > 45 || ip.parse::<std::net::IpAddr>().is_err() {
            return Err(bad("payerIP must be an IP address"));
        }
        q.payer_ip = Some(ip.clone());
    }
    if let Some(f) = &p.payer_fingerprint {
        if f.is_empty() || f.len() > 1000 {
            return Err(bad("payerFingerprint must be 1 to 1000 characters"));
        }
        q.payer_fingerprint = Some(f.clone());
    }
    if let Some(f6) = &p.first6 {
        if f6.len() != 6 || !f6.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("first6 must be 6 digits"));
        }
        q.first6 = Some(f6.clone());
    }
    if let Some(l4) = &p.last4 {
        if l4.len() > 4 || !l4.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("last4 must be up to 4 digits"));
        }
        if !l4.is_empty() {
            q.last4 = Some(l4.clone());
        }
    }
    if let Some(rrn) = &p.rrn {
        if rrn.len() != 12 || !rrn.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad("rrn must be 12 letters or digits"));
        }
        q.rrn = Some(rrn.clone());
    }
    q.approval_code = id_param("approvalCode", &p.approval_code)?;
    q.payment_system = p.bank_card_payment_system.clone();
    q.payment_amount = amount_param("paymentAmount", &p.payment_amount)?;
    Ok(())
}

fn page(result: Vec<Value>, continuation: Option<String>) -> Json<Value> {
    let mut body = json!({ "result": result });
    if let Some(t) = continuation {
        body["continuationToken"] = json!(t);
    }
    Json(body)
}

/// Upstream `PaymentSearchResult`: the payment plus its shop, fee and last status change.
pub fn payment_search_result(h: &PaymentHit) -> Value {
    let mut v = h.payment.to_api();
    v["shopID"] = json!(h.payment.shop_id);
    v["fee"] = json!(h.payment.fee);
    v["statusChangedAt"] = json!(rfc3339(h.payment.updated_at));
    if let Some(o) = v.as_object_mut() {
        o.remove("userInteraction");
    }
    v
}

/// A search whose filters can match nothing: still the merchant's own shop (404 otherwise),
/// answered with an empty page without touching the tables.
async fn empty_page(s: &AppState, who: &Principal, q: &OperationQuery) -> ApiResult<Json<Value>> {
    who.require_merchant()?;
    s.engine
        .shop(who.party_id(), q.shop_id.as_deref().unwrap_or_default())
        .await?;
    Ok(page(vec![], None))
}

#[tracing::instrument(skip_all, fields(shop_id = %shop_id))]
async fn search_payments(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(shop_id): Path<String>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Value>> {
    let (mut q, limit, matchable) = common(shop_id, &p)?;
    payment_filters(&mut q, &p)?;
    if !matchable {
        return empty_page(&s, &who, &q).await;
    }
    let found = s
        .engine
        .search_payments(&who, &q, limit, p.continuation_token.as_deref())
        .await?;
    Ok(page(
        found.items.iter().map(payment_search_result).collect(),
        found.continuation,
    ))
}

#[tracing::instrument(skip_all, fields(shop_id = %shop_id))]
async fn search_invoices(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(shop_id): Path<String>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Value>> {
    let (mut q, limit, matchable) = common(shop_id, &p)?;
    payment_filters(&mut q, &p)?;
    q.invoice_status = one_of(
        "invoiceStatus",
        &p.invoice_status,
        &["unpaid", "cancelled", "paid", "fulfilled"],
    )?;
    q.invoice_amount = amount_param("invoiceAmount", &p.invoice_amount)?;
    if !matchable {
        return empty_page(&s, &who, &q).await;
    }
    let found = s
        .engine
        .search_invoices(&who, &q, limit, p.continuation_token.as_deref())
        .await?;
    Ok(page(
        found.items.iter().map(|i| i.to_api()).collect(),
        found.continuation,
    ))
}

#[tracing::instrument(skip_all, fields(shop_id = %shop_id))]
async fn search_refunds(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(shop_id): Path<String>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Value>> {
    let (mut q, limit, _) = common(shop_id, &p)?;
    if p.offset.as_deref().is_some_and(|o| o != "0") {
        return Err(bad("offset is not supported; page with continuationToken"));
    }
    q.invoice_id = id_param("invoiceID", &p.invoice_id)?;
    q.payment_id = id_param("paymentID", &p.payment_id)?;
    q.refund_id = id_param("refundID", &p.refund_id)?;
    q.refund_status = one_of("refundStatus", &p.refund_status, &["pending", "succeeded", "failed"])?;
    if p.rrn.is_some() || p.approval_code.is_some() {
        // Refunds carry no RRN or approval code of their own in this service.
        return empty_page(&s, &who, &q).await;
    }
    let found = s
        .engine
        .search_refunds(&who, &q, limit, p.continuation_token.as_deref())
        .await?;
    Ok(page(
        found.items.iter().map(|h| h.refund.to_api()).collect(),
        found.continuation,
    ))
}
