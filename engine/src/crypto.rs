//! Secrets: card-data sealing (AEAD), signed access tokens (HMAC), API-key digests and
//! password hashes (argon2id).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// A value whose `Debug`/`Display` never show it; read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the master key must be 64 hex characters (32 bytes)")]
    BadMasterKey,
}

/// Keys derived from the one master key in the configuration.
#[derive(Clone)]
pub struct Keys {
    card_key: [u8; 32],
    token_key: [u8; 32],
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(***)")
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("hmac accepts any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Keys {
    pub fn from_master(master: &[u8; 32]) -> Keys {
        Keys {
            card_key: derive(master, "ducatpay card data v1"),
            token_key: derive(master, "ducatpay access tokens v1"),
        }
    }

    /// Parses the hex master key from the configuration.
    pub fn from_hex(hex: &str) -> Result<Keys, KeyError> {
        let hex = hex.trim();
        if hex.len() != 64 {
            return Err(KeyError::BadMasterKey);
        }
        let mut master = [0u8; 32];
        for (i, byte) in master.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| KeyError::BadMasterKey)?;
        }
        Ok(Keys::from_master(&master))
    }

    /// A fresh random master key in hex, for the embedded default's key file.
    pub fn generate_master_hex() -> String {
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        master.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Seals `plain` bound to `context` (the row it belongs to): nonce ‖ ciphertext, base64url.
    pub fn seal(&self, plain: &[u8], context: &str) -> String {
        let cipher = XChaCha20Poly1305::new((&self.card_key).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption does not fail for in-memory buffers");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        B64.encode(out)
    }

    /// Opens what [`Keys::seal`] made for the same `context`; `None` if tampered or foreign.
    pub fn open(&self, sealed: &str, context: &str) -> Option<Vec<u8>> {
        let raw = B64.decode(sealed).ok()?;
        if raw.len() < 24 + 16 {
            return None;
        }
        let cipher = XChaCha20Poly1305::new((&self.card_key).into());
        cipher
            .decrypt(
                XNonce::from_slice(&raw[..24]),
                Payload {
                    msg: &raw[24..],
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }

    /// `<payload>.<mac>`: an integrity-protected token whose payload is readable JSON.
    pub fn sign(&self, kind: &str, payload: &serde_json::Value) -> String {
        let body = B64.encode(payload.to_string());
        let mac = self.mac(kind, &body);
        format!("{body}.{mac}")
    }

    /// Checks a token made by [`Keys::sign`] for the same `kind` and returns its payload.
    pub fn verify(&self, kind: &str, token: &str) -> Option<serde_json::Value> {
        let (body, mac) = token.split_once('.')?;
        let expected = self.mac(kind, body);
        if !constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
            return None;
        }
        let bytes = B64.decode(body).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn mac(&self, kind: &str, body: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.token_key).expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(body.as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Hex SHA-256, used for API keys: they are 256-bit random secrets, so a fast digest is safe
/// and lets every request find its key by an indexed lookup.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashing with default parameters does not fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::from_hex(&Keys::generate_master_hex()).unwrap()
    }

    #[test]
    fn sealed_data_opens_only_with_its_context_and_key() {
        let k = keys();
        let sealed = k.seal(b"4242424242424242", "res1");
        assert!(!sealed.contains("4242"));
        assert_eq!(k.open(&sealed, "res1").unwrap(), b"4242424242424242");
        assert!(k.open(&sealed, "res2").is_none());
        assert!(keys().open(&sealed, "res1").is_none());
    }

    #[test]
    fn signed_tokens_reject_tampering_and_other_kinds() {
        let k = keys();
        let t = k.sign("invoice", &serde_json::json!({"inv": "a"}));
        assert_eq!(k.verify("invoice", &t).unwrap()["inv"], "a");
        assert!(k.verify("other", &t).is_none());
        let forged = format!("{}.{}", B64.encode(r#"{"inv":"b"}"#), t.split_once('.').unwrap().1);
        assert!(k.verify("invoice", &forged).is_none());
    }

    #[test]
    fn passwords_hash_with_argon2id() {
        let h = hash_password("s3cret");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("wrong", &h));
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?} {}", Secret::new("4242"), Secret::new("4242")), "*** ***");
    }

    #[test]
    fn bad_master_keys_are_refused() {
        assert!(Keys::from_hex("abc").is_err());
        assert!(Keys::from_hex(&"zz".repeat(32)).is_err());
    }
}
