//! The hosted checkout's HTTP side: the page (`/v1/checkout.html`), the form it posts
//! (`/v1/checkout/pay`, HTML or JSON), the embed script (`/checkout.js`), the checkout's WASM
//! bundle (`/checkout-pkg/*`) and the demo merchant (`/demo/shop`).
//!
//! The checkout acts with the invoice access token from its link and nothing else: every request
//! authenticates it (`Principal::Invoice`) and calls the engine with that principal.

use crate::config::ServeArgs;
use crate::startup::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::Datelike;
use ducatpay_checkout::form::{validate, CardInput, FormConfig, Screen};
use ducatpay_checkout::i18n::{money, Locale, Texts};
use ducatpay_checkout::page::{self, Body, CartLine, Summary};
use engine::auth::Principal;
use engine::branding::Branding;
use engine::invoices::{Invoice, InvoiceStatus};
use engine::parties::Shop;
use engine::payments::{FlowType, Payment, PaymentParams, PaymentStatus};
use engine::resources::PaymentResourceParams;
use engine::{Engine, EngineError};
use html_escape::encode_double_quoted_attribute as attr;
use html_escape::encode_text as text;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower_http::services::ServeDir;

type Params = HashMap<String, String>;

/// Settings and the per-instance memory of the checkout.
pub struct Checkout {
    /// Sandbox mode (`--sandbox-tools`): any site may frame the checkout.
    frame_any: bool,
    submissions: Submissions,
}

/// The checkout's routes. Has no fallback, so it merges into the service's router.
pub fn router(args: &ServeArgs) -> Router<AppState> {
    let ctx = Arc::new(Checkout {
        frame_any: args.sandbox_tools,
        submissions: Submissions::default(),
    });
    let pkg = args.site_root().join(page::PKG_DIR);
    Router::new()
        .route("/v1/checkout.html", get(checkout_page))
        .route("/v1/checkout/pay", post(pay))
        .route("/checkout.js", get(embed_script))
        .route("/demo/shop", get(demo_shop))
        .route("/demo/shop/success", get(demo_success))
        .nest_service("/checkout-pkg", ServeDir::new(pkg).precompressed_gzip())
        .layer(Extension(ctx))
}

/// Every other page is not frameable unless it chose a frame policy itself (the checkout does).
/// The sandbox issuer's 3-D Secure pages are left alone: they open inside the checkout's frame,
/// which sits in the merchant's page, as real issuers' pages do.
pub async fn deny_framing_by_default(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    let issuer = path.starts_with("/sandbox/acs/") || path.starts_with("/interaction/3ds");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !issuer && !h.contains_key(header::CONTENT_SECURITY_POLICY) && !h.contains_key(header::X_FRAME_OPTIONS) {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Link parameters

fn param<'a>(p: &'a Params, k: &str) -> &'a str {
    p.get(k).map(String::as_str).unwrap_or_default()
}

fn flag(v: &str) -> bool {
    matches!(v, "true" | "1" | "on")
}

/// The link's options, as the manual's table names them.
#[derive(Debug, Clone, Default)]
struct Options {
    invoice_id: String,
    token: String,
    email: String,
    locale_param: String,
    recurring: bool,
    /// `cancel` / `capture` when the link asks for a two-stage payment.
    hold: Option<&'static str>,
    /// Origin of the embedding page (checkout.js), checked to be an origin.
    parent_origin: String,
}

impl Options {
    fn from(p: &Params) -> Options {
        let hold = flag(param(p, "paymentFlowHold")).then(|| match param(p, "holdExpiration") {
            "capture" => "capture",
            _ => "cancel",
        });
        Options {
            invoice_id: param(p, "invoiceID").to_string(),
            token: param(p, "invoiceAccessToken").to_string(),
            email: param(p, "email").trim().to_string(),
            locale_param: param(p, "locale").to_string(),
            recurring: flag(param(p, "recurring")),
            hold,
            parent_origin: origin_of(param(p, "parentOrigin")).unwrap_or_default(),
        }
    }

    /// The checkout link with these options (plus `extra` pairs), absolute.
    fn link(&self, public_url: &str, extra: &[(&str, &str)]) -> String {
        let mut url = reqwest::Url::parse(&format!("{}/v1/checkout.html", public_url.trim_end_matches('/')))
            .unwrap_or_else(|_| reqwest::Url::parse("http://127.0.0.1/v1/checkout.html").expect("static URL"));
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("invoiceID", &self.invoice_id);
            q.append_pair("invoiceAccessToken", &self.token);
            if !self.email.is_empty() {
                q.append_pair("email", &self.email);
            }
            if !self.locale_param.is_empty() {
                q.append_pair("locale", &self.locale_param);
            }
            q.append_pair("initialPaymentMethod", "bankCard");
            if self.recurring {
                q.append_pair("recurring", "true");
            }
            if let Some(h) = self.hold {
                q.append_pair("paymentFlowHold", "true");
                q.append_pair("holdExpiration", h);
            }
            if !self.parent_origin.is_empty() {
                q.append_pair("parentOrigin", &self.parent_origin);
            }
            for (k, v) in extra {
                q.append_pair(k, v);
            }
        }
        url.into()
    }
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    Some(u.origin().ascii_serialization())
}

fn locale_of(p: &Params, headers: &HeaderMap) -> Locale {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Locale::resolve(p.get("locale").map(String::as_str), accept)
}

// ---------------------------------------------------------------------------------------------
// The invoice behind a link

struct Opened {
    principal: Principal,
    invoice: Invoice,
    shop: Shop,
    branding: Branding,
}

/// Authenticates the link's token for its invoice. Only an invoice access token is accepted:
/// an API key pasted into a link is refused like a forged token.
async fn open(engine: &Engine, o: &Options) -> Option<Opened> {
    if o.invoice_id.is_empty() || o.token.is_empty() || o.token.starts_with("dp_") {
        return None;
    }
    let principal = engine.authenticate(&o.token).await.ok()?;
    if !matches!(principal, Principal::Invoice { .. }) || principal.check_invoice(&o.invoice_id).is_err() {
        return None;
    }
    let invoice = engine.invoice(principal.party_id(), &o.invoice_id).await.ok()?;
    let shop = engine.shop(principal.party_id(), &invoice.shop_id).await.ok()?;
    let branding = engine
        .shop_branding(principal.party_id(), &invoice.shop_id)
        .await
        .unwrap_or_default();
    Some(Opened {
        principal,
        invoice,
        shop,
        branding,
    })
}

fn summary(o: &Opened, locale: Locale) -> Summary {
    let inv = &o.invoice;
    let m = |v: i64| money(v, &inv.currency, locale);
    let cart = inv
        .cart
        .as_ref()
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .map(|l| CartLine {
                    product: l["product"].as_str().unwrap_or_default().to_string(),
                    quantity: l["quantity"].as_i64().unwrap_or(1),
                    price: m(l["price"].as_i64().unwrap_or_default()),
                    cost: m(l["cost"].as_i64().unwrap_or_default()),
                })
                .collect()
        })
        .unwrap_or_default();
    Summary {
        shop_name: o.shop.name.clone(),
        logo_url: o.branding.logo_url.clone(),
        button_colour: o.branding.button_colour.clone(),
        amount: m(inv.amount),
        product: inv.product.clone(),
        description: inv.description.clone(),
        cart,
        invoice_id: inv.invoice_id.clone(),
    }
}

/// Why an invoice cannot take a payment now, as (state, title, line).
fn closed_state(engine: &Engine, o: &Opened, t: &'static Texts) -> Option<(&'static str, &'static str, &'static str)> {
    match o.invoice.status {
        InvoiceStatus::Paid | InvoiceStatus::Fulfilled => Some(("paid", t.paid_title, t.paid_line)),
        InvoiceStatus::Cancelled if o.invoice.reason.as_deref() == Some("overdue") => {
            Some(("overdue", t.overdue_title, t.overdue_line))
        }
        InvoiceStatus::Cancelled => Some(("cancelled", t.cancelled_title, t.cancelled_line)),
        InvoiceStatus::Unpaid if o.invoice.due_date <= engine.clock.now_micros() => {
            Some(("overdue", t.overdue_title, t.overdue_line))
        }
        InvoiceStatus::Unpaid if !o.shop.is_active() => Some(("unavailable", t.unavailable_title, t.unavailable_line)),
        InvoiceStatus::Unpaid => None,
    }
}

/// What the buyer sees about a payment.
fn screen_of(p: &Payment, t: &'static Texts) -> Screen {
    let payment_id = p.payment_id.clone();
    match p.status {
        PaymentStatus::Captured => Screen::Success {
            held: false,
            payment_id,
        },
        PaymentStatus::Processed => Screen::Success {
            held: p.flow == FlowType::Hold,
            payment_id,
        },
        PaymentStatus::Failed => Screen::Failed {
            reason: t
                .payment_reason(&p.error.as_ref().map(|e| e.path()).unwrap_or_default())
                .to_string(),
            payment_id,
        },
        PaymentStatus::Pending => Screen::Pending { payment_id },
        PaymentStatus::Cancelled => Screen::Message {
            title: t.cancelled_title.into(),
            line: t.cancelled_line.into(),
        },
        PaymentStatus::Refunded => Screen::Message {
            title: t.paid_title.into(),
            line: t.paid_line.into(),
        },
    }
}

/// The issuer's page and form of a payment waiting for 3-D Secure.
fn interaction(p: &Payment) -> Option<(String, Vec<(String, String)>)> {
    if p.status != PaymentStatus::Pending {
        return None;
    }
    let req = &p.user_interaction.as_ref()?["request"];
    let url = req["uriTemplate"].as_str()?.to_string();
    let fields = req["form"]
        .as_array()?
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap_or_default().to_string(),
                f["template"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Some((url, fields))
}

// ---------------------------------------------------------------------------------------------
// Responses

fn frame_policy(ctx: &Checkout, shop: Option<&Shop>) -> String {
    if ctx.frame_any {
        return "frame-ancestors *".into();
    }
    match shop.and_then(|s| origin_of(&s.url)) {
        Some(o) => format!("frame-ancestors 'self' {o}"),
        None => "frame-ancestors 'self'".into(),
    }
}

fn html_response(ctx: &Checkout, shop: Option<&Shop>, status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&frame_policy(ctx, shop)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    // The link carries the invoice token: never cached, never sent on as a Referer.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

fn bad_link_page(ctx: &Checkout, locale: Locale) -> Response {
    let t = locale.texts();
    let body = Body::State {
        state: "bad-link",
        title: t.bad_link_title.into(),
        line: t.bad_link_line.into(),
        resume: None,
    };
    html_response(ctx, None, StatusCode::BAD_REQUEST, page::render(locale, None, body))
}

fn json_response(status: StatusCode, v: Value) -> Response {
    let mut res = (status, Json(v)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

struct FormParts {
    screen: Screen,
    number: String,
    expiry: String,
    holder: String,
    email: String,
    remember: bool,
    errors: Vec<(String, String)>,
}

impl FormParts {
    fn fresh(screen: Screen, email: &str) -> FormParts {
        FormParts {
            screen,
            number: String::new(),
            expiry: String::new(),
            holder: String::new(),
            email: email.to_string(),
            remember: false,
            errors: Vec::new(),
        }
    }
}

fn form_config(engine: &Engine, o: &Opened, opts: &Options, locale: Locale, parts: FormParts) -> FormConfig {
    let t = locale.texts();
    let amount = money(o.invoice.amount, &o.invoice.currency, locale);
    FormConfig {
        locale,
        locale_param: opts.locale_param.clone(),
        pay_label: format!("{} {}", t.pay, amount),
        amount,
        shop_name: o.shop.name.clone(),
        shop_url: o.shop.url.clone(),
        invoice_id: o.invoice.invoice_id.clone(),
        token: opts.token.clone(),
        ask_holder: o.branding.ask_cardholder,
        recurring: opts.recurring,
        hold: opts.hold.unwrap_or_default().to_string(),
        submission: engine::ids::random_base62(22),
        parent_origin: opts.parent_origin.clone(),
        link: opts.link(&engine.config.public_url, &[]),
        screen: parts.screen,
        number: parts.number,
        expiry: parts.expiry,
        holder: parts.holder,
        email: parts.email,
        remember: parts.remember,
        errors: parts.errors,
    }
}

fn form_page(engine: &Engine, o: &Opened, opts: &Options, locale: Locale, parts: FormParts) -> String {
    let cfg = form_config(engine, o, opts, locale, parts);
    page::render(locale, Some(summary(o, locale)), Body::Form(Box::new(cfg)))
}

// ---------------------------------------------------------------------------------------------
// GET /v1/checkout.html

#[tracing::instrument(skip_all)]
async fn checkout_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Arc<Checkout>>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let locale = locale_of(&p, &headers);
    let t = locale.texts();
    let opts = Options::from(&p);
    let Some(o) = open(&s.engine, &opts).await else {
        return bad_link_page(&ctx, locale);
    };
    let engine = &s.engine;

    // Back from the issuer (`return=1`) or from a posted form (`paymentID`): that payment's result.
    let wanted = match (param(&p, "paymentID"), flag(param(&p, "return"))) {
        ("", false) => None,
        ("", true) => engine
            .payments(&o.principal, &o.invoice.invoice_id)
            .await
            .ok()
            .and_then(|v| v.into_iter().last()),
        (id, _) => engine.payment(&o.principal, &o.invoice.invoice_id, id).await.ok(),
    };
    // A payment still running on the invoice (3-D Secure left unanswered, or a hold).
    let in_progress = match (&wanted, &o.invoice.active_payment_id) {
        (None, Some(id)) => engine
            .payment(&o.principal, &o.invoice.invoice_id, id)
            .await
            .ok()
            .filter(|p| p.status.is_in_progress()),
        _ => None,
    };
    let summary_of = || Some(summary(&o, locale));
    let closed_now = closed_state(engine, &o, t);
    let html = match (wanted.or(in_progress), closed_now) {
        (Some(payment), _) if interaction(&payment).is_some() => {
            // The buyer left the issuer's page unanswered: offer to go back to it.
            page::render(
                locale,
                summary_of(),
                Body::State {
                    state: "pending",
                    title: t.pending_title.into(),
                    line: t.pending_line.into(),
                    resume: interaction(&payment),
                },
            )
        }
        // A failed attempt on an invoice that cannot be paid any more: say why instead.
        (Some(payment), Some((state, title, line))) if payment.status == PaymentStatus::Failed => {
            page::render(locale, summary_of(), closed(state, title, line))
        }
        (Some(payment), _) => form_page(
            engine,
            &o,
            &opts,
            locale,
            FormParts::fresh(screen_of(&payment, t), &opts.email),
        ),
        (None, Some((state, title, line))) => page::render(locale, summary_of(), closed(state, title, line)),
        (None, None) => form_page(engine, &o, &opts, locale, FormParts::fresh(Screen::Form, &opts.email)),
    };
    html_response(&ctx, Some(&o.shop), StatusCode::OK, html)
}

fn closed(state: &'static str, title: &str, line: &str) -> Body {
    Body::State {
        state,
        title: title.into(),
        line: line.into(),
        resume: None,
    }
}

// ---------------------------------------------------------------------------------------------
// POST /v1/checkout/pay

/// One tokenised card per form submission, so a repeated submission (double click, a resent
/// form) creates the payment with the same `paymentSession` and gets the same payment back.
/// In memory: the tokens carry the sealed CVV, which must never reach the database.
#[derive(Default)]
struct Submissions {
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Tokenised>>>>>,
}

struct Tokenised {
    token: String,
    session: String,
    at: Instant,
}

const SUBMISSION_TTL: Duration = Duration::from_secs(3600);

impl Submissions {
    fn slot(&self, key: &str) -> Arc<tokio::sync::Mutex<Option<Tokenised>>> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 1000 {
            map.retain(|_, slot| match slot.try_lock() {
                Ok(g) => g.as_ref().map(|t| t.at.elapsed() < SUBMISSION_TTL).unwrap_or(false),
                Err(_) => true, // in use right now
            });
        }
        map.entry(key.to_string()).or_default().clone()
    }
}

enum Outcome {
    Payment(Box<Payment>),
    /// Field errors (field → message).
    Invalid(Vec<(String, String)>),
    /// The invoice cannot be paid (state, title, line).
    Closed(&'static str, String, String),
    BadLink,
}

#[tracing::instrument(skip_all)]
async fn pay(
    State(s): State<AppState>,
    Extension(ctx): Extension<Arc<Checkout>>,
    headers: HeaderMap,
    Form(f): Form<Params>,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.contains("application/json"))
        .unwrap_or(false);
    let locale = locale_of(&f, &headers);
    let t = locale.texts();
    let mut opts = Options::from(&f);
    opts.email = param(&f, "email").trim().to_string();
    let engine = &s.engine;
    let opened = open(engine, &opts).await;
    let outcome = match &opened {
        None => Outcome::BadLink,
        Some(o) => attempt(&ctx, engine, o, &opts, &f, t).await,
    };
    let input_parts = |errors: Vec<(String, String)>| FormParts {
        screen: Screen::Form,
        number: ducatpay_checkout::card::format_number(param(&f, "cardNumber")),
        expiry: param(&f, "expDate").to_string(),
        holder: param(&f, "cardHolder").to_string(),
        email: opts.email.clone(),
        remember: flag(param(&f, "remember")),
        errors,
    };

    if wants_json {
        let (status, v) = match outcome {
            Outcome::BadLink => (
                StatusCode::BAD_REQUEST,
                json!({"screen": "message", "state": "bad-link", "title": t.bad_link_title, "line": t.bad_link_line}),
            ),
            Outcome::Closed(state, title, line) => (
                StatusCode::CONFLICT,
                json!({"screen": "message", "state": state, "title": title, "line": line}),
            ),
            Outcome::Invalid(errors) => {
                let errors: serde_json::Map<String, Value> = errors.into_iter().map(|(k, v)| (k, json!(v))).collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"screen": "invalid", "errors": errors}),
                )
            }
            Outcome::Payment(p) => (StatusCode::OK, payment_json(&p, t)),
        };
        return json_response(status, v);
    }

    let Some(o) = opened else {
        return bad_link_page(&ctx, locale);
    };
    match outcome {
        Outcome::BadLink => bad_link_page(&ctx, locale),
        Outcome::Closed(..) => Redirect::to(&opts.link(&engine.config.public_url, &[])).into_response(),
        Outcome::Invalid(errors) => {
            let html = form_page(engine, &o, &opts, locale, input_parts(errors));
            html_response(&ctx, Some(&o.shop), StatusCode::UNPROCESSABLE_ENTITY, html)
        }
        Outcome::Payment(p) => match interaction(&p) {
            // Without JavaScript the issuer's page is reached by GET with the same fields.
            Some((url, fields)) => match reqwest::Url::parse_with_params(&url, &fields) {
                Ok(u) => Redirect::to(u.as_str()).into_response(),
                Err(_) => Redirect::to(&url).into_response(),
            },
            None => {
                Redirect::to(&opts.link(&engine.config.public_url, &[("paymentID", &p.payment_id)])).into_response()
            }
        },
    }
}

fn payment_json(p: &Payment, t: &'static Texts) -> Value {
    if let Some((url, fields)) = interaction(p) {
        let form: Vec<Value> = fields.iter().map(|(k, v)| json!({"key": k, "template": v})).collect();
        return json!({"screen": "redirect", "paymentID": p.payment_id, "status": p.status.as_str(),
                      "redirect": {"url": url, "form": form}});
    }
    let screen = screen_of(p, t);
    let mut v = json!({"paymentID": p.payment_id, "status": p.status.as_str()});
    match screen {
        Screen::Success { held, .. } => v["screen"] = json!(if held { "held" } else { "success" }),
        Screen::Failed { reason, .. } => {
            v["screen"] = json!("failed");
            v["reason"] = json!(reason);
        }
        Screen::Pending { .. } => v["screen"] = json!("pending"),
        Screen::Message { title, line } => {
            v["screen"] = json!("message");
            v["title"] = json!(title);
            v["line"] = json!(line);
        }
        Screen::Form => {}
    }
    v
}

/// Validates, tokenises (once per submission) and creates the payment with the token's rights.
async fn attempt(
    ctx: &Checkout,
    engine: &Engine,
    o: &Opened,
    opts: &Options,
    f: &Params,
    t: &'static Texts,
) -> Outcome {
    if let Some((state, title, line)) = closed_state(engine, o, t) {
        return Outcome::Closed(state, title.into(), line.into());
    }
    let input = CardInput {
        number: param(f, "cardNumber").to_string(),
        expiry: param(f, "expDate").to_string(),
        cvc: param(f, "cvv").to_string(),
        holder: param(f, "cardHolder").to_string(),
        email: param(f, "email").to_string(),
    };
    let now = engine.clock.now();
    let card = match validate(&input, o.branding.ask_cardholder, (now.year(), now.month())) {
        Ok(c) => c,
        Err(errs) => {
            let mut errors: Vec<(String, String)> = errs
                .into_iter()
                .map(|(k, e)| (k.to_string(), t.field_error(e).to_string()))
                .collect();
            errors.push(("form".into(), t.fix_errors.into()));
            return Outcome::Invalid(errors);
        }
    };
    let submission = param(f, "submission");
    let key = engine::crypto::sha256_hex(
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            o.invoice.invoice_id, submission, card.number, card.expiry
        )
        .as_bytes(),
    );
    let slot = ctx.submissions.slot(&key);
    // Held through tokenisation and payment: a second identical submission waits, then finds
    // the tokenised card and gets the payment the first one made.
    let mut slot = slot.lock().await;
    let fresh = slot
        .as_ref()
        .filter(|_| !submission.is_empty())
        .filter(|t| t.at.elapsed() < SUBMISSION_TTL);
    let (token, session) = match fresh {
        Some(tk) => (tk.token.clone(), tk.session.clone()),
        None => {
            let mut tool = json!({"paymentToolType": "CardData", "cardNumber": card.number,
                                  "expDate": card.expiry, "cvv": card.cvc});
            if let Some(h) = &card.holder {
                tool["cardHolder"] = json!(h);
            }
            let params = PaymentResourceParams {
                payment_tool: tool,
                client_info: json!({"fingerprint": format!("checkout:{submission}")}),
            };
            match engine.create_payment_resource(o.principal.party_id(), params).await {
                Ok(r) => {
                    let tk = Tokenised {
                        token: r["paymentToolToken"].as_str().unwrap_or_default().to_string(),
                        session: r["paymentSession"].as_str().unwrap_or_default().to_string(),
                        at: Instant::now(),
                    };
                    let pair = (tk.token.clone(), tk.session.clone());
                    *slot = Some(tk);
                    pair
                }
                Err(e) => return engine_refusal(engine, o, t, e).await,
            }
        }
    };
    let remember = opts.recurring && flag(param(f, "remember"));
    let flow = match opts.hold {
        Some(policy) => json!({"type": "PaymentFlowHold", "onHoldExpiration": policy}),
        None => json!({"type": "PaymentFlowInstant"}),
    };
    let return_url = opts.link(&engine.config.public_url, &[("return", "1")]);
    let raw = json!({
        "flow": flow,
        "payer": {
            "payerType": "PaymentResourcePayer",
            "paymentToolToken": token,
            "paymentSession": session,
            "contactInfo": {"email": card.email},
            "sessionInfo": {"redirectUrl": return_url},
        },
        "makeRecurrent": remember,
        "metadata": {"source": "checkout"},
    });
    let params: PaymentParams = match serde_json::from_value(raw.clone()) {
        Ok(p) => p,
        Err(e) => return engine_refusal(engine, o, t, EngineError::Internal(e.to_string())).await,
    };
    match engine
        .create_payment(&o.principal, &o.invoice.invoice_id, &raw, params)
        .await
    {
        Ok((p, _created)) => Outcome::Payment(Box::new(p)),
        Err(e) => engine_refusal(engine, o, t, e).await,
    }
}

/// The engine said no: a closed invoice, a payment already running, or something unexpected.
async fn engine_refusal(engine: &Engine, o: &Opened, t: &'static Texts, e: EngineError) -> Outcome {
    let form_error = |m: &str| Outcome::Invalid(vec![("form".into(), m.to_string())]);
    match &e {
        EngineError::Unauthorized => Outcome::BadLink,
        EngineError::Logic {
            code: "invalidInvoiceStatus",
            ..
        } => {
            let fresh = match engine.invoice(o.principal.party_id(), &o.invoice.invoice_id).await {
                Ok(invoice) => Opened {
                    invoice,
                    principal: o.principal.clone(),
                    shop: o.shop.clone(),
                    branding: o.branding.clone(),
                },
                Err(_) => return Outcome::BadLink,
            };
            let (state, title, line) = closed_state(engine, &fresh, t).unwrap_or(("paid", t.paid_title, t.paid_line));
            Outcome::Closed(state, title.into(), line.into())
        }
        EngineError::Logic {
            code: "invalidShopStatus" | "invalidPartyStatus",
            ..
        } => Outcome::Closed("unavailable", t.unavailable_title.into(), t.unavailable_line.into()),
        EngineError::Logic {
            code: "invoicePaymentPending",
            ..
        } => form_error(t.reason_busy),
        EngineError::Logic { code, message } => {
            tracing::info!(code, message = %message, "checkout payment refused");
            form_error(t.reason_declined)
        }
        other => {
            tracing::warn!(error = %other, "checkout payment failed");
            form_error(t.reason_unavailable)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// checkout.js

async fn embed_script() -> Response {
    let mut res = ducatpay_checkout::EMBED_JS.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    // Merchants' pages load it on every visit: cache for an hour, revalidate by ETag after.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    let etag = format!(
        "\"{}\"",
        &engine::crypto::sha256_hex(ducatpay_checkout::EMBED_JS.as_bytes())[..16]
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        HeaderName::from_static("access-control-allow-origin"),
        HeaderValue::from_static("*"),
    );
    res
}

// ---------------------------------------------------------------------------------------------
// The demo merchant

const DEMO_CSS: &str = "body{font-family:system-ui,sans-serif;background:#faf7f2;color:#2b2118;margin:0}\
main{max-width:560px;margin:32px auto;background:#fff;border-radius:12px;padding:24px;box-shadow:0 4px 20px #0001}\
table{width:100%;border-collapse:collapse}td{padding:6px 0;border-bottom:1px solid #eee}td.n{text-align:right}\
.ducat-checkout-button{margin-top:16px}.muted{color:#776;font-size:14px}code{font-size:13px}";

fn demo_page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{DEMO_CSS}</style></head>\
         <body><main>{body}</main></body></html>",
        text(title)
    );
    let mut res = Html(html).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The demo organisation's party and first shop (made on first use when the server was
/// started with `--no-demo`).
async fn demo_shop_of(engine: &Engine) -> Result<(String, Shop), EngineError> {
    let party = match engine.party_by_email(engine::parties::DEMO_EMAIL).await? {
        Some(p) => p.party_id,
        None => engine.ensure_demo().await?["partyID"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    let shop = engine
        .shops(&party)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::not_found("Shop"))?;
    Ok((party, shop))
}

/// A tea shop that creates an invoice server-side for its cart and embeds checkout.js exactly
/// as the manual shows. `?locale=`, `?hold=cancel|capture`, `?recurring=1` and `?label=`
/// fill the script's data attributes.
#[tracing::instrument(skip_all)]
async fn demo_shop(State(s): State<AppState>, Query(q): Query<Params>) -> Response {
    let engine = &s.engine;
    let (party_id, shop) = match demo_shop_of(engine).await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, "demo shop unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "demo shop unavailable").into_response();
        }
    };
    let order = engine::ids::random_base62(8);
    let due = (engine.clock.now() + chrono::Duration::hours(24)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let raw = json!({
        "shopID": shop.shop_id,
        "externalID": format!("demo-{order}"),
        "dueDate": due,
        "amount": 107000,
        "currency": "RUB",
        "product": format!("Заказ №{order}"),
        "description": "Чай улун и чайник из исинской глины",
        "cart": [
            {"product": "Чай улун «Те Гуань Инь», 100 г", "quantity": 2, "price": 25000,
             "taxMode": {"type": "InvoiceLineTaxVAT", "rate": "20%"}},
            {"product": "Чайник из исинской глины", "quantity": 1, "price": 57000,
             "taxMode": {"type": "InvoiceLineTaxVAT", "rate": "20%"}}
        ],
        "metadata": {"order": order, "demo": true},
    });
    let params = match serde_json::from_value(raw.clone()) {
        Ok(p) => p,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let invoice = match engine.create_invoice(&party_id, &raw, params).await {
        Ok((i, _)) => i,
        Err(e) => {
            tracing::warn!(error = %e, "demo invoice refused");
            return (StatusCode::SERVICE_UNAVAILABLE, "demo invoice refused").into_response();
        }
    };
    let token = engine.invoice_access_token(&party_id, &invoice.invoice_id);
    let locale = match param(&q, "locale") {
        l @ ("ru" | "en" | "auto") => l,
        _ => "ru",
    };
    let mut data = vec![
        ("data-invoice-id", invoice.invoice_id.clone()),
        ("data-invoice-access-token", token.clone()),
        ("data-initial-payment-method", "bankCard".to_string()),
        ("data-email", "buyer@example.com".to_string()),
        ("data-locale", locale.to_string()),
    ];
    let hold: Option<&'static str> = match param(&q, "hold") {
        "cancel" => Some("cancel"),
        "capture" => Some("capture"),
        _ => None,
    };
    if let Some(h) = hold {
        data.push(("data-payment-flow-hold", "true".into()));
        data.push(("data-hold-expiration", h.into()));
    }
    if flag(param(&q, "recurring")) {
        data.push(("data-recurring", "true".into()));
    }
    let label = match param(&q, "label") {
        "" => "Оплатить",
        l => l,
    };
    data.push(("data-pay-button-label", label.to_string()));
    let attrs: String = data.iter().map(|(k, v)| format!("\n    {k}=\"{}\"", attr(v))).collect();
    let opts = Options {
        invoice_id: invoice.invoice_id.clone(),
        token,
        email: "buyer@example.com".into(),
        locale_param: locale.into(),
        recurring: flag(param(&q, "recurring")),
        hold,
        parent_origin: String::new(),
    };
    let link = opts.link(&engine.config.public_url, &[]);
    let body = format!(
        "<h1>Чайная лавка <small class=\"muted\">(демо-магазин DucatPay)</small></h1>\
         <table><tr><td>Чай улун «Те Гуань Инь», 100 г × 2</td><td class=\"n\">500,00 ₽</td></tr>\
         <tr><td>Чайник из исинской глины</td><td class=\"n\">570,00 ₽</td></tr>\
         <tr><td><b>Итого</b></td><td class=\"n\"><b data-testid=\"demo-total\">1 070,00 ₽</b></td></tr></table>\
         <p class=\"muted\">Заказ <code data-testid=\"demo-invoice\">{inv}</code> · счёт создан на сервере магазина.</p>\
         <form action=\"/demo/shop/success\" method=\"GET\">\
         <input type=\"hidden\" name=\"invoiceID\" value=\"{inv}\">\
         <script src=\"{js}\" class=\"ducat-checkout\"{attrs}>\n  </script>\
         <noscript><p><a href=\"{link}\" data-testid=\"demo-pay-link\">Оплатить на странице DucatPay</a></p></noscript>\
         </form><p class=\"muted\">Тестовые карты: docs/SANDBOX.md (4242 4242 4242 4242 — успешно).</p>",
        inv = attr(&invoice.invoice_id),
        link = attr(&link),
        // Absolute, as on a real merchant's site: opened under another host name (localhost
        // instead of 127.0.0.1) the demo is a cross-origin merchant.
        js = attr(&format!("{}/checkout.js", engine.config.public_url.trim_end_matches('/'))),
    );
    demo_page("Чайная лавка — демо DucatPay", &body)
}

async fn demo_success(State(s): State<AppState>, Query(q): Query<Params>) -> Response {
    let engine = &s.engine;
    let status = match demo_shop_of(engine).await {
        Ok((party, _)) => engine
            .invoice(&party, param(&q, "invoiceID"))
            .await
            .map(|i| i.status.as_str().to_string())
            .unwrap_or_else(|_| "unknown".into()),
        Err(_) => "unknown".into(),
    };
    let body = format!(
        "<h1 data-testid=\"demo-success\">Спасибо за заказ!</h1>\
         <p>Счёт <code>{}</code>: статус <b data-testid=\"demo-invoice-status\">{}</b>.</p>\
         <p><a href=\"/demo/shop\">Ещё один заказ</a></p>",
        text(param(&q, "invoiceID")),
        text(&status)
    );
    demo_page("Спасибо — демо DucatPay", &body)
}
