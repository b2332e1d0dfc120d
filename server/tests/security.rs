mod common;

use common::{captured_logs, on_postgres, spawn_app, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn x_request_id_is_required_limited_and_echoed() {
    let app = spawn_app().await;
    let url = format!("{}/v2/processing/me", app.base);
    let missing = app.http.get(&url).bearer_auth(&app.key).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json::<serde_json::Value>().await.unwrap()["code"],
        "invalidRequest"
    );
    let long = app
        .http
        .get(&url)
        .bearer_auth(&app.key)
        .header("X-Request-ID", "x".repeat(33))
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), StatusCode::BAD_REQUEST);
    // Clients send timestamps: the same id twice is two separate calls, both answered.
    for _ in 0..2 {
        let ok = app
            .http
            .get(&url)
            .bearer_auth(&app.key)
            .header("X-Request-ID", "1733234567")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()["x-request-id"], "1733234567");
    }
}

#[tokio::test]
async fn bad_credentials_get_401_without_a_body() {
    let app = spawn_app().await;
    for auth in [
        None,
        Some("Bearer dp_wrong"),
        Some("Bearer garbage.token"),
        Some("Basic abc"),
        Some("Bearer "),
    ] {
        let mut req = app
            .http
            .get(format!("{}/v2/processing/me", app.base))
            .header("X-Request-ID", "r1");
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(r.text().await.unwrap().is_empty(), "{auth:?}");
    }
    // A revoked key stops working.
    app.engine.revoke_api_keys(&app.party_id).await.unwrap();
    assert_eq!(
        app.get("/v2/processing/me", &app.key).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn another_partys_objects_are_not_found() {
    let app = spawn_app().await;
    let (invoice_id, _token, _pay) = app.pay(1000, "4242424242424242").await;
    let (_, other_shop, other_key) = app.other_party().await;
    for path in [
        format!("/v2/processing/invoices/{invoice_id}"),
        format!("/v2/processing/invoices/{invoice_id}/payments"),
        format!("/v2/processing/invoices/{invoice_id}/payments/1"),
        format!("/v2/processing/shops/{}", app.shop_id),
    ] {
        let r = app.get(&path, &other_key).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert!(r.body["message"].is_string());
    }
    assert_eq!(
        app.post(
            &format!("/v2/processing/invoices/{invoice_id}/access-tokens"),
            &other_key,
            json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let shops = app.get("/v2/processing/shops", &other_key).await;
    assert_eq!(shops.body.as_array().unwrap().len(), 1);
    assert_eq!(shops.body[0]["id"], other_shop.as_str());
    // Paying someone else's invoice with your own key and card: not found.
    let res = app.tokenise(&other_key, "4242424242424242").await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &other_key,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Using another party's card token on your own invoice: refused.
    let (mine, _) = app.invoice(1000).await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{mine}/payments"),
            &app.key,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(r.body["code"], "invalidPaymentToolToken");
}

#[tokio::test]
async fn the_invoice_access_token_opens_exactly_its_own_invoice() {
    let app = spawn_app().await;
    let (invoice_id, token) = app.invoice(1000).await;
    let (other_invoice, _) = app.invoice(1000).await;
    assert_eq!(
        app.get(&format!("/v2/processing/invoices/{invoice_id}"), &token)
            .await
            .status,
        StatusCode::OK
    );
    let res = app.tokenise(&token, "4242424242424242").await;
    let pay = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/payments"),
            &token,
            TestApp::payment_body(&res),
        )
        .await;
    assert_eq!(pay.status, StatusCode::CREATED);
    assert_eq!(
        app.get(&format!("/v2/processing/invoices/{invoice_id}/payments/1"), &token)
            .await
            .status,
        StatusCode::OK
    );
    // Nothing else.
    let denied = [
        app.get(&format!("/v2/processing/invoices/{other_invoice}"), &token)
            .await,
        app.get(&format!("/v2/processing/invoices/{other_invoice}/payments"), &token)
            .await,
        app.get("/v2/processing/me", &token).await,
        app.get("/v2/processing/shops", &token).await,
        app.get(&format!("/v2/processing/shops/{}", app.shop_id), &token).await,
        app.get("/v2/processing/invoices?externalID=x", &token).await,
        app.post("/v2/processing/invoices", &token, app.invoice_body(100)).await,
        app.post(
            &format!("/v2/processing/invoices/{invoice_id}/access-tokens"),
            &token,
            json!({}),
        )
        .await,
    ];
    for r in denied {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let other_res = app.tokenise(&token, "4242424242424242").await;
    let r = app
        .post(
            &format!("/v2/processing/invoices/{other_invoice}/payments"),
            &token,
            TestApp::payment_body(&other_res),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A fresh token from the merchant works; every token expires after three days.
    let fresh = app
        .post(
            &format!("/v2/processing/invoices/{invoice_id}/access-tokens"),
            &app.key,
            json!({}),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::CREATED);
    let fresh = fresh.body["payload"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/v2/processing/invoices/{invoice_id}"), &fresh)
            .await
            .status,
        StatusCode::OK
    );
    app.clock
        .advance(chrono::Duration::days(3) + chrono::Duration::seconds(1));
    assert_eq!(
        app.get(&format!("/v2/processing/invoices/{invoice_id}"), &fresh)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A tampered token is refused.
    let tampered = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(
        app.get(&format!("/v2/processing/invoices/{invoice_id}"), &tampered)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_card_data_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, token) = app.invoice(1000).await;
    let card = |number: &str, exp: &str, cvv: &str| json!({"paymentTool": {"paymentToolType": "CardData", "cardNumber": number, "expDate": exp, "cvv": cvv}, "clientInfo": {"fingerprint": "f"}});
    let cases = [
        ("Luhn", card("4242424242424241", "12/30", "123")),
        ("too short", card("42424242424", "12/30", "123")),
        ("too long", card("42424242424242424242", "12/30", "123")),
        ("letters", card("4242abcd42424242", "12/30", "123")),
        ("past expiry", card("4242424242424242", "01/20", "123")),
        ("month 13", card("4242424242424242", "13/30", "123")),
        ("expiry format", card("4242424242424242", "2030-12", "123")),
        ("cvv letters", card("4242424242424242", "12/30", "12a")),
        ("cvv short", card("4242424242424242", "12/30", "1")),
        (
            "no fingerprint",
            json!({"paymentTool": {"paymentToolType": "CardData", "cardNumber": "4242424242424242", "expDate": "12/30"}, "clientInfo": {}}),
        ),
        (
            "no card number",
            json!({"paymentTool": {"paymentToolType": "CardData", "expDate": "12/30"}, "clientInfo": {"fingerprint": "f"}}),
        ),
        (
            "other tool",
            json!({"paymentTool": {"paymentToolType": "CryptoWalletData", "cryptoCurrency": "BTC"}, "clientInfo": {"fingerprint": "f"}}),
        ),
        (
            "number not a string",
            json!({"paymentTool": {"paymentToolType": "CardData", "cardNumber": 4242424242424242u64, "expDate": "12/30"}, "clientInfo": {"fingerprint": "f"}}),
        ),
    ];
    for (name, body) in cases {
        let r = app.post("/v2/processing/payment-resources", &token, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text);
        assert_eq!(r.body["code"], "invalidRequest", "{name}");
        assert!(!r.body["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(app.count("select count(*) from payment_resources").await, 0);
    // MM/YYYY works as well as MM/YY; MIR cards are recognised.
    let r = app
        .post(
            "/v2/processing/payment-resources",
            &token,
            card("2201382000000013", "12/2030", "123"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["paymentToolDetails"]["paymentSystem"], "mir");
    assert_eq!(r.body["paymentToolDetails"]["last4"], "0013");
    assert_eq!(r.body["paymentToolDetails"]["first6"], "220138");
}

/// Card numbers, expiry dates and CVVs appear nowhere in the database in clear.
#[tokio::test]
async fn card_data_is_not_stored_in_clear() {
    let app = spawn_app().await;
    let pans = ["4242424242424242", "4012888888881881", "2201382000000013"];
    for pan in pans {
        let (_, token) = app.invoice(1000).await;
        let r = app
            .post(
                "/v2/processing/payment-resources",
                &token,
                json!({"paymentTool": {"paymentToolType": "CardData", "cardNumber": pan, "expDate": "07/2031", "cvv": "987", "cardHolder": "ALEXEI KARAMAZOV"},
                       "clientInfo": {"fingerprint": "f"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let _ = app.pay(1000, "4242424242424242").await;
    let mut haystack = String::new();
    if let Some(path) = &app.sqlite_path {
        // Flush the WAL into the main file, then read every byte of both.
        sqlx::query("pragma wal_checkpoint(truncate)")
            .execute(&app.engine.db.pool)
            .await
            .unwrap();
        for p in [path.clone(), path.with_extension("db-wal")] {
            if let Ok(bytes) = std::fs::read(&p) {
                haystack.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    if on_postgres() {
        for table in ["payment_resources", "payments", "invoices", "sandbox_bank_txns"] {
            let rows: Vec<(String,)> = sqlx::query_as(&format!("select cast(t.* as text) from {table} t"))
                .fetch_all(&app.engine.db.pool)
                .await
                .unwrap();
            for (row,) in rows {
                haystack.push_str(&row);
            }
        }
    }
    assert!(haystack.len() > 1000, "the scan read the database");
    assert!(
        haystack.contains("424242"),
        "the BIN is kept (it is not secret), so the scan sees card columns"
    );
    for pan in pans {
        assert!(!haystack.contains(pan), "{pan} found in the database");
    }
    for secret in ["07/2031", "ALEXEI KARAMAZOV", "\"987\""] {
        assert!(!haystack.contains(secret), "{secret} found in the database");
    }
}

#[tokio::test]
async fn card_data_is_not_logged() {
    let app = spawn_app().await;
    let (_, token) = app.invoice(1000).await;
    let body = json!({"paymentTool": {"paymentToolType": "CardData", "cardNumber": "5169147129584558", "expDate": "09/2032", "cvv": "741"}, "clientInfo": {"fingerprint": "f"}});
    app.post("/v2/processing/payment-resources", &token, body).await;
    let bad = json!({"paymentTool": {"paymentToolType": "CardData", "cardNumber": "5169147129584559", "expDate": "09/2032"}, "clientInfo": {"fingerprint": "f"}});
    let r = app.post("/v2/processing/payment-resources", &token, bad).await;
    assert!(
        !r.text.contains("5169147129584559"),
        "the error message does not echo the number"
    );
    let logs = captured_logs();
    assert!(logs.contains("handled"), "the request log was captured");
    for secret in ["5169147129584558", "5169147129584559", "09/2032"] {
        assert!(!logs.contains(secret), "{secret} is in the logs");
    }
}

#[tokio::test]
async fn unknown_api_paths_are_404_json_and_pages_render_on_the_server() {
    let app = spawn_app().await;
    let r = app.get("/v2/processing/nothing-here", &app.key).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body["message"].is_string());
    let health = app.http.get(format!("{}/health", app.base)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let start = app.http.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::OK);
    let html = start.text().await.unwrap();
    assert!(html.contains("DucatPay"));
    assert!(html.contains("/pkg/ducatpay.js"), "the page loads the hydration script");
}

#[tokio::test]
async fn admin_demo_prints_the_promised_json() {
    let dir = tempfile::tempdir().unwrap();
    // The CLI opens databases the same way on both engines; SQLite keeps this test self-contained.
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ducatpay"))
            .args(["admin", "demo", "--json", "--database-url", &url, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let a: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let second: serde_json::Value = serde_json::from_slice(&run().stdout).unwrap();
    for k in ["partyID", "shopID", "apiKey"] {
        assert!(a[k].as_str().map(|s| !s.is_empty()).unwrap_or(false), "{k}");
    }
    assert!(a["cabinet"]["email"].is_string() && a["cabinet"]["password"].is_string());
    assert_eq!(a["partyID"], second["partyID"], "the demo organisation is made once");
    assert_ne!(a["apiKey"], second["apiKey"], "each call issues a fresh key");
    assert!(
        std::fs::read_to_string(dir.path().join("master.key"))
            .unwrap()
            .trim()
            .len()
            == 64
    );
}

#[tokio::test]
async fn nul_characters_and_bad_queries_are_400_not_500() {
    let app = spawn_app().await;
    let mut body = app.invoice_body(100);
    body["product"] = json!("a\u{0}b");
    let r = app.post("/v2/processing/invoices", &app.key, body).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidRequest")),
        "{}",
        r.text
    );
    for path in [
        "/v2/processing/invoices?externalID=a%00b",
        "/v2/processing/invoices/a%00b",
        "/v2/processing/shops/a%00b",
    ] {
        let r = app.get(path, &app.key).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text);
        assert_eq!(r.body["code"], "invalidRequest");
    }
    let (invoice_id, _) = app.invoice(100).await;
    let r = app
        .get(
            &format!("/v2/processing/invoices/{invoice_id}/events?limit=1&limit=2"),
            &app.key,
        )
        .await;
    assert_eq!(r.body["code"], "invalidRequest", "{}", r.text);
    assert_eq!(app.count("select count(*) from invoices").await, 1);
    // The 3-D Secure return without PaRes is refused and changes nothing.
    let page = app
        .http
        .get(format!("{}/interaction/3ds?MD=x", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn admin_set_contract_validates_and_the_demo_has_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ducatpay"))
            .args(args)
            .args(["--database-url", &url, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let demo: serde_json::Value = serde_json::from_slice(&cli(&["admin", "demo", "--json"]).stdout).unwrap();
    let party = demo["partyID"].as_str().unwrap();
    let db = engine::db::Db::connect(&url).await.unwrap();
    let count = |db: engine::db::Db| async move {
        let (n,): (i64,) = sqlx::query_as("select count(*) from cabinet_contracts")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        n
    };
    assert_eq!(
        count(db.clone()).await,
        1,
        "the demo organisation comes with contract data"
    );
    let contract = |inn: &str| {
        cli(&[
            "admin",
            "set-contract",
            "--json",
            "--party-id",
            party,
            "--legal-name",
            "ООО «Ромашка»",
            "--inn",
            inn,
            "--ogrn",
            "1027700000000",
            "--address",
            "Москва",
            "--representative-position",
            "Директор",
            "--representative-name",
            "Петров П. П.",
            "--representative-document",
            "Устав",
        ])
    };
    let bad = contract("12345");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("INN"));
    let good = contract("7701234567");
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    let out: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(out["contract"]["legal_name"], "ООО «Ромашка»");
    let (name,): (String,) = sqlx::query_as("select legal_name from cabinet_contracts where party_id = $1")
        .bind(party)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(name, "ООО «Ромашка»");
}

#[tokio::test]
async fn search_api_query_errors_are_json_400s() {
    let app = spawn_app().await;
    let path = format!(
        "/v2/analytics/shops/{}/payments?fromTime=2020-01-01T00:00:00Z&toTime=2099-01-01T00:00:00Z&limit=1&limit=2",
        app.shop_id
    );
    let r = app.get(&path, &app.key).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["code"], "invalidRequest", "{}", r.text);
}
