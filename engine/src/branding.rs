//! How a shop's hosted checkout looks: logo, pay-button colour, and whether the form asks for
//! the cardholder's name. Set by support (`ducatpay admin set-branding`), later by the cabinet.

use crate::error::{EngineError, EngineResult};
use crate::Engine;
use serde::Serialize;
use sqlx::Row;

/// A data: URI logo is inlined into every checkout page, so it is kept small.
pub const MAX_DATA_URI_LOGO: usize = 16 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Branding {
    pub logo_url: Option<String>,
    pub button_colour: Option<String>,
    pub ask_cardholder: bool,
}

/// `#rrggbb`, returned lower-cased.
pub fn parse_colour(raw: &str) -> EngineResult<String> {
    let ok = raw.len() == 7 && raw.starts_with('#') && raw[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(EngineError::invalid_request(
            "button colour must be #rrggbb, e.g. #1f6feb",
        ))
    }
}

/// An http(s) URL (≤ 1000 characters) or a base64 `data:image/…` URI (≤ 16 KiB).
pub fn parse_logo(raw: &str) -> EngineResult<String> {
    let bad = |m: &str| Err(EngineError::invalid_request(m.to_string()));
    let printable = raw
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'\\'));
    if !printable {
        return bad("logo URL must be printable ASCII without spaces, quotes or angle brackets");
    }
    if let Some(rest) = raw.strip_prefix("data:") {
        if raw.len() > MAX_DATA_URI_LOGO {
            return bad("a data: logo must be at most 16 KiB; host a larger one and give its https URL");
        }
        let Some((mime, data)) = rest.split_once(";base64,") else {
            return bad("a data: logo must be base64 (data:image/png;base64,…)");
        };
        let image = matches!(
            mime,
            "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/svg+xml"
        );
        let base64 = !data.is_empty() && data.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
        if !image || !base64 {
            return bad("a data: logo must be image/png, jpeg, gif, webp or svg+xml in base64");
        }
        return Ok(raw.to_string());
    }
    let host_start = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .filter(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if host_start.is_none() || raw.len() > 1000 {
        return bad("logo must be an http(s) URL of at most 1000 characters or a data:image URI");
    }
    Ok(raw.to_string())
}

impl Engine {
    /// Replaces the shop's branding. `None` means the default (no logo, the standard colour).
    pub async fn set_shop_branding(&self, party_id: &str, shop_id: &str, b: &Branding) -> EngineResult<Branding> {
        self.shop(party_id, shop_id).await?;
        let clean = Branding {
            logo_url: b.logo_url.as_deref().map(parse_logo).transpose()?,
            button_colour: b.button_colour.as_deref().map(parse_colour).transpose()?,
            ask_cardholder: b.ask_cardholder,
        };
        sqlx::query(
            "insert into shop_branding (shop_id, party_id, logo_url, button_colour, ask_cardholder, updated_at) \
             values ($1, $2, $3, $4, $5, $6) on conflict (shop_id) do update set logo_url = $3, button_colour = $4, \
             ask_cardholder = $5, updated_at = $6",
        )
        .bind(shop_id)
        .bind(party_id)
        .bind(&clean.logo_url)
        .bind(&clean.button_colour)
        .bind(i64::from(clean.ask_cardholder))
        .bind(self.clock.now_micros())
        .execute(&self.db.pool)
        .await?;
        Ok(clean)
    }

    /// The shop's branding, or the defaults when none was set.
    pub async fn shop_branding(&self, party_id: &str, shop_id: &str) -> EngineResult<Branding> {
        let row = sqlx::query(
            "select logo_url, button_colour, ask_cardholder from shop_branding where shop_id = $1 and party_id = $2",
        )
        .bind(shop_id)
        .bind(party_id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(match row {
            Some(r) => Branding {
                logo_url: r.try_get("logo_url")?,
                button_colour: r.try_get("button_colour")?,
                ask_cardholder: r.try_get::<i64, _>("ask_cardholder")? != 0,
            },
            None => Branding::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_hex_triplets() {
        assert_eq!(parse_colour("#1F6FEB").unwrap(), "#1f6feb");
        for bad in ["1f6feb", "#1f6fe", "#1f6febb", "#12345g", "red", "#fff"] {
            assert!(parse_colour(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn logos_are_urls_or_small_data_images() {
        assert!(parse_logo("https://shop.example.com/logo.png").is_ok());
        assert!(parse_logo("http://127.0.0.1:8080/logo.svg").is_ok());
        assert!(parse_logo("data:image/png;base64,iVBORw0KGgo=").is_ok());
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "ftp://x/y.png",
            "https://x/\"onerror=alert(1)",
            "https://x/a b.png",
            "data:text/html;base64,PGgxPg==",
            "data:image/png,raw",
        ] {
            assert!(parse_logo(bad).is_err(), "{bad}");
        }
        let big = format!("data:image/png;base64,{}", "A".repeat(MAX_DATA_URI_LOGO));
        assert!(parse_logo(&big).is_err());
    }
}
