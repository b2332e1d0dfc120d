//! `ducatpay-bench-cabinet`: fills a database with one shop holding N payments (default
//! 1 000 000, with their invoices and 1 000 cards) and times the cabinet's operations-list
//! queries — the same engine searches the cabinet pages and the search API run. Prints a
//! Markdown table for docs/BENCHMARKS.md.
//!
//! ```sh
//! cargo run --release -p ducatpay --bin ducatpay-bench-cabinet -- sqlite:///tmp/bench.db 1000000
//! cargo run --release -p ducatpay --bin ducatpay-bench-cabinet -- postgres://postgres@127.0.0.1/bench 1000000
//! ```
//! The bulk fill is plain SQL (`generate_series` / a recursive CTE), not the engine: it only
//! makes rows of the shapes the engine writes.

use engine::auth::Principal;
use engine::clock::Clock;
use engine::crypto::Keys;
use engine::db::{Backend, Db};
use engine::parties::NewShop;
use engine::search::{payment_continuation, OperationQuery};
use engine::Engine;
use std::time::Instant;

const DAY: i64 = 86_400_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "sqlite:///tmp/ducatpay-bench-cabinet.db".into());
    let n: i64 = args.next().map(|v| v.parse()).transpose()?.unwrap_or(1_000_000);
    let db = Db::connect(&url).await?;
    let engine = Engine::with_sandbox(
        db.clone(),
        Keys::from_hex(&Keys::generate_master_hex())?,
        Clock::system(),
        engine::EngineConfig::default(),
        engine::bank::sandbox::SandboxConfig::default(),
    );
    let email = format!("bench-{}@bench.example", engine::ids::random_base62(6).to_lowercase());
    let party = engine.create_party("Bench LLC", &email, "bench-password").await?;
    let shop = engine
        .create_shop(
            &party.party_id,
            NewShop {
                name: "Bench shop".into(),
                url: "https://bench.example".into(),
                bank_name: "Bank".into(),
                settlement_account: "40702810000000000001".into(),
                bik: "044525225".into(),
                corr_account: "30101810400000000225".into(),
                category_id: 1,
                fee_bps: None,
                hold_seconds: None,
            },
        )
        .await?;
    let now = engine.clock.now_micros();
    // Spread over the last 80 days, newest last.
    let step = (80 * DAY) / n.max(1);
    let started = Instant::now();
    fill(&db, &party.party_id, &shop.shop_id, n, now - 80 * DAY, step).await?;
    let fill_secs = started.elapsed().as_secs_f64();
    sqlx::query("analyze").execute(&db.pool).await?;

    let who = Principal::Merchant {
        party_id: party.party_id.clone(),
    };
    let base = OperationQuery {
        from: now - 90 * DAY,
        to: now + 1,
        ..OperationQuery::default()
    };
    // A cursor in the middle of the list (the row at position n/2, newest first).
    let mid = n / 2;
    let mid_created = now - 80 * DAY + (n - mid) * step;
    let deep = payment_continuation(mid_created, &format!("bi{:09}", n - mid), "1");

    println!("backend: {:?}, payments: {n}, fill: {fill_secs:.1} s", db.backend);
    println!();
    println!("| query (page of 20, newest first) | first run | median of 5 |");
    println!("|---|---|---|");
    let cases: Vec<(&str, OperationQuery, Option<String>, &str)> = vec![
        ("all shops, last 90 days, first page", base.clone(), None, "payments"),
        (
            "one shop (search API shape), first page",
            OperationQuery {
                shop_id: Some(shop.shop_id.clone()),
                ..base.clone()
            },
            None,
            "payments",
        ),
        (
            "deep page (cursor at row 500 000)",
            base.clone(),
            Some(deep),
            "payments",
        ),
        (
            "status = failed (7 %)",
            OperationQuery {
                payment_status: Some("failed".into()),
                ..base.clone()
            },
            None,
            "payments",
        ),
        (
            "card last 4 = 0042 (0.1 %)",
            OperationQuery {
                last4: Some("0042".into()),
                ..base.clone()
            },
            None,
            "payments",
        ),
        (
            "order number (invoice externalID)",
            OperationQuery {
                order_id: Some(format!("order-{}", n / 3)),
                ..base.clone()
            },
            None,
            "payments",
        ),
        (
            "invoice id",
            OperationQuery {
                invoice_id: Some(format!("bi{:09}", n / 4)),
                ..base.clone()
            },
            None,
            "payments",
        ),
        (
            "payer e-mail (1 in 5 000, indexed column)",
            OperationQuery {
                payer_email: Some("buyer42@example.com".into()),
                ..base.clone()
            },
            None,
            "payments",
        ),
        (
            "payer e-mail with no match",
            OperationQuery {
                payer_email: Some("nobody@example.com".into()),
                ..base.clone()
            },
            None,
            "payments",
        ),
        (
            "last 7 days only",
            OperationQuery {
                from: now - 7 * DAY,
                ..base.clone()
            },
            None,
            "payments",
        ),
        ("invoices tab, first page", base.clone(), None, "invoices"),
        (
            "invoices tab, status = unpaid",
            OperationQuery {
                invoice_status: Some("unpaid".into()),
                ..base.clone()
            },
            None,
            "invoices",
        ),
        ("refunds tab, first page", base.clone(), None, "refunds"),
    ];
    for (name, q, cursor, tab) in cases {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..6 {
            let t = Instant::now();
            rows = match tab {
                "payments" => engine
                    .search_payments(&who, &q, 20, cursor.as_deref())
                    .await?
                    .items
                    .len(),
                "invoices" => engine
                    .search_invoices(&who, &q, 20, cursor.as_deref())
                    .await?
                    .items
                    .len(),
                _ => engine
                    .search_refunds(&who, &q, 20, cursor.as_deref())
                    .await?
                    .items
                    .len(),
            };
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let first = times[0];
        let mut rest = times[1..].to_vec();
        rest.sort_by(|a, b| a.total_cmp(b));
        println!(
            "| {name} ({rows} rows) | {first:.1} ms | {:.1} ms |",
            rest[rest.len() / 2]
        );
    }
    Ok(())
}

/// N invoices (ids `bi000000001`…), each with one payment; 1 000 cards; 1 % of payments
/// refunded in part. Statuses: 90 % captured, 7 % failed, 3 % processed (held).
async fn fill(db: &Db, party: &str, shop: &str, n: i64, t0: i64, step: i64) -> anyhow::Result<()> {
    let (series, lpad9, lpad4, text) = match db.backend {
        Backend::Postgres => (
            format!("select generate_series(1::bigint, {n}::bigint) as i"),
            "lpad(i::text, 9, '0')",
            "lpad((i % 1000)::text, 4, '0')",
            "::text",
        ),
        Backend::Sqlite => (
            format!("with recursive s(i) as (select 1 union all select i + 1 from s where i < {n}) select i from s"),
            "printf('%09d', i)",
            "printf('%04d', i % 1000)",
            "",
        ),
    };
    let cards = 1000.min(n);
    let card_series = match db.backend {
        Backend::Postgres => format!("select generate_series(0::bigint, {}::bigint) as i", cards - 1),
        Backend::Sqlite => format!(
            "with recursive s(i) as (select 0 union all select i + 1 from s where i < {}) select i from s",
            cards - 1
        ),
    };
    sqlx::query(&format!(
        "insert into payment_resources (resource_id, party_id, payment_session, card_sealed, bin, last_digits, \
         payment_system, client_info_json, created_at, valid_until) \
         select 'br' || i{text}, '{party}', 'bs' || i{text} || '{party}', 'x', '424242', {lpad4}, 'visa', '{{}}', {t0}, {t0} \
         from ({card_series}) c"
    ))
    .execute(&db.pool)
    .await?;
    sqlx::query(&format!(
        "insert into invoices (invoice_id, party_id, shop_id, external_id, params_digest, created_at, due_date, amount, \
         currency, product, metadata_json, status, active_payment_id, payment_seq, updated_at) \
         select 'bi' || {lpad9}, '{party}', '{shop}', 'order-' || i{text}, 'd', {t0} + i * {step}, {t0} + i * {step} + {DAY}, \
         1000 + i % 90000, 'RUB', 'Bench item', '{{}}', \
         case when i % 100 < 90 then 'paid' when i % 100 < 97 then 'unpaid' else 'unpaid' end, null, 1, {t0} + i * {step} \
         from ({series}) s"
    ))
    .execute(&db.pool)
    .await?;
    let payer = format!(
        "'{{\"contactInfo\":{{\"email\":\"buyer' || (i % 5000){text} || '@example.com\"}},\"payerType\":\"PaymentResourcePayer\",\
         \"paymentToolDetails\":{{\"cardNumberMask\":\"424242******' || {lpad4} || '\",\"first6\":\"424242\",\"last4\":\"' || {lpad4} || '\"}}}}'"
    );
    sqlx::query(&format!(
        "insert into payments (invoice_id, payment_id, party_id, shop_id, params_digest, created_at, amount, currency, \
         flow_type, payer_type, resource_id, payer_json, payer_email, status, error_json, fee, captured_amount, refunded_amount, \
         updated_at) select 'bi' || {lpad9}, '1', '{party}', '{shop}', 'd', {t0} + i * {step}, 1000 + i % 90000, 'RUB', \
         case when i % 100 >= 97 then 'PaymentFlowHold' else 'PaymentFlowInstant' end, 'PaymentResourcePayer', \
         'br' || (i % 1000){text}, {payer}, 'buyer' || (i % 5000){text} || '@example.com', \
         case when i % 100 < 90 then 'captured' when i % 100 < 97 then 'failed' else 'processed' end, \
         case when i % 100 >= 90 and i % 100 < 97 then '{{\"code\":\"authorization_failed\",\"subError\":{{\"code\":\"insufficient_funds\"}}}}' else null end, \
         case when i % 100 < 90 then (1000 + i % 90000) / 1000 else 0 end, \
         case when i % 100 < 90 then 1000 + i % 90000 else 0 end, \
         case when i % 100 = 0 then 500 else 0 end, {t0} + i * {step} \
         from ({series}) s"
    ))
    .execute(&db.pool)
    .await?;
    sqlx::query(&format!(
        "insert into refunds (invoice_id, payment_id, refund_id, party_id, shop_id, params_digest, created_at, amount, \
         currency, reason, status, updated_at) \
         select 'bi' || {lpad9}, '1', '1', '{party}', '{shop}', 'd', {t0} + i * {step} + 1000000, 500, 'RUB', 'bench', \
         'succeeded', {t0} + i * {step} + 1000000 from ({series}) s where i % 100 = 0"
    ))
    .execute(&db.pool)
    .await?;
    Ok(())
}
