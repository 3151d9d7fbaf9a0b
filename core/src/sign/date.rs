//! `X-Sdk-Date` values: UTC `YYYYMMDDTHHMMSSZ`, converted to and from Unix time without a clock.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::SignError;
use crate::time::{civil_from_days, days_from_civil, days_in_month};

/// A signing time, second precision, UTC. The signer never reads the clock: callers pass one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SdkDate {
    unix: i64,
    text: [u8; 16],
}

impl SdkDate {
    /// From seconds since the Unix epoch (years 1970 to 9999).
    pub fn from_unix(unix: i64) -> Result<Self, SignError> {
        if !(0..=253_402_300_799).contains(&unix) {
            return Err(SignError::InvalidDate(format!(
                "{unix} seconds is outside 1970-9999"
            )));
        }
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (secs / 3600, (secs / 60) % 60, secs % 60);
        let mut text = [0u8; 16];
        put(&mut text[0..4], y);
        put(&mut text[4..6], m);
        put(&mut text[6..8], d);
        text[8] = b'T';
        put(&mut text[9..11], hh);
        put(&mut text[11..13], mm);
        put(&mut text[13..15], ss);
        text[15] = b'Z';
        Ok(SdkDate { unix, text })
    }

    /// From a `SystemTime` (sub-second part dropped).
    pub fn from_system_time(t: SystemTime) -> Result<Self, SignError> {
        let secs = t
            .duration_since(UNIX_EPOCH)
            .map_err(|_| SignError::InvalidDate("time before 1970".into()))?
            .as_secs();
        Self::from_unix(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// Parses `YYYYMMDDTHHMMSSZ`, checking every field's range.
    pub fn parse(text: &str) -> Result<Self, SignError> {
        let b = text.as_bytes();
        let bad = || SignError::InvalidDate(format!("{:?} is not YYYYMMDDTHHMMSSZ", clip(text)));
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, SignError> {
            b[r].iter().try_fold(0i64, |acc, c| {
                c.is_ascii_digit()
                    .then(|| acc * 10 + i64::from(c - b'0'))
                    .ok_or_else(bad)
            })
        };
        let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
        let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
        if !(1..=12).contains(&mo)
            || d < 1
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || s > 59
        {
            return Err(bad());
        }
        let days = days_from_civil(y, mo, d)
            .ok_or_else(|| SignError::InvalidDate("the year is out of range".into()))?;
        Self::from_unix(
            days.saturating_mul(86_400)
                .saturating_add(h * 3600 + mi * 60 + s),
        )
    }

    /// The text form, `YYYYMMDDTHHMMSSZ`.
    pub fn as_str(&self) -> &str {
        // The buffer only ever holds ASCII digits, `T` and `Z`.
        std::str::from_utf8(&self.text).unwrap_or("19700101T000000Z")
    }

    /// The date part, `YYYYMMDD` (used in the V11 scope).
    pub fn day(&self) -> &str {
        &self.as_str()[..8]
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.unix
    }

    /// As a `SystemTime`.
    pub fn to_system_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.unix.unsigned_abs())
    }
}

impl fmt::Display for SdkDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SdkDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SdkDate({})", self.as_str())
    }
}

fn clip(s: &str) -> String {
    crate::violation::preview(s)
}

fn put(out: &mut [u8], mut v: i64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_unix_times_are_errors_not_panics() {
        for t in [
            i64::MIN,
            i64::MIN + 1,
            -1,
            253_402_300_800,
            i64::MAX - 1,
            i64::MAX,
        ] {
            assert!(SdkDate::from_unix(t).is_err(), "{t}");
        }
        assert_eq!(
            SdkDate::from_unix(253_402_300_799).map(|d| d.to_string()),
            Ok("99991231T235959Z".to_owned())
        );
    }

    #[test]
    fn known_dates() {
        assert_eq!(SdkDate::from_unix(0).unwrap().as_str(), "19700101T000000Z");
        assert_eq!(
            SdkDate::from_unix(1_704_164_645).unwrap().as_str(),
            "20240102T030405Z"
        );
        assert_eq!(
            SdkDate::parse("20240229T235959Z").unwrap().unix(),
            1_709_251_199
        );
    }

    #[test]
    fn round_trip_many() {
        for unix in (0..253_402_300_799i64).step_by(9_876_543) {
            let d = SdkDate::from_unix(unix).unwrap();
            assert_eq!(SdkDate::parse(d.as_str()).unwrap().unix(), unix);
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "20240102T030405",
            "20240102 030405Z",
            "20241302T030405Z",
            "20230229T000000Z",
            "20240102T240000Z",
            "2024010xT030405Z",
            "２０２40102T0304Z",
        ] {
            assert!(SdkDate::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(SdkDate::from_unix(-1).is_err());
    }
}
