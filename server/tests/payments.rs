mod common;

use common::{spawn_app, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

const SUCCESS: &str = "4242424242424242";
const THREE_DS: &str = "4012888888881881";
const THREE_DS_FAIL: &str = "4987654321098769";
const THREE_DS_TIMEOUT: &str = "4342561111111118";
const NO_FUNDS: &str = "4000000000000002";

#[tokio::test]
async fn instant_payment_is_captured_and_pays_the_invoice_with_commission() {
    let app = spawn_app().await;
    let (invoice_id, token, pay) = app.pay(107_000, SUCCESS).await;
    assert_eq!(pay["status"], "captured", "{pay}");
    assert_eq!(pay["amount"], 107_000);
    assert_eq!(pay["flow"]["type"], "PaymentFlowInstant");
    assert_eq!(pay["payer"]["payerType"], "PaymentResourcePayer");
    assert_eq!(pay["payer"]["paymentToolDetails"]["cardNumberMask"], "424242******4242");
    assert!(pay["payer"]["paymentToolToken"].is_string());
    assert!(pay["transactionInfo"]["rrn"].is_string());
    let inv = app.get(&format!("/v2/processing/invoices/{invoice_id}"), &token).await;
    assert_eq!(inv.body["status"], "paid");
    // 0.1 % of 1 070.00 RUB is 1.07 RUB.
    let (fee,): (i64,) = sqlx::query_as("select fee from payments where invoice_id = $1")
        .bind(&invoice_id)
        .fetch_one(&app.engine.db.pool)
        .await
        .unwrap();
    assert_eq!(fee, 107);
    let list = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments"), &app.key)
        .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let one = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &app.key)
        .await;
    assert_eq!(one.body["status"], "captured");
    assert_eq!(
        app.get(&format!("/v2/processing/invoices/{invoice_id}/payments/2"), &app.key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn declined_card_fails_with_the_upstream_error_tree_and_the_invoice_can_be_paid_again() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(5000).await;
    let bad = app.tokenise(&token, NO_FUNDS).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &token,
            TestApp::payment_body(&bad),
        )
        .await;
    assert_eq!(r.body["status"], "failed");
    assert_eq!(
        r.body["error"],
        json!({"code": "authorization_failed", "subError": {"code": "insufficient_funds"}})
    );
    let inv = app.get(&format!("/v2/processing/invoices/{invoice_id}"), &token).await;
    assert_eq!(inv.body["status"], "unpaid");
    let good = app.tokenise(&token, SUCCESS).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &token,
            TestApp::payment_body(&good),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["id"], "2");
    assert_eq!(r.body["status"], "captured");
}

#[tokio::test]
async fn each_test_card_behaves_as_documented() {
    let app = spawn_app().await;
    let cases = [
        (
            "4003830171874018",
            "authorization_failed:payment_tool_rejected:bank_card_rejected:cvv_invalid",
        ),
        (
            "4000000000000069",
            "authorization_failed:payment_tool_rejected:bank_card_rejected:card_expired",
        ),
        ("4222222222222220", "authorization_failed:account_not_found"),
        ("4111110000000112", "authorization_failed:unknown"),
        // Not a sandbox card: refused like upstream's "Unsupported Card".
        (
            "4111111111111111",
            "authorization_failed:payment_tool_rejected:bank_card_rejected:issuer_not_found",
        ),
    ];
    for (card, path) in cases {
        let (_, _, pay) = app.pay(1000, card).await;
        assert_eq!(pay["status"], "failed", "{card}");
        let mut parts = vec![];
        let mut node = &pay["error"];
        while node.is_object() {
            parts.push(node["code"].as_str().unwrap().to_string());
            node = &node["subError"];
        }
        assert_eq!(parts.join(":"), path, "{card}");
    }
    for card in ["5555555555554444", "2201382000000013", "586824160825533338"] {
        let (_, _, pay) = app.pay(1000, card).await;
        assert_eq!(pay["status"], "captured", "{card}");
    }
}

#[tokio::test]
async fn three_ds_card_waits_for_the_buyer_then_captures() {
    let app = spawn_app().await;
    let (invoice_id, token, pay) = app.pay(2500, THREE_DS).await;
    assert_eq!(pay["status"], "pending");
    let ui = &pay["userInteraction"];
    assert_eq!(ui["interactionType"], "Redirect");
    assert_eq!(ui["request"]["requestType"], "BrowserPostRequest");
    assert!(ui["request"]["uriTemplate"].as_str().unwrap().contains("/sandbox/acs/"));
    // While the buyer is on the issuer page, another payment on this invoice must wait.
    let another = app.tokenise(&token, SUCCESS).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &token,
            TestApp::payment_body(&another),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["code"], "invoicePaymentPending");

    let page = app.answer_3ds(&pay, "confirm").await;
    assert!(page.contains("data-status=\"captured\""), "{page}");
    let now = app
        .get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &token)
        .await;
    assert_eq!(now.body["status"], "captured");
    assert!(now.body.get("userInteraction").is_none());
    assert_eq!(
        app.get(&format!("/v2/processing/invoices/{invoice_id}"), &token)
            .await
            .body["status"],
        "paid"
    );
    // Coming back twice (a double submit) changes nothing.
    let again = app.answer_3ds(&pay, "confirm").await;
    assert!(again.contains("captured"));
    assert_eq!(
        app.count("select count(*) from payments where status = 'captured'")
            .await,
        1
    );
}

#[tokio::test]
async fn three_ds_failure_timeout_and_cancel_fail_the_payment() {
    let app = spawn_app().await;
    for (card, decision) in [
        (THREE_DS_FAIL, "confirm"),
        (THREE_DS_TIMEOUT, "confirm"),
        (THREE_DS, "cancel"),
    ] {
        let (invoice_id, token, pay) = app.pay(2500, card).await;
        assert_eq!(pay["status"], "pending", "{card}");
        let page = app.answer_3ds(&pay, decision).await;
        assert!(page.contains("data-status=\"failed\""), "{card}: {page}");
        let p = app
            .get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &token)
            .await;
        assert_eq!(p.body["status"], "failed");
        assert_eq!(p.body["error"]["code"], "preauthorization_failed");
        assert_eq!(
            app.get(&format!("/v2/processing/invoices/{invoice_id}"), &token)
                .await
                .body["status"],
            "unpaid"
        );
    }
}

#[tokio::test]
async fn three_ds_redirects_the_buyer_to_the_merchant_when_asked() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(1000).await;
    let res = app.tokenise(&token, THREE_DS).await;
    let mut body = TestApp::payment_body(&res);
    body["payer"]["sessionInfo"] = json!({"redirectUrl": "https://shop.example.com/thanks"});
    let pay = app
        .post(&format!("/v2/processing/invoices/{invoice_id}/payments"), &token, body)
        .await
        .body;
    let req = &pay["userInteraction"]["request"];
    let acs = req["uriTemplate"].as_str().unwrap();
    let mut form: Vec<(String, String)> = req["form"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().into(),
                f["template"].as_str().unwrap().into(),
            )
        })
        .collect();
    form.push(("decision".into(), "confirm".into()));
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let to_term = no_follow
        .post(format!("{acs}/answer"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(to_term.status().is_redirection());
    let term = to_term.headers()["location"].to_str().unwrap().to_string();
    let to_shop = no_follow.get(&term).send().await.unwrap();
    assert_eq!(to_shop.headers()["location"], "https://shop.example.com/thanks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_payment_session_never_debits_twice() {
    let app = Arc::new(spawn_app().await);
    let (invoice_id, token) = app.invoice(9900).await;
    let res = app.tokenise(&token, SUCCESS).await;
    let body = TestApp::payment_body(&res);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (app, body, token, path) = (
                app.clone(),
                body.clone(),
                token.clone(),
                format!("/v2/processing/invoices/{invoice_id}/payments"),
            );
            tokio::spawn(async move { app.post(&path, &token, body).await })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["id"], "1");
    }
    assert_eq!(app.count("select count(*) from payments").await, 1);
    assert_eq!(
        app.count("select count(*) from sandbox_bank_txns where operation = 'auth'")
            .await,
        1
    );
    // A retry later returns the same payment, captured.
    let again = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &token,
            body.clone(),
        )
        .await;
    assert_eq!(
        (again.body["id"].as_str(), again.body["status"].as_str()),
        (Some("1"), Some("captured"))
    );
    // The session cannot pay another invoice.
    let (other_invoice, other_token) = app.invoice(9900).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{other_invoice}/payments"),
            &other_token,
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["code"] == "invalidPaymentSession" || r.body["code"] == "invalidPaymentToolToken",
        "{}",
        r.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_payments_with_different_cards_pay_an_invoice_at_most_once() {
    let app = Arc::new(spawn_app().await);
    let (invoice_id, token) = app.invoice(5000).await;
    let mut bodies = vec![];
    for _ in 0..10 {
        bodies.push(TestApp::payment_body(&app.tokenise(&token, SUCCESS).await));
    }
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (app, token, path) = (
                app.clone(),
                token.clone(),
                format!("/v2/processing/invoices/{invoice_id}/payments"),
            );
            tokio::spawn(async move { app.post(&path, &token, body).await })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::BAD_REQUEST => assert!(
                r.body["code"] == "invoicePaymentPending" || r.body["code"] == "invalidInvoiceStatus",
                "{}",
                r.text
            ),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(
        app.count("select count(*) from payments where status = 'captured'")
            .await,
        1
    );
    // Paid means paid: a later attempt is refused.
    let late = TestApp::payment_body(&app.tokenise(&token, SUCCESS).await);
    let r = app
        .post(&format!("/v2/processing/invoices/{invoice_id}/payments"), &token, late)
        .await;
    assert_eq!(r.body["code"], "invalidInvoiceStatus");
}

#[tokio::test]
async fn payment_external_id_is_idempotent_and_conflicts_on_other_parameters() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(5000).await;
    let res = app.tokenise(&token, NO_FUNDS).await;
    let mut body = TestApp::payment_body(&res);
    body["externalID"] = json!("pay-1");
    let first = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &app.key,
            body.clone(),
        )
        .await;
    assert_eq!(first.body["externalID"], "pay-1");
    let res2 = app.tokenise(&token, SUCCESS).await;
    let mut other = TestApp::payment_body(&res2);
    other["externalID"] = json!("pay-1");
    let conflict = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &app.key,
            other,
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.text);
    assert_eq!(conflict.body["externalID"], "pay-1");
    assert_eq!(conflict.body["id"], "1");
}

#[tokio::test]
async fn bad_tokens_sessions_and_payers_are_refused_without_a_payment() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(5000).await;
    let res = app.tokenise(&token, SUCCESS).await;
    let path = format!("/v2/processing/invoices/{invoice_id}/payments");
    let other = app.tokenise(&token, SUCCESS).await;

    let mut forged = TestApp::payment_body(&res);
    forged["payer"]["paymentToolToken"] = json!("forged.token");
    assert_eq!(
        app.post(&path, &token, forged).await.body["code"],
        "invalidPaymentToolToken"
    );

    let mut wrong_session = TestApp::payment_body(&res);
    wrong_session["payer"]["paymentSession"] = other["paymentSession"].clone();
    // That session belongs to the other resource.
    assert_eq!(
        app.post(&path, &token, wrong_session).await.body["code"],
        "invalidPaymentSession"
    );

    for (name, mutate) in [
        ("no flow", json!({"flow": null})),
        ("unknown flow", json!({"flow": {"type": "PaymentFlowSlow"}})),
        ("no payer", json!({"payer": null})),
        (
            "payer type",
            json!({"payer": {"payerType": "CustomerPayer", "customerID": "x"}}),
        ),
        (
            "bad email",
            json!({"payer": {"payerType": "PaymentResourcePayer", "paymentToolToken": res["paymentToolToken"], "paymentSession": res["paymentSession"], "contactInfo": {"email": "not-an-email"}}}),
        ),
        (
            "bad phone",
            json!({"payer": {"payerType": "PaymentResourcePayer", "paymentToolToken": res["paymentToolToken"], "paymentSession": res["paymentSession"], "contactInfo": {"phoneNumber": "12"}}}),
        ),
        (
            "no contact info",
            json!({"payer": {"payerType": "PaymentResourcePayer", "paymentToolToken": res["paymentToolToken"], "paymentSession": res["paymentSession"]}}),
        ),
        ("metadata not object", json!({"metadata": 5})),
    ] {
        let mut body = TestApp::payment_body(&res);
        for (k, v) in mutate.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post(&path, &token, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text);
        assert_eq!(r.body["code"], "invalidRequest", "{name}");
    }
    // Tokens expire after an hour.
    app.clock.advance(chrono::Duration::minutes(61));
    let r = app.post(&path, &app.key, TestApp::payment_body(&res)).await;
    assert_eq!(r.body["code"], "invalidPaymentToolToken");
    assert_eq!(app.count("select count(*) from payments").await, 0);
}

#[tokio::test]
async fn an_invoice_past_its_due_date_cannot_be_paid() {
    let app = spawn_app().await;
    let mut body = app.invoice_body(5000);
    let due = (chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
    body["dueDate"] = json!(due);
    let r = app.post("/v2/processing/invoices", &app.key, body).await;
    let invoice_id = r.body["invoice"]["id"].as_str().unwrap().to_string();
    let res = app.tokenise(&app.key, SUCCESS).await;
    app.clock.advance(chrono::Duration::minutes(31));
    let r = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &app.key,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["code"], "invalidInvoiceStatus");
}

#[tokio::test]
async fn a_frozen_shop_takes_no_payments() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(5000).await;
    let res = app.tokenise(&token, SUCCESS).await;
    app.engine
        .set_shop_suspended(&app.party_id, &app.shop_id, true)
        .await
        .unwrap();
    let r = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &token,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(r.body["code"], "invalidShopStatus");
}
