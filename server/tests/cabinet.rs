//! The merchant cabinet's server functions and pages, over HTTP as the browser calls them, on
//! SQLite and (with DUCATPAY_TEST_DATABASE_URL) PostgreSQL: sessions, CSRF, lockout, password
//! reset, tenancy, freeze, refunds/capture/cancel, operations search, receipts, and the
//! upstream search API.

mod common;

use common::{spawn_app, TestApp};
use engine::cabinet::{Mailer, SignInPolicy};
use reqwest::StatusCode;
use serde_json::{json, Value};

const DEMO_EMAIL: &str = "demo@ducatpay.local";
const DEMO_PASSWORD: &str = "ducatpay-demo";

/// A browser: remembers the session cookie and a client address, sends same-origin headers.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
    ip: String,
    csrf: String,
}

struct FnResp {
    status: StatusCode,
    body: Value,
    headers: reqwest::header::HeaderMap,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookie: None,
            ip: format!("10.0.{}.{}", rand_u8(), rand_u8()),
            csrf: String::new(),
        }
    }

    fn origin(&self) -> String {
        self.app.base.clone()
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request_from(&self.origin(), method, path)
    }

    fn request_from(&self, origin: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .app
            .http
            .request(method, format!("{}{}", self.app.base, path))
            .header("Origin", origin)
            .header("X-Forwarded-For", &self.ip);
        if let Some(c) = &self.cookie {
            r = r.header("Cookie", format!("dp_session={c}"));
        }
        r
    }

    async fn finish(&mut self, resp: reqwest::Response) -> FnResp {
        let status = resp.status();
        let headers = resp.headers().clone();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            if let Some(rest) = v.strip_prefix("dp_session=") {
                let value = rest.split(';').next().unwrap().to_string();
                self.cookie = (!value.is_empty()).then_some(value);
            }
        }
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        FnResp { status, body, headers }
    }

    /// A URL-encoded server function (the forms' encoding).
    async fn form(&mut self, name: &str, fields: &[(&str, &str)]) -> FnResp {
        let resp = self
            .request(reqwest::Method::POST, &format!("/api/cabinet/{name}"))
            .form(fields)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    /// A JSON server function.
    async fn json(&mut self, name: &str, args: Value) -> FnResp {
        let resp = self
            .request(reqwest::Method::POST, &format!("/api/cabinet/{name}"))
            .json(&args)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    async fn get(&mut self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let resp = self.request(reqwest::Method::GET, path).send().await.unwrap();
        (resp.status(), resp.headers().clone(), resp.text().await.unwrap())
    }

    async fn login_as(&mut self, email: &str, password: &str) -> FnResp {
        let r = self.form("login", &[("email", email), ("password", password)]).await;
        if r.status.is_success() {
            let me = self.form("me", &[]).await;
            assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
            self.csrf = me.body["csrf"].as_str().unwrap().to_string();
        }
        r
    }

    async fn login(&mut self) {
        let r = self.login_as(DEMO_EMAIL, DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
}

fn rand_u8() -> u8 {
    rand::random::<u8>()
}

fn http_client_no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn all_time() -> Value {
    json!({"period": "custom", "from": "2000-01-01", "to": "2099-12-31", "tz": 0})
}

fn filters(extra: Value) -> Value {
    let mut f = all_time();
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

#[tokio::test]
async fn login_sets_an_http_only_session_cookie_and_logout_ends_it_on_the_server() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let r = b
        .form("login", &[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let set_cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains("Max-Age"),
        "no remember-me: a browser-session cookie: {set_cookie}"
    );
    assert!(!set_cookie.contains("Secure"), "plain HTTP here: {set_cookie}");
    let stolen = b.cookie.clone().unwrap();
    // Only a digest is stored.
    let n = app
        .count(&format!(
            "select count(*) from cabinet_sessions where session_hash = '{stolen}'"
        ))
        .await;
    assert_eq!(n, 0);
    let me = b.form("me", &[]).await;
    assert_eq!(me.body["email"], DEMO_EMAIL);
    b.csrf = me.body["csrf"].as_str().unwrap().to_string();

    let out = b.form("logout", &[("csrf", &b.csrf.clone())]).await;
    assert_eq!(out.status, StatusCode::OK, "{:?}", out.body);
    // The old cookie value is dead on the server, not just forgotten by the browser.
    b.cookie = Some(stolen);
    let me = b.form("me", &[]).await;
    assert_eq!(me.body, json!("Unauthorized"));
}

#[tokio::test]
async fn remember_me_makes_a_persistent_cookie_and_behind_tls_it_is_secure() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let resp = b
        .request(reqwest::Method::POST, "/api/cabinet/login")
        .header("X-Forwarded-Proto", "https")
        .form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD), ("remember", "on")])
        .send()
        .await
        .unwrap();
    let r = b.finish(resp).await;
    let c = r.headers["set-cookie"].to_str().unwrap();
    assert!(c.contains("Max-Age=2592000") && c.contains("Secure"), "{c}");
}

#[tokio::test]
async fn wrong_password_is_refused_and_the_account_locks_after_five_failures() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        let r = b.login_as(DEMO_EMAIL, "wrong-password").await;
        assert_eq!(r.body, json!("BadCredentials"));
    }
    // Even the right password waits now, from any address.
    let mut other = Browser::new(&app);
    let r = other.login_as(DEMO_EMAIL, DEMO_PASSWORD).await;
    let secs = r.body["Locked"]["retry_after_secs"].as_i64().expect("locked");
    assert!((1..=900).contains(&secs), "{secs}");
    // Once the window passes, the right password works again.
    app.clock.advance(chrono::Duration::minutes(16));
    let r = other.login_as(DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_locked() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    for i in 0..30 {
        let r = b.login_as(&format!("nobody{i}@example.com"), "guess-guess").await;
        assert_eq!(r.body, json!("BadCredentials"));
    }
    let r = b.login_as(DEMO_EMAIL, DEMO_PASSWORD).await;
    assert!(r.body["Locked"].is_object(), "{:?}", r.body);
    // Another address is not affected.
    let mut elsewhere = Browser::new(&app);
    assert_eq!(
        elsewhere.login_as(DEMO_EMAIL, DEMO_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn state_changing_calls_need_the_sessions_csrf_token_and_a_same_origin_request() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    b.login().await;
    let shop = app.shop_id.clone();
    let r = b
        .form(
            "set_shop_frozen",
            &[("csrf", "forged"), ("shop_id", &shop), ("frozen", "true")],
        )
        .await;
    assert_eq!(r.body, json!("Csrf"));
    let r = b
        .form(
            "set_shop_frozen",
            &[("csrf", ""), ("shop_id", &shop), ("frozen", "true")],
        )
        .await;
    assert_eq!(r.body, json!("Csrf"));
    // The right token from another site's page.
    let resp = b
        .request_from(
            "https://evil.example",
            reqwest::Method::POST,
            "/api/cabinet/set_shop_frozen",
        )
        .form(&[
            ("csrf", b.csrf.as_str()),
            ("shop_id", shop.as_str()),
            ("frozen", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(b.finish(resp).await.body, json!("Csrf"));
    assert!(!app.engine.shop(&app.party_id, &shop).await.unwrap().is_suspended);
    // Without a session nothing is shown.
    let mut anon = Browser::new(&app);
    assert_eq!(
        anon.json("search_payments", json!({"filters": all_time()})).await.body,
        json!("Unauthorized")
    );
}

#[tokio::test]
async fn frozen_shop_refuses_new_invoices_and_payments_then_unfreezes() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(5000).await;
    let mut b = Browser::new(&app);
    b.login().await;
    let csrf = b.csrf.clone();
    let r = b
        .form(
            "set_shop_frozen",
            &[("csrf", &csrf), ("shop_id", &app.shop_id), ("frozen", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let detail = b.form("shop_detail", &[("shop_id", &app.shop_id)]).await;
    assert_eq!(detail.body["shop"]["frozen"], true);

    let r = app
        .post("/v2/processing/invoices", &app.key, app.invoice_body(1000))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["code"], "invalidShopStatus");
    let res = app.tokenise(&token, "4242424242424242").await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &token,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(r.body["code"], "invalidShopStatus", "{}", r.text);

    let r = b
        .form(
            "set_shop_frozen",
            &[("csrf", &csrf), ("shop_id", &app.shop_id), ("frozen", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post("/v2/processing/invoices", &app.key, app.invoice_body(1000))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn another_organisations_objects_stay_invisible_with_edited_ids() {
    let app = spawn_app().await;
    let (other_party, other_shop, other_key) = app.other_party().await;
    // The other organisation has a paid invoice.
    let mut body = app.invoice_body(7000);
    body["shopID"] = json!(other_shop);
    let inv = app.post("/v2/processing/invoices", &other_key, body).await;
    let other_invoice = inv.body["invoice"]["id"].as_str().unwrap().to_string();
    let token = inv.body["invoiceAccessToken"]["payload"].as_str().unwrap().to_string();
    let res = app.tokenise(&token, "4242424242424242").await;
    let pay = app
        .post(
            &format!("/v2/processing/invoices/{other_invoice}/payments"),
            &token,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(pay.body["status"], "captured", "{}", pay.text);

    let mut b = Browser::new(&app);
    b.login().await;
    let csrf = b.csrf.clone();
    assert_eq!(
        b.form("shop_detail", &[("shop_id", &other_shop)]).await.body,
        json!("NotFound")
    );
    assert_eq!(
        b.form(
            "set_shop_frozen",
            &[("csrf", &csrf), ("shop_id", &other_shop), ("frozen", "true")]
        )
        .await
        .body,
        json!("NotFound")
    );
    assert!(!app.engine.shop(&other_party, &other_shop).await.unwrap().is_suspended);
    let card = b
        .json("payment_card", json!({"invoice_id": other_invoice, "payment_id": "1"}))
        .await;
    assert_eq!(card.body, json!("NotFound"));
    let r = b
        .json(
            "refund",
            json!({"csrf": csrf, "invoice_id": other_invoice, "payment_id": "1", "reason": "x", "amount": null}),
        )
        .await;
    assert_eq!(r.body, json!("NotFound"));
    let r = b
        .json(
            "capture",
            json!({"csrf": csrf, "invoice_id": other_invoice, "payment_id": "1", "amount": null}),
        )
        .await;
    assert_eq!(r.body, json!("NotFound"));
    let r = b
        .json(
            "cancel",
            json!({"csrf": csrf, "invoice_id": other_invoice, "payment_id": "1"}),
        )
        .await;
    assert_eq!(r.body, json!("NotFound"));
    for f in ["search_payments", "search_invoices", "search_refunds"] {
        let r = b
            .json(f, json!({"filters": filters(json!({"shop": other_shop}))}))
            .await;
        assert_eq!(r.body, json!("NotFound"), "{f}");
        let r = b
            .json(f, json!({"filters": filters(json!({"invoice": other_invoice}))}))
            .await;
        assert_eq!(r.body["rows"], json!([]), "{f}: {:?}", r.body);
    }
    let r = b
        .json(
            "create_invoice",
            json!({"csrf": csrf, "invoice": {"shop_id": other_shop, "due": "2099-01-01", "product": "x", "description": "",
                   "lines": [{"product": "x", "price": 100, "quantity": 1, "tax": "none"}], "tz": 0}}),
        )
        .await;
    assert_eq!(r.body["Invalid"]["code"], "invalidShopID", "{:?}", r.body);
    let (status, _, _) = b.get(&format!("/cabinet/receipt/{other_invoice}/1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The other organisation still has exactly its own refund-free, captured payment.
    assert_eq!(app.count("select count(*) from refunds").await, 0);
}

#[tokio::test]
async fn refund_dialog_calls_make_the_same_refunds_the_api_shows() {
    let app = spawn_app().await;
    let (invoice_id, _, pay) = app.pay(10000, "4242424242424242").await;
    assert_eq!(pay["status"], "captured");
    let mut b = Browser::new(&app);
    b.login().await;
    let csrf = b.csrf.clone();
    let card = b
        .json("payment_card", json!({"invoice_id": invoice_id, "payment_id": "1"}))
        .await;
    assert_eq!(card.body["refundable"], 10000, "{:?}", card.body);
    assert_eq!(card.body["fee"], 10);
    assert_eq!(card.body["fee_bps"], 10);
    assert_eq!(card.body["row"]["card_mask"], "424242******4242");
    assert_eq!(card.body["row"]["email"], "buyer@example.com");

    let too_long = "я".repeat(101);
    let r = b
        .json(
            "refund",
            json!({"csrf": csrf, "invoice_id": invoice_id, "payment_id": "1", "reason": too_long, "amount": 100}),
        )
        .await;
    assert_eq!(r.body["Invalid"]["code"], "invalidRequest");
    let r = b
        .json("refund", json!({"csrf": csrf, "invoice_id": invoice_id, "payment_id": "1", "reason": "Возврат тестового платежа", "amount": 6000}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "succeeded");
    let r = b
        .json(
            "refund",
            json!({"csrf": csrf, "invoice_id": invoice_id, "payment_id": "1", "reason": "", "amount": 4001}),
        )
        .await;
    assert_eq!(
        r.body["Invalid"]["code"], "invoicePaymentAmountExceeded",
        "{:?}",
        r.body
    );

    let api = app
        .get(
            &format!("/v2/processing/invoices/{invoice_id}/payments/1/refunds"),
            &app.key,
        )
        .await;
    assert_eq!(api.body.as_array().unwrap().len(), 1);
    assert_eq!(api.body[0]["amount"], 6000);
    assert_eq!(api.body[0]["reason"], "Возврат тестового платежа");

    // No amount: the rest.
    let r = b
        .json(
            "refund",
            json!({"csrf": csrf, "invoice_id": invoice_id, "payment_id": "1", "reason": "rest", "amount": null}),
        )
        .await;
    assert_eq!(r.body["amount"], 4000, "{:?}", r.body);
    assert_eq!(app.payment_status(&invoice_id, "1").await["status"], "refunded");
    let refunds = b.json("search_refunds", json!({"filters": all_time()})).await;
    assert_eq!(refunds.body["rows"].as_array().unwrap().len(), 2);
    let card = b
        .json("payment_card", json!({"invoice_id": invoice_id, "payment_id": "1"}))
        .await;
    assert_eq!(card.body["refundable"], 0);
    assert_eq!(card.body["refunds"].as_array().unwrap().len(), 2);
    app.assert_verified().await;
}

#[tokio::test]
async fn holds_are_captured_in_part_or_cancelled_from_the_cabinet() {
    let app = spawn_app().await;
    let (held, _) = app.hold(10000, "cancel").await;
    let (cancelled, _) = app.hold(5000, "cancel").await;
    let mut b = Browser::new(&app);
    b.login().await;
    let csrf = b.csrf.clone();
    let card = b
        .json("payment_card", json!({"invoice_id": held, "payment_id": "1"}))
        .await;
    assert_eq!(card.body["can_capture"], true, "{:?}", card.body);
    assert_eq!(card.body["refundable"], 0);
    let r = b
        .json(
            "capture",
            json!({"csrf": csrf, "invoice_id": held, "payment_id": "1", "amount": 20000}),
        )
        .await;
    assert_eq!(r.body["Invalid"]["code"], "amountExceededCaptureBalance");
    let r = b
        .json(
            "capture",
            json!({"csrf": csrf, "invoice_id": held, "payment_id": "1", "amount": 7000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let p = app.payment_status(&held, "1").await;
    assert_eq!(p["status"], "captured");
    let card = b
        .json("payment_card", json!({"invoice_id": held, "payment_id": "1"}))
        .await;
    assert_eq!(card.body["captured_amount"], 7000);
    assert_eq!(card.body["refundable"], 7000);
    let hist: Vec<String> = card.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[1].as_str().unwrap().to_string())
        .collect();
    assert_eq!(hist, ["pending", "processed", "captured"]);

    let r = b
        .json(
            "cancel",
            json!({"csrf": csrf, "invoice_id": cancelled, "payment_id": "1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(app.payment_status(&cancelled, "1").await["status"], "cancelled");
    assert_eq!(app.invoice_status(&cancelled).await, "cancelled");
    let r = b
        .json(
            "cancel",
            json!({"csrf": csrf, "invoice_id": cancelled, "payment_id": "1"}),
        )
        .await;
    assert_eq!(r.body["Invalid"]["code"], "invalidPaymentStatus");
    app.assert_verified().await;
}

#[tokio::test]
async fn operations_pages_follow_the_cursor_without_repeats_while_new_payments_arrive() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..25 {
        let (inv, _, _) = app.pay(1000 + i, "4242424242424242").await;
        ids.push(inv);
    }
    let (declined, _, _) = app.pay(999, "4000000000000002").await;
    let mut b = Browser::new(&app);
    b.login().await;
    let first = b.json("search_payments", json!({"filters": all_time()})).await;
    let rows = first.body["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 20);
    assert_eq!(rows[0]["invoice_id"], declined, "newest first");
    let cursor = first.body["next"].as_str().unwrap().to_string();
    // A new payment arrives between the pages: it belongs before the cursor, not on page 2.
    let (newest, _, _) = app.pay(5555, "4242424242424242").await;
    let second = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"cursor": cursor}))}),
        )
        .await;
    let rows2 = second.body["rows"].as_array().unwrap().clone();
    assert_eq!(rows2.len(), 6);
    assert!(second.body["next"].is_null());
    let mut seen: Vec<String> = rows
        .iter()
        .chain(rows2.iter())
        .map(|r| r["invoice_id"].as_str().unwrap().to_string())
        .collect();
    assert!(!seen.contains(&newest));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 26);
    let fresh = b.json("search_payments", json!({"filters": all_time()})).await;
    assert_eq!(fresh.body["rows"][0]["invoice_id"], newest);

    // Filters.
    let failed = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"status": "failed"}))}),
        )
        .await;
    assert_eq!(failed.body["rows"].as_array().unwrap().len(), 1);
    assert!(failed.body["rows"][0]["error"]
        .as_str()
        .unwrap()
        .contains("insufficient_funds"));
    let by_card = b
        .json("search_payments", json!({"filters": filters(json!({"last4": "0002"}))}))
        .await;
    assert_eq!(by_card.body["rows"][0]["invoice_id"], declined);
    assert_eq!(by_card.body["rows"].as_array().unwrap().len(), 1);
    let by_bin = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"first6": "424242", "last4": "4242"}))}),
        )
        .await;
    assert_eq!(by_bin.body["rows"].as_array().unwrap().len(), 20);
    let by_email = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"email": "BUYER@example.com"}))}),
        )
        .await;
    assert_eq!(by_email.body["rows"].as_array().unwrap().len(), 20);
    let by_email = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"email": "nobody@example.com"}))}),
        )
        .await;
    assert_eq!(by_email.body["rows"].as_array().unwrap().len(), 0);
    let by_invoice = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"invoice": ids[3]}))}),
        )
        .await;
    assert_eq!(by_invoice.body["rows"][0]["amount"], 1003);
    let by_amount = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"amount": "10,07"}))}),
        )
        .await;
    assert_eq!(by_amount.body["rows"][0]["invoice_id"], ids[7]);
    let paid = b
        .json(
            "search_invoices",
            json!({"filters": filters(json!({"status": "unpaid"}))}),
        )
        .await;
    assert_eq!(
        paid.body["rows"].as_array().unwrap().len(),
        1,
        "the declined one stays unpaid"
    );
    // The default period (90 days) hides what is older.
    app.clock.advance(chrono::Duration::days(91));
    assert_eq!(b.form("me", &[]).await.body, json!("Unauthorized"), "sessions expire");
    b.login().await;
    let old = b.json("search_payments", json!({"filters": {"tz": 180}})).await;
    assert_eq!(old.body["rows"], json!([]));
    let bad = b
        .json(
            "search_payments",
            json!({"filters": filters(json!({"cursor": "garbage!"}))}),
        )
        .await;
    assert_eq!(bad.body["Invalid"]["code"], "invalidRequest");
}

#[tokio::test]
async fn create_invoice_in_the_cabinet_gives_a_payable_checkout_link() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    b.login().await;
    let csrf = b.csrf.clone();
    let r = b
        .json(
            "create_invoice",
            json!({"csrf": csrf, "invoice": {"shop_id": app.shop_id, "due": "2099-03-23", "product": "Тестовая услуга",
                   "description": "Услуга для проведения теста",
                   "lines": [{"product": "Тестовая услуга", "price": 10000, "quantity": 2, "tax": "none"},
                             {"product": "Чайник", "price": 57000, "quantity": 1, "tax": "20%"}], "tz": 180}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let invoice_id = r.body["invoice_id"].as_str().unwrap().to_string();
    let url = r.body["checkout_url"].as_str().unwrap();
    assert!(
        url.contains("/v1/checkout.html?invoiceID=") && url.contains("invoiceAccessToken="),
        "{url}"
    );
    let inv = app
        .get(&format!("/v2/processing/invoices/{invoice_id}"), &app.key)
        .await;
    assert_eq!(inv.body["amount"], 77000);
    assert_eq!(inv.body["status"], "unpaid");
    assert_eq!(inv.body["cart"][1]["taxMode"]["rate"], "20%");
    assert_eq!(inv.body["dueDate"], "2099-03-23T20:59:59Z", "end of the day in UTC+3");
    // The link's token pays that invoice.
    let token = url.split("invoiceAccessToken=").nth(1).unwrap();
    let res = app.tokenise(token, "4242424242424242").await;
    let pay = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            token,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(pay.body["status"], "captured", "{}", pay.text);
    let list = b.json("search_invoices", json!({"filters": all_time()})).await;
    assert_eq!(list.body["rows"][0]["status"], "paid");
    // A past due date is refused like the API refuses it.
    let r = b
        .json(
            "create_invoice",
            json!({"csrf": csrf, "invoice": {"shop_id": app.shop_id, "due": "2001-01-01", "product": "x", "description": "",
                   "lines": [{"product": "x", "price": 100, "quantity": 1, "tax": "none"}], "tz": 0}}),
        )
        .await;
    assert_eq!(r.body["Invalid"]["code"], "invalidDeadline");
}

#[tokio::test]
async fn receipt_is_a_printable_document_of_a_captured_payment() {
    let app = spawn_app().await;
    let (invoice_id, _, _) = app.pay(12345, "4242424242424242").await;
    let (failed, _, _) = app.pay(100, "4000000000000002").await;
    let mut b = Browser::new(&app);
    b.login().await;
    let (status, headers, html) = b.get(&format!("/cabinet/receipt/{invoice_id}/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert!(html.contains("123,45") && html.contains("424242******4242") && html.contains(&invoice_id));
    assert!(html.contains("Demo shop"));
    let (status, _, _) = b.get(&format!("/cabinet/receipt/{failed}/1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let anon = http_client_no_redirects()
        .get(format!("{}/cabinet/receipt/{invoice_id}/1", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cabinet_pages_render_on_the_server_are_not_frameable_and_need_a_session() {
    let app = spawn_app().await;
    let http = http_client_no_redirects();
    let anon = http.get(format!("{}/cabinet/shops", app.base)).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::FOUND);
    assert_eq!(anon.headers()["location"], "/cabinet/login");
    assert_eq!(anon.headers()["x-frame-options"], "DENY");
    assert!(anon.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let login = http.get(format!("{}/cabinet/login", app.base)).send().await.unwrap();
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    let html = login.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"ru\"") && html.contains("Вход в личный кабинет"),
        "{html}"
    );

    let mut b = Browser::new(&app);
    b.login().await;
    let (status, _, html) = b.get("/cabinet/shops").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Demo shop"),
        "SSR lists the shops before any WASM: {html}"
    );
    let (_, _, html) = b.get(&format!("/cabinet/shops/{}", app.shop_id)).await;
    assert!(html.contains(&app.shop_id) && html.contains("40702810000000000001"));
    // English after the switch (a cookie); the switch only goes back to this site.
    let sw = http
        .get(format!("{}/cabinet/lang/en?next=//evil.example", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(sw.headers()["location"], "/cabinet/login");
    assert!(sw.headers()["set-cookie"].to_str().unwrap().starts_with("dp_lang=en"));
    let resp = b
        .request(reqwest::Method::GET, "/cabinet/operations/payments")
        .header(
            "Cookie",
            format!("dp_session={}; dp_lang=en", b.cookie.clone().unwrap()),
        )
        .send()
        .await
        .unwrap();
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"en\"") && html.contains("Last 90 days"),
        "{html}"
    );
}

#[tokio::test]
async fn password_reset_link_works_once_and_expires() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::outbox(dir.path());
    let policy = SignInPolicy::default();
    let e = &app.engine;
    assert!(e
        .request_password_reset("nobody@example.com", "http://x", &mailer, &policy)
        .await
        .unwrap()
        .is_none());
    let mail = e
        .request_password_reset(DEMO_EMAIL, "http://cab.example", &mailer, &policy)
        .await
        .unwrap()
        .unwrap();
    let text = std::fs::read_to_string(mail).unwrap();
    let token = text
        .split("reset-password?token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(text.contains("To: demo@ducatpay.local"));
    // A live session ends when the password changes.
    let mut b = Browser::new(&app);
    b.login().await;
    let r = b
        .form("reset_password", &[("token", &token), ("password", "short")])
        .await;
    assert_eq!(r.body["Invalid"]["code"], "invalidRequest");
    let r = b
        .form(
            "reset_password",
            &[("token", &token), ("password", "brand-new-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(b.form("me", &[]).await.body, json!("Unauthorized"));
    let again = b
        .form("reset_password", &[("token", &token), ("password", "another-password")])
        .await;
    assert_eq!(again.body["Invalid"]["code"], "invalidResetToken");
    let mut fresh = Browser::new(&app);
    assert_eq!(
        fresh.login_as(DEMO_EMAIL, DEMO_PASSWORD).await.body,
        json!("BadCredentials")
    );
    assert_eq!(
        fresh.login_as(DEMO_EMAIL, "brand-new-password").await.status,
        StatusCode::OK
    );

    // Expiry.
    let mail = e
        .request_password_reset(DEMO_EMAIL, "http://cab.example", &mailer, &policy)
        .await
        .unwrap()
        .unwrap();
    let text = std::fs::read_to_string(mail).unwrap();
    let token = text
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    app.clock.advance(chrono::Duration::minutes(61));
    let r = b
        .form("reset_password", &[("token", &token), ("password", "third-password")])
        .await;
    assert_eq!(r.body["Invalid"]["code"], "invalidResetToken");
    // The form answers the same for unknown and known e-mails.
    let r = b.form("request_reset", &[("email", "nobody@example.com")]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn search_api_is_upstream_shaped_and_scoped_to_the_callers_shops() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.pay(2000 + i, "4242424242424242").await;
    }
    let (inv, _, _) = app.pay(3000, "4242424242424242").await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{inv}/payments/1/refunds"),
            &app.key,
            json!({"amount": 1000, "currency": "RUB", "reason": "part"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let base = format!(
        "/v2/analytics/shops/{}/payments?fromTime=2000-01-01T00:00:00Z&toTime=2099-01-01T00:00:00Z",
        app.shop_id
    );
    let p1 = app.get(&format!("{base}&limit=3"), &app.key).await;
    assert_eq!(p1.status, StatusCode::OK, "{}", p1.text);
    let result = p1.body["result"].as_array().unwrap();
    assert_eq!(result.len(), 3);
    assert_eq!(result[0]["invoiceID"], inv);
    assert_eq!(result[0]["shopID"], app.shop_id);
    assert_eq!(result[0]["status"], "captured");
    assert!(result[0]["fee"].is_number() && result[0]["statusChangedAt"].is_string());
    assert_eq!(result[0]["payer"]["paymentToolDetails"]["last4"], "4242");
    let token = p1.body["continuationToken"].as_str().unwrap();
    let p2 = app
        .get(&format!("{base}&limit=3&continuationToken={token}"), &app.key)
        .await;
    assert_eq!(p2.body["result"].as_array().unwrap().len(), 1);
    assert!(p2.body.get("continuationToken").is_none());
    let filtered = app
        .get(
            &format!("{base}&limit=10&paymentAmount=3000&last4=4242&payerEmail=buyer@example.com"),
            &app.key,
        )
        .await;
    assert_eq!(
        filtered.body["result"].as_array().unwrap().len(),
        1,
        "{}",
        filtered.text
    );

    let inv_url = format!(
        "/v2/analytics/shops/{}/invoices?fromTime=2000-01-01T00:00:00Z&toTime=2099-01-01T00:00:00Z&limit=10&invoiceStatus=paid&paymentStatus=captured",
        app.shop_id
    );
    let invs = app.get(&inv_url, &app.key).await;
    assert_eq!(invs.body["result"].as_array().unwrap().len(), 4, "{}", invs.text);
    assert!(invs.body["result"][0]["dueDate"].is_string());
    let ref_url = format!(
        "/v2/analytics/shops/{}/refunds?fromTime=2000-01-01T00:00:00Z&toTime=2099-01-01T00:00:00Z&limit=10",
        app.shop_id
    );
    let refs = app.get(&ref_url, &app.key).await;
    assert_eq!(refs.body["result"][0]["invoiceID"], inv);
    assert_eq!(refs.body["result"][0]["paymentID"], "1");
    assert_eq!(refs.body["result"][0]["amount"], 1000);

    for bad in [
        format!(
            "/v2/analytics/shops/{}/payments?fromTime=2000-01-01T00:00:00Z&toTime=2099-01-01T00:00:00Z&limit=0",
            app.shop_id
        ),
        format!(
            "/v2/analytics/shops/{}/payments?fromTime=2000-01-01T00:00:00Z&toTime=2099-01-01T00:00:00Z&limit=1001",
            app.shop_id
        ),
        format!(
            "/v2/analytics/shops/{}/payments?toTime=2099-01-01T00:00:00Z&limit=10",
            app.shop_id
        ),
        format!("{base}&limit=10&first6=42"),
        format!("{base}&limit=10&paymentStatus=weird"),
        format!("{base}&limit=10&continuationToken=%21%21"),
    ] {
        let r = app.get(&bad, &app.key).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        assert_eq!(r.body["code"], "invalidRequest");
    }
    // Another organisation's key sees neither this shop nor its payments.
    let (_, other_shop, other_key) = app.other_party().await;
    let r = app.get(&format!("{base}&limit=10"), &other_key).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let own = format!(
        "/v2/analytics/shops/{other_shop}/payments?fromTime=2000-01-01T00:00:00Z&toTime=2099-01-01T00:00:00Z&limit=10&invoiceID={inv}"
    );
    assert_eq!(app.get(&own, &other_key).await.body["result"], json!([]));
    // An invoice access token is not a merchant.
    let (_, token) = app.invoice(100).await;
    assert_eq!(
        app.get(&format!("{base}&limit=10"), &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}
