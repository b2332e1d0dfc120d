//! The hosted checkout over HTTP: the page, the form it posts (HTML and JSON), 3-D Secure return,
//! double submissions, branding and frame headers. Runs on SQLite and on PostgreSQL.

mod common;

use common::spawn_app;
use engine::branding::Branding;
use reqwest::StatusCode;
use serde_json::Value;

fn link(app: &common::TestApp, invoice_id: &str, token: &str, extra: &str) -> String {
    format!(
        "{}/v1/checkout.html?invoiceID={invoice_id}&invoiceAccessToken={token}&email=buyer%40example.com&locale=en&initialPaymentMethod=bankCard{extra}",
        app.base
    )
}

async fn pay_form(app: &common::TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = app
        .http
        .post(format!("{}/v1/checkout/pay", app.base))
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn card_form<'a>(invoice_id: &'a str, token: &'a str, card: &'a str, submission: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("invoiceID", invoice_id),
        ("invoiceAccessToken", token),
        ("locale", "en"),
        ("submission", submission),
        ("cardNumber", card),
        ("expDate", "12/30"),
        ("cvv", "123"),
        ("email", "buyer@example.com"),
    ]
}

#[tokio::test]
async fn checkout_page_renders_the_invoice_and_a_plain_html_form() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(107_000).await;
    let r = app.http.get(link(&app, &invoice_id, &token, "")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    // Test servers run in sandbox mode: any site may frame the checkout.
    assert_eq!(r.headers()["content-security-policy"], "frame-ancestors *");
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"<form method="post" action="/v1/checkout/pay""#),
        "{html}"
    );
    assert!(html.contains("Pay RUB\u{a0}1,070.00"), "{html}");
    assert!(html.contains(r#"autocomplete="cc-number""#));
    assert!(html.contains(r#"value="buyer@example.com""#));
    assert!(
        html.contains("/checkout-pkg/checkout-page.js"),
        "islands hydration script"
    );
    assert!(!html.contains("/pkg/ducatpay.js"), "the cabinet's bundle is not loaded");
}

#[tokio::test]
async fn an_api_key_or_a_foreign_token_in_the_link_gets_no_form() {
    let app = spawn_app().await;
    let (invoice_id, _token) = app.invoice(1000).await;
    let (_other_invoice, other_token) = app.invoice(1000).await;
    for token in [app.key.as_str(), other_token.as_str(), "forged"] {
        let r = app.http.get(link(&app, &invoice_id, token, "")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let html = r.text().await.unwrap();
        assert!(html.contains(r#"data-state="bad-link""#), "{html}");
        assert!(!html.contains(r#"id="dp-number""#));
    }
    let (status, body) = pay_form(&app, &card_form(&invoice_id, &app.key, "4242424242424242", "s1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["state"], "bad-link");
    let r = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments"), &app.key)
        .await;
    assert_eq!(r.body, serde_json::json!([]));
}

#[tokio::test]
async fn posted_card_is_paid_with_the_invoice_token_and_checked_through_the_api() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(107_000).await;
    let (status, body) = pay_form(&app, &card_form(&invoice_id, &token, "4242 4242 4242 4242", "s1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["screen"], "success");
    let p = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &app.key)
        .await;
    assert_eq!(p.body["status"], "captured");
    assert_eq!(p.body["metadata"]["source"], "checkout");
    let inv = app
        .get(&format!("/v2/processing/invoices/{invoice_id}"), &app.key)
        .await;
    assert_eq!(inv.body["status"], "paid");
    // The paid invoice now shows that state, not a form.
    let html = app
        .http
        .get(link(&app, &invoice_id, &token, ""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"data-state="paid""#), "{html}");
}

#[tokio::test]
async fn invalid_fields_are_named_and_nothing_is_tokenised() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(1000).await;
    let mut form = card_form(&invoice_id, &token, "4242424242424241", "s1");
    form.retain(|(k, _)| *k != "cvv");
    form.push(("cvv", "1"));
    let (status, body) = pay_form(&app, &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"]["number"], "This card number has a typo");
    assert_eq!(
        body["errors"]["cvc"],
        "CVC/CVV is the 3 or 4 digits on the back of the card"
    );
    // Without JavaScript the same errors come back in the page, typed values kept, CVC not.
    let html = app
        .http
        .post(format!("{}/v1/checkout/pay", app.base))
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("This card number has a typo"), "{html}");
    assert!(html.contains(r#"value="4242 4242 4242 4241""#), "{html}");
    let r = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments"), &app.key)
        .await;
    assert_eq!(r.body, serde_json::json!([]));
}

#[tokio::test]
async fn repeated_submissions_of_one_form_make_one_payment() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(1000).await;
    // A declined card frees the invoice: without the guard, each repeat would be a new payment.
    let form = card_form(&invoice_id, &token, "4000000000000002", "same-submission");
    let answers = futures::future::join_all((0..4).map(|_| pay_form(&app, &form))).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["screen"], "failed");
        assert_eq!(body["paymentID"], "1");
        assert_eq!(body["reason"], "Insufficient funds on the card.");
    }
    // A new submission (another attempt) is a new payment.
    let (_, next) = pay_form(&app, &card_form(&invoice_id, &token, "4242424242424242", "next")).await;
    assert_eq!(next["paymentID"], "2");
    let r = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments"), &app.key)
        .await;
    let statuses: Vec<_> = r.body.as_array().unwrap().iter().map(|p| p["status"].clone()).collect();
    assert_eq!(statuses, ["failed", "captured"]);
}

#[tokio::test]
async fn three_ds_returns_to_the_checkout_result() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(1000).await;
    let (_, body) = pay_form(&app, &card_form(&invoice_id, &token, "4012888888881881", "s")).await;
    assert_eq!(body["screen"], "redirect", "{body}");
    let payment = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &app.key)
        .await;
    assert_eq!(payment.body["status"], "pending");
    assert!(payment.body["payer"]["sessionInfo"]["redirectUrl"]
        .as_str()
        .unwrap()
        .contains("/v1/checkout.html?invoiceID="));
    // The sandbox issuer confirms; TermUrl redirects to the checkout, which shows the result.
    let page = app.answer_3ds(&payment.body, "confirm").await;
    assert!(page.contains(r#"data-screen="success""#), "{page}");
    let payment = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &app.key)
        .await;
    assert_eq!(payment.body["status"], "captured");
}

#[tokio::test]
async fn hold_and_recurring_options_reach_the_payment() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(1000).await;
    let mut form = card_form(&invoice_id, &token, "4242424242424242", "s");
    form.extend([
        ("paymentFlowHold", "true"),
        ("holdExpiration", "capture"),
        ("recurring", "true"),
        ("remember", "1"),
    ]);
    let (_, body) = pay_form(&app, &form).await;
    assert_eq!(body["screen"], "held", "{body}");
    let p = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &app.key)
        .await;
    assert_eq!(p.body["status"], "processed");
    assert_eq!(p.body["flow"]["onHoldExpiration"], "capture");
    assert_eq!(p.body["makeRecurrent"], true);
}

#[tokio::test]
async fn branding_is_validated_and_shown_on_the_page() {
    let app = spawn_app().await;
    let bad = Branding {
        button_colour: Some("red".into()),
        ..Branding::default()
    };
    assert!(app
        .engine
        .set_shop_branding(&app.party_id, &app.shop_id, &bad)
        .await
        .is_err());
    let bad = Branding {
        logo_url: Some("javascript:alert(1)".into()),
        ..Branding::default()
    };
    assert!(app
        .engine
        .set_shop_branding(&app.party_id, &app.shop_id, &bad)
        .await
        .is_err());
    let good = Branding {
        logo_url: Some("https://cdn.example.com/logo.png".into()),
        button_colour: Some("#8A2BE2".into()),
        ask_cardholder: true,
    };
    app.engine
        .set_shop_branding(&app.party_id, &app.shop_id, &good)
        .await
        .unwrap();
    let stored = app.engine.shop_branding(&app.party_id, &app.shop_id).await.unwrap();
    assert_eq!(stored.button_colour.as_deref(), Some("#8a2be2"));
    let (invoice_id, token) = app.invoice(1000).await;
    let html = app
        .http
        .get(link(&app, &invoice_id, &token, ""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("--dp-accent:#8a2be2"), "{html}");
    assert!(html.contains(r#"src="https://cdn.example.com/logo.png""#));
    assert!(html.contains(r#"autocomplete="cc-name""#));
    // The cardholder is now required.
    let (status, body) = pay_form(&app, &card_form(&invoice_id, &token, "4242424242424242", "s")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"]["holder"], "Please fill this in");
}

#[tokio::test]
async fn only_the_checkout_is_frameable() {
    let app = spawn_app().await;
    for path in ["/", "/health", "/demo/shop"] {
        let r = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            r.headers()["content-security-policy"],
            "frame-ancestors 'none'",
            "{path}"
        );
    }
    let js = app.http.get(format!("{}/checkout.js", app.base)).send().await.unwrap();
    assert!(js.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    assert!(js.text().await.unwrap().contains("DucatCheckout"));
}

#[tokio::test]
async fn cancelled_and_overdue_invoices_show_their_state_instead_of_a_form() {
    let app = spawn_app().await;
    let (cancelled, cancelled_token) = app.invoice(1000).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{cancelled}/rescind"),
            &app.key,
            serde_json::json!({"reason": "out of stock"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let html = app
        .http
        .get(link(&app, &cancelled, &cancelled_token, ""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"data-state="cancelled""#), "{html}");
    assert!(!html.contains(r#"id="dp-number""#));

    // An invoice past its dueDate (the sandbox clock moves past it) is overdue.
    let mut body = app.invoice_body(1000);
    body["dueDate"] = serde_json::json!((app.clock.now() + chrono::Duration::minutes(5)).to_rfc3339());
    let r = app.post("/v2/processing/invoices", &app.key, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (late, late_token) = (
        r.body["invoice"]["id"].as_str().unwrap().to_string(),
        r.body["invoiceAccessToken"]["payload"].as_str().unwrap().to_string(),
    );
    app.clock.advance(chrono::Duration::minutes(10));
    let html = app
        .http
        .get(link(&app, &late, &late_token, ""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"data-state="overdue""#), "{html}");
    let (status, body) = pay_form(&app, &card_form(&late, &late_token, "4242424242424242", "s")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["state"], "overdue");
}
