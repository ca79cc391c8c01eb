//! Helpers of the hosted sign-in tests: a pool with a domain, an OAuth app client and a
//! user; a browser-like agent over raw HTTP (a cookie jar, never following redirects, so
//! each 302 and its `Location` are seen); filling in the hosted forms; and the whole code
//! flow to an authorization code, with PKCE ([`sign_in_for_code`]).

#![allow(dead_code)]

use aws_sdk_cognitoidentityprovider::types::OAuthFlowType;
use base64::Engine as _;
use sha2::Digest as _;
use userpool_local::{ClientConfig, PoolConfig};

use crate::common::{self, Ctx, PW, Raw};
pub use crate::url_text::{encode, url_param};

/// The domain prefix of the pools these helpers make.
pub const DOMAIN: &str = "my-app";
/// The registered callback: a port where nothing listens (the tests read the `Location`
/// of the redirect; a browser's navigation there fails, and its URL is what counts).
pub const CALLBACK: &str = "http://127.0.0.1:9/callback";
/// A second registered callback.
pub const CALLBACK_2: &str = "http://localhost:9/other";
/// The registered sign-out URL.
pub const LOGOUT: &str = "http://127.0.0.1:9/signed-out";
/// The user [`start_hosted`] creates, with the password [`PW`].
pub const USER: &str = "alice";
pub const USER_EMAIL: &str = "alice@example.com";

/// A server with a pool that has the domain [`DOMAIN`], an OAuth client and a user.
pub struct Hosted {
    pub ctx: Ctx,
    /// The user's `sub`.
    pub sub: String,
}

impl Hosted {
    /// The domain base URL, `http://127.0.0.1:<port>/my-app`.
    pub fn base_url(&self) -> String {
        format!("{}/{DOMAIN}", self.ctx.server.endpoint())
    }

    /// A browser with no cookies.
    pub fn agent(&self) -> Agent {
        Agent {
            addr: self.ctx.server.local_addr(),
            cookies: Vec::new(),
        }
    }

    /// Authorization parameters for the main client: `code`, [`CALLBACK`], a state.
    pub fn params(&self) -> AuthParams {
        AuthParams::code(&self.ctx.client_id)
    }

    /// Adds another app client to the pool; its id and secret.
    pub async fn add_client(&self, config: ClientConfig) -> (String, Option<String>) {
        let c = self
            .ctx
            .server
            .create_client(&self.ctx.pool_id, config)
            .await
            .expect("client");
        (c.client_id, c.client_secret)
    }
}

/// An OAuth client as the hosted tests use it: the code flow, [`CALLBACK`] and
/// [`CALLBACK_2`], [`LOGOUT`], the standard scopes, `COGNITO`.
pub fn oauth_client() -> ClientConfig {
    let mut c = ClientConfig::new("web");
    c.allowed_oauth_flows_user_pool_client = true;
    c.allowed_oauth_flows = vec!["code".into()];
    c.allowed_oauth_scopes = [
        "openid",
        "email",
        "profile",
        "aws.cognito.signin.user.admin",
    ]
    .map(String::from)
    .to_vec();
    c.callback_urls = vec![CALLBACK.into(), CALLBACK_2.into()];
    c.logout_urls = vec![LOGOUT.into()];
    c.supported_identity_providers = vec!["COGNITO".into()];
    c
}

/// [`start_hosted_with`] with a plain pool and [`oauth_client`].
pub async fn start_hosted() -> Hosted {
    start_hosted_with(PoolConfig::new("hosted"), oauth_client()).await
}

/// A server with `pool`, the domain [`DOMAIN`], the app client `client` and the confirmed
/// user [`USER`] (password [`PW`], a verified [`USER_EMAIL`]).
pub async fn start_hosted_with(pool: PoolConfig, client: ClientConfig) -> Hosted {
    start_hosted_on(userpool_local::LocalPool::builder(), pool, client).await
}

/// [`start_hosted_with`] on a server built by `builder` (limits, data directory...).
pub async fn start_hosted_on(
    builder: userpool_local::LocalPoolBuilder,
    pool: PoolConfig,
    client: ClientConfig,
) -> Hosted {
    let ctx = common::start_with(builder, pool, client).await;
    ctx.sdk
        .create_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain(DOMAIN)
        .send()
        .await
        .expect("domain");
    let sub = ctx
        .server
        .create_user(
            &ctx.pool_id,
            USER,
            PW,
            &[("email", USER_EMAIL), ("email_verified", "true")],
        )
        .await
        .expect("user");
    Hosted { ctx, sub }
}

/// A request to the server of `h`.
pub async fn send(
    h: &Hosted,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Raw {
    common::raw(h.ctx.server.local_addr(), method, path, headers, body).await
}

/// A form POST to the hosted endpoint `path`, with `headers` besides the form content type.
pub async fn post(
    h: &Hosted,
    path: &str,
    headers: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> Raw {
    let body = fields
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send(h, "POST", path, &all, body.as_bytes()).await
}

/// `OAuthFlowType` of a flow name, for tests that make clients with the SDK.
pub fn flow(name: &str) -> OAuthFlowType {
    OAuthFlowType::from(name)
}

/// The parameters of an authorization request; `None` members are left out.
#[derive(Debug, Clone, Default)]
pub struct AuthParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
    pub identity_provider: Option<String>,
}

impl AuthParams {
    /// `response_type=code`, [`CALLBACK`], `state=st-123`, no scope (all allowed).
    pub fn code(client_id: &str) -> Self {
        Self {
            response_type: Some("code".into()),
            client_id: Some(client_id.into()),
            redirect_uri: Some(CALLBACK.into()),
            state: Some("st-123".into()),
            ..Self::default()
        }
    }

    /// The query string (no `?`).
    pub fn query(&self) -> String {
        let pairs = [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", &self.state),
            ("scope", &self.scope),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("prompt", &self.prompt),
            ("login_hint", &self.login_hint),
            ("identity_provider", &self.identity_provider),
        ];
        pairs
            .iter()
            .filter_map(|(n, v)| v.as_ref().map(|v| format!("{n}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `/my-app/oauth2/authorize?...`.
    pub fn authorize_path(&self) -> String {
        format!("/{DOMAIN}/oauth2/authorize?{}", self.query())
    }

    /// Sets a PKCE S256 challenge and returns its verifier.
    pub fn with_pkce(&mut self) -> String {
        let verifier = pkce_verifier();
        self.code_challenge = Some(s256(&verifier));
        self.code_challenge_method = Some("S256".into());
        verifier
    }
}

/// A PKCE code verifier (RFC 7636 §4.1: 43 to 128 unreserved characters).
pub fn pkce_verifier() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("random");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of a verifier: BASE64URL(SHA256(verifier)).
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()).as_slice())
}

/// A browser: a cookie jar over raw HTTP requests to one server, redirects not followed.
#[derive(Debug, Clone)]
pub struct Agent {
    pub addr: std::net::SocketAddr,
    /// The cookies set so far, by name (paths are not told apart: every hosted cookie is
    /// under the one domain's path).
    pub cookies: Vec<(String, String)>,
}

impl Agent {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn store_cookies(&mut self, answer: &Raw) {
        for (name, value) in &answer.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let mut parts = value.split(';');
            let Some((n, v)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (n, v) = (n.trim().to_owned(), v.trim().to_owned());
            let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(c, _)| *c != n);
            if !expired && !v.is_empty() {
                self.cookies.push((n, v));
            }
        }
    }

    /// The value of a cookie in the jar.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `GET path` (path and query) with the jar's cookies.
    pub async fn get(&mut self, path: &str) -> Raw {
        let cookie = self.cookie_header();
        let mut headers = vec![("Accept", "text/html")];
        if !cookie.is_empty() {
            headers.push(("Cookie", &cookie));
        }
        let answer = common::raw(self.addr, "GET", path, &headers, b"").await;
        self.store_cookies(&answer);
        answer
    }

    /// `POST path` with a form body and the jar's cookies.
    pub async fn post_form(&mut self, path: &str, fields: &[(String, String)]) -> Raw {
        let body = fields
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let cookie = self.cookie_header();
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if !cookie.is_empty() {
            headers.push(("Cookie", &cookie));
        }
        let answer = common::raw(self.addr, "POST", path, &headers, body.as_bytes()).await;
        self.store_cookies(&answer);
        answer
    }

    /// Submits the (first) form of `page`: its hidden fields, with `fields` added or
    /// replacing them, to its `action`.
    pub async fn submit(&mut self, page: &Raw, fields: &[(&str, &str)]) -> Raw {
        let form = Form::of(&page.body, None);
        self.submit_form(&form, fields).await
    }

    /// Submits a form already read from a page.
    pub async fn submit_form(&mut self, form: &Form, fields: &[(&str, &str)]) -> Raw {
        let mut values = form.hidden.clone();
        for (n, v) in fields {
            values.retain(|(k, _)| k != n);
            values.push(((*n).to_owned(), (*v).to_owned()));
        }
        self.post_form(&form.action, &values).await
    }

    /// Follows a redirect to a path of this server (`Location` absolute or not).
    pub async fn follow(&mut self, answer: &Raw) -> Raw {
        let location = location(answer);
        let path = match location.find("://") {
            Some(i) => {
                let rest = &location[i + 3..];
                rest.find('/').map_or("/", |j| &rest[j..]).to_owned()
            }
            None => location.to_owned(),
        };
        self.get(&path).await
    }

    /// Opens the authorization request and follows it to the sign-in page (200).
    pub async fn open_sign_in(&mut self, params: &AuthParams) -> Raw {
        let answer = self.get(&params.authorize_path()).await;
        assert_eq!(answer.status, 302, "authorize: {}", answer.body);
        let page = self.follow(&answer).await;
        assert_eq!(page.status, 200, "sign-in page: {}", page.body);
        page
    }

    /// Opens the request, fills in the sign-in form and submits it: the answer to the
    /// submission (a redirect to the callback, or the next page).
    pub async fn sign_in(&mut self, params: &AuthParams, username: &str, password: &str) -> Raw {
        let page = self.open_sign_in(params).await;
        self.submit(&page, &[("username", username), ("password", password)])
            .await
    }
}

/// A form of a page: where it posts and its hidden fields.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub hidden: Vec<(String, String)>,
}

impl Form {
    /// The first form of `html` (or the first whose action contains `action_part`).
    pub fn of(html: &str, action_part: Option<&str>) -> Form {
        let mut rest = html;
        while let Some(start) = rest.find("<form") {
            let after = &rest[start..];
            let end = after.find("</form>").unwrap_or(after.len());
            let form = &after[..end];
            rest = &after[end..];
            let action = attr(form, "action").unwrap_or_default();
            if action_part.is_some_and(|p| !action.contains(p)) {
                continue;
            }
            let mut hidden = Vec::new();
            let mut inputs = form;
            while let Some(i) = inputs.find("<input") {
                let tag_end = inputs[i..].find('>').map_or(inputs.len(), |e| i + e);
                let tag = &inputs[i..tag_end];
                if attr(tag, "type").as_deref() == Some("hidden")
                    && let Some(name) = attr(tag, "name")
                {
                    hidden.push((name, attr(tag, "value").unwrap_or_default()));
                }
                inputs = &inputs[tag_end..];
            }
            return Form { action, hidden };
        }
        panic!(
            "no form{} in the page:\n{html}",
            action_part.map_or(String::new(), |p| format!(" posting to {p}"))
        );
    }

    /// A hidden field's value.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.hidden
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An attribute of an HTML tag (double-quoted, as maud writes them), entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(unescape_html(&tag[start..start + len]))
}

fn unescape_html(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The `Location` of a redirect.
pub fn location(answer: &Raw) -> &str {
    answer
        .header("location")
        .unwrap_or_else(|| panic!("no Location ({}): {}", answer.status, answer.body))
}

/// The whole code flow for `params` (a PKCE S256 challenge added): opens the sign-in page,
/// signs in as `username`, and returns the code and the PKCE verifier, after checking that
/// the redirect goes to `params.redirect_uri` with `params.state`.
pub async fn sign_in_for_code_with(
    h: &Hosted,
    params: &AuthParams,
    username: &str,
    password: &str,
) -> (String, String) {
    let mut params = params.clone();
    let verifier = params.with_pkce();
    let mut agent = h.agent();
    let answer = agent.sign_in(&params, username, password).await;
    assert_eq!(answer.status, 302, "sign-in: {}", answer.body);
    let to = location(&answer);
    let redirect = params.redirect_uri.as_deref().unwrap_or(CALLBACK);
    assert!(to.starts_with(&format!("{redirect}?")), "{to}");
    assert_eq!(url_param(to, "state"), params.state, "{to}");
    let code = url_param(to, "code").unwrap_or_else(|| panic!("no code in {to}"));
    (code, verifier)
}

/// A code for the main client and user: `scope` as given (`None`: all allowed), [`CALLBACK`].
pub async fn sign_in_for_code(h: &Hosted, scope: Option<&str>) -> (String, String) {
    let mut params = h.params();
    params.scope = scope.map(str::to_owned);
    sign_in_for_code_with(h, &params, USER, PW).await
}
