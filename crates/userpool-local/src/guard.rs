//! Who may drive the local pool: which operations are public (called by browser apps,
//! unsigned, with CORS as Cognito answers them) and which are admin (SigV4 in Cognito:
//! names starting with `Admin` and the pool and client control plane), which `Host`
//! names the server serves (DNS rebinding), and which browser origins may call admin
//! operations and read the outbox. The signing-key endpoints (`/_local/signing-keys…`,
//! `server.rs`) go further: no browser request at all, allowed origin or not, since a page
//! has no reason to rotate a pool's keys; and SigV4 when an admin key is configured.
//!
//! A request is a browser's when it carries an `Origin` header, or a `Sec-Fetch-Site`
//! header saying `cross-site` or `same-site`. SDKs, boto3, the AWS CLI and curl send
//! neither, so they are not affected by the origin rules; typing a URL in the address bar
//! (`Sec-Fetch-Site: none`) is not a cross-origin request either.

use axum::http::HeaderMap;

/// The operations Cognito serves without SigV4 (a client id, a session or an access token
/// is their credential): the ones a browser app calls. Every other operation name,
/// including unknown ones, is treated as admin.
pub(crate) const PUBLIC_OPERATIONS: &[&str] = &[
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "ChangePassword",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "GetUser",
    "UpdateUserAttributes",
    "DeleteUserAttributes",
    "GetUserAttributeVerificationCode",
    "VerifyUserAttribute",
    "GlobalSignOut",
    "RevokeToken",
    "DeleteUser",
    "ConfirmDevice",
    "ForgetDevice",
    "GetDevice",
    "ListDevices",
    "UpdateDeviceStatus",
    "GetUserAuthFactors",
    "GetTokensFromRefreshToken",
    // Public in Cognito but not served here (they answer UnknownOperationException, with
    // CORS so that a browser app sees the answer).
    "AssociateSoftwareToken",
    "VerifySoftwareToken",
    "SetUserMFAPreference",
    "SetUserSettings",
];

/// True for the operations in [`PUBLIC_OPERATIONS`].
pub(crate) fn is_public(op: &str) -> bool {
    PUBLIC_OPERATIONS.contains(&op)
}

/// The request headers a SigV4 signature travels in. A browser page from an origin that is
/// not allowed is never told it may send them (so it cannot send a signed admin call).
pub(crate) const SIGNING_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// Allowed browser origins and `Host` names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Guard {
    /// Exact origins (`scheme://host[:port]`, lower case, no trailing slash).
    origins: Vec<String>,
    any_origin: bool,
    /// Extra host names (lower case, no port).
    hosts: Vec<String>,
    any_host: bool,
}

impl Guard {
    /// Checks and normalises the configured origins and host names.
    pub(crate) fn new(origins: &[String], hosts: &[String]) -> Result<Self, String> {
        let mut g = Guard::default();
        for o in origins {
            let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
            if o == "*" {
                g.any_origin = true;
            } else if o
                .strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            {
                g.origins.push(o);
            } else {
                return Err(format!(
                    "an allowed origin is scheme://host[:port] (e.g. http://localhost:3000) or *, not {o:?}"
                ));
            }
        }
        for h in hosts {
            let h = h.trim().trim_end_matches('.').to_ascii_lowercase();
            if h == "*" {
                g.any_host = true;
            } else if !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            {
                g.hosts.push(h);
            } else {
                return Err(format!(
                    "an allowed host is a DNS name (e.g. pool.test) or *, not {h:?}"
                ));
            }
        }
        Ok(g)
    }

    /// Whether the `Host` of a request is one this server serves: no `Host` (HTTP/1.0
    /// tools), an IP address (a name is needed for DNS rebinding: a browser sends an IP
    /// literal only when it connects to that address itself), `localhost` and
    /// `*.localhost` (browsers resolve them to loopback themselves), or a configured name.
    pub(crate) fn host_allowed(&self, host: Option<&str>) -> bool {
        let Some(host) = host else {
            return true;
        };
        if self.any_host {
            return true;
        }
        let Some(name) = host_name(host) else {
            return false;
        };
        if name.starts_with('[') {
            return name
                .strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .is_some_and(|n| n.parse::<std::net::Ipv6Addr>().is_ok());
        }
        name.parse::<std::net::Ipv4Addr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self.hosts.contains(&name)
    }

    /// Whether a browser origin may call admin operations and read the outbox: configured
    /// on the command line (or `*`), or the server's own origin (the `Host` was checked,
    /// and the server's only pages — the hosted sign-in, which runs no script, and the
    /// dashboard, whose scripts need a per-answer nonce — run no script of anyone else's).
    pub(crate) fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.any_origin || self.origins.contains(&origin) {
            return true;
        }
        host.is_some_and(|h| origin == format!("http://{}", h.to_ascii_lowercase()))
    }
}

/// The lower-case name of a `Host` value without its port (`[::1]` keeps its brackets);
/// `None` when it is not a plausible host.
fn host_name(host: &str) -> Option<String> {
    let host = host.trim().to_ascii_lowercase();
    let name = if host.starts_with('[') {
        let end = host.find(']')?;
        let rest = &host[end + 1..];
        if !(rest.is_empty() || rest.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        host[..=end].to_owned()
    } else {
        match host.rsplit_once(':') {
            Some((n, port)) if is_port(port) => n.to_owned(),
            Some(_) => return None,
            None => host,
        }
    };
    let name = name.trim_end_matches('.').to_owned();
    (!name.is_empty()).then_some(name)
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// The origin of a browser request: the `Origin` header, or a marker when only
/// `Sec-Fetch-Site` says the request comes from another site (a `no-cors` load).
pub(crate) fn browser_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get("origin") {
        return Some(origin.to_str().unwrap_or("null").to_owned());
    }
    match headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("cross-site") | Some("same-site") => Some("null".to_owned()),
        _ => None,
    }
}

/// The `Host` header of a request, if readable.
pub(crate) fn host_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::HOST)
        .map(|v| v.to_str().unwrap_or("\u{0}invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(origins: &[&str], hosts: &[&str]) -> Guard {
        let o: Vec<String> = origins.iter().map(|s| (*s).to_owned()).collect();
        let h: Vec<String> = hosts.iter().map(|s| (*s).to_owned()).collect();
        Guard::new(&o, &h).unwrap()
    }

    #[test]
    fn hosts_served() {
        let g = guard(&[], &["pool.test"]);
        for ok in [
            "127.0.0.1:9229",
            "127.0.0.1",
            "localhost:9229",
            "LOCALHOST",
            "app.localhost:1",
            "[::1]:9229",
            "[::1]",
            "10.0.0.5:9229",
            "pool.test:9229",
            "pool.test.",
        ] {
            assert!(g.host_allowed(Some(ok)), "{ok}");
        }
        assert!(g.host_allowed(None));
        for bad in [
            "evil.example",
            "evil.example:9229",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "[::1",
            "[evil]:1",
            "a:b:c",
            "",
            "\u{0}invalid",
        ] {
            assert!(!g.host_allowed(Some(bad)), "{bad}");
        }
        assert!(guard(&[], &["*"]).host_allowed(Some("evil.example")));
    }

    #[test]
    fn origins_allowed() {
        let g = guard(&["http://localhost:3000/"], &[]);
        assert!(g.origin_allowed("http://localhost:3000", None));
        assert!(g.origin_allowed("HTTP://LOCALHOST:3000", None));
        assert!(!g.origin_allowed("http://localhost:3001", None));
        assert!(!g.origin_allowed("null", None));
        // Same origin as the server itself.
        assert!(g.origin_allowed("http://127.0.0.1:9229", Some("127.0.0.1:9229")));
        assert!(!g.origin_allowed("http://evil.example", Some("127.0.0.1:9229")));
        assert!(guard(&["*"], &[]).origin_allowed("https://any.example", None));
        assert!(Guard::new(&["localhost:3000".into()], &[]).is_err());
        assert!(Guard::new(&["http://a/b".into()], &[]).is_err());
        assert!(Guard::new(&[], &["a b".into()]).is_err());
    }

    #[test]
    fn browser_requests() {
        let mut h = HeaderMap::new();
        assert_eq!(browser_origin(&h), None);
        h.insert("sec-fetch-site", "none".parse().unwrap());
        assert_eq!(browser_origin(&h), None);
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(browser_origin(&h).as_deref(), Some("null"));
        h.insert("origin", "http://evil.example".parse().unwrap());
        assert_eq!(browser_origin(&h).as_deref(), Some("http://evil.example"));
    }

    #[test]
    fn operations() {
        assert!(is_public("InitiateAuth"));
        assert!(!is_public("AdminCreateUser"));
        assert!(!is_public("CreateUserPool"));
        assert!(!is_public("NoSuchOperation"));
    }
}
