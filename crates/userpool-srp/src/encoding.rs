//! Integer encodings: Java `BigInteger(hex, 16)` parsing, `toString(16)` and
//! `toByteArray()` (the PAD of srp.md).

use zeroize::Zeroizing;

use crate::SrpError;

/// Longest hex string (digits, after an optional `-`) accepted for an integer field.
/// N has 768 digits; 2048 digits (8192 bits) leaves room for unreduced values such as
/// `2N` without letting a hostile peer make us allocate or compute without bound.
pub const MAX_HEX_DIGITS: usize = 2048;

/// A signed integer as parsed from hex: sign and minimal big-endian magnitude.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SignedInt {
    /// True for a negative value (never set for zero).
    pub(crate) negative: bool,
    /// Magnitude, big-endian, no leading zero bytes (empty for zero).
    pub(crate) magnitude: Vec<u8>,
}

impl SignedInt {
    /// A non-negative integer from big-endian bytes (leading zeros are dropped).
    pub(crate) fn from_unsigned_be(bytes: &[u8]) -> Self {
        let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        SignedInt {
            negative: false,
            magnitude: bytes[first..].to_vec(),
        }
    }

    /// Java `BigInteger.toByteArray()`: minimal two's complement, big-endian, with room for
    /// the sign bit. Zero is a single `00` byte.
    pub(crate) fn pad(&self) -> Vec<u8> {
        let m = &self.magnitude;
        if m.is_empty() {
            return vec![0];
        }
        if !self.negative {
            let mut out = Vec::with_capacity(m.len() + 1);
            if m[0] & 0x80 != 0 {
                out.push(0);
            }
            out.extend_from_slice(m);
            return out;
        }
        // -m fits in L bytes when m <= 2^(8L-1), i.e. the top byte is below 0x80, or is
        // exactly 0x80 followed by zeros.
        let fits = m[0] < 0x80 || (m[0] == 0x80 && m[1..].iter().all(|&b| b == 0));
        let len = if fits { m.len() } else { m.len() + 1 };
        let mut out = vec![0u8; len];
        out[len - m.len()..].copy_from_slice(m);
        // two's complement: invert and add one
        let mut carry = true;
        for b in out.iter_mut().rev() {
            let (v, c) = (!*b).overflowing_add(carry as u8);
            *b = v;
            carry = c;
        }
        out
    }

    /// Java `BigInteger.toString(16)`: lowercase, no leading zeros, `-` for negatives.
    pub(crate) fn to_hex(&self) -> String {
        let mut s = String::with_capacity(self.magnitude.len() * 2 + 1);
        if self.negative {
            s.push('-');
        }
        s.push_str(&hex_minimal(&self.magnitude));
        s
    }
}

/// PAD of a non-negative big-endian integer (leading zeros allowed in the input), into a
/// buffer that is wiped on drop: for secrets such as S.
pub(crate) fn pad_unsigned_secret(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let m = &bytes[first..];
    let mut out = Zeroizing::new(Vec::with_capacity(m.len() + 1));
    if m.first().is_none_or(|&b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(m);
    out
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of a big-endian magnitude without leading zeros ("0" for zero).
pub(crate) fn hex_minimal(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX_DIGITS[(b >> 4) as usize] as char);
        s.push(HEX_DIGITS[(b & 0xf) as usize] as char);
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else if trimmed.len() == s.len() {
        s
    } else {
        trimmed.to_owned()
    }
}

/// Lowercase hex of bytes, two digits each.
#[cfg(test)]
pub(crate) fn hex_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX_DIGITS[(b >> 4) as usize] as char);
        s.push(HEX_DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses hex like Java `new BigInteger(s, 16)`: either case, optional leading `-`, any
/// number of leading zeros, odd length allowed. At most [`MAX_HEX_DIGITS`] digits.
pub(crate) fn parse_signed_hex(s: &str, field: &'static str) -> Result<SignedInt, SrpError> {
    let (negative, digits) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.len() > MAX_HEX_DIGITS {
        return Err(SrpError::ValueTooLarge { field });
    }
    if digits.is_empty() {
        return Err(SrpError::InvalidHex { field });
    }
    let mut nibbles = Vec::with_capacity(digits.len());
    for &c in digits {
        nibbles.push(nibble(c).ok_or(SrpError::InvalidHex { field })?);
    }
    let first = nibbles
        .iter()
        .position(|&n| n != 0)
        .unwrap_or(nibbles.len());
    let nibbles = &nibbles[first..];
    let mut magnitude = Vec::with_capacity(nibbles.len().div_ceil(2));
    let odd = nibbles.len() % 2 == 1;
    if odd {
        magnitude.push(nibbles[0]);
    }
    for pair in nibbles[odd as usize..].chunks_exact(2) {
        magnitude.push((pair[0] << 4) | pair[1]);
    }
    let negative = negative && !magnitude.is_empty();
    Ok(SignedInt {
        negative,
        magnitude,
    })
}

/// Parses a non-negative hex integer (no sign allowed) into minimal big-endian bytes.
pub(crate) fn parse_unsigned_hex(s: &str, field: &'static str) -> Result<Vec<u8>, SrpError> {
    if s.starts_with('-') {
        return Err(SrpError::InvalidHex { field });
    }
    Ok(parse_signed_hex(s, field)?.magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pad_hex(s: &str) -> String {
        hex_bytes(&parse_signed_hex(s, "t").unwrap().pad())
    }

    #[test]
    fn pad_matches_java_to_byte_array() {
        assert_eq!(pad_hex("0"), "00");
        assert_eq!(pad_hex("-0"), "00");
        assert_eq!(pad_hex("1"), "01");
        assert_eq!(pad_hex("7f"), "7f");
        assert_eq!(pad_hex("80"), "0080");
        assert_eq!(pad_hex("ff"), "00ff");
        assert_eq!(pad_hex("100"), "0100");
        assert_eq!(pad_hex("0070fc"), "70fc");
        assert_eq!(pad_hex("-1"), "ff");
        assert_eq!(pad_hex("-80"), "80");
        assert_eq!(pad_hex("-81"), "ff7f");
        assert_eq!(pad_hex("-ff"), "ff01");
        assert_eq!(pad_hex("-100"), "ff00");
        assert_eq!(pad_hex("-7f"), "81");
        assert_eq!(
            pad_hex("-80000000000000000000000000000000"),
            "80000000000000000000000000000000"
        );
        assert_eq!(
            pad_hex("-80000000000000000000000000000001"),
            "ff7fffffffffffffffffffffffffffffff"
        );
        assert_eq!(
            pad_hex("-329887860674ff1d936b3d3f3680be3f"),
            "cd677879f98b00e26c94c2c0c97f41c1"
        );
        assert_eq!(
            pad_hex("B2D78C0F633E37B11BA7AEE02DD72D32"),
            "00b2d78c0f633e37b11ba7aee02dd72d32"
        );
        assert_eq!(
            pad_hex("121beae0d163341d67a211df9ea35f2"),
            "0121beae0d163341d67a211df9ea35f2"
        );
    }

    #[test]
    fn pad_of_secrets_is_the_same_pad() {
        for bytes in [
            &[][..],
            &[0, 0][..],
            &[0, 0x7f, 1][..],
            &[0x80][..],
            &[0, 0, 0xff, 0][..],
            &[1, 2, 3][..],
        ] {
            assert_eq!(
                *pad_unsigned_secret(bytes),
                SignedInt::from_unsigned_be(bytes).pad(),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn to_hex_matches_java_to_string() {
        let h = |s: &str| parse_signed_hex(s, "t").unwrap().to_hex();
        assert_eq!(h("000"), "0");
        assert_eq!(h("-0"), "0");
        assert_eq!(h("00ABC"), "abc");
        assert_eq!(h("-00ff"), "-ff");
        assert_eq!(hex_minimal(&[]), "0");
        assert_eq!(hex_minimal(&[0, 0, 0x0a, 0xbc]), "abc");
        assert_eq!(hex_minimal(&[0x1a]), "1a");
    }

    #[test]
    fn rejects_bad_hex() {
        for bad in ["", "-", "--1", "+1", "0x12", "12 ", " 12", "g", "١٢", "1-2"] {
            assert!(
                matches!(parse_signed_hex(bad, "t"), Err(SrpError::InvalidHex { .. })),
                "{bad:?}"
            );
        }
        let huge = "1".repeat(MAX_HEX_DIGITS + 1);
        assert!(matches!(
            parse_signed_hex(&huge, "t"),
            Err(SrpError::ValueTooLarge { .. })
        ));
        assert!(parse_signed_hex(&"f".repeat(MAX_HEX_DIGITS), "t").is_ok());
        assert!(matches!(
            parse_unsigned_hex("-1", "t"),
            Err(SrpError::InvalidHex { .. })
        ));
    }
}
