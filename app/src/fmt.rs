//! Amounts and dates as the cabinet shows them, the same on the server and in the browser
//! (no time-zone database: the browser's UTC offset travels in a cookie and a signal).

use crate::i18n::Locale;

/// Minor units to "1 070,00 ₽" (ru) or "RUB 1,070.00" (en).
pub fn money(locale: Locale, minor: i64, currency: &str) -> String {
    let neg = minor < 0;
    let abs = minor.unsigned_abs();
    let (units, cents) = (abs / 100, abs % 100);
    let digits = units.to_string();
    let sep = match locale {
        Locale::Ru => '\u{a0}',
        Locale::En => ',',
    };
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(sep);
        }
        grouped.push(ch);
    }
    let sign = if neg { "-" } else { "" };
    match locale {
        Locale::Ru => {
            let sym = if currency == "RUB" { "₽" } else { currency };
            format!("{sign}{grouped},{cents:02}\u{a0}{sym}")
        }
        Locale::En => format!("{sign}{currency} {grouped}.{cents:02}"),
    }
}

/// "60", "60,5", "60.50", "1 070,00" to minor units; `None` when it is not an amount.
pub fn parse_money(input: &str) -> Option<i64> {
    let cleaned: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '₽')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let (units, frac) = match cleaned.split_once('.') {
        Some((u, f)) => (u, f),
        None => (cleaned.as_str(), ""),
    };
    if units.is_empty() && frac.is_empty() {
        return None;
    }
    if !units.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    let u: i64 = if units.is_empty() { 0 } else { units.parse().ok()? };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    u.checked_mul(100)?.checked_add(f)
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil-from-days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const RU_MONTHS: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Epoch micros in the user's zone (`offset_min` east of UTC): "12 марта 2025, 13:32".
pub fn datetime(locale: Locale, micros: i64, offset_min: i32) -> String {
    let secs = micros.div_euclid(1_000_000) + i64::from(offset_min) * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let (hh, mm) = (rem / 3600, (rem % 3600) / 60);
    match locale {
        Locale::Ru => format!("{d} {} {y}, {hh:02}:{mm:02}", RU_MONTHS[(m - 1) as usize]),
        Locale::En => format!("{d} {} {y}, {hh:02}:{mm:02}", EN_MONTHS[(m - 1) as usize]),
    }
}

/// `YYYY-MM-DD` of an instant in the user's zone (for date inputs).
pub fn date_input(micros: i64, offset_min: i32) -> String {
    let secs = micros.div_euclid(1_000_000) + i64::from(offset_min) * 60;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` to the epoch micros of that local midnight.
pub fn parse_date_input(s: &str, offset_min: i32) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some((days * 86_400 - i64::from(offset_min) * 60) * 1_000_000)
}

/// "12.5 %" style percent of basis points (10 = 0.1 %).
pub fn percent(bps: i64) -> String {
    let whole = bps / 100;
    let frac = bps % 100;
    if frac == 0 {
        format!("{whole} %")
    } else if frac % 10 == 0 {
        format!("{whole}.{} %", frac / 10)
    } else {
        format!("{whole}.{frac:02} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_both_locales() {
        assert_eq!(money(Locale::Ru, 10000, "RUB"), "100,00\u{a0}₽");
        assert_eq!(money(Locale::Ru, 107000, "RUB"), "1\u{a0}070,00\u{a0}₽");
        assert_eq!(money(Locale::En, 107000, "RUB"), "RUB 1,070.00");
        assert_eq!(money(Locale::En, 5, "RUB"), "RUB 0.05");
        assert_eq!(money(Locale::Ru, 123456789, "RUB"), "1\u{a0}234\u{a0}567,89\u{a0}₽");
    }

    #[test]
    fn amounts_parse_with_comma_or_dot() {
        assert_eq!(parse_money("60"), Some(6000));
        assert_eq!(parse_money("60,5"), Some(6050));
        assert_eq!(parse_money("60.05"), Some(6005));
        assert_eq!(parse_money("1 070,00 ₽"), Some(107000));
        assert_eq!(parse_money("6,005"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(parse_money(""), None);
        assert_eq!(parse_money("-5"), None);
    }

    #[test]
    fn dates_in_a_zone() {
        // 2019-08-24T14:15:22Z
        let t = 1_566_656_122_000_000;
        assert_eq!(datetime(Locale::Ru, t, 180), "24 августа 2019, 17:15");
        assert_eq!(datetime(Locale::En, t, 0), "24 Aug 2019, 14:15");
        assert_eq!(date_input(t, -900), "2019-08-23", "UTC-15: still the evening before");
        assert_eq!(date_input(t, 600), "2019-08-25", "UTC+10: already past midnight");
        assert_eq!(parse_date_input("2019-08-24", 0), Some(1_566_604_800_000_000));
        assert_eq!(
            parse_date_input("2019-08-24", 180),
            Some(1_566_604_800_000_000 - 10_800_000_000)
        );
        assert_eq!(parse_date_input("2019-13-01", 0), None);
    }

    #[test]
    fn percents() {
        assert_eq!(percent(10), "0.1 %");
        assert_eq!(percent(250), "2.5 %");
        assert_eq!(percent(100), "1 %");
        assert_eq!(percent(5), "0.05 %");
    }
}
