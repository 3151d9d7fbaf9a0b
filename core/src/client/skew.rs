//! Clock-skew correction: what to do when the gateway says a signature expired, given its
//! `Date`, the local clock and the offset the failing attempt was signed with.

/// Skew (seconds) beyond which the gateway's `Date` is trusted over the local clock: 5 minutes.
pub(crate) const SKEW_LIMIT_SECS: i64 = 300;

/// The largest correction this client applies: ±24 hours. A `Date` further away (a hostile or
/// broken gateway, year 10000, 1969) is reported in the error and never applied.
pub const MAX_SKEW_CORRECTION_SECS: i64 = 24 * 3600;

/// What to do after an "expired" signature failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Store this offset and retry (once).
    Correct(i64),
    /// Give up, with this hint for the error.
    Hint(String),
}

/// Judges an expired signature: `server_date` is the raw `Date` header (when sent), `local_now`
/// the local clock without offset, `signed_offset` the offset the attempt was signed with,
/// `corrected` whether this call already corrected once.
pub(crate) fn judge(
    server_date: Option<&str>,
    local_now: i64,
    signed_offset: i64,
    corrected: bool,
) -> Verdict {
    let Some(date) = server_date else {
        return Verdict::Hint(
            "the service sent no Date, so the clock could not be corrected: check the local clock and the AK/SK"
                .to_owned(),
        );
    };
    let shown = clip(date);
    let skew = crate::time::parse_http_date(date).and_then(|server| server.checked_sub(local_now));
    let Some(skew) = skew.filter(|s| s.abs() <= MAX_SKEW_CORRECTION_SECS) else {
        let distance = skew.map_or_else(String::new, |s| format!(" ({s} s from the local clock)"));
        return Verdict::Hint(format!(
            "the service's clock reads {shown}{distance}, beyond the ±24 h this client corrects: nothing was applied; check the local clock and the service's Date"
        ));
    };
    if !corrected && skew.saturating_sub(signed_offset).abs() > SKEW_LIMIT_SECS {
        return Verdict::Correct(skew);
    }
    Verdict::Hint(if corrected {
        format!(
            "the local clock is off by {skew} s from the service's; it was corrected once and the signature still expired"
        )
    } else {
        format!(
            "the local clock is {skew} s from the service's, within the 15-minute window: check the AK/SK"
        )
    })
}

/// At most 64 characters of server text, one line (control characters escaped).
fn clip(s: &str) -> String {
    crate::violation::preview(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_http_date;

    const NOW: i64 = 1_795_687_200;

    fn at(offset: i64) -> String {
        format_http_date(NOW + offset)
    }

    #[test]
    fn threshold_is_300_seconds_from_the_signed_offset() {
        let hint = |v: Verdict| match v {
            Verdict::Hint(h) => h,
            Verdict::Correct(o) => panic!("corrected by {o}"),
        };
        assert!(hint(judge(Some(&at(300)), NOW, 0, false)).contains("check the AK/SK"));
        assert!(hint(judge(Some(&at(-300)), NOW, 0, false)).contains("check the AK/SK"));
        assert_eq!(judge(Some(&at(301)), NOW, 0, false), Verdict::Correct(301));
        assert_eq!(
            judge(Some(&at(-301)), NOW, 0, false),
            Verdict::Correct(-301)
        );
        // Measured against the offset the attempt was signed with, not the one in force now.
        assert_eq!(
            judge(Some(&at(1800)), NOW, 0, false),
            Verdict::Correct(1800)
        );
        assert!(hint(judge(Some(&at(1800)), NOW, 1800, false)).contains("check the AK/SK"));
        assert!(hint(judge(Some(&at(1800)), NOW, 0, true)).contains("corrected once"));
    }

    #[test]
    fn correction_is_bounded_to_a_day() {
        let day = MAX_SKEW_CORRECTION_SECS;
        assert_eq!(judge(Some(&at(day)), NOW, 0, false), Verdict::Correct(day));
        assert_eq!(
            judge(Some(&at(-day)), NOW, 0, false),
            Verdict::Correct(-day)
        );
        for date in [
            at(day + 1),
            at(-day - 1),
            "Sat, 01 Jan 10000 00:00:00 GMT".to_owned(),
            "Wed, 31 Dec 1969 23:59:59 GMT".to_owned(),
            "Mon, 01 Jan 99999999999999999 00:00:00 GMT".to_owned(),
            "not a date".to_owned(),
        ] {
            match judge(Some(&date), NOW, 0, false) {
                Verdict::Hint(h) => assert!(h.contains(&date) && h.contains("24 h"), "{h}"),
                v => panic!("{date}: {v:?}"),
            }
        }
        assert!(matches!(judge(None, NOW, 0, false), Verdict::Hint(_)));
        // No overflow at the extremes of the local clock.
        assert!(matches!(
            judge(Some(&at(0)), i64::MIN, i64::MAX, false),
            Verdict::Hint(_)
        ));
    }
}
