//! The sandbox issuer's 3-D Secure page and the return point (`TermUrl`) it sends buyers to.
//! Plain HTML forms: they work without JavaScript and with curl.

use crate::startup::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use html_escape::encode_double_quoted_attribute as attr;
use html_escape::encode_text as text;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/acs/{txn_id}", get(acs_page_get).post(acs_page_post))
        .route("/sandbox/acs/{txn_id}/answer", post(acs_answer))
        .route("/interaction/3ds", get(term_get).post(term_post))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>body{{font-family:system-ui,sans-serif;background:#f4f6fb;display:grid;place-items:center;min-height:100vh;margin:0}}\
         main{{background:#fff;border-radius:12px;box-shadow:0 4px 24px #0002;padding:2rem;max-width:26rem}}\
         button{{font-size:1rem;padding:.6rem 1.2rem;border-radius:8px;border:0;margin-right:.5rem;cursor:pointer}}\
         .ok{{background:#1f6feb;color:#fff}}.no{{background:#e5e7eb}}.muted{{color:#666;font-size:.9rem}}</style></head>\
         <body><main>{body}</main></body></html>",
        text(title)
    ))
}

fn amount_text(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

async fn acs_page_get(
    state: State<AppState>,
    path: Path<String>,
    Query(form): Query<HashMap<String, String>>,
) -> Response {
    acs_page(state, path, form).await
}

async fn acs_page_post(
    state: State<AppState>,
    path: Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    acs_page(state, path, form).await
}

/// The issuer's challenge page: the buyer confirms or cancels.
async fn acs_page(State(s): State<AppState>, Path(txn_id): Path<String>, form: HashMap<String, String>) -> Response {
    let Some(bank) = s.engine.sandbox.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(challenge) = bank.challenge(&txn_id).await else {
        return (
            StatusCode::NOT_FOUND,
            page("Unknown transaction", "<h1>Unknown transaction</h1>"),
        )
            .into_response();
    };
    let md = form.get("MD").cloned().unwrap_or_default();
    let term = form.get("TermUrl").cloned().unwrap_or_default();
    let note = match challenge.behaviour.as_str() {
        "3ds_failure" => "<p class=\"muted\">Test card: the issuer will refuse the code.</p>",
        "3ds_timeout" => "<p class=\"muted\">Test card: the issuer will not answer in time.</p>",
        _ => "",
    };
    let hidden = format!(
        "<input type=\"hidden\" name=\"MD\" value=\"{}\"><input type=\"hidden\" name=\"TermUrl\" value=\"{}\">",
        attr(&md),
        attr(&term)
    );
    page(
        "3-D Secure — DucatPay Sandbox Bank",
        &format!(
            "<h1>Sandbox Bank</h1><p>Confirm the purchase of <strong data-testid=\"acs-amount\">{} RUB</strong>.</p>{note}\
             <form method=\"post\" action=\"/sandbox/acs/{}/answer\">{hidden}\
             <button class=\"ok\" name=\"decision\" value=\"confirm\" data-testid=\"acs-confirm\">Confirm</button>\
             <button class=\"no\" name=\"decision\" value=\"cancel\" data-testid=\"acs-cancel\">Cancel</button></form>\
             <p class=\"muted\">This is the DucatPay sandbox issuer; no real money moves.</p>",
            amount_text(challenge.amount),
            attr(&txn_id),
        ),
    )
    .into_response()
}

#[derive(Deserialize)]
struct Answer {
    decision: String,
    #[serde(rename = "MD", default)]
    md: String,
    #[serde(rename = "TermUrl", default)]
    term_url: String,
}

/// The buyer answered: send the browser back to TermUrl with the issuer's PaRes.
async fn acs_answer(State(s): State<AppState>, Path(txn_id): Path<String>, Form(a): Form<Answer>) -> Response {
    let Some(bank) = s.engine.sandbox.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let pares = match bank.answer_challenge(&txn_id, a.decision == "confirm").await {
        Ok(p) => p,
        Err(_) => {
            return (
                StatusCode::NOT_FOUND,
                page("Unknown transaction", "<h1>Unknown transaction</h1>"),
            )
                .into_response()
        }
    };
    // TermUrl must point back at this service: the sandbox issuer hands PaRes to nobody else.
    let base = s.engine.config.public_url.trim_end_matches('/');
    let term = if a.term_url.is_empty() {
        format!("{base}/interaction/3ds")
    } else {
        a.term_url.clone()
    };
    if !term.starts_with(&format!("{base}/interaction/3ds")) {
        return (
            StatusCode::BAD_REQUEST,
            page("Bad TermUrl", "<h1>TermUrl does not belong to this service</h1>"),
        )
            .into_response();
    }
    let mut url = reqwest::Url::parse(&term)
        .unwrap_or_else(|_| reqwest::Url::parse(&format!("{base}/interaction/3ds")).expect("valid base"));
    if !a.md.is_empty() && !url.query_pairs().any(|(k, _)| k == "MD") {
        url.query_pairs_mut().append_pair("MD", &a.md);
    }
    url.query_pairs_mut().append_pair("PaRes", &pares);
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct TermParams {
    #[serde(rename = "MD", default)]
    md: String,
    #[serde(rename = "PaRes", default)]
    pares: String,
}

async fn term_get(state: State<AppState>, Query(p): Query<TermParams>) -> Response {
    term(state, p).await
}

async fn term_post(state: State<AppState>, Form(p): Form<TermParams>) -> Response {
    term(state, p).await
}

/// Finishes the payment and sends the buyer to the merchant's redirect URL, or shows the result.
async fn term(State(s): State<AppState>, p: TermParams) -> Response {
    if p.md.is_empty() || p.pares.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            page("Payment link not valid", "<h1>MD and PaRes are required</h1>"),
        )
            .into_response();
    }
    match s.engine.complete_interaction(&p.md, &p.pares).await {
        Ok(done) => {
            if let Some(url) = done.redirect_url {
                return Redirect::to(&url).into_response();
            }
            let status = done.payment.status.as_str();
            let (title, line) = match status {
                "captured" | "processed" => (
                    "Payment successful",
                    "The payment went through. You can close this page.",
                ),
                "failed" => ("Payment failed", "The bank refused the payment. No money was taken."),
                _ => ("Payment in progress", "The payment is being processed."),
            };
            (
                [(header::CACHE_CONTROL, "no-store")],
                page(
                    title,
                    &format!(
                        "<h1 data-testid=\"payment-result\" data-status=\"{}\">{}</h1><p>{}</p>",
                        attr(status),
                        text(title),
                        text(line)
                    ),
                ),
            )
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "3-D Secure return refused");
            (
                StatusCode::BAD_REQUEST,
                page("Payment link not valid", "<h1>This payment link is not valid</h1>"),
            )
                .into_response()
        }
    }
}

/// Sandbox tools: move this instance's clock and run due work now (tests and demos of hold
/// expiry and due dates without waiting). Any valid API key may call them.
pub fn tools_router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/clock/advance", post(advance_clock))
        .route("/sandbox/workers/run", post(run_workers))
        .layer(axum::middleware::from_fn(crate::api::extract::request_id))
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(
    State(s): State<AppState>,
    crate::api::extract::Caller(who): crate::api::extract::Caller,
    crate::api::extract::ApiJson { value, .. }: crate::api::extract::ApiJson<Advance>,
) -> Result<axum::Json<serde_json::Value>, crate::api::error::ApiError> {
    who.require_merchant()?;
    if !(0..=366 * 86_400).contains(&value.seconds) {
        return Err(crate::api::error::ApiError::invalid_request(
            "seconds must be between 0 and one year",
        ));
    }
    s.engine.clock.advance(chrono::Duration::seconds(value.seconds));
    Ok(axum::Json(
        serde_json::json!({"now": s.engine.clock.now().to_rfc3339()}),
    ))
}

async fn run_workers(
    State(s): State<AppState>,
    crate::api::extract::Caller(who): crate::api::extract::Caller,
) -> Result<axum::Json<serde_json::Value>, crate::api::error::ApiError> {
    who.require_merchant()?;
    let report = s.engine.run_due_work().await?;
    Ok(axum::Json(serde_json::to_value(report).unwrap_or_default()))
}
