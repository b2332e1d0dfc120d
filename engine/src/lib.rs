//! DucatPay's money engine: domain types, state machines, storage, the bank adapter and the
//! sandbox bank. No HTTP and no UI here: the REST API and the cabinet both call into it.

pub mod auth;
pub mod bank;
pub mod branding;
pub mod cabinet;
pub mod cards;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod ids;
pub mod invoices;
pub mod ledger;
pub mod parties;
pub mod payments;
pub mod processing;
pub mod refunds;
pub mod resources;
pub mod search;
pub mod validate;
pub mod workers;

use bank::sandbox::SandboxBank;
use bank::Acquirer;
use clock::Clock;
use crypto::Keys;
use db::Db;
use std::sync::Arc;

pub use error::{EngineError, EngineResult};

/// Tunables with the defaults a sandbox installation wants.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Public base URL (for 3-D Secure return links and the issuer page).
    pub public_url: String,
    /// Invoice access tokens live this long (upstream: 3 days).
    pub invoice_token_ttl: chrono::Duration,
    /// Payment tool tokens and sessions live this long (upstream: 1 hour).
    pub payment_resource_ttl: chrono::Duration,
    /// Commission for new shops, hundredths of a percent (10 = 0.1 %).
    pub default_fee_bps: i64,
    /// Hold lifetime for new shops (the manual's sandbox: 1 minute).
    pub default_hold_seconds: i64,
    /// A buyer who has not come back from 3-D Secure by then fails the payment.
    pub interaction_timeout: chrono::Duration,
    /// Work left half-done (by a crash) this long is taken over by the workers.
    pub recovery_after: chrono::Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            public_url: "http://127.0.0.1:8080".into(),
            invoice_token_ttl: chrono::Duration::days(3),
            payment_resource_ttl: chrono::Duration::hours(1),
            default_fee_bps: 10,
            default_hold_seconds: 60,
            interaction_timeout: chrono::Duration::minutes(15),
            recovery_after: chrono::Duration::seconds(60),
        }
    }
}

/// Everything a request needs: the database, keys, clock and the acquirer.
#[derive(Clone)]
pub struct Engine {
    pub db: Db,
    pub keys: Keys,
    pub clock: Clock,
    pub bank: Arc<dyn Acquirer>,
    /// Present when the built-in sandbox bank is the acquirer (it also serves the issuer page).
    pub sandbox: Option<Arc<SandboxBank>>,
    pub config: EngineConfig,
}

impl Engine {
    /// An engine whose acquirer is the built-in sandbox bank.
    pub fn with_sandbox(
        db: Db,
        keys: Keys,
        clock: Clock,
        config: EngineConfig,
        sandbox: bank::sandbox::SandboxConfig,
    ) -> Engine {
        let bank = Arc::new(SandboxBank::new(db.clone(), keys.clone(), clock.clone(), sandbox));
        Engine {
            db,
            keys,
            clock,
            bank: bank.clone(),
            sandbox: Some(bank),
            config,
        }
    }
}
