//! The cabinet's server functions: thin adapters that resolve the session, check CSRF, and call
//! the same engine functions as the REST API, acting as `Principal::Merchant` of the session's
//! organisation. Nothing here trusts an id from the page: every lookup is scoped by the party.

use crate::model::*;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
pub use ssr::{cookie_value, CabinetContext, SESSION_COOKIE};

#[server(prefix = "/api/cabinet", endpoint = "me")]
pub async fn me() -> CabResult<SessionInfo> {
    let (_, s) = ssr::session().await?;
    Ok(SessionInfo {
        party_id: s.party_id,
        party_name: s.party_name,
        email: s.email,
        csrf: s.csrf_token,
    })
}

#[server(prefix = "/api/cabinet", endpoint = "login")]
pub async fn login(email: String, password: String, remember: Option<String>) -> CabResult<()> {
    use engine::cabinet::SignInError;
    ssr::check_origin()?;
    let cx = ssr::cx()?;
    let ip = ssr::client_ip();
    let remember = remember.is_some_and(|r| !r.is_empty() && r != "false");
    match cx.engine.sign_in(&email, &password, &ip, remember, &cx.policy).await {
        Ok(s) => {
            let max_age = remember.then(|| cx.policy.remember_ttl.num_seconds());
            ssr::set_cookie(SESSION_COOKIE, &s.cookie_value, max_age, true);
            leptos_axum::redirect("/cabinet/shops");
            Ok(())
        }
        Err(SignInError::InvalidCredentials) => Err(CabError::BadCredentials),
        Err(SignInError::Locked { retry_after_secs }) => Err(CabError::Locked { retry_after_secs }),
        Err(SignInError::Blocked) => Err(CabError::Blocked),
        Err(SignInError::Engine(e)) => Err(ssr::engine_error(e)),
    }
}

#[server(prefix = "/api/cabinet", endpoint = "logout")]
pub async fn logout(csrf: String) -> CabResult<()> {
    let (cx, _) = ssr::session_with_csrf(&csrf).await?;
    if let Some(v) = ssr::request_cookie(SESSION_COOKIE) {
        cx.engine.sign_out(&v).await.map_err(ssr::engine_error)?;
    }
    ssr::set_cookie(SESSION_COOKIE, "", Some(0), true);
    leptos_axum::redirect("/cabinet/login");
    Ok(())
}

#[server(prefix = "/api/cabinet", endpoint = "request_reset")]
pub async fn request_reset(email: String) -> CabResult<()> {
    ssr::check_origin()?;
    let cx = ssr::cx()?;
    cx.engine
        .request_password_reset(&email, &cx.engine.config.public_url, &cx.mailer, &cx.policy)
        .await
        .map_err(ssr::engine_error)?;
    Ok(())
}

#[server(prefix = "/api/cabinet", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> CabResult<()> {
    ssr::check_origin()?;
    let cx = ssr::cx()?;
    cx.engine
        .reset_password(&token, &password)
        .await
        .map_err(ssr::engine_error)
}

#[server(prefix = "/api/cabinet", endpoint = "shops")]
pub async fn shops() -> CabResult<Vec<ShopView>> {
    let (cx, s) = ssr::session().await?;
    let shops = cx.engine.shops(&s.party_id).await.map_err(ssr::engine_error)?;
    Ok(shops.iter().map(ssr::shop_view).collect())
}

#[server(prefix = "/api/cabinet", endpoint = "shop_detail")]
pub async fn shop_detail(shop_id: String) -> CabResult<ShopDetails> {
    let (cx, s) = ssr::session().await?;
    let shop = cx.engine.shop(&s.party_id, &shop_id).await.map_err(ssr::engine_error)?;
    let contract = cx.engine.contract(&s.party_id).await.map_err(ssr::engine_error)?;
    Ok(ShopDetails {
        shop: ssr::shop_view(&shop),
        contract: contract.map(|c| ContractView {
            legal_name: c.legal_name,
            inn: c.inn,
            ogrn: c.ogrn,
            address: c.address,
            representative_position: c.representative_position,
            representative_name: c.representative_name,
            representative_document: c.representative_document,
            created_at: c.created_at,
        }),
    })
}

#[server(prefix = "/api/cabinet", endpoint = "set_shop_frozen")]
pub async fn set_shop_frozen(csrf: String, shop_id: String, frozen: bool) -> CabResult<()> {
    let (cx, s) = ssr::session_with_csrf(&csrf).await?;
    cx.engine
        .set_shop_suspended(&s.party_id, &shop_id, frozen)
        .await
        .map_err(ssr::engine_error)
}

#[server(prefix = "/api/cabinet", endpoint = "search_payments", input = Json)]
pub async fn search_payments(filters: Filters) -> CabResult<PageOf<PaymentRow>> {
    let (cx, s) = ssr::session().await?;
    let q = ssr::query(&cx, &filters, "payments")?;
    let page = cx
        .engine
        .search_payments(&s.principal(), &q, ssr::PAGE_SIZE, filters.cursor.as_deref())
        .await
        .map_err(ssr::engine_error)?;
    let names = ssr::shop_names(&cx, &s.party_id).await?;
    Ok(PageOf {
        rows: page
            .items
            .iter()
            .map(|h| ssr::payment_row(&h.payment, h.order_id.clone(), h.product.clone(), &names))
            .collect(),
        next: page.continuation,
        loaded_at: cx.engine.clock.now_micros(),
    })
}

#[server(prefix = "/api/cabinet", endpoint = "search_invoices", input = Json)]
pub async fn search_invoices(filters: Filters) -> CabResult<PageOf<InvoiceRow>> {
    let (cx, s) = ssr::session().await?;
    let q = ssr::query(&cx, &filters, "invoices")?;
    let page = cx
        .engine
        .search_invoices(&s.principal(), &q, ssr::PAGE_SIZE, filters.cursor.as_deref())
        .await
        .map_err(ssr::engine_error)?;
    let names = ssr::shop_names(&cx, &s.party_id).await?;
    Ok(PageOf {
        rows: page
            .items
            .iter()
            .map(|i| InvoiceRow {
                invoice_id: i.invoice_id.clone(),
                shop_id: i.shop_id.clone(),
                shop_name: names.get(&i.shop_id).cloned().unwrap_or_default(),
                product: i.product.clone(),
                amount: i.amount,
                currency: i.currency.clone(),
                status: i.status.as_str().to_string(),
                order_id: i.external_id.clone(),
                created_at: i.created_at,
            })
            .collect(),
        next: page.continuation,
        loaded_at: cx.engine.clock.now_micros(),
    })
}

#[server(prefix = "/api/cabinet", endpoint = "search_refunds", input = Json)]
pub async fn search_refunds(filters: Filters) -> CabResult<PageOf<RefundRow>> {
    let (cx, s) = ssr::session().await?;
    let q = ssr::query(&cx, &filters, "refunds")?;
    let page = cx
        .engine
        .search_refunds(&s.principal(), &q, ssr::PAGE_SIZE, filters.cursor.as_deref())
        .await
        .map_err(ssr::engine_error)?;
    let names = ssr::shop_names(&cx, &s.party_id).await?;
    Ok(PageOf {
        rows: page
            .items
            .iter()
            .map(|h| ssr::refund_row(&h.refund, h.updated_at, &names))
            .collect(),
        next: page.continuation,
        loaded_at: cx.engine.clock.now_micros(),
    })
}

#[server(prefix = "/api/cabinet", endpoint = "payment_card", input = Json)]
pub async fn payment_card(invoice_id: String, payment_id: String) -> CabResult<PaymentCardView> {
    let (cx, s) = ssr::session().await?;
    let card = cx
        .engine
        .payment_card(&s.principal(), &invoice_id, &payment_id)
        .await
        .map_err(ssr::engine_error)?;
    ssr::card_view(card, &s.party_id, &cx).await
}

#[server(prefix = "/api/cabinet", endpoint = "refund", input = Json)]
pub async fn refund(
    csrf: String,
    invoice_id: String,
    payment_id: String,
    reason: String,
    amount: Option<i64>,
) -> CabResult<RefundRow> {
    let (cx, s) = ssr::session_with_csrf(&csrf).await?;
    if reason.chars().count() > 100 {
        return Err(CabError::Invalid {
            code: "invalidRequest".into(),
            message: "reason must be at most 100 characters".into(),
        });
    }
    let mut raw = serde_json::json!({"currency": "RUB"});
    if let Some(a) = amount {
        raw["amount"] = a.into();
    }
    if !reason.trim().is_empty() {
        raw["reason"] = reason.trim().into();
    }
    let params = serde_json::from_value(raw.clone()).map_err(|_| CabError::Internal)?;
    let (r, _) = cx
        .engine
        .create_refund(&s.principal(), &invoice_id, &payment_id, &raw, params)
        .await
        .map_err(ssr::engine_error)?;
    let names = ssr::shop_names(&cx, &s.party_id).await?;
    Ok(ssr::refund_row(&r, r.created_at, &names))
}

#[server(prefix = "/api/cabinet", endpoint = "capture", input = Json)]
pub async fn capture(csrf: String, invoice_id: String, payment_id: String, amount: Option<i64>) -> CabResult<()> {
    let (cx, s) = ssr::session_with_csrf(&csrf).await?;
    let params = engine::processing::CaptureParams {
        reason: "captured in the cabinet".into(),
        amount,
        currency: None,
        cart: None,
        allocation: None,
    };
    cx.engine
        .capture_payment(&s.principal(), &invoice_id, &payment_id, params)
        .await
        .map_err(ssr::engine_error)
}

#[server(prefix = "/api/cabinet", endpoint = "cancel", input = Json)]
pub async fn cancel(csrf: String, invoice_id: String, payment_id: String) -> CabResult<()> {
    let (cx, s) = ssr::session_with_csrf(&csrf).await?;
    let params = engine::processing::ReasonParams {
        reason: "cancelled in the cabinet".into(),
    };
    cx.engine
        .cancel_payment(&s.principal(), &invoice_id, &payment_id, params)
        .await
        .map_err(ssr::engine_error)
}

#[server(prefix = "/api/cabinet", endpoint = "create_invoice", input = Json)]
pub async fn create_invoice(csrf: String, invoice: NewInvoice) -> CabResult<CreatedInvoice> {
    let (cx, s) = ssr::session_with_csrf(&csrf).await?;
    ssr::create_invoice(&cx, &s, invoice).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::model::*;
    use axum::http::{header, request::Parts, HeaderValue};
    use engine::cabinet::{CabinetSession, Mailer, SignInPolicy};
    use engine::parties::Shop;
    use engine::payments::Payment;
    use engine::refunds::Refund;
    use engine::search::{OperationQuery, PaymentCard};
    use engine::{Engine, EngineError};
    use leptos::prelude::*;
    use std::collections::HashMap;

    pub const SESSION_COOKIE: &str = "dp_session";
    pub const PAGE_SIZE: i64 = 20;

    /// What the server hands the cabinet's server functions (through Leptos context).
    #[derive(Clone)]
    pub struct CabinetContext {
        pub engine: Engine,
        pub mailer: Mailer,
        pub policy: SignInPolicy,
    }

    pub fn cx() -> Result<CabinetContext, CabError> {
        use_context::<CabinetContext>().ok_or_else(|| {
            tracing::error!("CabinetContext missing from the Leptos context");
            CabError::Internal
        })
    }

    fn parts() -> Option<Parts> {
        use_context::<Parts>()
    }

    /// A cookie from a `Cookie` header.
    pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub fn request_cookie(name: &str) -> Option<String> {
        parts().and_then(|p| cookie_value(&p.headers, name))
    }

    pub fn engine_error(e: EngineError) -> CabError {
        match e {
            EngineError::Logic { code, message } => CabError::Invalid {
                code: code.to_string(),
                message,
            },
            EngineError::NotFound(_) => CabError::NotFound,
            EngineError::Unauthorized => CabError::Unauthorized,
            EngineError::ExternalIdConflict { message, .. } => CabError::Invalid {
                code: "externalIDConflict".into(),
                message,
            },
            other => {
                tracing::error!(error = %other, "cabinet call failed");
                CabError::Internal
            }
        }
    }

    /// Served over TLS (directly by configuration, or behind a proxy that says so)?
    fn is_secure(cx: &CabinetContext) -> bool {
        cx.engine.config.public_url.starts_with("https://")
            || parts()
                .and_then(|p| p.headers.get("x-forwarded-proto").cloned())
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
    }

    pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, http_only: bool) {
        let secure = cx().map(|c| is_secure(&c)).unwrap_or(false);
        let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
        if http_only {
            c.push_str("; HttpOnly");
        }
        if secure {
            c.push_str("; Secure");
        }
        if let Some(age) = max_age {
            c.push_str(&format!("; Max-Age={age}"));
        }
        if let (Some(res), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&c)) {
            res.append_header(header::SET_COOKIE, v);
        }
    }

    /// The client's address: the socket peer; behind a proxy on the same machine (a loopback
    /// peer), the address the proxy appended to `X-Forwarded-For`.
    pub fn client_ip() -> String {
        let Some(p) = parts() else {
            return "unknown".into();
        };
        let peer = p
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = p
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
        match (peer, forwarded) {
            (Some(ip), Some(fwd)) if ip.is_loopback() => fwd,
            (Some(ip), _) => ip.to_string(),
            (None, Some(fwd)) => fwd,
            (None, None) => "unknown".into(),
        }
    }

    /// Same-origin check for state-changing calls: a browser's `Origin` (or `Referer`) must
    /// name this host. Requests without either (non-browser clients) pass on to the CSRF token.
    pub fn check_origin() -> Result<(), CabError> {
        let Some(p) = parts() else { return Ok(()) };
        let host = p.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let source = p
            .headers
            .get(header::ORIGIN)
            .or_else(|| p.headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok());
        let Some(source) = source else { return Ok(()) };
        let authority = source
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .unwrap_or("");
        if authority.eq_ignore_ascii_case(host) && !host.is_empty() {
            Ok(())
        } else {
            tracing::warn!(%source, %host, "cabinet call from another origin refused");
            Err(CabError::Csrf)
        }
    }

    pub async fn session() -> Result<(CabinetContext, CabinetSession), CabError> {
        let cx = cx()?;
        let Some(cookie) = request_cookie(SESSION_COOKIE) else {
            return Err(CabError::Unauthorized);
        };
        match cx.engine.cabinet_session(&cookie).await.map_err(engine_error)? {
            Some(s) => Ok((cx, s)),
            None => Err(CabError::Unauthorized),
        }
    }

    pub async fn session_with_csrf(csrf: &str) -> Result<(CabinetContext, CabinetSession), CabError> {
        check_origin()?;
        let (cx, s) = session().await?;
        s.check_csrf(csrf).map_err(|_| CabError::Csrf)?;
        Ok((cx, s))
    }

    pub fn shop_view(s: &Shop) -> ShopView {
        ShopView {
            shop_id: s.shop_id.clone(),
            name: s.name.clone(),
            url: s.url.clone(),
            created_at: s.created_at,
            category_id: s.category_id,
            currency: s.currency.clone(),
            frozen: s.is_suspended,
            blocked: s.is_blocked,
            bank_name: s.bank_name.clone(),
            account: s.settlement_account.clone(),
            bik: s.bik.clone(),
            corr_account: s.corr_account.clone(),
            fee_bps: s.fee_bps,
        }
    }

    pub async fn shop_names(cx: &CabinetContext, party_id: &str) -> Result<HashMap<String, String>, CabError> {
        Ok(cx
            .engine
            .shops(party_id)
            .await
            .map_err(engine_error)?
            .into_iter()
            .map(|s| (s.shop_id, s.name))
            .collect())
    }

    fn invalid(message: &str) -> CabError {
        CabError::Invalid {
            code: "invalidRequest".into(),
            message: message.into(),
        }
    }

    fn clean(v: &Option<String>, max: usize) -> Result<Option<String>, CabError> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) if s.chars().count() <= max => Ok(Some(s.to_string())),
            Some(_) => Err(invalid("a filter value is too long")),
        }
    }

    /// The page's filters to the engine's query. Period presets count back from now; a custom
    /// range is whole local days, both ends included.
    pub fn query(cx: &CabinetContext, f: &Filters, tab: &str) -> Result<OperationQuery, CabError> {
        let now = cx.engine.clock.now_micros();
        let day = 86_400_000_000i64;
        let tz = f.tz.clamp(-14 * 60, 14 * 60);
        let period = f.period.as_deref().unwrap_or("90d");
        let (from, to) = match period {
            "custom" => {
                let from = f
                    .from
                    .as_deref()
                    .and_then(|d| crate::fmt::parse_date_input(d, tz))
                    .unwrap_or(now - 90 * day);
                let to =
                    f.to.as_deref()
                        .and_then(|d| crate::fmt::parse_date_input(d, tz))
                        .map(|t| t + day)
                        .unwrap_or(now + 1);
                (from, to)
            }
            "today" => {
                let local_midnight =
                    crate::fmt::parse_date_input(&crate::fmt::date_input(now, tz), tz).unwrap_or(now - day);
                (local_midnight, now + 1)
            }
            "7d" => (now - 7 * day, now + 1),
            "30d" => (now - 30 * day, now + 1),
            "365d" => (now - 365 * day, now + 1),
            _ => (now - 90 * day, now + 1),
        };
        if from >= to {
            return Err(invalid("the period is empty"));
        }
        let digits = |v: &Option<String>, n: usize| -> Result<Option<String>, CabError> {
            match clean(v, n)? {
                Some(s) if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(s)),
                Some(_) => Err(invalid("card digits are not valid")),
                None => Ok(None),
            }
        };
        let status = clean(&f.status, 20)?;
        let amount = match clean(&f.amount, 30)? {
            Some(a) => Some(crate::fmt::parse_money(&a).ok_or_else(|| invalid("the amount is not valid"))?),
            None => None,
        };
        let mut q = OperationQuery {
            shop_id: clean(&f.shop, 40)?,
            from,
            to,
            invoice_id: clean(&f.invoice, 40)?,
            payment_id: clean(&f.payment, 40)?,
            order_id: clean(&f.order, 40)?,
            payer_email: clean(&f.email, 100)?,
            first6: digits(&f.first6, 6)?,
            last4: digits(&f.last4, 4)?,
            ..OperationQuery::default()
        };
        match tab {
            "payments" => {
                q.payment_status = status;
                q.payment_amount = amount;
            }
            "invoices" => {
                q.invoice_status = status;
                q.invoice_amount = amount;
            }
            _ => {
                q.refund_status = status;
            }
        }
        Ok(q)
    }

    pub fn payment_row(
        p: &Payment,
        order_id: Option<String>,
        product: String,
        names: &HashMap<String, String>,
    ) -> PaymentRow {
        let details = &p.payer["paymentToolDetails"];
        let card_mask = details["cardNumberMask"].as_str().map(str::to_string).or_else(|| {
            match (details["first6"].as_str(), details["last4"].as_str()) {
                (Some(a), Some(b)) => Some(format!("{a}******{b}")),
                _ => None,
            }
        });
        PaymentRow {
            invoice_id: p.invoice_id.clone(),
            payment_id: p.payment_id.clone(),
            shop_id: p.shop_id.clone(),
            shop_name: names.get(&p.shop_id).cloned().unwrap_or_default(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            amount: p.amount,
            currency: p.currency.clone(),
            status: p.status.as_str().to_string(),
            hold: p.flow == engine::payments::FlowType::Hold,
            order_id,
            product,
            card_mask,
            email: p.payer["contactInfo"]["email"].as_str().map(str::to_string),
            error: p.error.as_ref().map(|e| e.path()),
        }
    }

    pub fn refund_row(r: &Refund, updated_at: i64, names: &HashMap<String, String>) -> RefundRow {
        RefundRow {
            invoice_id: r.invoice_id.clone(),
            payment_id: r.payment_id.clone(),
            refund_id: r.refund_id.clone(),
            shop_name: names.get(&r.shop_id).cloned().unwrap_or_default(),
            amount: r.amount,
            currency: r.currency.clone(),
            status: r.status.clone(),
            reason: r.reason.clone(),
            created_at: r.created_at,
            updated_at,
        }
    }

    pub async fn card_view(
        card: PaymentCard,
        party_id: &str,
        cx: &CabinetContext,
    ) -> Result<PaymentCardView, CabError> {
        use engine::payments::{FlowType, PaymentStatus};
        let names = shop_names(cx, party_id).await?;
        let p = &card.payment;
        let refundable = if p.status == PaymentStatus::Captured && !p.refund_pending {
            (p.captured_amount - p.refunded_amount).max(0)
        } else {
            0
        };
        Ok(PaymentCardView {
            row: payment_row(
                p,
                card.invoice.external_id.clone(),
                card.invoice.product.clone(),
                &names,
            ),
            invoice_status: card.invoice.status.as_str().to_string(),
            captured_amount: p.captured_amount,
            refunded_amount: p.refunded_amount,
            fee: p.fee,
            fee_bps: card.fee_bps,
            history: card.history.clone(),
            refunds: card
                .refunds
                .iter()
                .map(|r| refund_row(r, r.created_at, &names))
                .collect(),
            held_until: p.held_until,
            refundable,
            refund_pending: p.refund_pending,
            can_capture: p.flow == FlowType::Hold && p.status == PaymentStatus::Processed && p.pending_op.is_none(),
        })
    }

    fn url_encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    pub async fn create_invoice(
        cx: &CabinetContext,
        s: &CabinetSession,
        inv: NewInvoice,
    ) -> Result<CreatedInvoice, CabError> {
        let tz = inv.tz.clamp(-14 * 60, 14 * 60);
        let due = crate::fmt::parse_date_input(&inv.due, tz)
            .map(|t| t + 86_400_000_000 - 1_000_000)
            .ok_or_else(|| CabError::Invalid {
                code: "invalidDeadline".into(),
                message: "the due date is not a date".into(),
            })?;
        if inv.lines.is_empty() {
            return Err(CabError::Invalid {
                code: "invalidInvoiceCart".into(),
                message: "add at least one line".into(),
            });
        }
        let mut cart = Vec::new();
        let mut total: i64 = 0;
        for l in &inv.lines {
            let mut line = serde_json::json!({"product": l.product.trim(), "quantity": l.quantity, "price": l.price});
            if l.tax != "none" {
                line["taxMode"] = serde_json::json!({"type": "InvoiceLineTaxVAT", "rate": l.tax});
            }
            total = total.saturating_add(l.price.saturating_mul(l.quantity));
            cart.push(line);
        }
        let mut raw = serde_json::json!({
            "shopID": inv.shop_id,
            "dueDate": engine::clock::rfc3339(due),
            "amount": total,
            "currency": "RUB",
            "product": inv.product.trim(),
            "cart": cart,
            "metadata": {"createdIn": "cabinet"},
        });
        if !inv.description.trim().is_empty() {
            raw["description"] = inv.description.trim().into();
        }
        let params = serde_json::from_value(raw.clone()).map_err(|_| CabError::Internal)?;
        let (invoice, _) = cx
            .engine
            .create_invoice(&s.party_id, &raw, params)
            .await
            .map_err(engine_error)?;
        let token = cx.engine.invoice_access_token(&s.party_id, &invoice.invoice_id);
        let checkout_url = format!(
            "{}/v1/checkout.html?invoiceID={}&invoiceAccessToken={}",
            cx.engine.config.public_url.trim_end_matches('/'),
            url_encode(&invoice.invoice_id),
            url_encode(&token)
        );
        Ok(CreatedInvoice {
            invoice_id: invoice.invoice_id,
            checkout_url,
        })
    }
}
