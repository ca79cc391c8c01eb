//! Which URLs userpool's HTTP clients may call: `https` to any host, plain `http` only to
//! a loopback host, where `userpool-local` serves in tests and on a laptop. The rule is
//! written once here for the crates that call out (the OAuth transport of
//! `userpool-transport-sdk`, the JWKS fetcher of `userpool-verify`), which depend on no
//! common HTTP crate of ours; each words its own refusal. This module only reads strings:
//! no I/O, no HTTP client.

use std::net::IpAddr;

/// Why [`check_http_target`] refuses a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// The scheme is neither `https` nor `http`.
    NotHttp,
    /// Plain `http` to a host that is not loopback: tokens and secrets would cross a
    /// network in the clear.
    PlainHttpNotLoopback,
}

/// Whether a URL of this scheme and host may be called: `https` to any host, `http` only
/// to a loopback host ([`is_loopback_host`]). `scheme` and `host` as `http::Uri` gives
/// them (`scheme_str()`, `host()`: the scheme lowercase, an IPv6 host in brackets).
pub fn check_http_target(scheme: Option<&str>, host: Option<&str>) -> Result<(), UrlRefusal> {
    match scheme {
        Some("https") => Ok(()),
        Some("http") if host.is_some_and(is_loopback_host) => Ok(()),
        Some("http") => Err(UrlRefusal::PlainHttpNotLoopback),
        _ => Err(UrlRefusal::NotHttp),
    }
}

/// Whether a URL's host (no port) is the loopback interface: `localhost` (any case), an
/// IPv4 address of `127.0.0.0/8`, or `::1` (in brackets or not). Only these: a name that
/// merely starts with `localhost` (`localhost.example.com`) resolves anywhere.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_plain_http_to_loopback_only() {
        let check = |scheme, host| check_http_target(Some(scheme), Some(host));
        assert_eq!(
            check("https", "cognito-idp.eu-west-1.amazonaws.com"),
            Ok(())
        );
        assert_eq!(check("http", "127.0.0.1"), Ok(()));
        assert_eq!(check("http", "127.1.2.3"), Ok(()));
        assert_eq!(check("http", "[::1]"), Ok(()));
        assert_eq!(check("http", "::1"), Ok(()));
        assert_eq!(check("http", "LocalHost"), Ok(()));
        for host in [
            "example.com",
            "10.0.0.1",
            "localhost.example.com",
            "[::2]",
            "[::1",
            "",
        ] {
            assert_eq!(
                check("http", host),
                Err(UrlRefusal::PlainHttpNotLoopback),
                "{host}"
            );
        }
        assert_eq!(
            check_http_target(Some("http"), None),
            Err(UrlRefusal::PlainHttpNotLoopback)
        );
        assert_eq!(check("ftp", "127.0.0.1"), Err(UrlRefusal::NotHttp));
        assert_eq!(
            check_http_target(None, Some("127.0.0.1")),
            Err(UrlRefusal::NotHttp)
        );
    }
}
