//! Calendar arithmetic without a clock or a time crate: civil dates to and from Unix days, and
//! the two timestamp formats the service sends (RFC 3339 `expires_at`, RFC 1123 `Date`).

pub(crate) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm); `None` when
/// the year is too far out for the result (or its seconds) to be represented.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.checked_mul(146_097)?
        .checked_add(doe)?
        .checked_sub(719_468)
}

/// The inverse of [`days_from_civil`], for any day count (computed in `i128`, so it never
/// overflows; the year of any `i64` day count fits an `i64`).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = i128::from(z) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 {
        yoe + era * 400 + 1
    } else {
        yoe + era * 400
    };
    // m is 1..=12 and d 1..=31; y is at most |z| / 365 + 1.
    let small = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
    (small(y), small(m), small(d))
}

/// Unix seconds of a civil date and time of day, `None` when it does not fit an `i64`.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
fn unix_of(y: i64, mo: i64, d: i64, secs_of_day: i64) -> Option<i64> {
    days_from_civil(y, mo, d)?
        .checked_mul(86_400)?
        .checked_add(secs_of_day)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|+00:00]` (UTC; the separator may also be a space)
/// into Unix seconds; `None` when it is not that form.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |a, c| {
            c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0'))
        })
    };
    let (y, mo, d, h, mi, sec) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + digits..];
    }
    let offset = match rest {
        b"" | b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hh = i64::from(h1.checked_sub(b'0')?) * 10 + i64::from(h2.checked_sub(b'0')?);
            let mm = i64::from(m1.checked_sub(b'0')?) * 10 + i64::from(m2.checked_sub(b'0')?);
            let o = hh * 3600 + mm * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    unix_of(y, mo, d, h * 3600 + mi * 60 + sec - offset)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Parses an HTTP `Date` (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    let mut it = s.split_whitespace();
    let _weekday = it.next()?;
    let d: i64 = it.next()?.parse().ok()?;
    let mon = it.next()?;
    let mo = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as i64 + 1;
    let y: i64 = it.next()?.parse().ok()?;
    let mut hms = it
        .next()?
        .split(':')
        .map(|p| p.parse::<u8>().ok().map(i64::from));
    let (h, mi, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next() != Some("GMT")
        || !(1..=12).contains(&mo)
        || d < 1
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || sec > 60
    {
        return None;
    }
    unix_of(y, mo, d, h * 3600 + mi * 60 + sec)
}

/// Formats Unix seconds as an HTTP `Date`.
pub fn format_http_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = DAYS[days.rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Formats Unix seconds as RFC 3339 with microseconds (`2026-11-26T10:00:00.000000Z`).
pub fn format_rfc3339_micros(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Formats Unix milliseconds as RFC 3339 with milliseconds (`2024-11-06T06:28:14.425Z`), the
/// job document's time form.
pub fn format_rfc3339_millis(unix_millis: i64) -> String {
    let unix = unix_millis.div_euclid(1000);
    let micros = format_rfc3339_micros(unix);
    format!(
        "{}.{:03}Z",
        &micros[..micros.len() - 8],
        unix_millis.rem_euclid(1000)
    )
}

/// Seconds since the Unix epoch, now.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, now.
#[cfg_attr(not(feature = "fleet"), allow(dead_code))]
pub(crate) fn now_unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_forms() {
        assert_eq!(
            parse_rfc3339("2026-11-26T10:00:00.000000Z"),
            Some(1_795_687_200)
        );
        assert_eq!(parse_rfc3339("2026-11-26T10:00:00Z"), Some(1_795_687_200));
        assert_eq!(
            parse_rfc3339("2026-11-26T12:00:00+02:00"),
            Some(1_795_687_200)
        );
        assert_eq!(parse_rfc3339("2026-13-26T10:00:00Z"), None);
        assert_eq!(parse_rfc3339("garbage"), None);
        assert_eq!(
            format_rfc3339_micros(1_795_687_200),
            "2026-11-26T10:00:00.000000Z"
        );
        assert_eq!(
            format_rfc3339_millis(1_730_874_494_425),
            "2024-11-06T06:28:14.425Z"
        );
        assert_eq!(format_rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn http_date_round_trip() {
        assert_eq!(
            format_http_date(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        for t in (0..4_000_000_000i64).step_by(123_456_789) {
            assert_eq!(parse_http_date(&format_http_date(t)), Some(t));
        }
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37"), None);
    }

    #[test]
    fn extreme_dates_never_overflow() {
        assert_eq!(
            parse_http_date("Sat, 01 Jan 10000 00:00:00 GMT"),
            Some(253_402_300_800)
        );
        assert_eq!(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT"), Some(-1));
        for year in [
            "99999999999999999".to_owned(),
            "-99999999999999999".to_owned(),
            i64::MAX.to_string(),
            i64::MIN.to_string(),
        ] {
            let date = format!("Mon, 01 Mar {year} 00:00:00 GMT");
            assert_eq!(parse_http_date(&date), None, "{date}");
        }
        assert_eq!(
            parse_http_date("Mon, 01 Jan 292277026597 00:00:00 GMT"),
            None
        );
        assert_eq!(
            parse_http_date("Mon, 01 Jan 2026 99999999999999999999:00:00 GMT"),
            None
        );
        assert_eq!(days_from_civil(i64::MAX, 12, 31), None);
        assert_eq!(days_from_civil(i64::MIN, 1, 1), None);
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        for t in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
            let text = format_http_date(t);
            assert!(text.ends_with("GMT"), "{text}");
            assert!(format_rfc3339_micros(t).ends_with('Z'));
            assert!(format_rfc3339_millis(t).ends_with('Z'));
        }
    }
}
