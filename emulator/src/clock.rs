//! The emulator's clock: the real clock plus a settable offset, and the time formats it
//! answers with.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ims_core::sign::SdkDate;
use ims_core::time;

/// The real clock shifted by a signed number of seconds (thread-safe).
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// A clock shifted by `offset_secs`.
    pub fn new(offset_secs: i64) -> Self {
        Clock {
            offset_secs: AtomicI64::new(offset_secs),
        }
    }

    /// Changes the offset.
    pub fn set_offset(&self, secs: i64) {
        self.offset_secs.store(secs, Ordering::Relaxed);
    }

    /// The offset in seconds.
    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    /// Milliseconds since the Unix epoch, offset included.
    pub fn now_millis(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.offset().saturating_mul(1000))
    }

    /// Seconds since the Unix epoch, offset included.
    pub fn now_unix(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

/// An HTTP `Date` (RFC 1123): `Tue, 02 Jan 2024 03:34:05 GMT`.
pub fn http_date(unix: i64) -> String {
    time::format_http_date(unix)
}

/// A job time with milliseconds: `2024-11-06T06:28:14.425Z`.
pub fn job_time(unix_millis: i64) -> String {
    time::format_rfc3339_millis(unix_millis)
}

/// An image time as the image APIs write it: `2024-11-06T06:28:14Z` (UTC, whole seconds).
pub fn image_time(unix: i64) -> String {
    let micros = time::format_rfc3339_micros(unix);
    format!("{}Z", &micros[..micros.len() - 8])
}

/// Reads an image time in either documented form of the time filters:
/// `yyyy-MM-ddThh:mm:ssZ` or `yyyy-MM-dd hh:mm:ss` (UTC).
pub fn parse_image_time(text: &str) -> Option<i64> {
    time::parse_rfc3339(text)
}

/// The metadata service's expiry form: `2026-11-26T10:00:00.000000Z`.
pub fn metadata_time(unix: i64) -> String {
    time::format_rfc3339_micros(unix)
}

/// An `X-Sdk-Date`-style stamp: `20240102T030405Z` (used in messages).
pub fn sdk_date(unix: i64) -> String {
    SdkDate::from_unix(unix)
        .map(|d| d.to_string())
        .unwrap_or_else(|_| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(http_date(1_704_166_445), "Tue, 02 Jan 2024 03:34:05 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(job_time(1_730_874_494_425), "2024-11-06T06:28:14.425Z");
        assert_eq!(image_time(1_730_874_494), "2024-11-06T06:28:14Z");
        assert_eq!(
            parse_image_time("2024-11-06T06:28:14Z"),
            Some(1_730_874_494)
        );
        assert_eq!(parse_image_time("2024-11-06 06:28:14"), Some(1_730_874_494));
        assert_eq!(parse_image_time("yesterday"), None);
        assert_eq!(metadata_time(1_795_687_200), "2026-11-26T10:00:00.000000Z");
        assert_eq!(sdk_date(1_704_164_645), "20240102T030405Z");
    }

    #[test]
    fn offset_applies() {
        let c = Clock::new(3600);
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        assert!((c.now_unix() - real - 3600).abs() <= 1);
        c.set_offset(-60);
        assert!((c.now_unix() - real + 60).abs() <= 1);
    }
}
