mod common;

use common::{spawn_app, TestApp};
use engine::ledger::{shop_account, shop_hold_account, FEES};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

fn pay_path(invoice_id: &str, op: &str) -> String {
    format!("/v2/processing/invoices/{invoice_id}/payments/1/{op}")
}

#[tokio::test]
async fn a_hold_is_captured_in_part_and_the_rest_released() {
    let app = spawn_app().await;
    let (invoice_id, pay) = app.hold(100_000, "cancel").await;
    assert_eq!(pay["flow"]["type"], "PaymentFlowHold");
    assert!(pay["flow"]["heldUntil"].is_string(), "{pay}");
    assert_eq!(app.invoice_status(&invoice_id).await, "unpaid");
    assert_eq!(
        app.engine
            .account_balance(&shop_hold_account(&app.shop_id))
            .await
            .unwrap(),
        100_000
    );

    let r = app
        .post(
            &pay_path(&invoice_id, "capture"),
            &app.key,
            json!({"reason": "shipped", "amount": 60_000, "currency": "RUB"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert!(r.text.is_empty());
    let p = app.payment_status(&invoice_id, "1").await;
    assert_eq!(p["status"], "captured");
    assert_eq!(app.invoice_status(&invoice_id).await, "paid");
    assert_eq!(
        app.engine
            .account_balance(&shop_hold_account(&app.shop_id))
            .await
            .unwrap(),
        0
    );
    // 60 000 captured, 0.1 % commission (60): the shop is owed 59 940.
    assert_eq!(
        app.engine.account_balance(&shop_account(&app.shop_id)).await.unwrap(),
        59_940
    );
    assert_eq!(app.engine.account_balance(FEES).await.unwrap(), 60);

    // Refunds are bounded by the captured 600.00, not the authorised 1 000.00.
    let r = app
        .post(&pay_path(&invoice_id, "refunds"), &app.key, json!({"amount": 70_000}))
        .await;
    assert_eq!(r.body["code"], "invoicePaymentAmountExceeded", "{}", r.text);
    let r = app
        .post(
            &pay_path(&invoice_id, "refunds"),
            &app.key,
            json!({"amount": 60_000, "reason": "returned"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(app.payment_status(&invoice_id, "1").await["status"], "refunded");
    app.assert_verified().await;
}

#[tokio::test]
async fn a_cancelled_hold_cancels_the_invoice_and_releases_the_money() {
    let app = spawn_app().await;
    let (invoice_id, _) = app.hold(5_000, "capture").await;
    let r = app
        .post(
            &pay_path(&invoice_id, "cancel"),
            &app.key,
            json!({"reason": "out of stock"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(app.payment_status(&invoice_id, "1").await["status"], "cancelled");
    let inv = app
        .get(&format!("/v2/processing/invoices/{invoice_id}"), &app.key)
        .await
        .body;
    assert_eq!(inv["status"], "cancelled");
    assert_eq!(inv["reason"], "out of stock");
    assert_eq!(
        app.engine
            .account_balance(&shop_hold_account(&app.shop_id))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.engine.account_balance(&shop_account(&app.shop_id)).await.unwrap(),
        0
    );
    app.assert_verified().await;
}

#[tokio::test]
async fn capture_and_cancel_refuse_what_upstream_refuses() {
    let app = spawn_app().await;
    let (instant, _, _) = app.pay(1000, "4242424242424242").await;
    let r = app
        .post(&pay_path(&instant, "capture"), &app.key, json!({"reason": "x"}))
        .await;
    assert_eq!(r.body["code"], "operationNotPermitted");
    let r = app
        .post(&pay_path(&instant, "cancel"), &app.key, json!({"reason": "x"}))
        .await;
    assert_eq!(r.body["code"], "operationNotPermitted");

    let (held, _) = app.hold(1000, "cancel").await;
    let cases = [
        (json!({"reason": "x", "amount": 1001}), "amountExceededCaptureBalance"),
        (json!({"reason": "x", "currency": "USD"}), "inconsistentCaptureCurrency"),
        (json!({"reason": "x", "amount": 0}), "invalidRequest"),
        (json!({"amount": 500}), "invalidRequest"),
        (json!({"reason": "x", "amount": "500"}), "invalidRequest"),
    ];
    for (body, code) in cases {
        let r = app.post(&pay_path(&held, "capture"), &app.key, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.body["code"], code, "{body}: {}", r.text);
    }
    // The invoice token cannot capture; nothing changed.
    let (_, token) = app.invoice(10).await;
    assert_eq!(
        app.post(&pay_path(&held, "capture"), &token, json!({"reason": "x"}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.payment_status(&held, "1").await["status"], "processed");
    assert_eq!(
        app.post(&pay_path(&held, "capture"), &app.key, json!({"reason": "ok"}))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let again = app
        .post(&pay_path(&held, "capture"), &app.key, json!({"reason": "again"}))
        .await;
    assert_eq!(again.body["code"], "invalidPaymentStatus");
    let cancel = app
        .post(&pay_path(&held, "cancel"), &app.key, json!({"reason": "late"}))
        .await;
    assert_eq!(cancel.body["code"], "invalidPaymentStatus");
    app.assert_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_capture_and_cancel_of_one_hold_have_exactly_one_winner() {
    let app = Arc::new(spawn_app().await);
    for _ in 0..5 {
        let (invoice_id, _) = app.hold(10_000, "cancel").await;
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (app, path) = (
                    app.clone(),
                    pay_path(&invoice_id, if i % 2 == 0 { "capture" } else { "cancel" }),
                );
                tokio::spawn(async move { app.post(&path, &app.key, json!({"reason": "race"})).await })
            })
            .collect();
        let mut accepted = 0;
        for t in tasks {
            let r = t.await.unwrap();
            match r.status {
                StatusCode::ACCEPTED => accepted += 1,
                StatusCode::BAD_REQUEST => assert_eq!(r.body["code"], "invalidPaymentStatus", "{}", r.text),
                other => panic!("{other}: {}", r.text),
            }
        }
        assert_eq!(accepted, 1);
        let status = app.payment_status(&invoice_id, "1").await["status"]
            .as_str()
            .unwrap()
            .to_string();
        let invoice = app.invoice_status(&invoice_id).await;
        assert!(
            (status == "captured" && invoice == "paid") || (status == "cancelled" && invoice == "cancelled"),
            "{status} {invoice}"
        );
    }
    app.assert_verified().await;
}

#[tokio::test]
async fn expired_holds_follow_their_policy() {
    let app = spawn_app().await;
    let (cancel_me, _) = app.hold(3_000, "cancel").await;
    let (capture_me, _) = app.hold(4_000, "capture").await;
    let report = app.engine.run_due_work().await.unwrap();
    assert_eq!(report.holds_cancelled + report.holds_captured, 0, "nothing is due yet");
    app.clock.advance(chrono::Duration::seconds(61));
    let report = app.engine.run_due_work().await.unwrap();
    assert_eq!((report.holds_cancelled, report.holds_captured), (1, 1));
    assert_eq!(app.payment_status(&cancel_me, "1").await["status"], "cancelled");
    assert_eq!(app.invoice_status(&cancel_me).await, "cancelled");
    assert_eq!(app.payment_status(&capture_me, "1").await["status"], "captured");
    assert_eq!(app.invoice_status(&capture_me).await, "paid");
    assert!(
        app.engine.run_due_work().await.unwrap().is_empty(),
        "each hold is acted on once"
    );
    app.assert_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hold_expiry_worker_racing_a_manual_capture_gives_one_outcome() {
    let app = Arc::new(spawn_app().await);
    let mut invoices = vec![];
    for _ in 0..6 {
        invoices.push(app.hold(2_000, "cancel").await.0);
    }
    app.clock.advance(chrono::Duration::seconds(61));
    let mut tasks = vec![];
    for inv in &invoices {
        let (app, path) = (app.clone(), pay_path(inv, "capture"));
        tasks.push(tokio::spawn(async move {
            app.post(&path, &app.key, json!({"reason": "race"})).await.status
        }));
    }
    let worker = {
        let app = app.clone();
        tokio::spawn(async move { app.engine.run_due_work().await.unwrap() })
    };
    let report = worker.await.unwrap();
    let mut captured_by_merchant = 0;
    for t in tasks {
        if t.await.unwrap() == StatusCode::ACCEPTED {
            captured_by_merchant += 1;
        }
    }
    assert_eq!(
        captured_by_merchant + report.holds_cancelled,
        invoices.len(),
        "{report:?}"
    );
    for inv in &invoices {
        let events = app
            .get(&format!("/v2/processing/invoices/{inv}/events?limit=100"), &app.key)
            .await
            .body;
        let finals: Vec<_> = events
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["changes"].as_array().unwrap().clone())
            .filter(|c| {
                c["changeType"] == "PaymentStatusChanged" && (c["status"] == "captured" || c["status"] == "cancelled")
            })
            .collect();
        assert_eq!(finals.len(), 1, "{inv}: {finals:?}");
    }
    app.assert_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_never_act_twice() {
    let app = spawn_app().await;
    // A second engine on the same database: another app instance with its own clock.
    let second = engine::Engine::with_sandbox(
        engine::db::Db::connect(&database_url(&app).await).await.unwrap(),
        app.engine.keys.clone(),
        engine::clock::Clock::system(),
        app.engine.config.clone(),
        engine::bank::sandbox::SandboxConfig::default(),
    );
    let mut invoices = vec![];
    for i in 0..10 {
        invoices.push(
            app.hold(1_000 + i, if i % 2 == 0 { "capture" } else { "cancel" })
                .await
                .0,
        );
    }
    app.clock.advance(chrono::Duration::seconds(61));
    second.clock.advance(chrono::Duration::seconds(61));
    let (a, b) = tokio::join!(app.engine.run_due_work(), second.run_due_work());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.holds_captured + b.holds_captured, 5, "{a:?} {b:?}");
    assert_eq!(a.holds_cancelled + b.holds_cancelled, 5, "{a:?} {b:?}");
    let (captures,): (i64,) =
        sqlx::query_as("select count(*) from ledger_postings where kind = 'capture' and account like 'shop:%'")
            .fetch_one(&app.engine.db.pool)
            .await
            .unwrap();
    assert_eq!(captures, 5);
    app.assert_verified().await;
}

async fn database_url(app: &TestApp) -> String {
    match &app.sqlite_path {
        Some(p) => format!("sqlite://{}", p.display()),
        None => {
            let server = std::env::var("DUCATPAY_TEST_DATABASE_URL").unwrap();
            let (base, _) = server.rsplit_once('/').unwrap();
            let (name,): (String,) = sqlx::query_as("select cast(current_database() as text)")
                .fetch_one(&app.engine.db.pool)
                .await
                .unwrap();
            format!("{base}/{name}")
        }
    }
}

#[tokio::test]
async fn refunds_partial_then_full_with_statuses_and_ledger() {
    let app = spawn_app().await;
    let (invoice_id, _, _) = app.pay(10_000, "4242424242424242").await;
    let path = pay_path(&invoice_id, "refunds");
    let r = app
        .post(
            &path,
            &app.key,
            json!({"amount": 3_000, "currency": "RUB", "reason": "one item back"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "succeeded");
    assert_eq!(r.body["id"], "1");
    assert_eq!(r.body["amount"], 3_000);
    assert_eq!(
        app.payment_status(&invoice_id, "1").await["status"],
        "captured",
        "a partial refund leaves it captured"
    );
    let r = app
        .post(&path, &app.key, json!({"currency": "USD", "amount": 100}))
        .await;
    assert_eq!(r.body["code"], "inconsistentRefundCurrency");
    let r = app.post(&path, &app.key, json!({"amount": 7_001})).await;
    assert_eq!(r.body["code"], "invoicePaymentAmountExceeded");
    // No amount: the rest.
    let r = app.post(&path, &app.key, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["amount"], 7_000);
    assert_eq!(app.payment_status(&invoice_id, "1").await["status"], "refunded");
    let r = app.post(&path, &app.key, json!({"amount": 1})).await;
    assert_eq!(r.body["code"], "invalidPaymentStatus");
    let list = app.get(&path, &app.key).await.body;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(app.get(&format!("{path}/2"), &app.key).await.body["amount"], 7_000);
    assert_eq!(
        app.get(&format!("{path}/3"), &app.key).await.status,
        StatusCode::NOT_FOUND
    );
    // The shop keeps owing nothing but the commission it paid: 10 000 − 10 fee − 10 000 refunded.
    assert_eq!(
        app.engine.account_balance(&shop_account(&app.shop_id)).await.unwrap(),
        -10
    );
    app.assert_verified().await;
}

#[tokio::test]
async fn refunds_need_a_captured_payment_and_a_merchant() {
    let app = spawn_app().await;
    let (declined, token, _) = app.pay(1000, "4000000000000002").await;
    let r = app
        .post(&pay_path(&declined, "refunds"), &app.key, json!({"amount": 10}))
        .await;
    assert_eq!(r.body["code"], "invalidPaymentStatus");
    let (held, _) = app.hold(1000, "cancel").await;
    let r = app
        .post(&pay_path(&held, "refunds"), &app.key, json!({"amount": 10}))
        .await;
    assert_eq!(r.body["code"], "invalidPaymentStatus");
    let r = app
        .post(&pay_path(&declined, "refunds"), &token, json!({"amount": 10}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let (_, _, other_key) = app.other_party().await;
    let (paid, _, _) = app.pay(1000, "4242424242424242").await;
    assert_eq!(
        app.post(&pay_path(&paid, "refunds"), &other_key, json!({"amount": 10}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for bad in [
        json!({"amount": 0}),
        json!({"amount": -5}),
        json!({"amount": "10"}),
        json!({"reason": "x".repeat(1001)}),
    ] {
        let r = app.post(&pay_path(&paid, "refunds"), &app.key, bad.clone()).await;
        assert_eq!(r.body["code"], "invalidRequest", "{bad}: {}", r.text);
    }
    assert_eq!(app.count("select count(*) from refunds").await, 0);
}

#[tokio::test]
async fn refund_external_id_gives_the_same_refund_or_409() {
    let app = spawn_app().await;
    let (invoice_id, _, _) = app.pay(10_000, "4242424242424242").await;
    let path = pay_path(&invoice_id, "refunds");
    let body = json!({"externalID": "rf-1", "amount": 1_000});
    let first = app.post(&path, &app.key, body.clone()).await;
    let again = app.post(&path, &app.key, body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    let conflict = app
        .post(&path, &app.key, json!({"externalID": "rf-1", "amount": 2_000}))
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(conflict.body["externalID"], "rf-1");
    assert_eq!(conflict.body["id"], "1");
    let found = app.get("/v2/processing/refunds?externalID=rf-1", &app.key).await;
    assert_eq!(found.body["id"], "1");
    assert_eq!(found.body["invoiceID"], invoice_id.as_str());
    assert_eq!(app.count("select count(*) from refunds").await, 1);
    assert_eq!(
        app.get("/v2/processing/refunds?externalID=none", &app.key).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_refunds_never_exceed_the_captured_amount() {
    let app = Arc::new(spawn_app().await);
    let (invoice_id, _, _) = app.pay(10_000, "4242424242424242").await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (app, path) = (app.clone(), pay_path(&invoice_id, "refunds"));
            tokio::spawn(async move { app.post(&path, &app.key, json!({"amount": 1_000})).await })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::CREATED => {}
            StatusCode::BAD_REQUEST => assert!(
                [
                    "operationNotPermitted",
                    "invoicePaymentAmountExceeded",
                    "invalidPaymentStatus"
                ]
                .contains(&r.body["code"].as_str().unwrap()),
                "{}",
                r.text
            ),
            other => panic!("{other}: {}", r.text),
        }
    }
    let (sum,): (i64,) =
        sqlx::query_as("select cast(coalesce(sum(amount), 0) as bigint) from refunds where status <> 'failed'")
            .fetch_one(&app.engine.db.pool)
            .await
            .unwrap();
    assert!(sum <= 10_000, "refunded {sum}");
    app.assert_verified().await;

    // Two parallel 60.00 refunds on a 100.00 payment: at most one goes through.
    let (invoice_id, _, _) = app.pay(10_000, "4242424242424242").await;
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (app, path) = (app.clone(), pay_path(&invoice_id, "refunds"));
            tokio::spawn(async move { app.post(&path, &app.key, json!({"amount": 6_000})).await.status })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        if t.await.unwrap() == StatusCode::CREATED {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    app.assert_verified().await;
}

#[tokio::test]
async fn recurring_payments_charge_the_parents_card_without_3ds() {
    let app = spawn_app().await;
    // The parent used a 3-D Secure card and makeRecurrent.
    let (parent_invoice, _, parent) = app
        .pay_with(5_000, "4012888888881881", json!({"makeRecurrent": true}))
        .await;
    assert_eq!(parent["makeRecurrent"], true);
    app.answer_3ds(&parent, "confirm").await;
    assert_eq!(app.payment_status(&parent_invoice, "1").await["status"], "captured");

    let recurrent = |invoice: &str, payment: &str| {
        json!({"flow": {"type": "PaymentFlowInstant"}, "payer": {"payerType": "RecurrentPayer",
               "recurrentParentPayment": {"invoiceID": invoice, "paymentID": payment}, "contactInfo": {"email": "b@example.com"}}})
    };
    let (child, _) = app.invoice(7_000).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{child}/payments"),
            &app.key,
            recurrent(&parent_invoice, "1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "captured", "no buyer interaction: {}", r.text);
    assert_eq!(r.body["payer"]["payerType"], "RecurrentPayer");
    assert_eq!(r.body["payer"]["paymentToolDetails"]["last4"], "1881");
    assert!(r.body.get("userInteraction").is_none());

    // With the hold flow too.
    let (held_child, _) = app.invoice(2_000).await;
    let mut body = recurrent(&parent_invoice, "1");
    body["flow"] = json!({"type": "PaymentFlowHold", "onHoldExpiration": "cancel"});
    let r = app
        .post(
            &format!("/v2/processing/invoices/{held_child}/payments"),
            &app.key,
            body,
        )
        .await;
    assert_eq!(r.body["status"], "processed", "{}", r.text);

    // Invalid parents.
    let (plain, _, _) = app.pay(1_000, "4242424242424242").await;
    let (failed, _, _) = app
        .pay_with(1_000, "4000000000000002", json!({"makeRecurrent": true}))
        .await;
    let (other_party, _, other_key) = app.other_party().await;
    let _ = other_party;
    for (inv, pay) in [
        (plain.as_str(), "1"),
        (failed.as_str(), "1"),
        (parent_invoice.as_str(), "9"),
        ("nope", "1"),
    ] {
        let (target, _) = app.invoice(1_000).await;
        let r = app
            .post(
                &format!("/v2/processing/invoices/{target}/payments"),
                &app.key,
                recurrent(inv, pay),
            )
            .await;
        assert_eq!(r.body["code"], "invalidRecurrentParent", "{inv}.{pay}: {}", r.text);
    }
    // Another party cannot use our parent.
    let other_invoice = app
        .post("/v2/processing/invoices", &other_key, {
            let shops = app.get("/v2/processing/shops", &other_key).await.body;
            json!({"shopID": shops[0]["id"], "dueDate": "2099-01-01T00:00:00Z", "amount": 100, "currency": "RUB", "product": "x", "metadata": {}})
        })
        .await
        .body["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/v2/processing/invoices/{other_invoice}/payments"),
            &other_key,
            recurrent(&parent_invoice, "1"),
        )
        .await;
    assert_eq!(r.body["code"], "invalidRecurrentParent");
    app.assert_verified().await;
}

#[tokio::test]
async fn rescind_fulfil_and_overdue_move_the_invoice() {
    let app = spawn_app().await;
    let (unpaid, token) = app.invoice(1_000).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{unpaid}/rescind"),
            &app.key,
            json!({"reason": "customer changed mind"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let inv = app
        .get(&format!("/v2/processing/invoices/{unpaid}"), &app.key)
        .await
        .body;
    assert_eq!(
        (inv["status"].as_str(), inv["reason"].as_str()),
        (Some("cancelled"), Some("customer changed mind"))
    );
    let res = app.tokenise(&token, "4242424242424242").await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{unpaid}/payments"),
            &token,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(r.body["code"], "invalidInvoiceStatus");
    assert_eq!(
        app.post(
            &format!("/v2/processing/invoices/{unpaid}/rescind"),
            &app.key,
            json!({"reason": "x"})
        )
        .await
        .body["code"],
        "invalidInvoiceStatus"
    );

    let (paid, _, _) = app.pay(1_000, "4242424242424242").await;
    assert_eq!(
        app.post(
            &format!("/v2/processing/invoices/{paid}/rescind"),
            &app.key,
            json!({"reason": "x"})
        )
        .await
        .body["code"],
        "invalidInvoiceStatus"
    );
    let r = app
        .post(
            &format!("/v2/processing/invoices/{paid}/fulfill"),
            &app.key,
            json!({"reason": "delivered"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.invoice_status(&paid).await, "fulfilled");
    assert_eq!(
        app.post(
            &format!("/v2/processing/invoices/{paid}/fulfill"),
            &app.key,
            json!({"reason": "x"})
        )
        .await
        .body["code"],
        "invalidInvoiceStatus"
    );
    let (fresh, _) = app.invoice(1_000).await;
    assert_eq!(
        app.post(
            &format!("/v2/processing/invoices/{fresh}/fulfill"),
            &app.key,
            json!({"reason": "x"})
        )
        .await
        .body["code"],
        "invalidInvoiceStatus"
    );
    assert_eq!(
        app.post(&format!("/v2/processing/invoices/{fresh}/rescind"), &app.key, json!({}))
            .await
            .body["code"],
        "invalidRequest"
    );

    // A payment waiting for 3-D Secure blocks rescinding.
    let (waiting, _, pay) = app.pay(1_000, "4012888888881881").await;
    assert_eq!(pay["status"], "pending");
    assert_eq!(
        app.post(
            &format!("/v2/processing/invoices/{waiting}/rescind"),
            &app.key,
            json!({"reason": "x"})
        )
        .await
        .body["code"],
        "invoicePaymentPending"
    );

    // Past the due date an unpaid invoice is cancelled as overdue.
    let mut body = app.invoice_body(1_000);
    body["dueDate"] = json!((chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339());
    let due = app.post("/v2/processing/invoices", &app.key, body).await.body["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock.advance(chrono::Duration::minutes(11));
    let report = app.engine.run_due_work().await.unwrap();
    assert!(report.invoices_expired >= 1, "{report:?}");
    let inv = app.get(&format!("/v2/processing/invoices/{due}"), &app.key).await.body;
    assert_eq!(
        (inv["status"].as_str(), inv["reason"].as_str()),
        (Some("cancelled"), Some("overdue"))
    );
    // …and the abandoned 3-D Secure payment has failed by now (15 minutes).
    app.clock.advance(chrono::Duration::minutes(5));
    app.engine.run_due_work().await.unwrap();
    assert_eq!(app.payment_status(&waiting, "1").await["status"], "failed");
    app.assert_verified().await;
}

#[tokio::test]
async fn invoice_events_tell_the_story_with_a_stable_cursor() {
    let app = spawn_app().await;
    let (invoice_id, token, pay) = app.pay(5_000, "4012888888881881").await;
    app.answer_3ds(&pay, "confirm").await;
    app.post(&pay_path(&invoice_id, "refunds"), &app.key, json!({"amount": 1_000}))
        .await;
    let all = app
        .get(
            &format!("/v2/processing/invoices/{invoice_id}/events?limit=100"),
            &token,
        )
        .await
        .body;
    let kinds: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    format!(
                        "{}{}",
                        c["changeType"].as_str().unwrap(),
                        c["status"].as_str().map(|s| format!(":{s}")).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "InvoiceCreated",
            "PaymentStarted",
            "PaymentInteractionRequested",
            "PaymentInteractionCompleted",
            "PaymentStatusChanged:processed",
            "PaymentStatusChanged:captured",
            "InvoiceStatusChanged:paid",
            "RefundStarted",
            "RefundStatusChanged:succeeded",
        ]
    );
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    assert!(all[0]["createdAt"].is_string());
    assert_eq!(all[0]["changes"][0]["invoice"]["id"], invoice_id.as_str());
    let page = app
        .get(
            &format!("/v2/processing/invoices/{invoice_id}/events?limit=2&eventID=2"),
            &app.key,
        )
        .await
        .body;
    assert_eq!(
        page.as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [3, 4]
    );
    for bad in ["", "?limit=0", "?limit=1001", "?limit=x", "?limit=5&eventID=x"] {
        let r = app
            .get(&format!("/v2/processing/invoices/{invoice_id}/events{bad}"), &app.key)
            .await;
        assert_eq!(r.body["code"], "invalidRequest", "{bad}");
    }
    let (_, _, other_key) = app.other_party().await;
    assert_eq!(
        app.get(
            &format!("/v2/processing/invoices/{invoice_id}/events?limit=5"),
            &other_key
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn work_a_crash_left_half_done_is_finished_by_the_workers() {
    let app = spawn_app().await;
    let (held, _) = app.hold(3_000, "cancel").await;
    let (instant, _, _) = app.pay(2_000, "4242424242424242").await;
    // Simulate crashes: a capture claimed but never finished, and a payment never answered.
    sqlx::query("update payments set pending_op = 'capture', captured_amount = 3000 where invoice_id = $1")
        .bind(&held)
        .execute(&app.engine.db.pool)
        .await
        .unwrap();
    let (stuck, _) = app.invoice(1_500).await;
    let (seq,): (i64,) = sqlx::query_as(
        "update invoices set payment_seq = 1, active_payment_id = '1' where invoice_id = $1 returning payment_seq",
    )
    .bind(&stuck)
    .fetch_one(&app.engine.db.pool)
    .await
    .unwrap();
    assert_eq!(seq, 1);
    sqlx::query(
        "insert into payments (invoice_id, payment_id, party_id, shop_id, params_digest, created_at, amount, currency, flow_type, \
         payer_type, payer_json, status, updated_at) select invoice_id, '1', party_id, shop_id, 'x', $2, amount, currency, \
         'PaymentFlowInstant', 'PaymentResourcePayer', '{}', 'pending', $2 from invoices where invoice_id = $1",
    )
    .bind(&stuck)
    .bind(app.clock.now_micros())
    .execute(&app.engine.db.pool)
    .await
    .unwrap();
    app.assert_verified().await;
    assert_eq!(
        app.engine.run_due_work().await.unwrap().operations_recovered,
        0,
        "too fresh to take over"
    );
    app.clock.advance(chrono::Duration::seconds(61));
    let report = app.engine.run_due_work().await.unwrap();
    assert_eq!(report.operations_recovered, 2, "{report:?}");
    assert_eq!(app.payment_status(&held, "1").await["status"], "captured");
    assert_eq!(app.payment_status(&stuck, "1").await["status"], "failed");
    assert_eq!(
        app.invoice_status(&stuck).await,
        "unpaid",
        "the invoice can be paid again"
    );
    assert_eq!(app.invoice_status(&instant).await, "paid");
    app.assert_verified().await;
}

#[tokio::test]
async fn sandbox_tools_move_time_over_http() {
    let app = spawn_app().await;
    let (held, _) = app.hold(3_000, "capture").await;
    let r = app
        .post("/sandbox/clock/advance", &app.key, json!({"seconds": 120}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.post("/sandbox/workers/run", &app.key, json!({})).await;
    assert_eq!(r.body["holds_captured"], 1, "{}", r.text);
    assert_eq!(app.payment_status(&held, "1").await["status"], "captured");
    let r = app.call("POST", "/sandbox/workers/run", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_refunds_that_fit_are_told_to_wait_not_that_they_exceed() {
    let app = Arc::new(spawn_app().await);
    let (invoice_id, _, _) = app.pay(5_000, "4242424242424242").await;
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let (app, path) = (app.clone(), pay_path(&invoice_id, "refunds"));
            tokio::spawn(async move { app.post(&path, &app.key, json!({"amount": 100})).await })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        if r.status != StatusCode::CREATED {
            assert_eq!(
                r.body["code"], "operationNotPermitted",
                "30 × 1.00 never exceeds 50.00: {}",
                r.text
            );
        }
    }
    app.assert_verified().await;
}

#[tokio::test]
async fn a_partially_captured_payment_costs_what_was_captured() {
    let app = spawn_app().await;
    let (invoice_id, _) = app.hold(5_000, "cancel").await;
    app.post(
        &pay_path(&invoice_id, "capture"),
        &app.key,
        json!({"reason": "part", "amount": 1_000}),
    )
    .await;
    assert_eq!(app.payment_status(&invoice_id, "1").await["amount"], 1_000);
}

#[tokio::test]
async fn a_buyers_invoice_token_cannot_charge_a_saved_card() {
    let app = spawn_app().await;
    let (parent, _, _) = app
        .pay_with(5_000, "4242424242424242", json!({"makeRecurrent": true}))
        .await;
    let (victim_invoice, buyer_token) = app.invoice(9_000).await;
    let body = json!({"flow": {"type": "PaymentFlowInstant"}, "payer": {"payerType": "RecurrentPayer",
        "recurrentParentPayment": {"invoiceID": parent, "paymentID": "1"}, "contactInfo": {}}});
    let r = app
        .post(
            &format!("/v2/processing/invoices/{victim_invoice}/payments"),
            &buyer_token,
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(app.count("select count(*) from payments").await, 1);
}
