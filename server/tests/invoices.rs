mod common;

use common::spawn_app;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn create_invoice_returns_invoice_and_access_token_with_cart_total() {
    let app = spawn_app().await;
    let mut body = app.invoice_body(1);
    body.as_object_mut().unwrap().remove("amount");
    body["cart"] = json!([
        {"product": "Tea", "quantity": 2, "price": 25000, "taxMode": {"type": "InvoiceLineTaxVAT", "rate": "20%"}},
        {"product": "Cup", "price": 57000}
    ]);
    body["externalID"] = json!("order-42");
    body["description"] = json!("Two teas and a cup");
    body["bankAccount"] =
        json!({"accountType": "InvoiceRussianBankAccount", "account": "40702810000000000001", "bankBik": "044525225"});
    body["clientInfo"] = json!({"trustLevel": "wellKnown"});
    let r = app.post("/v2/processing/invoices", &app.key, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let inv = &r.body["invoice"];
    assert_eq!(inv["amount"], 107000);
    assert_eq!(inv["status"], "unpaid");
    assert_eq!(inv["currency"], "RUB");
    assert_eq!(inv["shopID"], app.shop_id.as_str());
    assert_eq!(inv["externalID"], "order-42");
    assert_eq!(inv["cart"][0]["cost"], 50000);
    assert_eq!(inv["cart"][1]["quantity"], 1);
    assert_eq!(inv["cart"][1]["cost"], 57000);
    assert_eq!(inv["bankAccount"]["bankBik"], "044525225");
    assert_eq!(inv["clientInfo"]["trustLevel"], "wellKnown");
    assert_eq!(inv["dueDate"], "2099-01-01T00:00:00Z");
    assert!(r.body["invoiceAccessToken"]["payload"].as_str().unwrap().len() > 20);

    let id = inv["id"].as_str().unwrap();
    let got = app.get(&format!("/v2/processing/invoices/{id}"), &app.key).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(&got.body, inv);
    let by_ext = app.get("/v2/processing/invoices?externalID=order-42", &app.key).await;
    assert_eq!(by_ext.body["id"], id);
    let none = app.get("/v2/processing/invoices?externalID=nope", &app.key).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert!(none.body["message"].is_string());
}

#[tokio::test]
async fn manual_example_body_is_accepted() {
    let app = spawn_app().await;
    let body = json!({
        "shopID": app.shop_id, "partyID": app.party_id, "externalID": "string",
        "dueDate": "2099-08-24T14:15:22Z", "amount": 1, "currency": "RUB", "product": "string",
        "description": "string",
        "cart": [{"product": "string", "quantity": 1, "price": 1, "taxMode": {"type": "InvoiceLineTaxVAT", "rate": "10%"}}],
        "allocation": [{"target": {"allocationTargetType": "AllocationTargetShop", "shopID": app.shop_id},
                        "allocationBodyType": "AllocationBodyAmount", "amount": 1, "currency": "RUB",
                        "cart": [{"product": "string", "quantity": 1, "price": 1}]}],
        "bankAccount": {"accountType": "InvoiceRussianBankAccount", "account": "12345678901234567890", "bankBik": "123456789"},
        "metadata": {}, "clientInfo": {"trustLevel": "wellKnown"}
    });
    let r = app.post("/v2/processing/invoices", &app.key, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["invoice"]["allocation"][0]["amount"], 1);
}

/// Each rule of createInvoice with its upstream code; nothing is written on a 400.
#[tokio::test]
async fn every_invalid_invoice_gets_its_400_code_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, other_shop, _) = app.other_party().await;
    let frozen = app
        .engine
        .create_shop(
            &app.party_id,
            engine::parties::NewShop {
                name: "Frozen".into(),
                url: "https://f.example".into(),
                bank_name: "B".into(),
                settlement_account: "40702810000000000009".into(),
                bik: "044525225".into(),
                corr_account: "30101810400000000225".into(),
                category_id: 1,
                fee_bps: None,
                hold_seconds: None,
            },
        )
        .await
        .unwrap();
    app.engine
        .set_shop_suspended(&app.party_id, &frozen.shop_id, true)
        .await
        .unwrap();

    let base = app.invoice_body(1000);
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        ("unknown shop", with("shopID", json!("nope")), "invalidShopID"),
        (
            "another party's shop",
            with("shopID", json!(other_shop)),
            "invalidShopID",
        ),
        (
            "frozen shop",
            with("shopID", json!(frozen.shop_id)),
            "invalidShopStatus",
        ),
        (
            "foreign partyID",
            with("partyID", json!("someone-else")),
            "invalidPartyID",
        ),
        (
            "dueDate in the past",
            with("dueDate", json!("2001-01-01T00:00:00Z")),
            "invalidDeadline",
        ),
        (
            "dueDate not a date",
            with("dueDate", json!("next week")),
            "invalidDeadline",
        ),
        ("missing dueDate", without("dueDate"), "invalidRequest"),
        ("missing shopID", without("shopID"), "invalidRequest"),
        ("missing product", without("product"), "invalidRequest"),
        ("missing currency", without("currency"), "invalidRequest"),
        ("missing metadata", without("metadata"), "invalidRequest"),
        ("metadata not an object", with("metadata", json!("x")), "invalidRequest"),
        ("amount is a string", with("amount", json!("1000")), "invalidRequest"),
        ("amount is fractional", with("amount", json!(10.5)), "invalidRequest"),
        (
            "product too long",
            with("product", json!("x".repeat(101))),
            "invalidRequest",
        ),
        (
            "description too long",
            with("description", json!("x".repeat(1001))),
            "invalidRequest",
        ),
        (
            "externalID too long",
            with("externalID", json!("x".repeat(41))),
            "invalidRequest",
        ),
        ("currency lowercase", with("currency", json!("rub")), "invalidRequest"),
        (
            "currency not the shop's",
            with("currency", json!("USD")),
            "invoiceTermsViolated",
        ),
        (
            "bank account 19 digits",
            with(
                "bankAccount",
                json!({"accountType": "InvoiceRussianBankAccount", "account": "1234567890123456789", "bankBik": "123456789"}),
            ),
            "invalidRequest",
        ),
        (
            "bank BIK letters",
            with(
                "bankAccount",
                json!({"accountType": "InvoiceRussianBankAccount", "account": "12345678901234567890", "bankBik": "12345678x"}),
            ),
            "invalidRequest",
        ),
        (
            "trust level unknown value",
            with("clientInfo", json!({"trustLevel": "trusted"})),
            "invalidRequest",
        ),
        ("zero amount", with("amount", json!(0)), "invalidInvoiceCost"),
        ("negative amount", with("amount", json!(-5)), "invalidInvoiceCost"),
        (
            "amount differs from cart",
            with("cart", json!([{"product": "a", "quantity": 1, "price": 999}])),
            "invalidInvoiceCost",
        ),
        ("empty cart", with("cart", json!([])), "invalidInvoiceCart"),
        (
            "cart line price 0",
            with("cart", json!([{"product": "a", "quantity": 1, "price": 0}])),
            "invalidInvoiceCart",
        ),
        (
            "cart line quantity 0",
            with("cart", json!([{"product": "a", "quantity": 0, "price": 1000}])),
            "invalidInvoiceCart",
        ),
        (
            "cart VAT rate unknown",
            with(
                "cart",
                json!([{"product": "a", "quantity": 1, "price": 1000, "taxMode": {"type": "InvoiceLineTaxVAT", "rate": "7%"}}]),
            ),
            "invalidInvoiceCart",
        ),
        (
            "allocation to another party's shop",
            with(
                "allocation",
                json!([{"target": {"allocationTargetType": "AllocationTargetShop", "shopID": other_shop}, "allocationBodyType": "AllocationBodyAmount", "amount": 1000, "currency": "RUB"}]),
            ),
            "invalidAllocation",
        ),
        (
            "allocation sum differs",
            with(
                "allocation",
                json!([{"target": {"allocationTargetType": "AllocationTargetShop", "shopID": app.shop_id}, "allocationBodyType": "AllocationBodyAmount", "amount": 999, "currency": "RUB"}]),
            ),
            "invalidAllocation",
        ),
    ];
    let mut no_amount = without("amount");
    no_amount.as_object_mut().unwrap().remove("cart");
    let mut cases = cases;
    cases.push(("neither amount nor cart", no_amount, "invalidInvoiceCost"));

    for (name, body, code) in cases {
        let r = app.post("/v2/processing/invoices", &app.key, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text);
        assert_eq!(r.body["code"], code, "{name}: {}", r.text);
        assert!(
            r.body["message"].as_str().map(|m| !m.is_empty()).unwrap_or(false),
            "{name}: no message"
        );
    }
    assert_eq!(app.count("select count(*) from invoices").await, 0);
}

#[tokio::test]
async fn malformed_bodies_are_400_invalid_request() {
    let app = spawn_app().await;
    for raw in ["", "{", "[]", "null", "\"x\"", "{\"shopID\": 5}"] {
        let r = app
            .http
            .post(format!("{}/v2/processing/invoices", app.base))
            .bearer_auth(&app.key)
            .header("X-Request-ID", "1")
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{raw}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "invalidRequest", "{raw}");
    }
    let huge = json!({"product": "x".repeat(400_000)});
    let r = app.post("/v2/processing/invoices", &app.key, huge).await;
    assert!(r.status.is_client_error(), "{}", r.status);
}

#[tokio::test]
async fn external_id_reuse_returns_same_invoice_or_409() {
    let app = spawn_app().await;
    let mut body = app.invoice_body(5000);
    body["externalID"] = json!("ext-1");
    let first = app.post("/v2/processing/invoices", &app.key, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app.post("/v2/processing/invoices", &app.key, body.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["invoice"]["id"], first.body["invoice"]["id"]);
    body["amount"] = json!(6000);
    let conflict = app.post("/v2/processing/invoices", &app.key, body).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(conflict.body["externalID"], "ext-1");
    assert_eq!(conflict.body["id"], first.body["invoice"]["id"]);
    assert!(conflict.body["message"].is_string());
    assert_eq!(app.count("select count(*) from invoices").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_with_one_external_id_make_one_invoice() {
    let app = std::sync::Arc::new(spawn_app().await);
    let mut body = app.invoice_body(5000);
    body["externalID"] = json!("race-1");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, body) = (app.clone(), body.clone());
            tokio::spawn(async move { app.post("/v2/processing/invoices", &app.key, body).await })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.insert(r.body["invoice"]["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count("select count(*) from invoices").await, 1);
}

#[tokio::test]
async fn me_and_shops_describe_the_callers_party() {
    let app = spawn_app().await;
    let me = app.get("/v2/processing/me", &app.key).await;
    assert_eq!(
        me.body,
        json!({"id": app.party_id, "isBlocked": false, "isSuspended": false})
    );
    let shops = app.get("/v2/processing/shops", &app.key).await;
    assert_eq!(shops.body.as_array().unwrap().len(), 1);
    let shop = app
        .get(&format!("/v2/processing/shops/{}", app.shop_id), &app.key)
        .await;
    assert_eq!(shop.status, StatusCode::OK);
    assert_eq!(shop.body["location"]["locationType"], "ShopLocationUrl");
    assert_eq!(shop.body["details"]["name"], "Demo shop");
    assert!(shop.body["categoryID"].is_i64());
    assert_eq!(
        app.get("/v2/processing/shops/nope", &app.key).await.status,
        StatusCode::NOT_FOUND
    );
}
