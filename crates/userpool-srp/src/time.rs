//! The TIMESTAMP format: `EEE MMM d HH:mm:ss UTC yyyy`, English names, UTC, day of month
//! not zero-padded.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::SrpError;
use crate::calendar::{CivilTime, MONTHS, WEEKDAYS};

/// Formats a Unix time (seconds) as a TIMESTAMP, e.g. `Tue Nov 3 12:34:56 UTC 2026`.
///
/// Years outside `0..=9999` are printed with as many digits as they need (such strings are
/// not canonical and [`parse_timestamp`] rejects them).
pub fn timestamp_from_unix(secs: i64) -> String {
    let t = CivilTime::from_unix(secs);
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {:04}",
        t.weekday_name(),
        t.month_name(),
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.year
    )
}

/// Seconds since the Unix epoch (floor), saturating at the `i64` range.
fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                s.saturating_neg().saturating_sub(1)
            } else {
                s.saturating_neg()
            }
        }
    }
}

/// The TIMESTAMP for an instant (what the client sends with PASSWORD_VERIFIER).
pub fn timestamp(now: SystemTime) -> String {
    timestamp_from_unix(unix_secs(now))
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// Parses a TIMESTAMP strictly: only the canonical form that [`timestamp_from_unix`]
/// produces is accepted (single spaces, English names, a weekday that matches the date,
/// day of month without zero padding, two-digit time fields, `UTC`, a four-digit year).
/// Returns Unix seconds.
pub fn parse_timestamp(s: &str) -> Result<i64, SrpError> {
    let bad = || SrpError::InvalidTimestamp;
    if !s.is_ascii() || s.len() > 40 {
        return Err(bad());
    }
    let mut parts = s.split(' ');
    let (Some(wd), Some(mon), Some(day), Some(time), Some(zone), Some(year), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let weekday = WEEKDAYS.iter().position(|&w| w == wd).ok_or_else(bad)?;
    let month = MONTHS.iter().position(|&m| m == mon).ok_or_else(bad)? as u32 + 1;
    let day = match day.as_bytes() {
        [d @ b'1'..=b'9'] => u32::from(d - b'0'),
        [d @ b'1'..=b'9', e @ b'0'..=b'9'] => u32::from(d - b'0') * 10 + u32::from(e - b'0'),
        _ => return Err(bad()),
    };
    let (hour, minute, second) = match time.as_bytes() {
        [h0, h1, b':', m0, m1, b':', s0, s1] => (
            two_digits(&[*h0, *h1]).ok_or_else(bad)?,
            two_digits(&[*m0, *m1]).ok_or_else(bad)?,
            two_digits(&[*s0, *s1]).ok_or_else(bad)?,
        ),
        _ => return Err(bad()),
    };
    if zone != "UTC" {
        return Err(bad());
    }
    let year = match year.as_bytes() {
        y @ [_, _, _, _] if y.iter().all(u8::is_ascii_digit) => y
            .iter()
            .fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0')),
        _ => return Err(bad()),
    };
    let civil = CivilTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        weekday: 0,
    };
    // None for an impossible date or time of day.
    let secs = civil.to_unix().ok_or_else(bad)?;
    if CivilTime::from_unix(secs).weekday as usize != weekday {
        return Err(bad());
    }
    // The checks above make the string canonical; confirm it to be certain.
    if timestamp_from_unix(secs) != s {
        return Err(bad());
    }
    Ok(secs)
}

/// True if `ts` is a canonical TIMESTAMP within `max_skew` of `now` (either direction).
/// [`crate::SrpServer::verify`] checks the format only; a server calls this to bound the
/// clock difference (a few minutes).
pub fn timestamp_is_fresh(ts: &str, now: SystemTime, max_skew: Duration) -> Result<bool, SrpError> {
    let t = parse_timestamp(ts)?;
    let now = unix_secs(now);
    let skew = i64::try_from(max_skew.as_secs()).unwrap_or(i64::MAX);
    Ok(t.abs_diff(now) <= skew.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(timestamp_from_unix(0), "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(
            timestamp_from_unix(1_793_709_296),
            "Tue Nov 3 12:34:56 UTC 2026"
        );
        assert_eq!(
            timestamp_from_unix(1_835_427_907),
            "Tue Feb 29 09:05:07 UTC 2028"
        );
        assert_eq!(
            timestamp_from_unix(1_735_689_599),
            "Tue Dec 31 23:59:59 UTC 2024"
        );
        assert_eq!(
            timestamp_from_unix(253_402_300_799),
            "Fri Dec 31 23:59:59 UTC 9999"
        );
        assert_eq!(timestamp_from_unix(-1), "Wed Dec 31 23:59:59 UTC 1969");
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_millis(1_793_709_296_999)),
            "Tue Nov 3 12:34:56 UTC 2026"
        );
        assert_eq!(
            timestamp(UNIX_EPOCH - Duration::from_millis(500)),
            "Wed Dec 31 23:59:59 UTC 1969"
        );
    }

    #[test]
    fn extremes_do_not_panic() {
        // years outside 0..=9999 format, but are not canonical
        for s in [
            i64::MIN,
            i64::MIN + 1,
            i64::MAX - 1,
            i64::MAX,
            253_402_300_800,
        ] {
            let t = timestamp_from_unix(s);
            assert!(parse_timestamp(&t).is_err(), "{t}");
        }
        assert_eq!(
            timestamp_from_unix(253_402_300_800),
            "Sat Jan 1 00:00:00 UTC 10000"
        );
    }

    #[test]
    fn parse_round_trip_and_rejections() {
        assert_eq!(
            parse_timestamp("Tue Nov 3 12:34:56 UTC 2026"),
            Ok(1_793_709_296)
        );
        assert_eq!(parse_timestamp("Thu Jan 1 00:00:00 UTC 1970"), Ok(0));
        for bad in [
            "Tue Nov 03 12:34:56 UTC 2026", // zero-padded day
            "Tue Nov  3 12:34:56 UTC 2026", // space-padded day
            "Tue Nov 3 2:34:56 UTC 2026",
            "Tue Nov 3 12:34:56 GMT 2026",
            "Tue November 3 12:34:56 UTC 2026",
            "Tue nov 3 12:34:56 UTC 2026",
            "Tue Noe 3 12:34:56 UTC 2026",
            "Wed Nov 3 12:34:56 UTC 2026", // wrong weekday
            "tue Nov 3 12:34:56 UTC 2026",
            "Tue Nov 3 24:00:00 UTC 2026",
            "Tue Nov 3 12:60:00 UTC 2026",
            "Tue Nov 3 12:34:60 UTC 2026",
            "Mon Feb 29 12:34:56 UTC 2027", // not a leap year
            "Tue Nov 31 12:34:56 UTC 2026",
            "Tue Nov 0 12:34:56 UTC 2026",
            "Tue Nov 3 12:34:56 UTC 26",
            "Tue Nov 3 12:34:56 UTC 02026",
            "Tue Nov 3 12:34:56 UTC 2026 ",
            " Tue Nov 3 12:34:56 UTC 2026",
            "Tue Nov 3 12:34:56  UTC 2026",
            "Tue Nov 3 12:34:56 UTC",
            "",
            "Tue Nov 3 12:34:56 UTC 2026\n",
            "Tue Nov 3 12:34:56 UTC ２０２６",
            "Tue Nov 3 12:34:56 UTC +026",
            "Tue Nov 3 12:34:5a UTC 2026",
            "Tue Nov 3 12-34-56 UTC 2026",
        ] {
            assert_eq!(
                parse_timestamp(bad),
                Err(SrpError::InvalidTimestamp),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn freshness() {
        let now = UNIX_EPOCH + Duration::from_secs(1_793_709_296);
        let five = Duration::from_secs(300);
        assert_eq!(
            timestamp_is_fresh("Tue Nov 3 12:34:56 UTC 2026", now, five),
            Ok(true)
        );
        assert_eq!(
            timestamp_is_fresh("Tue Nov 3 12:39:56 UTC 2026", now, five),
            Ok(true)
        );
        assert_eq!(
            timestamp_is_fresh("Tue Nov 3 12:39:57 UTC 2026", now, five),
            Ok(false)
        );
        assert_eq!(
            timestamp_is_fresh("Tue Nov 3 12:29:55 UTC 2026", now, five),
            Ok(false)
        );
        assert!(timestamp_is_fresh("Tue Nov 03 12:34:56 UTC 2026", now, five).is_err());
    }
}
