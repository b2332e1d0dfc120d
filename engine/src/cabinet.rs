//! The merchant cabinet's sign-in: sessions, throttled failures, password resets by e-mail, and
//! the organisation's contract data. The cabinet then acts as [`Principal::Merchant`] of the
//! signed-in party, through the same engine calls as the REST API.
//!
//! - A session is a random 256-bit secret in an HttpOnly cookie; the database keeps its SHA-256
//!   and a per-session CSRF (synchronizer) token that every state-changing call must present.
//! - Failed sign-ins are recorded per account and per client address; past a threshold within
//!   a window the subject is locked until the window's oldest failure ages out.
//! - A password reset token is single use, expires, and ends every session of the organisation.

use crate::auth::Principal;
use crate::crypto::{hash_password, sha256_hex, verify_password};
use crate::error::{EngineError, EngineResult};
use crate::{ids, Engine};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::OnceLock;

/// How long sessions live and when sign-in locks.
#[derive(Debug, Clone)]
pub struct SignInPolicy {
    pub session_ttl: chrono::Duration,
    /// "Remember me".
    pub remember_ttl: chrono::Duration,
    pub window: chrono::Duration,
    /// Failures of one account within `window` that lock it.
    pub max_account_failures: i64,
    /// Failures from one address within `window` that lock the address (any accounts).
    pub max_ip_failures: i64,
    pub reset_ttl: chrono::Duration,
    /// Reset e-mails per account within `window` (no mail bombing through the form).
    pub max_resets: i64,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        SignInPolicy {
            session_ttl: chrono::Duration::hours(12),
            remember_ttl: chrono::Duration::days(30),
            window: chrono::Duration::minutes(15),
            max_account_failures: 5,
            max_ip_failures: 30,
            reset_ttl: chrono::Duration::hours(1),
            max_resets: 3,
        }
    }
}

/// Why a sign-in did not happen. Unknown e-mail and wrong password are the same answer.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("too many failed attempts; try again in {retry_after_secs} s")]
    Locked { retry_after_secs: i64 },
    #[error("the organisation is blocked")]
    Blocked,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for SignInError {
    fn from(e: sqlx::Error) -> Self {
        SignInError::Engine(e.into())
    }
}

/// A session just made: the cookie value is shown once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub party_id: String,
}

/// The signed-in user, as every cabinet call sees it.
#[derive(Debug, Clone, Serialize)]
pub struct CabinetSession {
    pub party_id: String,
    pub party_name: String,
    pub email: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

impl CabinetSession {
    pub fn principal(&self) -> Principal {
        Principal::Merchant {
            party_id: self.party_id.clone(),
        }
    }

    /// Constant-time comparison of the presented CSRF token with the session's.
    pub fn check_csrf(&self, presented: &str) -> EngineResult<()> {
        let a = self.csrf_token.as_bytes();
        let b = presented.as_bytes();
        let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if same {
            Ok(())
        } else {
            Err(EngineError::Unauthorized)
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Contract {
    pub legal_name: String,
    pub inn: String,
    pub ogrn: String,
    pub address: String,
    pub representative_position: String,
    pub representative_name: String,
    pub representative_document: String,
    pub created_at: i64,
}

/// Where cabinet e-mails go: through an SMTP relay when one is configured (`lettre`; `smtp://`,
/// `smtps://` or `smtp://…?tls=required` URLs with optional credentials), otherwise — and as a
/// fallback when the relay refuses — as `.eml` files in the outbox folder (`<data-dir>/outbox`)
/// for an operator's mail pickup or a developer to open. No message is lost either way.
#[derive(Clone)]
pub struct Mailer {
    pub outbox: PathBuf,
    smtp: Option<SmtpRelay>,
}

#[derive(Clone)]
struct SmtpRelay {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may hold credentials: never print it.
        f.debug_struct("Mailer")
            .field("outbox", &self.outbox)
            .field("smtp", &self.smtp.is_some())
            .finish()
    }
}

impl Mailer {
    pub fn outbox(dir: impl Into<PathBuf>) -> Mailer {
        Mailer {
            outbox: dir.into(),
            smtp: None,
        }
    }

    /// Mail through the relay at `url`, from `from` (`Name <addr@host>`); the outbox stays the fallback.
    pub fn smtp(url: &str, from: &str, outbox: impl Into<PathBuf>) -> EngineResult<Mailer> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| EngineError::invalid_request(format!("SMTP URL: {e}")))?
            .build();
        let from = from
            .parse()
            .map_err(|e| EngineError::invalid_request(format!("mail sender {from:?}: {e}")))?;
        Ok(Mailer {
            outbox: outbox.into(),
            smtp: Some(SmtpRelay { transport, from }),
        })
    }

    /// Sends one message. Returns the outbox file when it was written there instead of relayed.
    pub async fn send(&self, to: &str, subject: &str, body: &str, now_micros: i64) -> EngineResult<Option<PathBuf>> {
        if let Some(relay) = &self.smtp {
            match relay.deliver(to, subject, body).await {
                Ok(()) => return Ok(None),
                Err(e) => tracing::error!(error = %e, "SMTP relay refused a message; writing it to the outbox"),
            }
        }
        self.write_outbox(to, subject, body, now_micros).map(Some)
    }

    fn write_outbox(&self, to: &str, subject: &str, body: &str, now_micros: i64) -> EngineResult<PathBuf> {
        std::fs::create_dir_all(&self.outbox).map_err(|e| EngineError::Internal(format!("outbox: {e}")))?;
        let name = format!("{now_micros}-{}.eml", ids::random_base62(8));
        let path = self.outbox.join(name);
        let date = crate::clock::from_micros(now_micros).to_rfc2822();
        let text = format!(
            "From: DucatPay <no-reply@ducatpay.local>\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
        );
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| EngineError::Internal(format!("outbox: {e}")))?;
        std::fs::rename(&tmp, &path).map_err(|e| EngineError::Internal(format!("outbox: {e}")))?;
        Ok(path)
    }
}

impl SmtpRelay {
    async fn deliver(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        use lettre::AsyncTransport;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to.parse().map_err(|e| format!("recipient: {e}"))?)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// legal_name, inn, ogrn, address, representative position, name, document, created_at.
type ContractRow = (String, String, String, String, String, String, String, i64);

fn micros(d: chrono::Duration) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX / 4)
}

/// An argon2id hash nobody's password matches: unknown e-mails cost the same time as known ones.
fn decoy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(&ids::random_base62(24)))
}

async fn verify_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

fn account_subject(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

fn ip_subject(ip: &str) -> String {
    format!("ip:{ip}")
}

impl Engine {
    /// Failures of `subject` within the window, and when the oldest of them ages out.
    async fn failures(&self, subject: &str, policy: &SignInPolicy, now: i64) -> EngineResult<(i64, i64)> {
        let since = now - micros(policy.window);
        let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
            "select count(*), min(created_at) from cabinet_login_failures where subject = $1 and created_at > $2",
        )
        .bind(subject)
        .bind(since)
        .fetch_one(&self.db.pool)
        .await?;
        let free_at = oldest.unwrap_or(now) + micros(policy.window);
        Ok((count, free_at))
    }

    async fn record_failure(&self, subject: &str, now: i64) -> EngineResult<()> {
        sqlx::query("insert into cabinet_login_failures (failure_id, subject, created_at) values ($1, $2, $3)")
            .bind(ids::random_base62(16))
            .bind(subject)
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Signs in with e-mail and password from client address `ip`.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        ip: &str,
        remember: bool,
        policy: &SignInPolicy,
    ) -> Result<NewSession, SignInError> {
        let now = self.clock.now_micros();
        let account = account_subject(email);
        let address = ip_subject(ip);
        for (subject, max) in [
            (&account, policy.max_account_failures),
            (&address, policy.max_ip_failures),
        ] {
            let (count, free_at) = self.failures(subject, policy, now).await?;
            if count >= max {
                tracing::warn!(subject = %subject.split(':').next().unwrap_or(""), "cabinet sign-in locked");
                return Err(SignInError::Locked {
                    retry_after_secs: ((free_at - now) / 1_000_000).max(1),
                });
            }
        }
        let row: Option<(String, String, i64)> = if email.len() <= 100 && password.len() <= 1000 {
            sqlx::query_as("select party_id, password_hash, is_blocked from parties where email = $1")
                .bind(email.trim().to_lowercase())
                .fetch_optional(&self.db.pool)
                .await?
        } else {
            None
        };
        let ok = match &row {
            Some((_, hash, _)) => verify_blocking(password.to_string(), hash.clone()).await,
            None => {
                verify_blocking(password.to_string(), decoy_hash().to_string()).await;
                false
            }
        };
        let Some((party_id, _, blocked)) = row.filter(|_| ok) else {
            self.record_failure(&account, now).await?;
            self.record_failure(&address, now).await?;
            return Err(SignInError::InvalidCredentials);
        };
        if blocked != 0 {
            return Err(SignInError::Blocked);
        }
        // A success clears the account's failures (not the address's: a sprayer stays slowed).
        sqlx::query("delete from cabinet_login_failures where subject = $1")
            .bind(&account)
            .execute(&self.db.pool)
            .await?;
        let cookie_value = ids::random_base62(43);
        let csrf_token = ids::random_base62(32);
        let ttl = if remember {
            policy.remember_ttl
        } else {
            policy.session_ttl
        };
        let expires_at = now + micros(ttl);
        sqlx::query(
            "insert into cabinet_sessions (session_hash, party_id, csrf_token, remember, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sha256_hex(cookie_value.as_bytes()))
        .bind(&party_id)
        .bind(&csrf_token)
        .bind(i64::from(remember))
        .bind(now)
        .bind(expires_at)
        .execute(&self.db.pool)
        .await?;
        // Expired sessions and old failures are swept on the way (cheap, indexed).
        sqlx::query("delete from cabinet_sessions where expires_at < $1")
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        sqlx::query("delete from cabinet_login_failures where created_at < $1")
            .bind(now - micros(policy.window) * 4)
            .execute(&self.db.pool)
            .await?;
        Ok(NewSession {
            cookie_value,
            csrf_token,
            expires_at,
            party_id,
        })
    }

    /// The live session for a cookie value, if any (expired, ended or blocked: none).
    pub async fn cabinet_session(&self, cookie_value: &str) -> EngineResult<Option<CabinetSession>> {
        if cookie_value.is_empty() || cookie_value.len() > 100 {
            return Ok(None);
        }
        let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
            "select s.party_id, p.name, p.email, s.csrf_token, s.expires_at from cabinet_sessions s \
             join parties p on p.party_id = s.party_id \
             where s.session_hash = $1 and s.expires_at > $2 and p.is_blocked = 0",
        )
        .bind(sha256_hex(cookie_value.as_bytes()))
        .bind(self.clock.now_micros())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(
            row.map(|(party_id, party_name, email, csrf_token, expires_at)| CabinetSession {
                party_id,
                party_name,
                email,
                csrf_token,
                expires_at,
            }),
        )
    }

    /// Ends a session server-side (logout).
    pub async fn sign_out(&self, cookie_value: &str) -> EngineResult<()> {
        sqlx::query("delete from cabinet_sessions where session_hash = $1")
            .bind(sha256_hex(cookie_value.as_bytes()))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// "Forgot password": mails a single-use link when the account exists. Always succeeds from
    /// the caller's point of view, so the form does not reveal which e-mails are registered.
    /// Returns the path of the message written, for tests and logs.
    #[tracing::instrument(skip_all)]
    pub async fn request_password_reset(
        &self,
        email: &str,
        link_base: &str,
        mailer: &Mailer,
        policy: &SignInPolicy,
    ) -> EngineResult<Option<PathBuf>> {
        let Some(party) = self.party_by_email(email.trim()).await? else {
            return Ok(None);
        };
        if party.is_blocked {
            return Ok(None);
        }
        let now = self.clock.now_micros();
        let (recent,): (i64,) =
            sqlx::query_as("select count(*) from cabinet_password_resets where party_id = $1 and created_at > $2")
                .bind(&party.party_id)
                .bind(now - micros(policy.window))
                .fetch_one(&self.db.pool)
                .await?;
        if recent >= policy.max_resets {
            tracing::warn!("password reset requests throttled");
            return Ok(None);
        }
        let token = ids::random_base62(43);
        sqlx::query(
            "insert into cabinet_password_resets (token_hash, party_id, created_at, expires_at) values ($1, $2, $3, $4)",
        )
        .bind(sha256_hex(token.as_bytes()))
        .bind(&party.party_id)
        .bind(now)
        .bind(now + micros(policy.reset_ttl))
        .execute(&self.db.pool)
        .await?;
        let link = format!(
            "{}/cabinet/reset-password?token={token}",
            link_base.trim_end_matches('/')
        );
        let minutes = policy.reset_ttl.num_minutes();
        let body = format!(
            "Здравствуйте!\r\n\r\nЧтобы задать новый пароль для входа в личный кабинет DucatPay, откройте ссылку \
             (действует {minutes} мин., один раз):\r\n{link}\r\n\r\nHello,\r\n\r\nTo set a new password for the \
             DucatPay merchant cabinet, open this link (valid for {minutes} minutes, once):\r\n{link}\r\n\r\n\
             Если вы не запрашивали смену пароля, ничего не делайте. / If you did not ask for this, ignore it.\r\n"
        );
        mailer
            .send(&party.email, "DucatPay: смена пароля / password reset", &body, now)
            .await
    }

    /// Sets a new password with a reset token: once, before it expires. Ends every session of
    /// the organisation and clears the account's failed attempts.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> EngineResult<()> {
        let n = new_password.chars().count();
        if !(8..=200).contains(&n) {
            return Err(EngineError::invalid_request("password must be 8 to 200 characters"));
        }
        let hash = {
            let p = new_password.to_string();
            tokio::task::spawn_blocking(move || hash_password(&p))
                .await
                .map_err(|e| EngineError::Internal(e.to_string()))?
        };
        let now = self.clock.now_micros();
        let mut tx = self.db.begin_write().await?;
        let claimed: Option<(String,)> = sqlx::query_as(
            "update cabinet_password_resets set used_at = $1 where token_hash = $2 and used_at is null \
             and expires_at > $1 returning party_id",
        )
        .bind(now)
        .bind(sha256_hex(token.as_bytes()))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((party_id,)) = claimed else {
            tx.rollback().await?;
            return Err(EngineError::logic(
                "invalidResetToken",
                "the link is invalid, expired or already used",
            ));
        };
        sqlx::query("update parties set password_hash = $1 where party_id = $2")
            .bind(&hash)
            .bind(&party_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from cabinet_sessions where party_id = $1")
            .bind(&party_id)
            .execute(&mut *tx)
            .await?;
        // Other outstanding links die too: only the newest intent counts.
        sqlx::query("update cabinet_password_resets set used_at = $1 where party_id = $2 and used_at is null")
            .bind(now)
            .bind(&party_id)
            .execute(&mut *tx)
            .await?;
        let (email,): (String,) = sqlx::query_as("select email from parties where party_id = $1")
            .bind(&party_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("delete from cabinet_login_failures where subject = $1")
            .bind(account_subject(&email))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn contract(&self, party_id: &str) -> EngineResult<Option<Contract>> {
        let row: Option<ContractRow> = sqlx::query_as(
            "select legal_name, inn, ogrn, address, representative_position, representative_name, \
             representative_document, created_at from cabinet_contracts where party_id = $1",
        )
        .bind(party_id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(|r| Contract {
            legal_name: r.0,
            inn: r.1,
            ogrn: r.2,
            address: r.3,
            representative_position: r.4,
            representative_name: r.5,
            representative_document: r.6,
            created_at: r.7,
        }))
    }

    /// Records (or replaces) the organisation's contract data (support's task).
    pub async fn set_contract(&self, party_id: &str, c: &Contract) -> EngineResult<()> {
        self.party(party_id).await?;
        let digits = |v: &str, lens: &[usize]| lens.contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit());
        if !digits(&c.inn, &[10, 12]) {
            return Err(EngineError::invalid_request(
                "INN must be 10 (organisation) or 12 (entrepreneur) digits",
            ));
        }
        if !digits(&c.ogrn, &[13, 15]) {
            return Err(EngineError::invalid_request("OGRN must be 13 digits (OGRNIP: 15)"));
        }
        for (field, v) in [
            ("legal name", &c.legal_name),
            ("address", &c.address),
            ("representative position", &c.representative_position),
            ("representative name", &c.representative_name),
            ("representative document", &c.representative_document),
        ] {
            crate::validate::len_between(field, v, 1, 500)?;
        }
        let now = self.clock.now_micros();
        let mut tx = self.db.begin_write().await?;
        sqlx::query("delete from cabinet_contracts where party_id = $1")
            .bind(party_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "insert into cabinet_contracts (party_id, legal_name, inn, ogrn, address, representative_position, \
             representative_name, representative_document, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(party_id)
        .bind(&c.legal_name)
        .bind(&c.inn)
        .bind(&c.ogrn)
        .bind(&c.address)
        .bind(&c.representative_position)
        .bind(&c.representative_name)
        .bind(&c.representative_document)
        .bind(if c.created_at > 0 { c.created_at } else { now })
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_must_match_exactly() {
        let s = CabinetSession {
            party_id: "p".into(),
            party_name: "n".into(),
            email: "e@x.ru".into(),
            csrf_token: "abc123".into(),
            expires_at: 0,
        };
        assert!(s.check_csrf("abc123").is_ok());
        assert!(s.check_csrf("abc124").is_err());
        assert!(s.check_csrf("").is_err());
        assert!(s.check_csrf("abc1234").is_err());
    }

    #[tokio::test]
    async fn outbox_writes_one_file_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let m = Mailer::outbox(dir.path().join("outbox"));
        let p = m.send("a@b.ru", "s", "link http://x/y", 1).await.unwrap().unwrap();
        let text = std::fs::read_to_string(p).unwrap();
        assert!(text.contains("To: a@b.ru") && text.contains("link http://x/y"));
    }

    /// A minimal SMTP server that records the DATA it receives.
    async fn fake_smtp() -> (u16, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let (r, mut w) = sock.into_split();
            let mut lines = BufReader::new(r).lines();
            w.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 fake\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go on\r\n"
                    }
                    "QUIT" => {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                w.write_all(reply).await.unwrap();
            }
            data
        });
        (port, task)
    }

    #[tokio::test]
    async fn smtp_relay_gets_the_message_and_nothing_goes_to_the_outbox() {
        let (port, server) = fake_smtp().await;
        let dir = tempfile::tempdir().unwrap();
        let m = Mailer::smtp(
            &format!("smtp://127.0.0.1:{port}"),
            "DucatPay <no-reply@ducatpay.test>",
            dir.path().join("outbox"),
        )
        .unwrap();
        let written = m
            .send("merchant@example.com", "reset", "link http://x/y", 1)
            .await
            .unwrap();
        assert!(written.is_none(), "relayed, not written");
        let data = server.await.unwrap();
        assert!(data.contains("To: merchant@example.com"), "{data}");
        assert!(data.contains("link http://x/y"), "{data}");
        assert!(!dir.path().join("outbox").exists());
    }

    #[tokio::test]
    async fn a_refusing_relay_falls_back_to_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        // Nothing listens on port 9 of localhost.
        let m = Mailer::smtp(
            "smtp://127.0.0.1:9",
            "no-reply@ducatpay.test",
            dir.path().join("outbox"),
        )
        .unwrap();
        let written = m.send("merchant@example.com", "reset", "body", 1).await.unwrap();
        assert!(written.unwrap().exists());
        assert!(Mailer::smtp("not a url", "x@y.z", dir.path()).is_err());
    }
}
