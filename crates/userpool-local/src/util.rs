//! Small helpers: randomness, identifiers, clocks, encodings.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use subtle::ConstantTimeEq as _;

use crate::error::ApiError;

/// Fills a buffer from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(ApiError::internal)?;
    Ok(buf)
}

/// A uniformly random string over `alphabet` (rejection sampling, no modulo bias).
pub(crate) fn random_string(len: usize, alphabet: &[u8]) -> Result<String, ApiError> {
    let n = alphabet.len();
    debug_assert!(n > 0 && n <= 256);
    let limit = 256 - (256 % n);
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let chunk = random_bytes::<32>()?;
        for b in chunk {
            if (b as usize) < limit {
                out.push(alphabet[(b as usize) % n] as char);
                if out.len() == len {
                    break;
                }
            }
        }
    }
    Ok(out)
}

pub(crate) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random version-4 UUID in its usual lowercase text form.
pub(crate) fn uuid_v4() -> Result<String, ApiError> {
    let mut b = random_bytes::<16>()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A random 6-digit code, uniformly distributed.
pub(crate) fn six_digit_code() -> Result<String, ApiError> {
    loop {
        let b = random_bytes::<4>()?;
        let v = u32::from_le_bytes(b);
        // 4_294_000_000 is a multiple of 1_000_000: reject above it to stay uniform.
        if v < 4_294_000_000 {
            return Ok(format!("{:06}", v % 1_000_000));
        }
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    ms_since_epoch(SystemTime::now())
}

/// Milliseconds since the Unix epoch of `t`: 0 before the epoch, `i64::MAX` for a clock
/// so far ahead that it does not fit (an `as` cast would wrap it to a date in the past).
fn ms_since_epoch(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(duration_ms).unwrap_or(0)
}

/// A duration in whole milliseconds, `i64::MAX` when it does not fit. Durations come
/// from configuration ([`crate::Limits`], token validities) and may be as large as
/// `Duration::MAX`; add them to instants with `saturating_add`.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The instant `d` from now, for in-memory expiries. A configured duration too large
/// for the monotonic clock (`Instant + Duration` would panic) becomes a century, which
/// outlives any server run.
pub(crate) fn instant_after(d: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 86_400);
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> i64 {
    now_ms() / 1000
}

/// An epoch-milliseconds instant as the JSON number of seconds the AWS JSON protocol uses.
pub(crate) fn epoch_json(ms: i64) -> serde_json::Value {
    serde_json::json!((ms as f64) / 1000.0)
}

pub(crate) fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let out = sha2::Sha256::digest(bytes);
    let mut a = [0u8; 32];
    a.copy_from_slice(&out);
    a
}

/// Constant-time equality of two strings (length may leak, content does not).
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Masks a destination the way Cognito does in `CodeDeliveryDetails`:
/// `a***@e***` for an email address, `+*******1234` for a phone number.
pub(crate) fn mask_destination(destination: &str, is_email: bool) -> String {
    if is_email {
        match destination.split_once('@') {
            Some((local, domain)) => {
                let l = local.chars().next().map(String::from).unwrap_or_default();
                let d = domain.chars().next().map(String::from).unwrap_or_default();
                format!("{l}***@{d}***")
            }
            None => "***".to_owned(),
        }
    } else {
        let chars: Vec<char> = destination.chars().collect();
        let keep = chars.len().min(4);
        let mut out = String::new();
        for (i, c) in chars.iter().enumerate() {
            if i == 0 && *c == '+' {
                out.push('+');
            } else if i + keep >= chars.len() {
                out.push(*c);
            } else {
                out.push('*');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let u = uuid_v4().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = six_digit_code().unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn a_clock_beyond_the_i64_range_saturates_instead_of_wrapping() {
        // The largest time Linux can represent: i64::MAX seconds, whose milliseconds do
        // not fit in i64 (`as i64` turned them into a negative number).
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(i64::MAX as u64)) {
            assert_eq!(ms_since_epoch(far), i64::MAX);
        }
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(ms_since_epoch(before), 0);
        assert_eq!(
            ms_since_epoch(UNIX_EPOCH + Duration::from_millis(1_500)),
            1_500
        );
    }

    #[test]
    fn huge_durations_saturate() {
        assert_eq!(duration_ms(Duration::MAX), i64::MAX);
        assert_eq!(duration_ms(Duration::from_secs(2)), 2_000);
        // `Instant::now() + Duration::MAX` panics; this does not, and lies ahead.
        assert!(instant_after(Duration::MAX) > Instant::now());
        let soon = instant_after(Duration::from_secs(60));
        assert!(soon > Instant::now() && soon <= Instant::now() + Duration::from_secs(60));
    }

    #[test]
    fn masks_like_cognito() {
        assert_eq!(mask_destination("alice@example.com", true), "a***@e***");
        assert_eq!(mask_destination("+15551234567", false), "+*******4567");
    }
}
