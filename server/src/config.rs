//! Configuration from flags and the environment, with zero-set-up defaults.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH (embedded default) or postgres://USER@HOST/DB.
    /// Default: SQLite in the data directory.
    #[arg(long, env = "DUCATPAY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the embedded database and the generated master key.
    #[arg(long, env = "DUCATPAY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// 64 hex characters. Seals card data and signs tokens; every instance sharing a database
    /// needs the same key. Default: a key generated once into DATA_DIR/master.key.
    #[arg(long, env = "DUCATPAY_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
}

impl DbArgs {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("ducatpay.db").display()))
    }

    /// The configured master key, or the data directory's key file (made on first use).
    pub fn master_key_hex(&self) -> anyhow::Result<String> {
        if let Some(k) = &self.master_key {
            return Ok(k.clone());
        }
        let path = self.data_dir.join("master.key");
        if let Ok(k) = std::fs::read_to_string(&path) {
            return Ok(k.trim().to_string());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let key = engine::crypto::Keys::generate_master_hex();
        write_private(&path, &key)?;
        Ok(key)
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DUCATPAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Public base URL (3-D Secure links). Default: http://LISTEN.
    #[arg(long, env = "DUCATPAY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Directory with the built site (pkg/ducatpay.js, .wasm, .css).
    #[arg(long, env = "DUCATPAY_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Simulated latency of each sandbox bank call, in milliseconds.
    #[arg(long, env = "DUCATPAY_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub sandbox_latency_ms: u64,
    /// The sandbox bank declines authorisations above this amount (minor units).
    #[arg(long, env = "DUCATPAY_SANDBOX_MAX_AMOUNT", default_value_t = 10_000_000_000)]
    pub sandbox_max_amount: i64,
    /// Commission for new shops in hundredths of a percent (10 = 0.1 %).
    #[arg(long, env = "DUCATPAY_DEFAULT_FEE_BPS", default_value_t = 10)]
    pub default_fee_bps: i64,
    /// Do not seed the demo organisation on an empty database.
    #[arg(long, env = "DUCATPAY_NO_DEMO", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub no_demo: bool,
    /// SMTP relay for cabinet e-mails (password reset), e.g. `smtp://user:pass@mail.example.com:587?tls=required`
    /// or `smtps://…`. Without it, e-mails are written to DATA_DIR/outbox.
    #[arg(long, env = "DUCATPAY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of cabinet e-mails.
    #[arg(
        long,
        env = "DUCATPAY_MAIL_FROM",
        default_value = "DucatPay <no-reply@ducatpay.local>"
    )]
    pub mail_from: String,
    /// How often the background workers look for due work (hold expiry, overdue invoices,
    /// recovery), in milliseconds; 0 turns them off.
    #[arg(long, env = "DUCATPAY_WORKER_INTERVAL_MS", default_value_t = 1000)]
    pub worker_interval_ms: u64,
    /// Sandbox-only endpoints to move this instance's clock and run due work now
    /// (`POST /sandbox/clock/advance`, `POST /sandbox/workers/run`; any API key).
    #[arg(long, env = "DUCATPAY_SANDBOX_TOOLS", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub sandbox_tools: bool,
}

impl ServeArgs {
    /// Defaults for tests: a listener on a free port and the given database.
    pub fn for_tests(database_url: &str, data_dir: PathBuf) -> ServeArgs {
        ServeArgs {
            listen: "127.0.0.1:0".into(),
            db: DbArgs {
                database_url: Some(database_url.into()),
                data_dir,
                master_key: None,
            },
            public_url: None,
            site_root: None,
            sandbox_latency_ms: 0,
            sandbox_max_amount: 10_000_000_000,
            default_fee_bps: 10,
            no_demo: true,
            smtp_url: None,
            mail_from: "DucatPay <no-reply@ducatpay.local>".into(),
            worker_interval_ms: 0,
            sandbox_tools: true,
        }
    }

    pub fn site_root(&self) -> PathBuf {
        self.site_root
            .clone()
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site")))
    }
}
