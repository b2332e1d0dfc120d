//! `ducatpay-bench`: a load generator for a running DucatPay server.
//!
//! Runs `--flows` full payment flows (create invoice → tokenise a card → pay, wait for
//! `captured`) from `--concurrency` workers over one pooled HTTP client, then prints the
//! throughput and the latency of each call. `scripts/bench.sh` starts a server and runs it.

use anyhow::{bail, Context};
use clap::Parser;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a payment may stay `pending`/`processed` before the flow counts as failed.
const CAPTURE_WAIT: Duration = Duration::from_secs(5);
const POLL_EVERY: Duration = Duration::from_millis(20);
/// Error bodies kept for the report; the rest are only counted.
const KEEP_ERRORS: usize = 5;

#[derive(Parser, Debug)]
#[command(
    name = "ducatpay-bench",
    version,
    about = "Load generator: concurrent full payment flows against a running DucatPay server"
)]
struct Args {
    /// The server's base URL.
    #[arg(long, env = "DUCATPAY_BASE_URL", default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// Merchant API key (dp_…). `--demo-json` keeps it off the command line.
    #[arg(long, required_unless_present = "demo_json")]
    api_key: Option<String>,
    /// Shop to create the invoices in.
    #[arg(long, required_unless_present = "demo_json")]
    shop_id: Option<String>,
    /// Take apiKey and shopID from the output of `ducatpay admin demo --json` (a file, or - for
    /// standard input).
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["api_key", "shop_id"])]
    demo_json: Option<String>,
    /// Flows in flight at once (worker tasks).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    concurrency: u64,
    /// Measured flows in total.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    flows: u64,
    /// Flows run first and left out of the figures (fills the connection pools and the
    /// database's caches).
    #[arg(long, default_value_t = 0)]
    warmup: u64,
    /// Card number to pay with (the sandbox bank approves 4242 4242 4242 4242 without 3-D Secure).
    #[arg(long, default_value = "4242424242424242")]
    card: String,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    json: bool,
}

struct Target {
    client: Client,
    base: String,
    api_key: String,
    shop_id: String,
    card: String,
    request_ids: AtomicU64,
}

/// The three timed calls, in flow order.
const CALLS: [&str; 3] = ["createInvoice", "createPaymentResource", "createPayment"];

/// One failed flow: where it stopped and what the server said.
struct FlowError {
    stage: &'static str,
    status: Option<StatusCode>,
    detail: String,
}

impl FlowError {
    /// A short key for grouping: `createPayment 500`, `createPayment status=failed`, …
    fn kind(&self) -> String {
        match self.status {
            Some(s) => format!("{} {}", self.stage, s.as_u16()),
            None => format!("{} {}", self.stage, self.detail_kind()),
        }
    }

    fn detail_kind(&self) -> &str {
        self.detail.split(':').next().unwrap_or("error")
    }
}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "{} {s}: {}", self.stage, self.detail),
            None => write!(f, "{}: {}", self.stage, self.detail),
        }
    }
}

#[derive(Default)]
struct FlowTimes {
    calls: [Duration; 3],
    polls: u32,
}

#[derive(Default)]
struct Stats {
    calls: [Vec<Duration>; 3],
    flows: Vec<Duration>,
    polled_flows: u64,
    polls: u64,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
    first_errors: Vec<String>,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        for (a, b) in self.calls.iter_mut().zip(other.calls) {
            a.extend(b);
        }
        self.flows.extend(other.flows);
        self.polled_flows += other.polled_flows;
        self.polls += other.polls;
        self.errors += other.errors;
        for (k, n) in other.error_kinds {
            *self.error_kinds.entry(k).or_default() += n;
        }
        for e in other.first_errors {
            if self.first_errors.len() < KEEP_ERRORS {
                self.first_errors.push(e);
            }
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        // Some flows failed: the report is printed, the exit status says so.
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("ducatpay-bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let (api_key, shop_id) = credentials(&args)?;
    let client = Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let target = Arc::new(Target {
        client,
        base: args.base_url.trim_end_matches('/').to_string(),
        api_key,
        shop_id,
        card: args.card.clone(),
        request_ids: AtomicU64::new(0),
    });

    if args.warmup > 0 {
        let (warm, _) = run_flows(&target, args.warmup, args.concurrency).await;
        if warm.flows.is_empty() {
            bail!(
                "every warm-up flow failed; first error: {}",
                warm.first_errors.first().map_or("?", String::as_str)
            );
        }
    }
    let (stats, wall) = run_flows(&target, args.flows, args.concurrency).await;
    let summary = summary(&args, &stats, wall);
    if args.json {
        println!("{summary}");
    } else {
        print_report(&summary);
    }
    Ok(stats.errors == 0)
}

fn credentials(args: &Args) -> anyhow::Result<(String, String)> {
    if let Some(src) = &args.demo_json {
        let text = if src == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the demo JSON from standard input")?;
            s
        } else {
            std::fs::read_to_string(src).with_context(|| format!("reading {src}"))?
        };
        let v: Value = serde_json::from_str(text.trim())
            .with_context(|| format!("{src} is not the JSON of `ducatpay admin demo --json`"))?;
        let field = |k: &str| {
            v[k].as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .with_context(|| format!("{src} has no string field {k:?}"))
        };
        return Ok((field("apiKey")?, field("shopID")?));
    }
    match (&args.api_key, &args.shop_id) {
        (Some(k), Some(s)) => Ok((k.clone(), s.clone())),
        _ => bail!("give --api-key and --shop-id, or --demo-json"),
    }
}

/// Runs `flows` flows on `concurrency` workers; returns the merged figures and the wall time.
async fn run_flows(target: &Arc<Target>, flows: u64, concurrency: u64) -> (Stats, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.min(flows))
        .map(|_| {
            let target = Arc::clone(target);
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let mut stats = Stats::default();
                while (next.fetch_add(1, Ordering::Relaxed) as u64) < flows {
                    let t0 = Instant::now();
                    let mut times = FlowTimes::default();
                    match flow(&target, &mut times).await {
                        Ok(()) => {
                            for (v, d) in stats.calls.iter_mut().zip(times.calls) {
                                v.push(d);
                            }
                            stats.flows.push(t0.elapsed());
                            if times.polls > 0 {
                                stats.polled_flows += 1;
                                stats.polls += u64::from(times.polls);
                            }
                        }
                        Err(e) => {
                            stats.errors += 1;
                            *stats.error_kinds.entry(e.kind()).or_default() += 1;
                            if stats.first_errors.len() < KEEP_ERRORS {
                                stats.first_errors.push(e.to_string());
                            }
                        }
                    }
                }
                stats
            })
        })
        .collect();
    let mut all = Stats::default();
    for joined in futures::future::join_all(workers).await {
        match joined {
            Ok(s) => all.merge(s),
            Err(e) => {
                all.errors += 1;
                *all.error_kinds.entry("worker panicked".into()).or_default() += 1;
                if all.first_errors.len() < KEEP_ERRORS {
                    all.first_errors.push(format!("worker: {e}"));
                }
            }
        }
    }
    (all, started.elapsed())
}

/// One flow: invoice, payment resource, payment; `Ok` only when the payment is `captured`.
async fn flow(t: &Target, times: &mut FlowTimes) -> Result<(), FlowError> {
    let due = chrono::Utc::now() + chrono::Duration::days(1);
    let body = json!({
        "shopID": t.shop_id,
        "dueDate": due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "amount": 10000,
        "currency": "RUB",
        "product": "bench",
        "metadata": {},
    });
    let (v, d) = call(
        t,
        CALLS[0],
        Method::POST,
        "/v2/processing/invoices",
        &t.api_key,
        Some(body),
        StatusCode::CREATED,
    )
    .await?;
    times.calls[0] = d;
    let invoice_id = field(&v, &["invoice", "id"], CALLS[0])?;
    let token = field(&v, &["invoiceAccessToken", "payload"], CALLS[0])?;

    let body = json!({
        "paymentTool": {
            "paymentToolType": "CardData",
            "cardNumber": t.card,
            "expDate": "12/30",
            "cvv": "123",
        },
        "clientInfo": {"fingerprint": "bench"},
    });
    let (v, d) = call(
        t,
        CALLS[1],
        Method::POST,
        "/v2/processing/payment-resources",
        &token,
        Some(body),
        StatusCode::CREATED,
    )
    .await?;
    times.calls[1] = d;
    let tool_token = field(&v, &["paymentToolToken"], CALLS[1])?;
    let session = field(&v, &["paymentSession"], CALLS[1])?;

    let body = json!({
        "flow": {"type": "PaymentFlowInstant"},
        "payer": {
            "payerType": "PaymentResourcePayer",
            "paymentToolToken": tool_token,
            "paymentSession": session,
            "contactInfo": {"email": "bench@example.com"},
        },
    });
    let path = format!("/v2/processing/invoices/{invoice_id}/payments");
    let (mut v, d) = call(
        t,
        CALLS[2],
        Method::POST,
        &path,
        &token,
        Some(body),
        StatusCode::CREATED,
    )
    .await?;
    times.calls[2] = d;
    let payment_id = field(&v, &["id"], CALLS[2])?;

    let deadline = Instant::now() + CAPTURE_WAIT;
    loop {
        match v["status"].as_str() {
            Some("captured") => return Ok(()),
            Some("pending" | "processed") if Instant::now() < deadline => {}
            Some("pending" | "processed") => {
                return Err(FlowError {
                    stage: "getPayment",
                    status: None,
                    detail: format!("timeout: not captured within {CAPTURE_WAIT:?}: {}", short(&v)),
                })
            }
            other => {
                return Err(FlowError {
                    stage: if times.polls == 0 { CALLS[2] } else { "getPayment" },
                    status: None,
                    detail: format!("status={}: {}", other.unwrap_or("none"), short(&v)),
                })
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
        times.polls += 1;
        let path = format!("/v2/processing/invoices/{invoice_id}/payments/{payment_id}");
        v = call(t, "getPayment", Method::GET, &path, &token, None, StatusCode::OK)
            .await?
            .0;
    }
}

/// One API call; any status other than `expect` is an error carrying the body.
async fn call(
    t: &Target,
    stage: &'static str,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
    expect: StatusCode,
) -> Result<(Value, Duration), FlowError> {
    let fail = |status, detail: String| FlowError { stage, status, detail };
    let n = t.request_ids.fetch_add(1, Ordering::Relaxed);
    let mut req = t
        .client
        .request(method, format!("{}{path}", t.base))
        .bearer_auth(bearer)
        .header("X-Request-ID", format!("bench-{n}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let started = Instant::now();
    let resp = req.send().await.map_err(|e| fail(None, format!("transport: {e}")))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| fail(Some(status), format!("reading the body: {e}")))?;
    let took = started.elapsed();
    if status != expect {
        return Err(fail(Some(status), truncate(&text)));
    }
    let v = serde_json::from_str(&text).map_err(|e| {
        let detail = format!("not JSON ({e}): {}", truncate(&text));
        fail(Some(status), detail)
    })?;
    Ok((v, took))
}

fn field(v: &Value, path: &[&str], stage: &'static str) -> Result<String, FlowError> {
    let mut x = v;
    for k in path {
        x = &x[*k];
    }
    x.as_str().map(str::to_string).ok_or_else(|| FlowError {
        stage,
        status: None,
        detail: format!("missing: no string at {}: {}", path.join("."), short(v)),
    })
}

fn truncate(s: &str) -> String {
    const MAX: usize = 300;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn short(v: &Value) -> String {
    truncate(&v.to_string())
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// Nearest-rank percentiles of a sample, in milliseconds.
fn latency(mut v: Vec<Duration>) -> Value {
    v.sort_unstable();
    let pick = |p: f64| {
        if v.is_empty() {
            return Value::Null;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        json!(ms(v[rank.clamp(1, v.len()) - 1]))
    };
    json!({
        "count": v.len(),
        "p50": pick(50.0),
        "p90": pick(90.0),
        "p99": pick(99.0),
        "max": v.last().map_or(Value::Null, |d| json!(ms(*d))),
    })
}

fn summary(args: &Args, stats: &Stats, wall: Duration) -> Value {
    let ok = stats.flows.len() as u64;
    let mut lat = serde_json::Map::new();
    for (name, v) in CALLS.iter().zip(&stats.calls) {
        lat.insert((*name).into(), latency(v.clone()));
    }
    lat.insert("flow".into(), latency(stats.flows.clone()));
    json!({
        "baseURL": args.base_url,
        "concurrency": args.concurrency,
        "warmupFlows": args.warmup,
        "flows": args.flows,
        "ok": ok,
        "errors": stats.errors,
        "wallSeconds": (wall.as_secs_f64() * 1000.0).round() / 1000.0,
        "flowsPerSecond": ((ok as f64 / wall.as_secs_f64()) * 10.0).round() / 10.0,
        "polledFlows": stats.polled_flows,
        "polls": stats.polls,
        "latencyMs": lat,
        "errorKinds": stats.error_kinds,
        "firstErrors": stats.first_errors,
    })
}

fn print_report(s: &Value) {
    println!(
        "{} flows ({} ok, {} errors) in {:.2} s at concurrency {} against {}",
        s["flows"],
        s["ok"],
        s["errors"],
        s["wallSeconds"].as_f64().unwrap_or(0.0),
        s["concurrency"],
        s["baseURL"].as_str().unwrap_or_default()
    );
    println!("throughput: {} ok flows/s", s["flowsPerSecond"]);
    if s["polledFlows"].as_u64().unwrap_or(0) > 0 {
        println!(
            "{} flows were not captured at once and needed {} status polls",
            s["polledFlows"], s["polls"]
        );
    }
    println!();
    println!(
        "{:<22} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "latency (ms)", "count", "p50", "p90", "p99", "max"
    );
    let names = CALLS.iter().copied().chain(std::iter::once("flow"));
    for name in names {
        let l = &s["latencyMs"][name];
        let f = |k: &str| l[k].as_f64().map_or("-".to_string(), |x| format!("{x:.2}"));
        println!(
            "{:<22} {:>6} {:>9} {:>9} {:>9} {:>9}",
            name,
            l["count"].as_u64().unwrap_or(0),
            f("p50"),
            f("p90"),
            f("p99"),
            f("max")
        );
    }
    if let Some(kinds) = s["errorKinds"].as_object().filter(|k| !k.is_empty()) {
        println!();
        println!("errors by kind:");
        for (k, n) in kinds {
            println!("  {n:>6}  {k}");
        }
        println!("first errors:");
        for e in s["firstErrors"].as_array().into_iter().flatten() {
            println!("  {}", e.as_str().unwrap_or_default());
        }
    }
}
