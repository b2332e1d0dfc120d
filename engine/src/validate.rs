//! Small input rules shared by the API and the cabinet.

use crate::error::{EngineError, EngineResult};

/// Length in characters (not bytes) between `min` and `max`.
pub fn len_between(field: &str, value: &str, min: usize, max: usize) -> EngineResult<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(EngineError::invalid_request(if min == 0 {
            format!("{field} must be at most {max} characters")
        } else {
            format!("{field} must be {min} to {max} characters")
        }));
    }
    Ok(())
}

pub fn all_digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

/// A pragmatic e-mail check: one `@`, something on both sides, a dot in the domain, ≤ 100.
pub fn email_ok(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    value.len() <= 100
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// E.164 with the leading plus: `+` and 4 to 15 digits.
pub fn phone_ok(value: &str) -> bool {
    value
        .strip_prefix('+')
        .map(|d| (4..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(false)
}

/// Parses an RFC 3339 instant to epoch microseconds.
pub fn parse_instant(value: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones() {
        assert!(email_ok("buyer@example.com"));
        assert!(!email_ok("buyer@") && !email_ok("@x.ru") && !email_ok("a b@x.ru") && !email_ok("a@b"));
        assert!(phone_ok("+79990001122") && !phone_ok("79990001122") && !phone_ok("+12"));
    }

    #[test]
    fn lengths_count_characters() {
        assert!(len_between("product", &"я".repeat(100), 0, 100).is_ok());
        assert!(len_between("product", &"я".repeat(101), 0, 100).is_err());
    }

    #[test]
    fn instants_parse_with_offsets() {
        assert_eq!(parse_instant("2019-08-24T14:15:22Z"), Some(1_566_656_122_000_000));
        assert_eq!(parse_instant("2019-08-24T17:15:22+03:00"), Some(1_566_656_122_000_000));
        assert_eq!(parse_instant("tomorrow"), None);
    }
}
