//! Builds the whole service bound to a port; `main` and the tests both use it.

use crate::config::ServeArgs;
use anyhow::Context;
use axum::routing::get;
use axum::Router;
use engine::bank::sandbox::SandboxConfig;
use engine::clock::Clock;
use engine::crypto::Keys;
use engine::db::Db;
use engine::{Engine, EngineConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
}

pub struct Application {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub public_url: String,
    listener: TcpListener,
    router: Router,
    worker_interval: Option<Duration>,
}

/// Opens the database and the keys the way every command does.
pub async fn open_engine(
    db_args: &crate::config::DbArgs,
    public_url: &str,
    sandbox: SandboxConfig,
    fee_bps: i64,
    clock: Clock,
) -> anyhow::Result<Engine> {
    let url = db_args.database_url();
    let db = Db::connect(&url)
        .await
        .with_context(|| format!("opening the database {}", redact(&url)))?;
    let keys = Keys::from_hex(&db_args.master_key_hex()?).context("reading the master key")?;
    let config = EngineConfig {
        public_url: public_url.to_string(),
        default_fee_bps: fee_bps,
        ..EngineConfig::default()
    };
    Ok(Engine::with_sandbox(db, keys, clock, config, sandbox))
}

/// What the cabinet's server functions get: the engine, the outbox mailer (`<data-dir>/outbox`)
/// and the sign-in policy.
fn cabinet_context(engine: &Engine, args: &ServeArgs) -> anyhow::Result<app::api::CabinetContext> {
    let outbox = args.db.data_dir.join("outbox");
    let mailer = match &args.smtp_url {
        Some(url) => engine::cabinet::Mailer::smtp(url, &args.mail_from, outbox).context("configuring SMTP")?,
        None => engine::cabinet::Mailer::outbox(outbox),
    };
    Ok(app::api::CabinetContext {
        engine: engine.clone(),
        mailer,
        policy: engine::cabinet::SignInPolicy::default(),
    })
}

/// Hides a password in a database URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Application> {
        Self::build_with_clock(args, Clock::system()).await
    }

    pub async fn build_with_clock(args: ServeArgs, clock: Clock) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let sandbox = SandboxConfig {
            latency: Duration::from_millis(args.sandbox_latency_ms),
            max_amount: args.sandbox_max_amount,
            public_url: public_url.clone(),
        };
        let engine = open_engine(&args.db, &public_url, sandbox, args.default_fee_bps, clock).await?;
        let state = AppState { engine: engine.clone() };
        let mut router = Router::new()
            .nest("/v2", crate::api::router())
            .merge(crate::sandbox_web::router())
            .merge(crate::cabinet_web::router())
            .merge(crate::checkout_web::router(&args));
        if args.sandbox_tools {
            router = router.merge(crate::sandbox_web::tools_router());
        }
        let router = router
            .route("/health", get(|| async { "ok" }))
            .with_state(state)
            .merge(crate::web::leptos_router(
                args.site_root(),
                Some(cabinet_context(&engine, &args)?),
            ))
            .layer(axum::middleware::from_fn(crate::cabinet_web::frame_guard))
            .layer(axum::middleware::from_fn(crate::checkout_web::deny_framing_by_default));
        let worker_interval = (args.worker_interval_ms > 0).then(|| Duration::from_millis(args.worker_interval_ms));
        Ok(Application {
            addr,
            engine,
            public_url,
            listener,
            router,
            worker_interval,
        })
    }

    pub async fn run(self) -> std::io::Result<()> {
        if let Some(every) = self.worker_interval {
            tokio::spawn(run_workers(self.engine.clone(), every));
        }
        axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }

    /// Runs until the future resolves (tests stop servers this way).
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// The background workers: due work every `every`, errors logged and retried next round.
async fn run_workers(engine: Engine, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match engine.run_due_work().await {
            Ok(report) if !report.is_empty() => tracing::info!(?report, "due work done"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "due work failed; retrying next round"),
        }
    }
}
