//! The compact JWS form of a token, taken apart without trusting any of it: sizes first,
//! then the header (RS256 only), then the payload. Nothing here panics on any input.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::{VerifyError, excerpt};

/// The default limit on a token's length. Cognito's tokens are 1 to 4 KiB; a larger limit
/// only lets a client make the verifier decode more.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The longest RS256 signature: that of an 8192-bit key, the longest the verifier accepts.
const MAX_SIGNATURE_BYTES: usize = 8192 / 8;

/// A token taken apart; the signature is not checked yet.
pub(crate) struct Jws<'a> {
    /// `header.payload`, the bytes the signature covers.
    pub signed: &'a [u8],
    /// The header's `kid`.
    pub kid: String,
    /// The payload.
    pub payload: Map<String, Value>,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

fn malformed(reason: &'static str) -> VerifyError {
    VerifyError::Malformed { reason }
}

/// Strict base64url without padding (RFC 7515, 2): padding, other alphabets and
/// non-canonical trailing bits are refused, so that one token has one spelling.
fn decode_part(part: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part).ok()
}

/// Takes a token apart: three parts, a header with `alg: RS256`, a `kid` and no `crit`,
/// a payload that is a JSON object, a signature no longer than the longest key's.
pub(crate) fn parse(token: &str, max_bytes: usize) -> Result<Jws<'_>, VerifyError> {
    if token.len() > max_bytes {
        return Err(VerifyError::TooLarge {
            len: token.len(),
            max: max_bytes,
        });
    }
    let mut parts = token.split('.');
    let (Some(header_part), Some(payload_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("not three dot-separated parts"));
    };
    let header =
        decode_part(header_part).ok_or_else(|| malformed("the header is not base64url"))?;
    let Ok(Value::Object(header)) = serde_json::from_slice::<Value>(&header) else {
        return Err(malformed("the header is not a JSON object"));
    };
    // The algorithm is checked before anything else is read, so that `none` and HMAC
    // tokens go no further, whatever they carry.
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => {}
        Some(Value::String(alg)) => {
            return Err(VerifyError::UnsupportedAlgorithm { alg: excerpt(alg) });
        }
        _ => {
            return Err(VerifyError::UnsupportedAlgorithm { alg: String::new() });
        }
    }
    if header.contains_key("crit") {
        return Err(VerifyError::CriticalHeader);
    }
    let Some(Value::String(kid)) = header.get("kid") else {
        return Err(VerifyError::MissingKid);
    };
    let payload_bytes =
        decode_part(payload_part).ok_or_else(|| malformed("the payload is not base64url"))?;
    let Ok(Value::Object(payload_map)) = serde_json::from_slice::<Value>(&payload_bytes) else {
        return Err(malformed("the payload is not a JSON object"));
    };
    if signature_part.len() > (MAX_SIGNATURE_BYTES * 4).div_ceil(3) {
        return Err(malformed(
            "the signature is longer than any RS256 signature",
        ));
    }
    let signature =
        decode_part(signature_part).ok_or_else(|| malformed("the signature is not base64url"))?;
    if signature.is_empty() {
        return Err(malformed("the signature is empty"));
    }
    // `header.payload`: both came from `split`, so the range is inside the token.
    let signed = token
        .as_bytes()
        .get(..header_part.len() + 1 + payload_part.len())
        .ok_or_else(|| malformed("not three dot-separated parts"))?;
    Ok(Jws {
        signed,
        kid: kid.clone(),
        payload: payload_map,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str, sig: &str) -> String {
        format!("{}.{}.{sig}", b64(header), b64(payload))
    }

    #[test]
    fn takes_a_token_apart() {
        let t = token(r#"{"alg":"RS256","kid":"k1"}"#, r#"{"sub":"x"}"#, "c2ln");
        let jws = parse(&t, DEFAULT_MAX_TOKEN_BYTES).unwrap();
        assert_eq!(jws.kid, "k1");
        assert_eq!(jws.payload["sub"], "x");
        assert_eq!(jws.signature, b"sig");
        assert_eq!(jws.signed, t.rsplit_once('.').unwrap().0.as_bytes());
    }

    #[test]
    fn refuses_what_is_not_rs256_with_a_kid() {
        let cases = [
            (r#"{"alg":"none"}"#, "UnsupportedAlgorithm"),
            (r#"{"alg":"HS256","kid":"k"}"#, "UnsupportedAlgorithm"),
            (r#"{"alg":"RS512","kid":"k"}"#, "UnsupportedAlgorithm"),
            (r#"{"alg":"rs256","kid":"k"}"#, "UnsupportedAlgorithm"),
            (r#"{"kid":"k"}"#, "UnsupportedAlgorithm"),
            (r#"{"alg":256,"kid":"k"}"#, "UnsupportedAlgorithm"),
            (r#"{"alg":"RS256"}"#, "MissingKid"),
            (r#"{"alg":"RS256","kid":7}"#, "MissingKid"),
            (
                r#"{"alg":"RS256","kid":"k","crit":["b64"]}"#,
                "CriticalHeader",
            ),
            (r#"["alg","RS256"]"#, "Malformed"),
        ];
        for (header, expected) in cases {
            let t = token(header, "{}", "c2ln");
            let err = parse(&t, DEFAULT_MAX_TOKEN_BYTES).err().unwrap();
            assert!(
                format!("{err:?}").starts_with(expected),
                "{header}: {err:?}"
            );
        }
    }

    #[test]
    fn refuses_malformed_tokens() {
        let ok_header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let cases = [
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            format!("{ok_header}.{}.c2ln", b64("[]")),
            format!("{ok_header}.{}.c2ln", b64("not json")),
            format!("{ok_header}.{}.", b64("{}")),
            format!("{ok_header}.{}.c2ln=", b64("{}")),
            format!("{ok_header}=.{}.c2ln", b64("{}")),
            format!("{ok_header}.{}.c2l+", b64("{}")),
            format!("{ok_header}.{}.{}", b64("{}"), "A".repeat(2000)),
        ];
        for case in cases {
            let err = parse(&case, DEFAULT_MAX_TOKEN_BYTES).err();
            assert!(
                matches!(err, Some(VerifyError::Malformed { .. })),
                "{case:.60}: {err:?}"
            );
        }
        let big = "a".repeat(DEFAULT_MAX_TOKEN_BYTES + 1);
        assert!(matches!(
            parse(&big, DEFAULT_MAX_TOKEN_BYTES),
            Err(VerifyError::TooLarge { .. })
        ));
    }
}
