//! The cabinet's plain-HTTP edges beside its Leptos pages: the language switch (a cookie and a
//! redirect, so it works without JavaScript), the payment receipt download, and the response
//! headers that keep cabinet pages out of frames and caches.

use crate::startup::AppState;
use app::api::{cookie_value, SESSION_COOKIE};
use app::fmt::{datetime, money, percent};
use app::i18n::{status_text, Locale};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use engine::auth::Principal;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cabinet/lang/{lang}", get(set_language))
        .route("/cabinet/receipt/{invoice_id}/{payment_id}", get(receipt))
}

fn is_cabinet_path(path: &str) -> bool {
    path == "/cabinet" || path.starts_with("/cabinet/") || path.starts_with("/api/cabinet/")
}

/// Cabinet responses may not be framed (clickjacking) nor kept by shared caches.
pub async fn frame_guard(req: Request, next: Next) -> Response {
    let cabinet = is_cabinet_path(req.uri().path());
    let page = req.method() == axum::http::Method::GET && req.uri().path().starts_with("/cabinet");
    let mut res = next.run(req).await;
    if cabinet {
        // A page that redirected while rendering (no session → sign-in) says so with a status
        // for every client (Leptos does only when the request accepts text/html). Server
        // functions keep their 200: their client follows the redirect header itself.
        if page && res.status() == StatusCode::OK && res.headers().contains_key(header::LOCATION) {
            *res.status_mut() = StatusCode::FOUND;
        }
        let h = res.headers_mut();
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    }
    res
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site: no scheme, no `//host`, no backslashes.
fn safe_next(next: Option<String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 2000 => n,
        _ => "/cabinet/login".into(),
    }
}

async fn set_language(Path(lang): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let Some(locale) = Locale::parse(&lang) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        app::ui::LANG_COOKIE,
        locale.code()
    );
    let mut res = Redirect::to(&safe_next(q.next)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

fn locale_of(headers: &HeaderMap) -> Locale {
    cookie_value(headers, app::ui::LANG_COOKIE)
        .and_then(|v| Locale::parse(&v))
        .unwrap_or(Locale::Ru)
}

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// A printable HTML receipt of a captured (or refunded) payment of the session's organisation.
#[tracing::instrument(skip_all, fields(invoice_id = %invoice_id, payment_id = %payment_id))]
async fn receipt(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((invoice_id, payment_id)): Path<(String, String)>,
) -> Response {
    let Some(cookie) = cookie_value(&headers, SESSION_COOKIE) else {
        return Redirect::to("/cabinet/login").into_response();
    };
    let session = match s.engine.cabinet_session(&cookie).await {
        Ok(Some(sess)) => sess,
        Ok(None) => return Redirect::to("/cabinet/login").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "receipt: session lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let who = Principal::Merchant {
        party_id: session.party_id.clone(),
    };
    let card = match s.engine.payment_card(&who, &invoice_id, &payment_id).await {
        Ok(c) => c,
        Err(engine::EngineError::NotFound(_)) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "receipt: payment lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let p = &card.payment;
    if !matches!(p.status.as_str(), "captured" | "refunded") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let l = locale_of(&headers);
    let tz = cookie_value(&headers, app::ui::TZ_COOKIE)
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0)
        .clamp(-14 * 60, 14 * 60);
    let en = l == Locale::En;
    let label = |ru: &'static str, en_text: &'static str| if en { en_text } else { ru };
    let details = &p.payer["paymentToolDetails"];
    let mask = details["cardNumberMask"].as_str().unwrap_or("—");
    let email = p.payer["contactInfo"]["email"].as_str().unwrap_or("—");
    let charged = if p.captured_amount > 0 {
        p.captured_amount
    } else {
        p.amount
    };
    let rows = [
        (label("Магазин", "Shop"), esc(&card.shop_name)),
        (label("Товар или услуга", "Product"), esc(&card.invoice.product)),
        (label("Сумма", "Amount"), esc(&money(l, charged, &p.currency))),
        (
            label("Комиссия", "Commission"),
            esc(&format!("{} ({})", money(l, p.fee, &p.currency), percent(card.fee_bps))),
        ),
        (
            label("Возвращено", "Refunded"),
            esc(&money(l, p.refunded_amount, &p.currency)),
        ),
        (label("Статус", "Status"), esc(&status_text(l, p.status.as_str()))),
        (label("Карта", "Card"), esc(mask)),
        (label("E-mail плательщика", "Payer e-mail"), esc(email)),
        (label("Дата", "Date"), esc(&datetime(l, p.created_at, tz))),
        (label("Инвойс", "Invoice"), esc(&p.invoice_id)),
        (label("Платеж", "Payment"), esc(&p.payment_id)),
        (label("Магазин (ID)", "Shop ID"), esc(&p.shop_id)),
        (label("Организация", "Organisation"), esc(&session.party_name)),
        (label("RRN", "RRN"), esc(p.rrn.as_deref().unwrap_or("—"))),
        (
            label("Код авторизации", "Approval code"),
            esc(p.approval_code.as_deref().unwrap_or("—")),
        ),
    ];
    let title = label("Квитанция об оплате", "Payment receipt");
    let body_rows: String = rows
        .iter()
        .map(|(k, v)| format!("<tr><th>{k}</th><td>{v}</td></tr>"))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title} {inv}.{pay}</title>\
         <style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;color:#222}}\
         table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}}\
         th{{width:40%;color:#555;font-weight:normal}}@media print{{button{{display:none}}}}</style></head>\
         <body><h1>DucatPay · {title}</h1><table>{body_rows}</table>\
         <p><button onclick=\"window.print()\">{print}</button></p></body></html>",
        lang = l.code(),
        inv = esc(&p.invoice_id),
        pay = esc(&p.payment_id),
        print = label("Печать", "Print"),
    );
    let filename = format!(
        "attachment; filename=\"receipt-{}-{}.html\"",
        p.invoice_id.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        p.payment_id.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let mut res = (StatusCode::OK, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&filename) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/cabinet/shops?x=1".into())), "/cabinet/shops?x=1");
        assert_eq!(safe_next(Some("//evil.example".into())), "/cabinet/login");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/cabinet/login");
        assert_eq!(safe_next(Some("/\\evil".into())), "/cabinet/login");
        assert_eq!(safe_next(None), "/cabinet/login");
    }

    #[test]
    fn cabinet_paths() {
        assert!(is_cabinet_path("/cabinet/login"));
        assert!(is_cabinet_path("/api/cabinet/login"));
        assert!(!is_cabinet_path("/v1/checkout.html"));
        assert!(!is_cabinet_path("/cabinetx"));
    }
}
