//! The injectable clock. Production reads the system time; tests and the sandbox can move a
//! shared offset forward so hold expiry, due dates and token lifetimes need no sleeping.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Microseconds since the Unix epoch, as stored in the database.
    pub fn now_micros(&self) -> i64 {
        Utc::now().timestamp_micros() + self.offset_micros.load(Ordering::Relaxed)
    }

    pub fn now(&self) -> DateTime<Utc> {
        from_micros(self.now_micros())
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: chrono::Duration) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX / 4);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

pub fn from_micros(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros).single().unwrap_or_default()
}

/// RFC 3339 with second precision and `Z`, the shape upstream clients expect.
pub fn rfc3339(micros: i64) -> String {
    from_micros(micros).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let c = Clock::system();
        let other = c.clone();
        let before = other.now_micros();
        c.advance(chrono::Duration::hours(2));
        assert!(other.now_micros() - before >= 7_200_000_000);
    }

    #[test]
    fn formats_as_utc_seconds() {
        assert_eq!(rfc3339(1_566_656_122_000_000), "2019-08-24T14:15:22Z");
    }
}
