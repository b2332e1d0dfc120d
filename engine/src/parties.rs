//! Organisations (parties), their shops and API keys: the support desk's objects.

use crate::clock::rfc3339;
use crate::crypto::{hash_password, sha256_hex};
use crate::error::{EngineError, EngineResult};
use crate::validate::{all_digits, email_ok, len_between};
use crate::{ids, Engine};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Party {
    pub party_id: String,
    pub name: String,
    pub email: String,
    pub is_blocked: bool,
    pub is_suspended: bool,
    pub created_at: i64,
}

impl Party {
    /// Upstream `Party`.
    pub fn to_api(&self) -> Value {
        json!({"id": self.party_id, "isBlocked": self.is_blocked, "isSuspended": self.is_suspended})
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Shop {
    pub shop_id: String,
    pub party_id: String,
    pub name: String,
    pub url: String,
    pub bank_name: String,
    pub settlement_account: String,
    pub bik: String,
    pub corr_account: String,
    pub category_id: i64,
    pub currency: String,
    pub fee_bps: i64,
    pub hold_seconds: i64,
    pub is_blocked: bool,
    pub is_suspended: bool,
    pub created_at: i64,
}

impl Shop {
    /// Upstream `Shop`, plus the bank details the manual's shop card shows.
    pub fn to_api(&self) -> Value {
        json!({
            "id": self.shop_id,
            "createdAt": rfc3339(self.created_at),
            "isBlocked": self.is_blocked,
            "isSuspended": self.is_suspended,
            "currency": self.currency,
            "categoryID": self.category_id,
            "location": {"locationType": "ShopLocationUrl", "url": self.url},
            "details": {"name": self.name},
            "contractID": format!("{}-contract", self.party_id),
            "bankAccount": {
                "bankName": self.bank_name,
                "account": self.settlement_account,
                "bankBik": self.bik,
                "correspondentAccount": self.corr_account,
            },
        })
    }

    pub fn is_active(&self) -> bool {
        !self.is_blocked && !self.is_suspended
    }
}

/// What support enters to register a shop.
#[derive(Debug, Clone)]
pub struct NewShop {
    pub name: String,
    pub url: String,
    pub bank_name: String,
    pub settlement_account: String,
    pub bik: String,
    pub corr_account: String,
    pub category_id: i64,
    pub fee_bps: Option<i64>,
    pub hold_seconds: Option<i64>,
}

const SHOP_COLUMNS: &str = "shop_id, party_id, name, url, bank_name, settlement_account, bik, corr_account, \
     category_id, currency, fee_bps, hold_seconds, is_blocked, is_suspended, created_at";

fn shop_from_row(r: &sqlx::any::AnyRow) -> Result<Shop, sqlx::Error> {
    Ok(Shop {
        shop_id: r.try_get("shop_id")?,
        party_id: r.try_get("party_id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        bank_name: r.try_get("bank_name")?,
        settlement_account: r.try_get("settlement_account")?,
        bik: r.try_get("bik")?,
        corr_account: r.try_get("corr_account")?,
        category_id: r.try_get("category_id")?,
        currency: r.try_get("currency")?,
        fee_bps: r.try_get("fee_bps")?,
        hold_seconds: r.try_get("hold_seconds")?,
        is_blocked: r.try_get::<i64, _>("is_blocked")? != 0,
        is_suspended: r.try_get::<i64, _>("is_suspended")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

fn party_from_row(r: &sqlx::any::AnyRow) -> Result<Party, sqlx::Error> {
    Ok(Party {
        party_id: r.try_get("party_id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        is_blocked: r.try_get::<i64, _>("is_blocked")? != 0,
        is_suspended: r.try_get::<i64, _>("is_suspended")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// The demo organisation's fixed cabinet credentials (sandbox only).
pub const DEMO_EMAIL: &str = "demo@ducatpay.local";
pub const DEMO_PASSWORD: &str = "ducatpay-demo";

impl Engine {
    pub async fn create_party(&self, name: &str, email: &str, password: &str) -> EngineResult<Party> {
        len_between("name", name, 1, 200)?;
        if !email_ok(email) {
            return Err(EngineError::invalid_request("e-mail is not valid"));
        }
        if password.chars().count() < 8 {
            return Err(EngineError::invalid_request("password must be at least 8 characters"));
        }
        let party = Party {
            party_id: ids::new_id(),
            name: name.to_string(),
            email: email.to_lowercase(),
            is_blocked: false,
            is_suspended: false,
            created_at: self.clock.now_micros(),
        };
        let hash = hash_password(password);
        let done = sqlx::query(
            "insert into parties (party_id, name, email, password_hash, created_at) values ($1, $2, $3, $4, $5) \
             on conflict do nothing",
        )
        .bind(&party.party_id)
        .bind(&party.name)
        .bind(&party.email)
        .bind(&hash)
        .bind(party.created_at)
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(EngineError::invalid_request(format!(
                "an organisation with e-mail {} exists",
                party.email
            )));
        }
        Ok(party)
    }

    pub async fn party(&self, party_id: &str) -> EngineResult<Party> {
        let row = sqlx::query(
            "select party_id, name, email, is_blocked, is_suspended, created_at from parties where party_id = $1",
        )
        .bind(party_id)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(r) => Ok(party_from_row(&r)?),
            None => Err(EngineError::not_found("Party")),
        }
    }

    pub async fn party_by_email(&self, email: &str) -> EngineResult<Option<Party>> {
        let row = sqlx::query(
            "select party_id, name, email, is_blocked, is_suspended, created_at from parties where email = $1",
        )
        .bind(email.to_lowercase())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(|r| party_from_row(&r)).transpose()?)
    }

    pub async fn create_shop(&self, party_id: &str, new: NewShop) -> EngineResult<Shop> {
        self.party(party_id).await?;
        len_between("shop name", &new.name, 1, 100)?;
        len_between("site URL", &new.url, 1, 1000)?;
        if !(new.url.starts_with("http://") || new.url.starts_with("https://")) {
            return Err(EngineError::invalid_request(
                "site URL must start with http:// or https://",
            ));
        }
        len_between("bank name", &new.bank_name, 1, 200)?;
        if !all_digits(&new.settlement_account, 20) {
            return Err(EngineError::invalid_request("settlement account must be 20 digits"));
        }
        if !all_digits(&new.bik, 9) {
            return Err(EngineError::invalid_request("BIK must be 9 digits"));
        }
        if !all_digits(&new.corr_account, 20) {
            return Err(EngineError::invalid_request("correspondent account must be 20 digits"));
        }
        let fee_bps = new.fee_bps.unwrap_or(self.config.default_fee_bps);
        if !(0..=10_000).contains(&fee_bps) {
            return Err(EngineError::invalid_request(
                "fee must be between 0 and 10000 basis points",
            ));
        }
        let hold_seconds = new.hold_seconds.unwrap_or(self.config.default_hold_seconds);
        if !(1..=30 * 86_400).contains(&hold_seconds) {
            return Err(EngineError::invalid_request(
                "hold lifetime must be 1 second to 30 days",
            ));
        }
        let shop = Shop {
            shop_id: ids::new_id(),
            party_id: party_id.to_string(),
            name: new.name,
            url: new.url,
            bank_name: new.bank_name,
            settlement_account: new.settlement_account,
            bik: new.bik,
            corr_account: new.corr_account,
            category_id: new.category_id,
            currency: "RUB".into(),
            fee_bps,
            hold_seconds,
            is_blocked: false,
            is_suspended: false,
            created_at: self.clock.now_micros(),
        };
        sqlx::query(&format!(
            "insert into shops ({SHOP_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 0, $13)"
        ))
        .bind(&shop.shop_id)
        .bind(&shop.party_id)
        .bind(&shop.name)
        .bind(&shop.url)
        .bind(&shop.bank_name)
        .bind(&shop.settlement_account)
        .bind(&shop.bik)
        .bind(&shop.corr_account)
        .bind(shop.category_id)
        .bind(&shop.currency)
        .bind(shop.fee_bps)
        .bind(shop.hold_seconds)
        .bind(shop.created_at)
        .execute(&self.db.pool)
        .await?;
        Ok(shop)
    }

    /// A shop of this party; another party's shop is "not found".
    pub async fn shop(&self, party_id: &str, shop_id: &str) -> EngineResult<Shop> {
        let row = sqlx::query(&format!(
            "select {SHOP_COLUMNS} from shops where shop_id = $1 and party_id = $2"
        ))
        .bind(shop_id)
        .bind(party_id)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(r) => Ok(shop_from_row(&r)?),
            None => Err(EngineError::not_found("Shop")),
        }
    }

    pub async fn shops(&self, party_id: &str) -> EngineResult<Vec<Shop>> {
        let rows = sqlx::query(&format!(
            "select {SHOP_COLUMNS} from shops where party_id = $1 order by created_at, shop_id"
        ))
        .bind(party_id)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.iter().map(shop_from_row).collect::<Result<_, _>>()?)
    }

    /// Freezes (suspends) or unfreezes a shop: a frozen shop takes no new invoices or payments.
    pub async fn set_shop_suspended(&self, party_id: &str, shop_id: &str, suspended: bool) -> EngineResult<()> {
        let done = sqlx::query("update shops set is_suspended = $1 where shop_id = $2 and party_id = $3")
            .bind(i64::from(suspended))
            .bind(shop_id)
            .bind(party_id)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(EngineError::not_found("Shop"));
        }
        Ok(())
    }

    /// Issues a new API key for the party. The plain key is returned once; only its digest is kept.
    pub async fn issue_api_key(&self, party_id: &str) -> EngineResult<String> {
        self.party(party_id).await?;
        let key = format!("dp_{}", ids::random_base62(43));
        sqlx::query("insert into api_keys (key_id, party_id, key_hash, created_at) values ($1, $2, $3, $4)")
            .bind(ids::new_id())
            .bind(party_id)
            .bind(sha256_hex(key.as_bytes()))
            .bind(self.clock.now_micros())
            .execute(&self.db.pool)
            .await?;
        Ok(key)
    }

    /// Revokes every key of the party (the cabinet's "reissue" does this before issuing).
    pub async fn revoke_api_keys(&self, party_id: &str) -> EngineResult<u64> {
        let done = sqlx::query("update api_keys set revoked_at = $1 where party_id = $2 and revoked_at is null")
            .bind(self.clock.now_micros())
            .bind(party_id)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The party an API key belongs to, if the key is known and not revoked.
    pub async fn party_for_api_key(&self, key: &str) -> EngineResult<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("select party_id from api_keys where key_hash = $1 and revoked_at is null")
                .bind(sha256_hex(key.as_bytes()))
                .fetch_optional(&self.db.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// Makes sure the demo organisation and its shop exist and issues a fresh API key.
    pub async fn ensure_demo(&self) -> EngineResult<Value> {
        let party = match self.party_by_email(DEMO_EMAIL).await? {
            Some(p) => p,
            None => match self.create_party("DucatPay Demo LLC", DEMO_EMAIL, DEMO_PASSWORD).await {
                Ok(p) => p,
                // Another instance created it at the same moment.
                Err(EngineError::Logic { .. }) => self
                    .party_by_email(DEMO_EMAIL)
                    .await?
                    .ok_or_else(|| EngineError::Internal("demo party vanished".into()))?,
                Err(e) => return Err(e),
            },
        };
        let shop = match self.shops(&party.party_id).await?.into_iter().next() {
            Some(s) => s,
            None => {
                self.create_shop(
                    &party.party_id,
                    NewShop {
                        name: "Demo shop".into(),
                        url: "https://shop.example.com".into(),
                        bank_name: "Sandbox Bank".into(),
                        settlement_account: "40702810000000000001".into(),
                        bik: "044525225".into(),
                        corr_account: "30101810400000000225".into(),
                        category_id: 1,
                        fee_bps: None,
                        hold_seconds: None,
                    },
                )
                .await?
            }
        };
        let api_key = self.issue_api_key(&party.party_id).await?;
        Ok(json!({
            "partyID": party.party_id,
            "shopID": shop.shop_id,
            "apiKey": api_key,
            "cabinet": {"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
        }))
    }
}
