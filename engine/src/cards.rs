//! Card data parsing: number (length + Luhn), expiry, payment system, masking.

use crate::crypto::Secret;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card number must be 12 to 19 digits")]
    NumberFormat,
    #[error("card number fails the Luhn check")]
    Luhn,
    #[error("expiry date must be MM/YY or MM/YYYY")]
    ExpiryFormat,
    #[error("card has expired")]
    Expired,
    #[error("CVV must be 3 or 4 digits")]
    Cvv,
    #[error("card holder must be 1 to 100 letters, spaces or punctuation")]
    Holder,
}

/// A card number that passed length and Luhn checks. Prints as its mask.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(Secret<String>);

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.mask())
    }
}

impl CardNumber {
    pub fn parse(raw: &str) -> Result<CardNumber, CardError> {
        if !(12..=19).contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::NumberFormat);
        }
        if !luhn_ok(raw) {
            return Err(CardError::Luhn);
        }
        Ok(CardNumber(Secret::new(raw.to_string())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn bin(&self) -> String {
        self.expose()[..6].to_string()
    }

    pub fn last4(&self) -> String {
        let n = self.expose();
        n[n.len() - 4..].to_string()
    }

    /// `424242******4242`: the only form of a card number that leaves the vault.
    pub fn mask(&self) -> String {
        let n = self.expose();
        format!("{}{}{}", &n[..6], "*".repeat(n.len() - 10), &n[n.len() - 4..])
    }

    /// The payment system by BIN range, named as upstream's payment tool details name them.
    pub fn payment_system(&self) -> &'static str {
        let n = self.expose();
        let p2: u32 = n[..2].parse().unwrap_or(0);
        let p4: u32 = n[..4].parse().unwrap_or(0);
        match () {
            _ if (2200..=2204).contains(&p4) => "mir",
            _ if p4 == 9860 => "humo",
            _ if n.starts_with('4') => "visa",
            _ if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) => "mastercard",
            _ if p2 == 34 || p2 == 37 => "amex",
            _ if (3528..=3589).contains(&p4) => "jcb",
            _ if p2 == 62 => "unionpay",
            _ if p2 == 50 || (56..=69).contains(&p2) => "maestro",
            _ => "unknown",
        }
    }
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if !i.is_multiple_of(2) {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Card expiry: the card is valid through the last day of `month`/`year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpDate {
    pub month: u32,
    pub year: i32,
}

impl ExpDate {
    /// Parses `MM/YY` or `MM/YYYY` and refuses a card that expired before `today`.
    pub fn parse(raw: &str, today: chrono::NaiveDate) -> Result<ExpDate, CardError> {
        use chrono::Datelike;
        let (mm, yy) = raw.split_once('/').ok_or(CardError::ExpiryFormat)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if mm.len() != 2 || !digits(mm) || !(yy.len() == 2 || yy.len() == 4) || !digits(yy) {
            return Err(CardError::ExpiryFormat);
        }
        let month: u32 = mm.parse().map_err(|_| CardError::ExpiryFormat)?;
        let mut year: i32 = yy.parse().map_err(|_| CardError::ExpiryFormat)?;
        if yy.len() == 2 {
            year += 2000;
        }
        if !(1..=12).contains(&month) {
            return Err(CardError::ExpiryFormat);
        }
        if (year, month) < (today.year(), today.month()) {
            return Err(CardError::Expired);
        }
        Ok(ExpDate { month, year })
    }

    pub fn to_mm_yyyy(self) -> String {
        format!("{:02}/{:04}", self.month, self.year)
    }
}

pub fn parse_cvv(raw: &str) -> Result<Secret<String>, CardError> {
    if (3..=4).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Secret::new(raw.to_string()))
    } else {
        Err(CardError::Cvv)
    }
}

/// Upstream's pattern: letters, spaces and punctuation, 1–100 characters.
pub fn parse_holder(raw: &str) -> Result<String, CardError> {
    let n = raw.chars().count();
    if (1..=100).contains(&n)
        && raw
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || c.is_ascii_punctuation())
    {
        Ok(raw.to_string())
    } else {
        Err(CardError::Holder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    #[test]
    fn card_numbers_need_digits_length_and_luhn() {
        assert!(CardNumber::parse("4242424242424242").is_ok());
        assert_eq!(CardNumber::parse("4242424242424241"), Err(CardError::Luhn));
        assert_eq!(CardNumber::parse("42424242"), Err(CardError::NumberFormat));
        assert_eq!(CardNumber::parse("4242-4242-4242-4242"), Err(CardError::NumberFormat));
        assert_eq!(CardNumber::parse("42424242424242424242"), Err(CardError::NumberFormat));
    }

    #[test]
    fn payment_systems_include_mir_and_maestro() {
        let sys = |n: &str| CardNumber::parse(n).unwrap().payment_system();
        assert_eq!(sys("2201382000000013"), "mir");
        assert_eq!(sys("4242424242424242"), "visa");
        assert_eq!(sys("5555555555554444"), "mastercard");
        assert_eq!(sys("586824160825533338"), "maestro");
        assert_eq!(sys("9860099104199734"), "humo");
    }

    #[test]
    fn masks_hide_the_middle_and_debug_prints_the_mask() {
        let c = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(c.mask(), "424242******4242");
        assert_eq!(format!("{c:?}"), "424242******4242");
        assert_eq!((c.bin().as_str(), c.last4().as_str()), ("424242", "4242"));
    }

    #[test]
    fn expiry_accepts_both_year_forms_and_refuses_the_past() {
        assert_eq!(
            ExpDate::parse("12/26", today()).unwrap(),
            ExpDate { month: 12, year: 2026 }
        );
        assert_eq!(ExpDate::parse("01/2030", today()).unwrap().to_mm_yyyy(), "01/2030");
        assert_eq!(ExpDate::parse("11/26", today()), Err(CardError::Expired));
        assert_eq!(ExpDate::parse("13/30", today()), Err(CardError::ExpiryFormat));
        assert_eq!(ExpDate::parse("1/30", today()), Err(CardError::ExpiryFormat));
        assert_eq!(ExpDate::parse("12-30", today()), Err(CardError::ExpiryFormat));
    }

    #[test]
    fn cvv_and_holder_rules() {
        assert!(parse_cvv("123").is_ok() && parse_cvv("1234").is_ok());
        assert!(parse_cvv("12").is_err() && parse_cvv("12a").is_err());
        assert!(parse_holder("IVAN PETROV").is_ok() && parse_holder("Иван Петров").is_ok());
        assert!(parse_holder("").is_err() && parse_holder("R2D2").is_err());
    }
}
