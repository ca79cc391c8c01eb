//! Hosted sign-in (redirect) for native apps, as RFC 8252 describes: the system browser
//! shows the pool's sign-in pages, the redirect comes back to a loopback port of this
//! process, and the code is redeemed with its PKCE verifier.
//!
//! The steps of [`Auth::sign_in_with_redirect`]:
//!
//! 1. Draw a PKCE verifier (RFC 7636 §4.1: 32 random bytes, base64url, 43 characters), a
//!    `state` and a `nonce` (32 random bytes each).
//! 2. Listen on `127.0.0.1` on the configured port (RFC 8252 §7.3, §8.3: the loopback IP
//!    literal, not `localhost`), and build the redirect URI
//!    `http://127.0.0.1:{port}{redirect_path}`.
//! 3. Open `{domain}/oauth2/authorize?response_type=code&client_id&redirect_uri&state&scope
//!    &code_challenge_method=S256&code_challenge&nonce` in the browser ([`Browser`]).
//! 4. Wait (at most [`HostedConfig::timeout`]) for the one `GET {redirect_path}`; answer
//!    every other path 404, and the redirect with a small page saying the window may be
//!    closed. The `state` is compared in constant time; `error=` is a typed error.
//! 5. Redeem the code at `/oauth2/token` with the verifier ([`OAuthTransport`]); check that
//!    the ID token's `nonce` is this sign-in's; store the session as every sign-in does.
//!    Events: `signIn`, then `signInWithRedirect`; or `signInWithRedirect_failure`.

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

use base64::Engine as _;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use userpool_transport::{OAuthTransport, TokenGrant};
use userpool_types::ClientSecret;

use super::*;

/// How long the browser has to come back, by default: the user types a password, maybe
/// a code, maybe signs up first.
pub const DEFAULT_REDIRECT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The default path of the sign-in redirect on the loopback port.
pub const DEFAULT_REDIRECT_PATH: &str = "/callback";

/// The default path of the sign-out redirect (`logout_uri`) on the loopback port.
pub const DEFAULT_SIGN_OUT_PATH: &str = "/signed-out";

/// The default scopes: `openid` (the ID token, which the session needs) and
/// `aws.cognito.signin.user.admin` (the access token then authorises the user operations
/// of [`Auth`]: `GetUser`, attribute changes, devices, MFA).
pub const DEFAULT_SCOPES: [&str; 2] = ["openid", "aws.cognito.signin.user.admin"];

/// The longest request head the loopback receiver reads.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How long one connection to the loopback receiver may take to send its request: a
/// browser's speculative connection that never sends one is dropped after this.
const CONNECTION_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a URL in a browser. The default, [`SystemBrowser`], asks the operating system;
/// a closure `Fn(&str) -> Result<(), Error>` is a `Browser` too (a test's fake browser, a
/// program that prints the URL instead).
///
/// `open` must not wait for the sign-in: it starts the browser and returns. The redirect
/// is awaited by the caller.
pub trait Browser: Send + Sync {
    /// Shows `url` to the user.
    fn open(&self, url: &str) -> Result<(), Error>;
}

impl<F> Browser for F
where
    F: Fn(&str) -> Result<(), Error> + Send + Sync,
{
    fn open(&self, url: &str) -> Result<(), Error> {
        self(url)
    }
}

/// The system's browser: `xdg-open` on Linux and the BSDs, `open` on macOS,
/// `rundll32 url.dll,FileProtocolHandler` on Windows, run as a [`CommandBrowser`]. (A few
/// lines of `std::process` instead of a crate: the facade stays free of dependencies for
/// this, and an app that wants more, an embedded view or a chosen browser, gives its own
/// [`Browser`].)
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), Error> {
        let command = if cfg!(target_os = "macos") {
            CommandBrowser::new("open")
        } else if cfg!(windows) {
            CommandBrowser::new("rundll32").arg("url.dll,FileProtocolHandler")
        } else {
            CommandBrowser::new("xdg-open")
        };
        command.open(url)
    }
}

/// A program that opens URLs: run with its arguments and then the URL, with no standard
/// input or output, and not waited for (a browser keeps running; what
/// [`Auth::sign_in_with_redirect`] awaits is the redirect). A chosen browser
/// (`CommandBrowser::new("firefox")`), or a script that hands the URL on.
#[derive(Clone, Debug)]
pub struct CommandBrowser {
    program: std::ffi::OsString,
    args: Vec<std::ffi::OsString>,
}

impl CommandBrowser {
    /// Runs `program` (found in `PATH` unless it is a path).
    pub fn new(program: impl Into<std::ffi::OsString>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
        }
    }

    /// An argument before the URL.
    pub fn arg(mut self, arg: impl Into<std::ffi::OsString>) -> Self {
        self.args.push(arg.into());
        self
    }
}

impl Browser for CommandBrowser {
    fn open(&self, url: &str) -> Result<(), Error> {
        let mut child = std::process::Command::new(&self.program)
            .args(&self.args)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| Error::Config {
                reason: format!(
                    "the browser ({}) could not be started: {e}",
                    std::path::Path::new(&self.program).display()
                ),
            })?;
        // Reaped on a thread of its own, so that no zombie is left and nothing waits.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        Ok(())
    }
}

/// Which loopback ports the redirect may come to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ports {
    /// Not said: [`AuthBuilder::build`] refuses, because Cognito matches callback URLs
    /// exactly and a port chosen by the system would not be registered.
    Unset,
    /// Any free port (RFC 8252 §7.3), for servers that accept any loopback port.
    Any,
    /// The first free port of these, each registered as a callback URL.
    Range(u16, u16),
}

/// Hosted sign-in settings: where the pool's pages are, where the redirect comes back,
/// what is asked for. Give it to [`AuthBuilder::hosted`].
///
/// ```
/// use std::time::Duration;
/// use userpool::HostedConfig;
///
/// let hosted = HostedConfig::new("https://my-app.auth.eu-west-1.amazoncognito.com")
///     .redirect_port(8765) // registered: http://127.0.0.1:8765/callback
///     .scopes(["openid", "email", "aws.cognito.signin.user.admin"])
///     .timeout(Duration::from_secs(120));
/// # let _ = hosted;
/// ```
///
/// The app client must list the exact redirect URI (`http://127.0.0.1:{port}/callback`)
/// among its callback URLs and, for [`Auth::sign_out_with_redirect`], the sign-out URI
/// (`http://127.0.0.1:{port}/signed-out`) among its sign-out URLs: Cognito compares them
/// as strings, port included, so the port is configured here rather than drawn.
#[derive(Clone)]
pub struct HostedConfig {
    domain: String,
    ports: Ports,
    redirect_path: String,
    sign_out_path: String,
    scopes: Vec<String>,
    identity_provider: Option<String>,
    timeout: Duration,
    browser: Arc<dyn Browser>,
    transport: Option<Arc<dyn OAuthTransport>>,
}

impl fmt::Debug for HostedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostedConfig")
            .field("domain", &self.domain)
            .field("ports", &self.ports)
            .field("redirect_path", &self.redirect_path)
            .field("sign_out_path", &self.sign_out_path)
            .field("scopes", &self.scopes)
            .field("identity_provider", &self.identity_provider)
            .field("timeout", &self.timeout)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl HostedConfig {
    /// Hosted sign-in on `domain`, the domain base URL: on Cognito
    /// `https://<prefix>.auth.<region>.amazoncognito.com` (or a custom domain), on a local
    /// pool `http://127.0.0.1:9229/<domain>`. No port yet: say one with
    /// [`redirect_port`](Self::redirect_port), [`redirect_ports`](Self::redirect_ports) or
    /// [`any_redirect_port`](Self::any_redirect_port).
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into().trim_end_matches('/').to_owned(),
            ports: Ports::Unset,
            redirect_path: DEFAULT_REDIRECT_PATH.to_owned(),
            sign_out_path: DEFAULT_SIGN_OUT_PATH.to_owned(),
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            identity_provider: None,
            timeout: DEFAULT_REDIRECT_TIMEOUT,
            browser: Arc::new(SystemBrowser),
            transport: None,
        }
    }

    /// The redirect comes to this loopback port (registered in the app client's callback
    /// URLs).
    pub fn redirect_port(mut self, port: u16) -> Self {
        self.ports = Ports::Range(port, port);
        self
    }

    /// The redirect comes to the first free port of `ports` (each registered).
    pub fn redirect_ports(mut self, ports: RangeInclusive<u16>) -> Self {
        self.ports = Ports::Range(*ports.start(), *ports.end());
        self
    }

    /// The redirect comes to any free port the system gives (RFC 8252 §7.3). Only for
    /// authorization servers that accept any loopback port: Cognito does not.
    pub fn any_redirect_port(mut self) -> Self {
        self.ports = Ports::Any;
        self
    }

    /// The path of the redirect URI (default `/callback`).
    pub fn redirect_path(mut self, path: impl Into<String>) -> Self {
        self.redirect_path = path.into();
        self
    }

    /// The path of the sign-out URI (default `/signed-out`).
    pub fn sign_out_path(mut self, path: impl Into<String>) -> Self {
        self.sign_out_path = path.into();
        self
    }

    /// The scopes asked for (default [`DEFAULT_SCOPES`]). `openid` is required: the
    /// session needs the ID token.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// `identity_provider`: go straight to this provider (`COGNITO`, `Google`, a SAML
    /// provider's name) instead of the sign-in page.
    pub fn identity_provider(mut self, provider: impl Into<String>) -> Self {
        self.identity_provider = Some(provider.into());
        self
    }

    /// How long the browser has to come back (default 5 minutes); past it,
    /// [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Opens the pages with this browser (default [`SystemBrowser`]).
    pub fn browser(mut self, browser: impl Browser + 'static) -> Self {
        self.browser = Arc::new(browser);
        self
    }

    /// Redeems codes through this transport (default, with the feature `sdk`: an
    /// `HttpsOAuthTransport` on the domain, with the client's secret if it has one).
    pub fn oauth_transport(mut self, transport: impl OAuthTransport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }
}

/// Hosted sign-in as built: the settings, checked, and the OAuth transport.
#[derive(Clone, Debug)]
pub(crate) struct Hosted {
    config: HostedConfig,
    transport: Arc<dyn OAuthTransport>,
}

/// Checks `config` and finds its transport (built by [`AuthBuilder::build`]).
pub(crate) fn resolve(
    config: HostedConfig,
    client_id: &ClientId,
    client_secret: Option<ClientSecret>,
) -> Result<Arc<Hosted>, Error> {
    let refuse = |reason: &str| Error::Config {
        reason: reason.to_owned(),
    };
    if config.ports == Ports::Unset {
        return Err(refuse(
            "hosted sign-in needs a redirect port (HostedConfig::redirect_port): Cognito \
             matches callback URLs exactly, port included",
        ));
    }
    if let Ports::Range(first, last) = config.ports
        && (first > last || first == 0)
    {
        return Err(refuse("the redirect ports are an empty range or include 0"));
    }
    for path in [&config.redirect_path, &config.sign_out_path] {
        if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
            return Err(refuse(
                "a redirect path starts with `/` and has no query, fragment or space",
            ));
        }
    }
    if !config.scopes.iter().any(|s| s == "openid") {
        return Err(refuse(
            "hosted sign-in needs the `openid` scope: the session needs the ID token",
        ));
    }
    if !(config.domain.starts_with("https://") || config.domain.starts_with("http://")) {
        return Err(refuse("the hosted domain must be an http(s) URL"));
    }
    let transport = match config.transport.clone() {
        Some(t) => {
            if t.client_id() != client_id {
                return Err(refuse(
                    "the OAuth transport's client id differs from the client's",
                ));
            }
            t
        }
        None => default_oauth_transport(&config.domain, client_id, client_secret)?,
    };
    Ok(Arc::new(Hosted { config, transport }))
}

#[cfg(feature = "sdk")]
fn default_oauth_transport(
    domain: &str,
    client_id: &ClientId,
    client_secret: Option<ClientSecret>,
) -> Result<Arc<dyn OAuthTransport>, Error> {
    Ok(Arc::new(userpool_transport_sdk::HttpsOAuthTransport::new(
        domain,
        client_id.clone(),
        client_secret,
    )?))
}

#[cfg(not(feature = "sdk"))]
fn default_oauth_transport(
    _domain: &str,
    _client_id: &ClientId,
    _client_secret: Option<ClientSecret>,
) -> Result<Arc<dyn OAuthTransport>, Error> {
    Err(Error::Config {
        reason: "no OAuth transport: set one with `HostedConfig::oauth_transport`, or enable \
                 the `sdk` feature of userpool"
            .into(),
    })
}

/// Options of one [`Auth::sign_in_with_redirect_with`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedirectSignInOptions {
    identity_provider: Option<String>,
    lang: Option<String>,
}

impl RedirectSignInOptions {
    /// `identity_provider` for this sign-in (Amplify v6's `provider`), over the
    /// configured one.
    pub fn identity_provider(mut self, provider: impl Into<String>) -> Self {
        self.identity_provider = Some(provider.into());
        self
    }

    /// `lang`: the language of the managed login pages (`en`, `fr`, `de`, …).
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }
}

// ------------------------------------------------------------------------ helpers

/// 32 random bytes, base64url without padding (43 characters: RFC 7636 §4.1's verifier,
/// and as much entropy for `state` and `nonce`).
fn random_token() -> Result<SecretString, Error> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut *bytes).map_err(|e| Error::Config {
        reason: format!("no random bytes from the system: {e}"),
    })?;
    Ok(SecretString::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(*bytes),
    ))
}

/// RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(verifier))).
pub(crate) fn s256_challenge(verifier: &SecretString) -> String {
    let digest = sha2::Sha256::digest(verifier.expose().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Equality of two secrets without an early exit on the first differing byte.
fn same_secret(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `application/x-www-form-urlencoded`, for query strings.
fn encode(out: &mut String, value: &str) {
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
}

/// `base?name=value&…`, each value encoded.
fn url_with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = String::from(base);
    for (i, (name, value)) in pairs.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        encode(&mut url, name);
        url.push('=');
        encode(&mut url, value);
    }
    url
}

/// Decodes a query component (`+` is a space, `%XX` a byte); `None` for a broken escape.
fn decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = value.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The parameters of a redirect's query; values that may be secrets stay in
/// [`SecretString`]s.
#[derive(Default)]
struct Query(Vec<(String, SecretString)>);

impl Query {
    fn parse(query: &str) -> Option<Self> {
        let mut pairs = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            pairs.push((decode(name)?, SecretString::new(decode(value)?)));
        }
        Some(Self(pairs))
    }

    fn get(&self, name: &str) -> Option<&SecretString> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// The loopback listener: on the configured ports, in order.
async fn listen(ports: &Ports) -> Result<TcpListener, Error> {
    let candidates: Vec<u16> = match ports {
        Ports::Unset | Ports::Any => vec![0],
        Ports::Range(first, last) => (*first..=*last).collect(),
    };
    let mut last_error = None;
    for port in candidates {
        match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(Error::Network {
        reason: "no configured loopback port is free to receive the redirect".into(),
        source: last_error.map(|e| Arc::new(e) as Arc<dyn std::error::Error + Send + Sync>),
    })
}

/// A whole HTTP/1.1 answer that closes the connection.
fn http_answer(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nreferrer-policy: no-referrer\r\n\
         x-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The page the browser shows after the redirect.
fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{text}</p>\
         </body></html>"
    )
}

/// One connection: reads the request head; answers other paths 404 and other methods
/// 405; hands a `GET {path}` (its query and the stream) to the receiver.
async fn connection(
    mut stream: TcpStream,
    path: String,
    found: tokio::sync::mpsc::Sender<(String, TcpStream)>,
) {
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    let read = tokio::time::timeout(CONNECTION_READ_TIMEOUT, async {
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            head.extend_from_slice(&chunk[..n]);
            if head.windows(4).any(|w| w == b"\r\n\r\n") {
                return Some(());
            }
            if head.len() > MAX_HEAD_BYTES {
                return None;
            }
        }
    })
    .await;
    if !matches!(read, Ok(Some(()))) {
        return;
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let (target_path, query) = target.split_once('?').unwrap_or((target, ""));
    let answer = if target_path != path {
        http_answer("404 Not Found", &page("Not found", "Nothing here."))
    } else if method != "GET" {
        http_answer("405 Method Not Allowed", &page("Not allowed", "GET only."))
    } else {
        let query = query.to_owned();
        // The receiver answers: it knows whether the redirect is accepted.
        let _ = found.send((query, stream)).await;
        return;
    };
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Accepts connections until the first `GET {path}`; answers its query and the stream.
/// Only one is taken: the listener is closed when this returns.
async fn receive(
    listener: TcpListener,
    path: &str,
    timeout: Duration,
    operation: &'static str,
) -> Result<(String, TcpStream), Error> {
    let (found, mut arrived) = tokio::sync::mpsc::channel(1);
    // Dropped on return, which aborts the connections still being read.
    let mut connections = tokio::task::JoinSet::new();
    let wait = async {
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        connections.spawn(connection(stream, path.to_owned(), found.clone()));
                    }
                    // Out of file descriptors, say: wait a little rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(redirect) = arrived.recv() => return redirect,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    };
    tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| Error::Timeout {
            operation,
            after: timeout,
        })
}

/// Answers the browser and closes the connection.
async fn answer_browser(mut stream: TcpStream, ok: bool) {
    let answer = if ok {
        http_answer(
            "200 OK",
            &page(
                "Signed in",
                "You may close this window and return to the application.",
            ),
        )
    } else {
        http_answer(
            "400 Bad Request",
            &page(
                "Sign-in failed",
                "You may close this window; the application says why.",
            ),
        )
    };
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// What the redirect's query says: the code, or why not.
fn read_redirect(query: &Query, state: &SecretString) -> Result<SecretString, Error> {
    let operation = "sign_in_with_redirect";
    match query.get("state") {
        Some(got) if same_secret(got.expose(), state.expose()) => {}
        _ => {
            return Err(Error::NotAuthorized {
                message: "the redirect's state is not this sign-in's (a stale or forged \
                          redirect)"
                    .into(),
            });
        }
    }
    if let Some(error) = query.get("error") {
        let code = userpool_transport::OAuthErrorCode::parse(error.expose());
        let description = query
            .get("error_description")
            .map(|d| d.expose().chars().take(200).collect::<String>());
        return Err(userpool_transport::OAuthError::Rejected {
            endpoint: "/oauth2/authorize",
            status: 302,
            code,
            description,
        }
        .into());
    }
    match query.get("code") {
        Some(code) if !code.is_empty() => Ok(code.clone()),
        _ => Err(Error::MalformedResponse {
            operation,
            reason: "the redirect has neither a code nor an error".into(),
        }),
    }
}

impl Auth {
    fn hosted(&self) -> Result<Arc<Hosted>, Error> {
        self.inner
            .config
            .hosted
            .clone()
            .ok_or_else(|| Error::Config {
                reason: "hosted sign-in is not configured: see AuthBuilder::hosted".into(),
            })
    }

    /// Signs in through the pool's hosted pages in the system browser (RFC 8252).
    /// Amplify v6: `signInWithRedirect()`. Needs [`AuthBuilder::hosted`].
    ///
    /// Opens `/oauth2/authorize` with PKCE (S256), a `state` and a `nonce`, waits on the
    /// loopback port for the redirect (at most [`HostedConfig::timeout`]), redeems the
    /// code at `/oauth2/token`, checks the ID token's `nonce`, and stores the session as
    /// [`sign_in`](Self::sign_in) does: refresh, sign-out and events work as after any
    /// sign-in. The client's [deadline](AuthBuilder::deadline) covers the redemption and
    /// the storage, not the user's time in the browser.
    ///
    /// Events: `signIn` then `signInWithRedirect`; `signInWithRedirect_failure` on any
    /// failure.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] without hosted settings or when the browser cannot be started;
    /// [`Error::Network`] when no configured port is free; [`Error::Timeout`] when the
    /// browser did not come back in time; [`Error::NotAuthorized`] for a redirect whose
    /// `state`, or an ID token whose `nonce`, is not this sign-in's, and for a code the
    /// token endpoint refuses (`invalid_grant`); [`Error::Service`] with the OAuth code
    /// (`access_denied`, `invalid_scope`, …) for an `error=` redirect;
    /// [`Error::MalformedResponse`] for a redirect without a code or an answer without an
    /// ID token.
    pub async fn sign_in_with_redirect(&self) -> Result<(), Error> {
        self.sign_in_with_redirect_with(RedirectSignInOptions::default())
            .await
    }

    /// [`sign_in_with_redirect`](Self::sign_in_with_redirect) with options (the identity
    /// provider, the pages' language).
    #[tracing::instrument(name = "userpool.sign_in_with_redirect", skip_all)]
    pub async fn sign_in_with_redirect_with(
        &self,
        options: RedirectSignInOptions,
    ) -> Result<(), Error> {
        let result = self.redirect_sign_in(options).await;
        match &result {
            Ok(username) => self.inner.emit(AuthEvent::SignInWithRedirect {
                username: username.clone(),
            }),
            Err(error) => {
                tracing::debug!(error = %error.chain(), "sign-in with redirect failed");
                self.inner.emit(AuthEvent::SignInWithRedirectFailure {
                    error: error.clone(),
                });
            }
        }
        result.map(|_| ())
    }

    async fn redirect_sign_in(&self, options: RedirectSignInOptions) -> Result<Username, Error> {
        const OPERATION: &str = "sign_in_with_redirect";
        let hosted = self.hosted()?;
        let config = &hosted.config;
        let verifier = random_token()?;
        let state = random_token()?;
        let nonce = random_token()?;
        let listener = listen(&config.ports).await?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::network("the loopback listener has no address", Some(Arc::new(e))))?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}{}", config.redirect_path);
        let challenge = s256_challenge(&verifier);
        let scope = config.scopes.join(" ");
        let mut query: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", self.inner.config.client_id.as_str()),
            ("redirect_uri", &redirect_uri),
            ("state", state.expose()),
            ("scope", &scope),
            ("code_challenge_method", "S256"),
            ("code_challenge", &challenge),
            ("nonce", nonce.expose()),
        ];
        let provider = options
            .identity_provider
            .as_ref()
            .or(config.identity_provider.as_ref());
        if let Some(provider) = provider {
            query.push(("identity_provider", provider));
        }
        if let Some(lang) = &options.lang {
            query.push(("lang", lang));
        }
        // The URL carries the state and nonce: it goes to the browser, never to a log.
        let url = SecretString::new(url_with_query(
            &format!("{}/oauth2/authorize", config.domain),
            &query,
        ));
        tracing::debug!(port, "waiting for the redirect on the loopback port");
        let receiving = tokio::spawn({
            let path = config.redirect_path.clone();
            let timeout = config.timeout;
            async move { receive(listener, &path, timeout, OPERATION).await }
        });
        // Aborts the receiver if this call is dropped or the browser fails.
        let mut receiving = AbortOnDrop(receiving);
        config.browser.open(url.expose())?;
        let (raw_query, stream) = match (&mut receiving.0).await {
            Ok(received) => received?,
            Err(_) => {
                return Err(Error::Panicked {
                    operation: OPERATION,
                });
            }
        };
        let redirect = Query::parse(&raw_query).unwrap_or_default();
        let code = read_redirect(&redirect, &state);
        answer_browser(stream, code.is_ok()).await;
        let code = code?;
        tracing::debug!("redirect received; redeeming the code");

        self.inner
            .deadline(OPERATION, async {
                let grant = TokenGrant::AuthorizationCode {
                    code,
                    redirect_uri: redirect_uri.clone(),
                    code_verifier: verifier.clone(),
                };
                let transport = &hosted.transport;
                // A code is single use: repeated only when the server said it was throttled.
                let tokens = self
                    .retrying(Replay::OnlyThrottled, "oauth2/token", || {
                        let grant = grant.clone();
                        async move { transport.token(grant).await.map_err(Error::from) }
                    })
                    .await?;
                let id_token = tokens.id_token.ok_or_else(|| Error::MalformedResponse {
                    operation: "oauth2/token",
                    reason: "no id_token: the openid scope was not granted".into(),
                })?;
                let id = userpool_types::IdToken::parse(id_token)?;
                match id.claims().str("nonce") {
                    Some(got) if same_secret(got, nonce.expose()) => {}
                    _ => {
                        return Err(Error::NotAuthorized {
                            message: "the ID token's nonce is not this sign-in's".into(),
                        });
                    }
                }
                let access = userpool_types::AccessToken::parse(tokens.access_token)?;
                let refresh = tokens
                    .refresh_token
                    .filter(|r| !r.is_empty())
                    .map(userpool_types::RefreshToken::new)
                    .transpose()?;
                let username = access
                    .username()
                    .or_else(|| id.username())
                    .and_then(|u| Username::new(u).ok())
                    .ok_or_else(|| Error::MalformedToken {
                        reason: "neither token names the user".into(),
                    })?;
                let session = Session::arrived(id, access, refresh, self.inner.now_secs());
                self.inner.store_signed_in(&username, session).await?;
                tracing::debug!(username = %username, "signed in with redirect");
                self.inner.emit(AuthEvent::SignIn {
                    username: username.clone(),
                });
                Ok(username)
            })
            .await
    }

    /// Signs out as [`sign_out_with`](Self::sign_out_with) does, then ends the hosted
    /// pages' own session too: opens `{domain}/logout?client_id&logout_uri` in the
    /// browser and waits (at most [`HostedConfig::timeout`]) for its redirect to
    /// `http://127.0.0.1:{port}{sign_out_path}`, which must be one of the app client's
    /// sign-out URLs. Without it the browser's session cookie would sign the user in
    /// again, without a password, at the next [`sign_in_with_redirect`](Self::sign_in_with_redirect).
    ///
    /// The local sign-out is done (and `signOut` emitted) whatever happens after.
    ///
    /// # Errors
    ///
    /// Those of `sign_out_with`; then [`Error::Config`] without hosted settings or when
    /// the browser cannot be started, [`Error::Network`] when no port is free,
    /// [`Error::Timeout`] when the browser did not come back.
    #[tracing::instrument(name = "userpool.sign_out_with_redirect", skip_all)]
    pub async fn sign_out_with_redirect(&self, options: SignOutOptions) -> Result<(), Error> {
        const OPERATION: &str = "sign_out_with_redirect";
        let hosted = self.hosted()?;
        self.sign_out_with(options).await?;
        let config = &hosted.config;
        let listener = listen(&config.ports).await?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::network("the loopback listener has no address", Some(Arc::new(e))))?
            .port();
        let logout_uri = format!("http://127.0.0.1:{port}{}", config.sign_out_path);
        let url = url_with_query(
            &format!("{}/logout", config.domain),
            &[
                ("client_id", self.inner.config.client_id.as_str()),
                ("logout_uri", &logout_uri),
            ],
        );
        let mut receiving = AbortOnDrop(tokio::spawn({
            let path = config.sign_out_path.clone();
            let timeout = config.timeout;
            async move { receive(listener, &path, timeout, OPERATION).await }
        }));
        config.browser.open(&url)?;
        let (_, mut stream) = match (&mut receiving.0).await {
            Ok(received) => received?,
            Err(_) => {
                return Err(Error::Panicked {
                    operation: OPERATION,
                });
            }
        };
        let answer = http_answer(
            "200 OK",
            &page(
                "Signed out",
                "You may close this window and return to the application.",
            ),
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        tracing::debug!("signed out of the hosted pages");
        Ok(())
    }
}

/// A spawned task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_rfc_7636s() {
        // RFC 7636 Appendix B.
        let verifier = SecretString::from("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            s256_challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_tokens_are_43_url_safe_characters() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn queries_are_encoded_and_decoded() {
        let url = url_with_query("https://d/x", &[("a", "b c"), ("r", "http://h:1/p?q")]);
        assert_eq!(url, "https://d/x?a=b+c&r=http%3A%2F%2Fh%3A1%2Fp%3Fq");
        let q = Query::parse("a=b+c&r=http%3A%2F%2Fh%3A1%2Fp%3Fq&flag").unwrap();
        assert_eq!(q.get("a").unwrap().expose(), "b c");
        assert_eq!(q.get("r").unwrap().expose(), "http://h:1/p?q");
        assert_eq!(q.get("flag").unwrap().expose(), "");
        assert!(Query::parse("a=%zz").is_none());
        assert!(Query::parse("a=%4").is_none());
    }
}
