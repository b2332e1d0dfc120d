//! Starts the whole service on a free port with a fresh database per test, on SQLite, or on
//! PostgreSQL when `DUCATPAY_TEST_DATABASE_URL` names a server (a database per test is made there).
#![allow(dead_code)] // each test file uses a different part of this kit

use ducatpay::config::ServeArgs;
use ducatpay::startup::Application;
use engine::clock::Clock;
use engine::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, OnceLock};

/// Everything the service logged during this test binary's run (to prove what is not in it).
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| Arc::new(Mutex::new(Vec::new())))
}

#[derive(Clone)]
struct BufWriter;
impl std::io::Write for BufWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,sqlx=info,hyper=info,h2=info,reqwest=info",
            ))
            .with_writer(|| BufWriter)
            .with_ansi(false)
            .try_init();
    });
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub engine: Engine,
    pub clock: Clock,
    pub key: String,
    pub party_id: String,
    pub shop_id: String,
    /// A SQLite database file, when the test runs on SQLite.
    pub sqlite_path: Option<std::path::PathBuf>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub fn on_postgres() -> bool {
    std::env::var("DUCATPAY_TEST_DATABASE_URL")
        .map(|u| u.starts_with("postgres"))
        .unwrap_or(false)
}

async fn fresh_database(dir: &std::path::Path) -> (String, Option<std::path::PathBuf>) {
    match std::env::var("DUCATPAY_TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            use sqlx::Connection;
            let name = format!("dp_test_{}", engine::ids::random_base62(12).to_lowercase());
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .expect("connect to the test PostgreSQL");
            sqlx::query(&format!("create database {name}"))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let base = server
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(server.clone());
            (format!("{base}/{name}"), None)
        }
        _ => {
            let path = dir.join("test.db");
            (format!("sqlite://{}", path.display()), Some(path))
        }
    }
}

pub async fn spawn_app() -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, sqlite_path) = fresh_database(dir.path()).await;
    let clock = Clock::system();
    let app = Application::build_with_clock(ServeArgs::for_tests(&url, dir.path().to_path_buf()), clock.clone())
        .await
        .expect("service starts");
    let base = format!("http://{}", app.addr);
    let engine = app.engine.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let demo = engine.ensure_demo().await.expect("demo data");
    TestApp {
        base,
        http: reqwest::Client::new(),
        clock,
        key: demo["apiKey"].as_str().unwrap().to_string(),
        party_id: demo["partyID"].as_str().unwrap().to_string(),
        shop_id: demo["shopID"].as_str().unwrap().to_string(),
        engine,
        sqlite_path,
        _dir: dir,
        _stop: stop,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    pub async fn call(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<&Value>) -> Resp {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{}", self.base, path))
            .header("X-Request-ID", format!("t{}", engine::ids::random_base62(8)));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            text,
            headers,
        }
    }

    pub async fn post(&self, path: &str, bearer: &str, body: Value) -> Resp {
        self.call("POST", path, Some(bearer), Some(&body)).await
    }

    pub async fn get(&self, path: &str, bearer: &str) -> Resp {
        self.call("GET", path, Some(bearer), None).await
    }

    /// A valid createInvoice body for the demo shop.
    pub fn invoice_body(&self, amount: i64) -> Value {
        json!({
            "shopID": self.shop_id,
            "dueDate": "2099-01-01T00:00:00Z",
            "amount": amount,
            "currency": "RUB",
            "product": "Order 1",
            "metadata": {"order": 1},
        })
    }

    /// Creates an invoice; returns (invoiceID, invoiceAccessToken).
    pub async fn invoice(&self, amount: i64) -> (String, String) {
        let r = self
            .post("/v2/processing/invoices", &self.key, self.invoice_body(amount))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (
            r.body["invoice"]["id"].as_str().unwrap().into(),
            r.body["invoiceAccessToken"]["payload"].as_str().unwrap().into(),
        )
    }

    /// Tokenises a card; returns the PaymentResourceResult.
    pub async fn tokenise(&self, bearer: &str, card: &str) -> Value {
        let r = self
            .post(
                "/v2/processing/payment-resources",
                bearer,
                json!({"paymentTool": {"paymentToolType": "CardData", "cardNumber": card, "expDate": "12/30", "cvv": "123", "cardHolder": "IVAN PETROV"},
                       "clientInfo": {"fingerprint": "fp-test"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    pub fn payment_body(resource: &Value) -> Value {
        json!({
            "flow": {"type": "PaymentFlowInstant"},
            "payer": {
                "payerType": "PaymentResourcePayer",
                "paymentToolToken": resource["paymentToolToken"],
                "paymentSession": resource["paymentSession"],
                "contactInfo": {"email": "buyer@example.com"},
            },
        })
    }

    /// Invoice + card + payment; returns (invoiceID, token, payment JSON).
    pub async fn pay(&self, amount: i64, card: &str) -> (String, String, Value) {
        let (invoice_id, token) = self.invoice(amount).await;
        let res = self.tokenise(&token, card).await;
        let r = self
            .post(
                &format!("/v2/processing/invoices/{invoice_id}/payments"),
                &token,
                Self::payment_body(&res),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (invoice_id, token, r.body)
    }

    /// Plays the buyer on the sandbox issuer page (`confirm` or `cancel`); returns the final page.
    pub async fn answer_3ds(&self, payment: &Value, decision: &str) -> String {
        let req = &payment["userInteraction"]["request"];
        let mut form: Vec<(String, String)> = req["form"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["key"].as_str().unwrap().to_string(),
                    f["template"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let acs = req["uriTemplate"].as_str().unwrap();
        let page = self.http.post(acs).form(&form).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        form.push(("decision".into(), decision.into()));
        let done = self
            .http
            .post(format!("{acs}/answer"))
            .form(&form)
            .send()
            .await
            .unwrap();
        done.text().await.unwrap()
    }

    /// A second, unrelated organisation with its own shop and key.
    pub async fn other_party(&self) -> (String, String, String) {
        let email = format!("{}@other.example", engine::ids::random_base62(8).to_lowercase());
        let party = self
            .engine
            .create_party("Other LLC", &email, "password-123")
            .await
            .unwrap();
        let shop = self
            .engine
            .create_shop(
                &party.party_id,
                engine::parties::NewShop {
                    name: "Other shop".into(),
                    url: "https://other.example".into(),
                    bank_name: "Bank".into(),
                    settlement_account: "40702810000000000002".into(),
                    bik: "044525225".into(),
                    corr_account: "30101810400000000225".into(),
                    category_id: 1,
                    fee_bps: None,
                    hold_seconds: None,
                },
            )
            .await
            .unwrap();
        let key = self.engine.issue_api_key(&party.party_id).await.unwrap();
        (party.party_id, shop.shop_id, key)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.engine.db.pool).await.unwrap();
        n
    }
}

impl TestApp {
    /// Invoice + card + payment with any flow/payer tweaks; returns (invoiceID, token, payment).
    pub async fn pay_with(&self, amount: i64, card: &str, tweak: Value) -> (String, String, Value) {
        let (invoice_id, token) = self.invoice(amount).await;
        let res = self.tokenise(&token, card).await;
        let mut body = Self::payment_body(&res);
        for (k, v) in tweak.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self
            .post(
                &format!("/v2/processing/invoices/{invoice_id}/payments"),
                &self.key,
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (invoice_id, token, r.body)
    }

    /// A held (two-stage) payment with the given expiry policy.
    pub async fn hold(&self, amount: i64, policy: &str) -> (String, Value) {
        let (invoice_id, _, pay) = self
            .pay_with(
                amount,
                "4242424242424242",
                json!({"flow": {"type": "PaymentFlowHold", "onHoldExpiration": policy}}),
            )
            .await;
        assert_eq!(pay["status"], "processed", "{pay}");
        (invoice_id, pay)
    }

    pub async fn payment_status(&self, invoice_id: &str, payment_id: &str) -> Value {
        self.get(
            &format!("/v2/processing/invoices/{invoice_id}/payments/{payment_id}"),
            &self.key,
        )
        .await
        .body
    }

    pub async fn invoice_status(&self, invoice_id: &str) -> String {
        self.get(&format!("/v2/processing/invoices/{invoice_id}"), &self.key)
            .await
            .body["status"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The ledger and payments agree (what `ducatpay admin verify` checks).
    pub async fn assert_verified(&self) {
        let problems = self.engine.verify().await.unwrap();
        assert!(problems.is_empty(), "verify found: {problems:#?}");
    }
}
