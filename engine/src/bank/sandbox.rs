//! The built-in sandbox bank: acquirer and issuer in one, driven by the documented test cards.
//! It keeps its own book (`sandbox_bank_txns`) so 3-D Secure challenges survive restarts and
//! work across app instances sharing one database.

use super::{Acquirer, AuthOutcome, AuthRequest, BankError, Card, OpOutcome, PaymentError};
use crate::clock::Clock;
use crate::crypto::Keys;
use crate::db::Db;
use crate::ids;
use async_trait::async_trait;
use std::time::Duration;

/// What a test card does, from the sandbox's card list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBehaviour {
    Success,
    ThreeDsSuccess,
    ThreeDsFailure,
    ThreeDsTimeout,
    /// Declined at authorisation with this upstream error path.
    Decline(&'static str),
}

impl CardBehaviour {
    fn as_str(self) -> &'static str {
        match self {
            CardBehaviour::Success => "success",
            CardBehaviour::ThreeDsSuccess => "3ds_success",
            CardBehaviour::ThreeDsFailure => "3ds_failure",
            CardBehaviour::ThreeDsTimeout => "3ds_timeout",
            CardBehaviour::Decline(path) => path,
        }
    }
}

const INSUFFICIENT_FUNDS: &str = "authorization_failed:insufficient_funds";
const INVALID_CARD: &str = "authorization_failed:account_not_found";
const CVV_MISMATCH: &str = "authorization_failed:payment_tool_rejected:bank_card_rejected:cvv_invalid";
const EXPIRED: &str = "authorization_failed:payment_tool_rejected:bank_card_rejected:card_expired";
const UNKNOWN_FAILURE: &str = "authorization_failed:unknown";
/// Cards the sandbox issuer does not know are refused like upstream's "Unsupported Card".
const UNSUPPORTED: &str = "authorization_failed:payment_tool_rejected:bank_card_rejected:issuer_not_found";
pub const PREAUTH_FAILED: &str = "preauthorization_failed:unknown";

/// The sandbox issuer's cards (see docs/SANDBOX.md; the list follows upstream's test cards).
pub const TEST_CARDS: &[(&str, CardBehaviour, &str)] = &[
    ("4242424242424242", CardBehaviour::Success, "Visa"),
    ("5555555555554444", CardBehaviour::Success, "MasterCard"),
    ("586824160825533338", CardBehaviour::Success, "Maestro"),
    ("2201382000000013", CardBehaviour::Success, "MIR"),
    ("9860099104199734", CardBehaviour::Success, "HUMO"),
    ("4556418324571052", CardBehaviour::ThreeDsSuccess, "Visa"),
    ("4012888888881881", CardBehaviour::ThreeDsSuccess, "Visa"),
    ("5169147129584558", CardBehaviour::ThreeDsSuccess, "MasterCard"),
    ("4987654321098769", CardBehaviour::ThreeDsFailure, "Visa"),
    ("5123456789012346", CardBehaviour::ThreeDsFailure, "MasterCard"),
    ("4342561111111118", CardBehaviour::ThreeDsTimeout, "Visa"),
    ("5112000200000002", CardBehaviour::ThreeDsTimeout, "MasterCard"),
    ("4929172190150505", CardBehaviour::ThreeDsSuccess, "Visa"),
    ("4556724110260093", CardBehaviour::ThreeDsSuccess, "Visa"),
    ("4000000000000002", CardBehaviour::Decline(INSUFFICIENT_FUNDS), "Visa"),
    (
        "5100000000000412",
        CardBehaviour::Decline(INSUFFICIENT_FUNDS),
        "MasterCard",
    ),
    ("4222222222222220", CardBehaviour::Decline(INVALID_CARD), "Visa"),
    ("5100000000000511", CardBehaviour::Decline(INVALID_CARD), "MasterCard"),
    ("4003830171874018", CardBehaviour::Decline(CVV_MISMATCH), "Visa"),
    ("5496198584584769", CardBehaviour::Decline(CVV_MISMATCH), "MasterCard"),
    ("9860094242201120", CardBehaviour::Decline(CVV_MISMATCH), "HUMO"),
    ("4000000000000069", CardBehaviour::Decline(EXPIRED), "Visa"),
    ("5105105105105100", CardBehaviour::Decline(EXPIRED), "MasterCard"),
    ("4111110000000112", CardBehaviour::Decline(UNKNOWN_FAILURE), "Visa"),
    (
        "5124990000000002",
        CardBehaviour::Decline(UNKNOWN_FAILURE),
        "MasterCard",
    ),
    ("5000000000000009", CardBehaviour::Decline(UNKNOWN_FAILURE), "Visa"),
    ("4300000000000777", CardBehaviour::Success, "Visa"),
    (
        "2222405343248877",
        CardBehaviour::Decline(UNKNOWN_FAILURE),
        "MasterCard",
    ),
    ("2222990905257051", CardBehaviour::Success, "MasterCard"),
    (
        "2223007648726984",
        CardBehaviour::Decline(UNKNOWN_FAILURE),
        "MasterCard",
    ),
    ("2223577120017656", CardBehaviour::Success, "MasterCard"),
];

/// Payout outcomes by card: listed cards fail as named, every other valid card succeeds.
pub const PAYOUT_FAILURE_CARDS: &[(&str, &str)] = &[
    ("4000000000000002", INSUFFICIENT_FUNDS),
    ("5100000000000412", INSUFFICIENT_FUNDS),
    ("4222222222222220", INVALID_CARD),
    ("5100000000000511", INVALID_CARD),
    ("4000000000000069", EXPIRED),
    ("5105105105105100", EXPIRED),
    ("4111110000000112", UNKNOWN_FAILURE),
    ("5124990000000002", UNKNOWN_FAILURE),
];

pub fn behaviour_of(pan: &str) -> CardBehaviour {
    TEST_CARDS
        .iter()
        .find(|(p, _, _)| *p == pan)
        .map(|(_, b, _)| *b)
        .unwrap_or(CardBehaviour::Decline(UNSUPPORTED))
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Simulated network latency of every bank call (0 in tests).
    pub latency: Duration,
    /// Authorisations above this amount (minor units) decline with insufficient funds.
    pub max_amount: i64,
    /// Public base URL of this service, for the issuer's 3-D Secure page.
    pub public_url: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            latency: Duration::ZERO,
            max_amount: 10_000_000_000,
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// What the issuer's 3-D Secure page shows.
#[derive(Debug, Clone)]
pub struct ChallengeView {
    pub txn_id: String,
    pub amount: i64,
    pub behaviour: String,
    pub state: String,
}

pub struct SandboxBank {
    db: Db,
    keys: Keys,
    clock: Clock,
    config: SandboxConfig,
}

impl SandboxBank {
    pub fn new(db: Db, keys: Keys, clock: Clock, config: SandboxConfig) -> SandboxBank {
        SandboxBank {
            db,
            keys,
            clock,
            config,
        }
    }

    async fn delay(&self) {
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
    }

    async fn record(&self, op: &str, outcome: &str, amount: i64, state: &str) -> Result<String, BankError> {
        let txn_id = format!("sb{}", ids::random_base62(14));
        let now = self.clock.now_micros();
        sqlx::query(
            "insert into sandbox_bank_txns (txn_id, operation, card_outcome, amount, state, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&txn_id)
        .bind(op)
        .bind(outcome)
        .bind(amount)
        .bind(state)
        .bind(now)
        .execute(&self.db.pool)
        .await
        .map_err(unavailable)?;
        Ok(txn_id)
    }

    async fn load(&self, txn_id: &str) -> Result<(String, i64, String), BankError> {
        let row: Option<(String, i64, String)> =
            sqlx::query_as("select card_outcome, amount, state from sandbox_bank_txns where txn_id = $1")
                .bind(txn_id)
                .fetch_optional(&self.db.pool)
                .await
                .map_err(unavailable)?;
        row.ok_or_else(|| BankError::UnknownTxn(txn_id.to_string()))
    }

    /// Moves a transaction from one state to another; false when it was not in `from`.
    async fn transition(&self, txn_id: &str, from: &str, to: &str) -> Result<bool, BankError> {
        let done =
            sqlx::query("update sandbox_bank_txns set state = $1, updated_at = $2 where txn_id = $3 and state = $4")
                .bind(to)
                .bind(self.clock.now_micros())
                .bind(txn_id)
                .bind(from)
                .execute(&self.db.pool)
                .await
                .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    pub fn acs_url(&self, txn_id: &str) -> String {
        format!("{}/sandbox/acs/{txn_id}", self.config.public_url.trim_end_matches('/'))
    }

    /// The challenge behind the issuer page, if it exists.
    pub async fn challenge(&self, txn_id: &str) -> Result<ChallengeView, BankError> {
        let (behaviour, amount, state) = self.load(txn_id).await?;
        Ok(ChallengeView {
            txn_id: txn_id.to_string(),
            amount,
            behaviour,
            state,
        })
    }

    /// The buyer answered the issuer page (`confirm` true) or gave up. Returns the signed
    /// `PaRes` the browser carries back to the merchant side. A timeout card never confirms.
    pub async fn answer_challenge(&self, txn_id: &str, confirm: bool) -> Result<String, BankError> {
        let (behaviour, _, _) = self.load(txn_id).await?;
        let passed = confirm && behaviour == CardBehaviour::ThreeDsSuccess.as_str();
        let reason = match (confirm, behaviour.as_str()) {
            (false, _) => "cancelled",
            (true, "3ds_timeout") => "timeout",
            (true, "3ds_failure") => "failed",
            _ => "ok",
        };
        Ok(self.keys.sign(
            "sandbox-pares",
            &serde_json::json!({"t": txn_id, "ok": passed, "r": reason}),
        ))
    }
}

fn unavailable(e: sqlx::Error) -> BankError {
    BankError::Unavailable(e.to_string())
}

fn approval(txn_id: &str) -> AuthOutcome {
    let digits: String = txn_id.bytes().map(|b| char::from(b'0' + b % 10)).collect();
    AuthOutcome::Approved {
        txn_id: txn_id.to_string(),
        rrn: digits[..12.min(digits.len())].to_string(),
        approval_code: digits[digits.len().saturating_sub(6)..].to_string(),
    }
}

#[async_trait]
impl Acquirer for SandboxBank {
    async fn authorise(&self, req: AuthRequest) -> Result<AuthOutcome, BankError> {
        self.delay().await;
        let behaviour = behaviour_of(req.card.number.expose());
        if let CardBehaviour::Decline(path) = behaviour {
            let txn = self.record("auth", path, req.amount, "declined").await?;
            return Ok(AuthOutcome::Declined {
                txn_id: Some(txn),
                error: PaymentError::from_path(path),
            });
        }
        if req.amount > self.config.max_amount {
            let txn = self.record("auth", INSUFFICIENT_FUNDS, req.amount, "declined").await?;
            return Ok(AuthOutcome::Declined {
                txn_id: Some(txn),
                error: PaymentError::from_path(INSUFFICIENT_FUNDS),
            });
        }
        let needs_3ds = matches!(
            behaviour,
            CardBehaviour::ThreeDsSuccess | CardBehaviour::ThreeDsFailure | CardBehaviour::ThreeDsTimeout
        );
        if needs_3ds && !req.recurrent {
            let txn = self.record("auth", behaviour.as_str(), req.amount, "challenge").await?;
            let pareq = self
                .keys
                .sign("sandbox-pareq", &serde_json::json!({"t": txn, "a": req.amount}));
            return Ok(AuthOutcome::Challenge {
                acs_url: self.acs_url(&txn),
                txn_id: txn,
                pareq,
            });
        }
        let txn = self
            .record("auth", behaviour.as_str(), req.amount, "authorised")
            .await?;
        Ok(approval(&txn))
    }

    async fn complete_challenge(&self, txn_id: &str, pares: &str) -> Result<AuthOutcome, BankError> {
        self.delay().await;
        let (_, _, state) = self.load(txn_id).await?;
        let answer = self.keys.verify("sandbox-pares", pares);
        let passed = answer
            .as_ref()
            .map(|a| a["t"] == txn_id && a["ok"] == true)
            .unwrap_or(false);
        if state == "challenge" {
            let to = if passed { "authorised" } else { "declined" };
            self.transition(txn_id, "challenge", to).await?;
        }
        // Whatever raced us, the book now says what happened.
        let (_, _, state) = self.load(txn_id).await?;
        if state == "declined" {
            return Ok(AuthOutcome::Declined {
                txn_id: Some(txn_id.to_string()),
                error: PaymentError::from_path(PREAUTH_FAILED),
            });
        }
        Ok(approval(txn_id))
    }

    async fn capture(&self, txn_id: &str, amount: i64) -> Result<OpOutcome, BankError> {
        self.delay().await;
        let (_, authorised, state) = self.load(txn_id).await?;
        if amount > authorised {
            return Ok(OpOutcome::Failed(PaymentError::from_path(
                "authorization_failed:operation_blocked",
            )));
        }
        if state == "captured" || self.transition(txn_id, "authorised", "captured").await? {
            Ok(OpOutcome::Done)
        } else {
            Ok(OpOutcome::Failed(PaymentError::from_path(
                "authorization_failed:operation_blocked",
            )))
        }
    }

    async fn cancel(&self, txn_id: &str) -> Result<OpOutcome, BankError> {
        self.delay().await;
        let (_, _, state) = self.load(txn_id).await?;
        if state == "cancelled" || self.transition(txn_id, "authorised", "cancelled").await? {
            Ok(OpOutcome::Done)
        } else {
            Ok(OpOutcome::Failed(PaymentError::from_path(
                "authorization_failed:operation_blocked",
            )))
        }
    }

    async fn refund(&self, txn_id: &str, refund_ref: &str, amount: i64) -> Result<OpOutcome, BankError> {
        self.delay().await;
        let (_, authorised, state) = self.load(txn_id).await?;
        if state != "captured" || amount > authorised {
            return Ok(OpOutcome::Failed(PaymentError::from_path(
                "authorization_failed:operation_blocked",
            )));
        }
        // Keyed by the caller's refund reference: asking twice refunds once.
        let now = self.clock.now_micros();
        sqlx::query(
            "insert into sandbox_bank_txns (txn_id, operation, card_outcome, amount, state, created_at, updated_at) \
             values ($1, 'refund', 'success', $2, 'refunded', $3, $3) on conflict do nothing",
        )
        .bind(format!("rf:{refund_ref}"))
        .bind(amount)
        .bind(now)
        .execute(&self.db.pool)
        .await
        .map_err(unavailable)?;
        Ok(OpOutcome::Done)
    }

    async fn payout(&self, card: &Card, _payout_id: &str, amount: i64) -> Result<OpOutcome, BankError> {
        self.delay().await;
        let failure = PAYOUT_FAILURE_CARDS
            .iter()
            .find(|(p, _)| *p == card.number.expose())
            .map(|(_, e)| *e);
        match failure {
            Some(path) => {
                self.record("payout", path, amount, "declined").await?;
                Ok(OpOutcome::Failed(PaymentError::from_path(path)))
            }
            None => {
                self.record("payout", "success", amount, "paid").await?;
                Ok(OpOutcome::Done)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::CardNumber;

    #[test]
    fn every_test_card_is_a_valid_number() {
        for (pan, _, _) in TEST_CARDS {
            assert!(CardNumber::parse(pan).is_ok(), "{pan}");
        }
    }

    #[test]
    fn unknown_cards_are_unsupported() {
        assert_eq!(behaviour_of("4111111111111111"), CardBehaviour::Decline(UNSUPPORTED));
        assert_eq!(
            behaviour_of("4000000000000002"),
            CardBehaviour::Decline(INSUFFICIENT_FUNDS)
        );
        assert_eq!(behaviour_of("4012888888881881"), CardBehaviour::ThreeDsSuccess);
    }
}
