//! AWS Signature Version 4 verification of admin calls, for servers configured with an
//! access key id and secret access key.
//!
//! The canonical request is rebuilt from the request as received (method, path, query, the
//! headers named in `SignedHeaders`, the SHA-256 of the body) and signed with the key
//! derived for the credential scope's date and region and the service `cognito-idp`; the
//! signature is compared in constant time. Any region is accepted; `X-Amz-Date` must be
//! within 15 minutes of the server clock, as AWS requires. Refusals use the exception names
//! and messages of AWS's JSON services (HTTP 400).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use hmac::{KeyInit as _, Mac as _};
use subtle::ConstantTimeEq as _;

use crate::error::{ApiError, ExceptionName};
use crate::srp_glue::CivilTime;

/// The service name in the credential scope.
const SERVICE: &str = "cognito-idp";
/// Accepted distance between `X-Amz-Date` and the server clock.
const MAX_SKEW_SECS: i64 = 15 * 60;

/// The access key admin calls must be signed with. `Debug` hides the secret.
#[derive(Clone)]
pub(crate) struct AdminKey {
    pub access_key_id: String,
    secret_access_key: String,
}

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl AdminKey {
    pub(crate) fn new(access_key_id: String, secret_access_key: String) -> Self {
        Self {
            access_key_id,
            secret_access_key,
        }
    }
}

/// What the signature covers.
pub(crate) struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

fn missing_token() -> ApiError {
    ApiError::new(
        ExceptionName::MissingAuthenticationToken,
        "Request is missing Authentication Token",
    )
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ExceptionName::IncompleteSignature, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ExceptionName::InvalidSignature, message)
}

fn mismatch() -> ApiError {
    invalid(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service \
         documentation for details.",
    )
}

fn unrecognized() -> ApiError {
    ApiError::new(
        ExceptionName::UnrecognizedClient,
        "The security token included in the request is invalid.",
    )
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, ApiError> {
    let Some(rest) = value.strip_prefix("AWS4-HMAC-SHA256") else {
        let algorithm = value.split_whitespace().next().unwrap_or("");
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{}'",
            algorithm.chars().take(40).collect::<String>()
        )));
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut problems = Vec::new();
    if credential.is_none() {
        problems.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        problems.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        problems.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(incomplete(problems.join(" ")));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
        ));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers,
        signature,
    })
}

/// The region of the credential scope of a request's `Authorization: AWS4-HMAC-SHA256`
/// header, if it has one that parses; `None` for unsigned requests and malformed headers
/// (a server that accepts any credentials does not refuse those, so they fall back to the
/// configured region). Read whether or not the signature is verified: the region is where
/// the caller thinks it is talking to, which is what a pool id it creates must name.
pub(crate) fn scope_region(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let auth = parse_authorization(value).ok()?;
    Some(auth.region.to_owned())
}

/// Verifies the SigV4 signature of an admin call against the configured key.
pub(crate) fn verify(
    key: &AdminKey,
    req: &SignedRequest<'_>,
    now: SystemTime,
) -> Result<(), ApiError> {
    let Some(value) = req.headers.get("authorization") else {
        return Err(missing_token());
    };
    let value = value
        .to_str()
        .map_err(|_| incomplete("The Authorization header is not valid text."))?;
    let auth = parse_authorization(value)?;
    let Some(amz_date) = req.headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return Err(incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(incomplete(format!(
            "X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z', not '{}'.",
            amz_date.chars().take(40).collect::<String>()
        )));
    };
    let signed_headers: Vec<&str> = auth.signed_headers.split(';').collect();
    if !signed_headers.contains(&"host") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if !bool::from(
        auth.access_key_id
            .as_bytes()
            .ct_eq(key.access_key_id.as_bytes()),
    ) {
        return Err(unrecognized());
    }
    if auth.service != SERVICE {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    if auth.terminator != "aws4_request" {
        return Err(invalid(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            auth.terminator.chars().take(40).collect::<String>()
        )));
    }
    if auth.region.is_empty() {
        return Err(invalid("Credential should be scoped to a valid region. "));
    }
    // `parse_amz_date` accepted it, so it is 16 ASCII bytes: `get` cannot miss.
    let scope_date = amz_date.get(..8).unwrap_or(amz_date);
    if auth.date != scope_date {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{scope_date}', from '{amz_date}'.",
            auth.date.chars().take(16).collect::<String>(),
        )));
    }
    // Saturating: the clock is not ours to trust either.
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let earliest = now_secs.saturating_sub(MAX_SKEW_SECS);
    let latest = now_secs.saturating_add(MAX_SKEW_SECS);
    if signed_at < earliest {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(earliest),
            format_amz_date(now_secs)
        )));
    }
    if signed_at > latest {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(latest),
            format_amz_date(now_secs)
        )));
    }
    let body_hash = hex(&crate::util::sha256(req.body));
    if let Some(declared) = req.headers.get("x-amz-content-sha256")
        && declared.as_bytes() != body_hash.as_bytes()
    {
        return Err(invalid(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let canonical = canonical_request(req, &signed_headers, &body_hash);
    let expected = signature(
        &key.secret_access_key,
        [auth.date, auth.region, auth.service],
        amz_date,
        &canonical,
    );
    let given = auth.signature.to_ascii_lowercase();
    if expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(mismatch())
    }
}

/// The hex signature of a canonical request: the string to sign over the credential scope
/// (date, region, service), signed with the key derived from the secret.
fn signature(secret: &str, scope: [&str; 3], amz_date: &str, canonical: &str) -> String {
    let [date, region, service] = scope;
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex(&crate::util::sha256(canonical.as_bytes()))
    );
    let signing_key = [date, region, service, "aws4_request"]
        .iter()
        .fold(format!("AWS4{secret}").into_bytes(), |k, part| {
            hmac(&k, part.as_bytes())
        });
    hex(&hmac(&signing_key, string_to_sign.as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    crate::util::hex(bytes)
}

/// The canonical request of SigV4 for services other than S3.
fn canonical_request(req: &SignedRequest<'_>, signed_headers: &[&str], body_hash: &str) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query.unwrap_or("")));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = req
            .headers
            .get_all(*name)
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(body_hash);
    out
}

/// Trims a header value and turns runs of spaces into one.
fn collapse_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The normalised path, each segment URI-encoded again (non-S3 services encode twice: the
/// path as sent is already encoded once).
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(
        &segments
            .iter()
            .map(|s| uri_encode(s.as_bytes()))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

/// Query parameters decoded, encoded the SigV4 way, sorted by name then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k)),
                uri_encode(&percent_decode(v)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// RFC 3986 encoding: unreserved characters stay, every other byte is `%XX` (upper case).
fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `YYYYMMDDTHHMMSSZ` to seconds since the Unix epoch; `None` unless it is a date and
/// time that exist.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    CivilTime {
        year: i64::from(num(0..4)?),
        month: num(4..6)?,
        day: num(6..8)?,
        hour: num(9..11)?,
        minute: num(11..13)?,
        second: num(13..15)?,
        weekday: 0,
    }
    .to_unix()
}

fn format_amz_date(secs: i64) -> String {
    let t = CivilTime::from_unix(secs);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_round_trip() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_amz_date(0), "19700101T000000Z");
        assert!(parse_amz_date("2015-08-30T12:36:00Z").is_none());
        assert!(parse_amz_date("20151330T123600Z").is_none());
        assert!(parse_amz_date("2015083xT123600Z").is_none());
    }

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        // Each of these used to be read as a later, real day (31 February as 3 March).
        for bad in [
            "20150231T123600Z",
            "20150229T000000Z",
            "20150431T000000Z",
            "20150830T240000Z",
            "20150830T236000Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        assert!(parse_amz_date("20160229T000000Z").is_some());
    }

    #[test]
    fn encodings() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/./b/../c%20d"), "/a/c%2520d");
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("k=a%20b"), "k=a%20b");
        assert_eq!(collapse_spaces("  a   b "), "a b");
    }

    /// The worked example of the AWS SigV4 documentation (IAM ListUsers, a GET with a
    /// query): the canonical request and the signature come out as documented.
    #[test]
    fn the_documented_example_signs_as_documented() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        headers.insert("host", "iam.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };
        let canonical = canonical_request(
            &req,
            &["content-type", "host", "x-amz-date"],
            &hex(&crate::util::sha256(b"")),
        );
        assert_eq!(
            hex(&crate::util::sha256(canonical.as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            signature(
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                ["20150830", "us-east-1", "iam"],
                "20150830T123600Z",
                &canonical
            ),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn verifies_and_refuses() {
        let key = AdminKey::new(
            "AKIDEXAMPLE".into(),
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        );
        let body = br#"{"UserPoolId":"us-east-1_x"}"#;
        let amz_date = "20150830T123600Z";
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:9229".parse().unwrap());
        headers.insert("x-amz-date", amz_date.parse().unwrap());
        headers.insert(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.ListUsers"
                .parse()
                .unwrap(),
        );
        headers.insert(
            "content-type",
            "application/x-amz-json-1.1".parse().unwrap(),
        );
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body,
        };
        let signed = ["content-type", "host", "x-amz-date", "x-amz-target"];
        let canonical = canonical_request(&req, &signed, &hex(&crate::util::sha256(body)));
        let sig = signature(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ["20150830", "us-east-1", "cognito-idp"],
            amz_date,
            &canonical,
        );
        headers.insert(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/cognito-idp/aws4_request, SignedHeaders={}, Signature={sig}",
                signed.join(";")
            )
            .parse()
            .unwrap(),
        );
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160 + 60);
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body,
        };
        verify(&key, &req, now).unwrap();
        // A tampered body, a wrong secret, an old date, an unknown key.
        let tampered = SignedRequest {
            body: br#"{"UserPoolId":"us-east-1_y"}"#,
            headers: &headers,
            ..req
        };
        assert_eq!(
            verify(&key, &tampered, now).unwrap_err().kind(),
            "InvalidSignatureException"
        );
        let wrong = AdminKey::new("AKIDEXAMPLE".into(), "other".into());
        assert_eq!(
            verify(&wrong, &req, now).unwrap_err().kind(),
            "InvalidSignatureException"
        );
        let late = now + Duration::from_secs(16 * 60);
        let e = verify(&key, &req, late).unwrap_err();
        assert_eq!(e.kind(), "InvalidSignatureException");
        assert!(
            e.message()
                .starts_with("Signature expired: 20150830T123600Z is now earlier than"),
            "{e}"
        );
        let other = AdminKey::new("AKIDOTHER".into(), "x".into());
        assert_eq!(
            verify(&other, &req, now).unwrap_err().kind(),
            "UnrecognizedClientException"
        );
        let mut no_auth = headers.clone();
        no_auth.remove("authorization");
        let unsigned = SignedRequest {
            headers: &no_auth,
            ..req
        };
        assert_eq!(
            verify(&key, &unsigned, now).unwrap_err().kind(),
            "MissingAuthenticationTokenException"
        );
        assert!(!format!("{key:?}").contains("wJalr"));
    }

    #[test]
    fn the_scope_region_is_read_from_a_well_formed_header_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(scope_region(&headers), None);
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/eu-west-1/cognito-idp/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abc"
                .parse()
                .unwrap(),
        );
        assert_eq!(scope_region(&headers).as_deref(), Some("eu-west-1"));
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/eu-west-1, SignedHeaders=host, Signature=abc"
                .parse()
                .unwrap(),
        );
        assert_eq!(scope_region(&headers), None);
        headers.insert("authorization", "Bearer x".parse().unwrap());
        assert_eq!(scope_region(&headers), None);
    }
}
