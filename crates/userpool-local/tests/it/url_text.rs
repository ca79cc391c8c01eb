//! Percent-encoding and URL parameters for the tests' HTTP browsers: the local pool's
//! hosted-page tests (`hosted_common.rs`) and the facade's and CLI's form browser
//! (`userpool/tests/support/form_browser.rs`, by `#[path]`) read redirects the same way.

#![allow(dead_code)]

/// Percent-encodes everything but the unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes (and `+` is a space); a `%` not followed by two hex digits stays.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parameter of a URL's query (or, when the URL has one, its fragment: the implicit
/// flow answers there), percent-decoded.
pub fn url_param(url: &str, name: &str) -> Option<String> {
    let part = match url.split_once('#') {
        Some((_, fragment)) => fragment,
        None => url.split_once('?').map(|(_, q)| q)?,
    };
    part.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| decode(v))
}
