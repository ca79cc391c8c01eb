//! Formatting for the terminal: times, masked codes, delivery details, attribute lists.

use std::time::{SystemTime, UNIX_EPOCH};

use userpool::{CodeDeliveryDetails, User};
use userpool_srp::calendar::CivilTime;

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// `2025-11-26 06:12:03 UTC` for a Unix time.
pub(crate) fn utc(secs: i64) -> String {
    let t = CivilTime::from_unix(secs);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// `in 59 min`, `in 12 s`, `2 h ago`: a time relative to `now`.
pub(crate) fn relative(secs: i64, now: i64) -> String {
    let delta = secs - now;
    let abs = delta.unsigned_abs();
    let amount = if abs < 120 {
        format!("{abs} s")
    } else if abs < 2 * 3600 {
        format!("{} min", abs / 60)
    } else if abs < 2 * 86_400 {
        format!("{} h", abs / 3600)
    } else {
        format!("{} days", abs / 86_400)
    };
    if delta >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// `2025-11-26 06:12:03 UTC (in 59 min)`.
pub(crate) fn when(secs: i64) -> String {
    format!("{} ({})", utc(secs), relative(secs, now_secs()))
}

/// A code with all but its first two characters masked: `12****`.
pub(crate) fn mask_code(code: &str) -> String {
    code.chars()
        .enumerate()
        .map(|(i, c)| if i < 2 { c } else { '*' })
        .collect()
}

/// `by EMAIL to a***@e***` (whatever the server reported).
pub(crate) fn delivery(details: &CodeDeliveryDetails) -> String {
    let medium = details
        .medium
        .as_ref()
        .map_or("an unknown medium", |m| m.as_str());
    match &details.destination {
        Some(to) => format!("by {medium} to {to}"),
        None => format!("by {medium}"),
    }
}

/// `a code was sent by EMAIL to a***@e***`, or that the pool reported no delivery.
pub(crate) fn code_sent(details: Option<&CodeDeliveryDetails>) -> String {
    match details {
        Some(d) => format!("a code was sent {}", delivery(d)),
        None => "the pool reported no code delivery".to_owned(),
    }
}

/// The user's attributes as aligned `name  value` lines (flags as `true`/`false`),
/// indented by `indent`. `only` restricts them to these names, in that order.
pub(crate) fn attribute_lines(user: &User, indent: &str, only: &[String]) -> Vec<String> {
    let map = user.attributes_json();
    let rows: Vec<(String, String)> = if only.is_empty() {
        map.iter().map(|(k, v)| (k.clone(), json_text(v))).collect()
    } else {
        only.iter()
            .map(|name| {
                let value = map
                    .get(name)
                    .map_or_else(|| "(not set)".to_owned(), json_text);
                (name.clone(), value)
            })
            .collect()
    };
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.into_iter()
        .map(|(k, v)| format!("{indent}{k:<width$}  {v}"))
        .collect()
}

/// A JSON value as plain text (strings without quotes).
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_764_137_523), "2025-11-26 06:12:03 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn relative_times() {
        assert_eq!(relative(1030, 1000), "in 30 s");
        assert_eq!(relative(1000 + 3540, 1000), "in 59 min");
        assert_eq!(relative(1000 - 7200, 1000), "2 h ago");
        assert_eq!(relative(1000 + 30 * 86_400, 1000), "in 30 days");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_code("123456"), "12****");
        assert_eq!(mask_code("1"), "1");
        assert_eq!(mask_code(""), "");
    }
}
