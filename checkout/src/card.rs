//! Card input rules shared by the server (validation of the posted form) and the browser (live
//! validation in the island): digits only, Luhn, brand by BIN, expiry MM/YY, CVC length.
//! No dependencies, so it costs the WASM bundle a few hundred bytes.

/// The card schemes the page names and shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brand {
    Mir,
    Visa,
    Mastercard,
    Maestro,
    Amex,
    Unknown,
}

impl Brand {
    /// Detected from the first digits typed (works on a partial number).
    pub fn detect(digits: &str) -> Brand {
        let p = |n: usize| digits.get(..n).and_then(|s| s.parse::<u32>().ok());
        if let Some(p4) = p(4) {
            if (2200..=2204).contains(&p4) {
                return Brand::Mir;
            }
            if (2221..=2720).contains(&p4) {
                return Brand::Mastercard;
            }
        }
        if digits.starts_with('4') {
            return Brand::Visa;
        }
        match p(2) {
            Some(34 | 37) => Brand::Amex,
            Some(51..=55) => Brand::Mastercard,
            Some(50 | 56..=69) => Brand::Maestro,
            _ => Brand::Unknown,
        }
    }

    pub fn name(self, ru: bool) -> &'static str {
        match self {
            Brand::Mir if ru => "МИР",
            Brand::Mir => "MIR",
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Maestro => "Maestro",
            Brand::Amex => "American Express",
            Brand::Unknown => "",
        }
    }

    /// CSS class suffix of the brand badge.
    pub fn slug(self) -> &'static str {
        match self {
            Brand::Mir => "mir",
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Maestro => "maestro",
            Brand::Amex => "amex",
            Brand::Unknown => "none",
        }
    }

    pub fn cvc_len(self) -> usize {
        if self == Brand::Amex {
            4
        } else {
            3
        }
    }

    /// Longest number the scheme issues.
    pub fn max_len(self) -> usize {
        match self {
            Brand::Amex => 15,
            Brand::Visa | Brand::Mir | Brand::Mastercard => 16,
            _ => 19,
        }
    }
}

/// Keeps the digits of what the buyer typed or pasted.
pub fn digits(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

/// `4242 4242 4242 4242`; American Express as 4-6-5.
pub fn format_number(raw: &str) -> String {
    let d = digits(raw);
    let brand = Brand::detect(&d);
    let d: String = d.chars().take(brand.max_len()).collect();
    let groups: &[usize] = if brand == Brand::Amex {
        &[4, 6, 5]
    } else {
        &[4, 4, 4, 4, 3]
    };
    let mut out = String::with_capacity(d.len() + 4);
    let mut rest = d.as_str();
    for g in groups {
        if rest.is_empty() {
            break;
        }
        let n = (*g).min(rest.len());
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

pub fn luhn_ok(d: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in d.bytes().rev().enumerate() {
        let mut v = u32::from(b.wrapping_sub(b'0'));
        if v > 9 {
            return false;
        }
        if !i.is_multiple_of(2) {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// What is wrong with a field, if anything; the page turns it into words in the buyer's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    Required,
    NumberLength,
    NumberLuhn,
    ExpiryFormat,
    ExpiryPast,
    Cvc,
    Holder,
    Email,
}

pub fn check_number(raw: &str) -> Result<String, FieldError> {
    let d = digits(raw);
    if d.is_empty() {
        return Err(FieldError::Required);
    }
    if !(12..=19).contains(&d.len()) || raw.chars().any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-')) {
        return Err(FieldError::NumberLength);
    }
    if !luhn_ok(&d) {
        return Err(FieldError::NumberLuhn);
    }
    Ok(d)
}

/// `0130` or `01/3` typed → `01/30` as the buyer sees it.
pub fn format_expiry(raw: &str) -> String {
    let mut d = digits(raw);
    // A single 2..9 means that month: "5" → "05".
    if d.len() == 1 && d.as_bytes()[0] > b'1' {
        d.insert(0, '0');
    }
    d.truncate(4);
    if d.len() > 2 {
        format!("{}/{}", &d[..2], &d[2..])
    } else {
        d
    }
}

/// `MM/YY` that is not in the past at (`year`, `month`) today; returns `MM/YY` normalised.
pub fn check_expiry(raw: &str, year: i32, month: u32) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::Required);
    }
    let (mm, yy) = t.split_once('/').ok_or(FieldError::ExpiryFormat)?;
    let (mm, yy) = (mm.trim(), yy.trim());
    let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(mm, 2) || !(ok(yy, 2) || ok(yy, 4)) {
        return Err(FieldError::ExpiryFormat);
    }
    let m: u32 = mm.parse().map_err(|_| FieldError::ExpiryFormat)?;
    let mut y: i32 = yy.parse().map_err(|_| FieldError::ExpiryFormat)?;
    if y < 100 {
        y += 2000;
    }
    if !(1..=12).contains(&m) {
        return Err(FieldError::ExpiryFormat);
    }
    if (y, m) < (year, month) {
        return Err(FieldError::ExpiryPast);
    }
    Ok(format!("{m:02}/{:02}", y % 100))
}

pub fn check_cvc(raw: &str) -> Result<String, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::Required);
    }
    if (3..=4).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_string())
    } else {
        Err(FieldError::Cvc)
    }
}

/// Latin letters, spaces and `.-'` as embossed on cards, 2–100 characters; upper-cased.
pub fn check_holder(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::Required);
    }
    let ok = (2..=100).contains(&t.chars().count())
        && t.chars().any(|c| c.is_ascii_alphabetic())
        && t.chars().all(|c| c.is_ascii_alphabetic() || " .-'".contains(c));
    if ok {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(FieldError::Holder)
    }
}

/// One `@`, a dot in the domain, no spaces, at most 100 characters (the API's rule).
pub fn check_email(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::Required);
    }
    let ok = match t.split_once('@') {
        Some((l, d)) => {
            t.len() <= 100
                && !l.is_empty()
                && !d.contains('@')
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !t.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(t.to_string())
    } else {
        Err(FieldError::Email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_by_bin() {
        assert_eq!(Brand::detect("2201382000000013"), Brand::Mir);
        assert_eq!(Brand::detect("4242"), Brand::Visa);
        assert_eq!(Brand::detect("5555555555554444"), Brand::Mastercard);
        assert_eq!(Brand::detect("2223577120017656"), Brand::Mastercard);
        assert_eq!(Brand::detect("586824160825533338"), Brand::Maestro);
        assert_eq!(Brand::detect("378282246310005"), Brand::Amex);
        assert_eq!(Brand::detect(""), Brand::Unknown);
    }

    #[test]
    fn numbers_are_grouped_by_scheme() {
        assert_eq!(format_number("4242424242424242"), "4242 4242 4242 4242");
        assert_eq!(format_number("4242-4242 42"), "4242 4242 42");
        assert_eq!(format_number("378282246310005"), "3782 822463 10005");
        assert_eq!(format_number("42424242424242429999"), "4242 4242 4242 4242");
    }

    #[test]
    fn luhn_and_length() {
        assert_eq!(check_number("4242 4242 4242 4242").as_deref(), Ok("4242424242424242"));
        assert_eq!(check_number("4242 4242 4242 4241"), Err(FieldError::NumberLuhn));
        assert_eq!(check_number("4242"), Err(FieldError::NumberLength));
        assert_eq!(check_number(""), Err(FieldError::Required));
        assert_eq!(check_number("4242x4242 4242 4242"), Err(FieldError::NumberLength));
    }

    #[test]
    fn expiry_mask_and_past_dates() {
        assert_eq!(format_expiry("1230"), "12/30");
        assert_eq!(format_expiry("5"), "05");
        assert_eq!(format_expiry("12/3"), "12/3");
        assert_eq!(check_expiry("12/30", 2026, 12).as_deref(), Ok("12/30"));
        assert_eq!(check_expiry("12/26", 2026, 12).as_deref(), Ok("12/26"));
        assert_eq!(check_expiry("11/26", 2026, 12), Err(FieldError::ExpiryPast));
        assert_eq!(check_expiry("13/30", 2026, 12), Err(FieldError::ExpiryFormat));
        assert_eq!(check_expiry("1230", 2026, 12), Err(FieldError::ExpiryFormat));
    }

    #[test]
    fn cvc_holder_email() {
        assert!(check_cvc("123").is_ok() && check_cvc("1234").is_ok());
        assert_eq!(check_cvc("12"), Err(FieldError::Cvc));
        assert_eq!(check_holder("ivan petrov").as_deref(), Ok("IVAN PETROV"));
        assert_eq!(check_holder("Иван"), Err(FieldError::Holder));
        assert!(check_email("buyer@example.com").is_ok());
        assert_eq!(check_email("buyer@"), Err(FieldError::Email));
    }
}
