//! The dashboard: `GET /` in a browser (an `Accept` with `text/html`) shows the pools,
//! their app clients and users (status, attributes, groups, MFA), the outbox's latest
//! codes and the recent sign-ins, with the few actions a developer needs while testing:
//! confirm a user, set a password (permanent or temporary), delete a user.
//!
//! Plain server-rendered HTML ([`page`], maud templates), a little inline CSS, and a few
//! lines of inline script (the copy buttons and the reload when something changes); no
//! front-end toolchain.
//!
//! Security (see also `docs/local-pool.md`, "Dashboard"):
//!
//! - **Local only.** The `Host` must name the loopback interface (`127.0.0.0/8`, `[::1]`,
//!   `localhost`, `*.localhost`), besides the server-wide host guard. A server bound to
//!   another address still serves the API there, but not the dashboard.
//! - **Same origin.** A page or a poll from another origin (an `Origin` that is not the
//!   server's own, `Sec-Fetch-Site` `cross-site`/`same-site` other than a top-level
//!   navigation) is refused with 403, and the answers carry no CORS headers. An action
//!   (`POST`) needs `Origin` equal to `http://<Host>` — browsers send `Origin` on every
//!   POST — or, from a client that is not a browser, neither `Origin` nor a
//!   `Sec-Fetch-Site` other than `same-origin`.
//! - **CSRF token.** Every form carries a token, HMAC-SHA256 under a per-server random
//!   key of a random id held in a `SameSite=Strict`, `HttpOnly` cookie; an action without
//!   the cookie, without the token or with another token is refused with 403.
//! - **Admin key.** With SigV4 required for admin calls ([`crate::LocalPoolBuilder::admin_credentials`]),
//!   the dashboard is off (403): a browser cannot sign, and a dashboard that acted without
//!   a signature would be a way around the key.
//! - **Headers.** `Cache-Control: no-store`, `X-Frame-Options: DENY`, a CSP of
//!   `default-src 'self'`, `frame-ancestors 'none'`, scripts and styles by a per-answer
//!   nonce only, `Referrer-Policy: same-origin` (not `no-referrer`: under that policy a
//!   browser sends `Origin: null` with the page's own form posts, which the origin rule
//!   must refuse), `X-Content-Type-Options: nosniff`.
//!
//! The page shows codes and temporary passwords: that is what it is for, on loopback. They
//! are never logged by it.

mod form;
mod open;
mod page;
pub(crate) mod signins;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::guard;
use crate::state::State;
use crate::util;

pub(crate) use open::{dashboard_url, open_browser};
pub(crate) use signins::{SignIns, observe};

/// The path of the change poll.
pub(crate) const CHANGES_PATH: &str = "/_local/dashboard/changes";
/// The paths of the actions.
pub(crate) const CONFIRM_PATH: &str = "/_local/dashboard/confirm";
pub(crate) const SET_PASSWORD_PATH: &str = "/_local/dashboard/set-password";
pub(crate) const DELETE_PATH: &str = "/_local/dashboard/delete";

/// Longest wait of one change poll; the page polls again after it.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(25);

/// Largest action body (a form with a pool id, a username, a password and the token).
const MAX_FORM: usize = 16 * 1024;

/// What the dashboard keeps while the server runs: the key of its CSRF tokens, the change
/// counter its pages poll, and the recent sign-ins.
pub(crate) struct Live {
    /// The HMAC key of the CSRF tokens, new at every start (a restart invalidates pages).
    csrf_key: [u8; 32],
    changes: tokio::sync::watch::Sender<u64>,
    closed: AtomicBool,
    /// Recent sign-ins, newest last.
    pub sign_ins: SignIns,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("csrf_key", &"<redacted>")
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

impl Live {
    pub(crate) fn new() -> Result<Self, ApiError> {
        Ok(Self {
            csrf_key: util::random_bytes::<32>()?,
            changes: tokio::sync::watch::Sender::new(0),
            closed: AtomicBool::new(false),
            sign_ins: SignIns::default(),
        })
    }

    /// Something the dashboard shows may have changed: pages polling reload.
    pub(crate) fn changed(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// The change counter.
    pub(crate) fn version(&self) -> u64 {
        *self.changes.borrow()
    }

    /// The server is stopping: polls in flight answer at once (the server waits for the
    /// requests in flight), and new ones do not wait.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.changed();
    }

    /// The CSRF token of a dashboard cookie's value.
    fn csrf_token(&self, session: &str) -> String {
        use hmac::{KeyInit as _, Mac as _};
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.csrf_key) else {
            // Any key length is accepted by HMAC; a token nobody can match otherwise.
            return String::new();
        };
        mac.update(b"userpool-local dashboard csrf\0");
        mac.update(session.as_bytes());
        util::b64url(&mac.finalize().into_bytes())
    }
}

/// Whether an operation only reads (its success changes nothing the dashboard shows).
fn reads_only(op: &str) -> bool {
    op.starts_with("Describe")
        || op.starts_with("List")
        || matches!(
            op,
            "GetUser"
                | "AdminGetUser"
                | "GetGroup"
                | "GetDevice"
                | "AdminGetDevice"
                | "AdminListDevices"
                | "AdminListGroupsForUser"
                | "GetUserPoolMfaConfig"
                | "GetUserAuthFactors"
                | "AdminGetUserAuthFactors"
        )
}

/// Called by `ops::call` with every operation's answer: records the sign-ins that ended
/// and bumps the change counter for anything that may have changed.
pub(crate) async fn after_operation(
    state: &Arc<State>,
    op: &str,
    body: &Value,
    result: &Result<Value, ApiError>,
) {
    let signed_in = observe(state, op, body, result).await;
    if signed_in || (result.is_ok() && !reads_only(op)) {
        state.dashboard.changed();
    }
}

/// The dashboard's routes, merged into the server's router (`GET /` itself is
/// `server::index`, which answers [`page`] to browsers).
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route(CHANGES_PATH, get(changes))
        .route(CONFIRM_PATH, post(confirm))
        .route(SET_PASSWORD_PATH, post(set_password))
        .route(DELETE_PATH, post(delete))
}

/// Whether `GET /` should answer the dashboard: the client accepts `text/html` and does
/// not name `application/json` (a browser's navigation). SDKs, curl (no `Accept`, or
/// `*/*`) and anything asking for `application/json` get the JSON index.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    let mut html = false;
    for media in headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| t.split(';').next())
        .map(str::trim)
    {
        if media.eq_ignore_ascii_case("application/json") {
            return false;
        }
        html |= media.eq_ignore_ascii_case("text/html");
    }
    html
}

/// Why a request to the dashboard is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    AdminKey,
    NotLoopback,
    CrossOrigin,
    Csrf,
}

impl Refusal {
    fn message(&self) -> &'static str {
        match self {
            Refusal::AdminKey => {
                "The dashboard is off: this server requires SigV4-signed admin calls \
                 (--admin-access-key-id), which a browser page cannot make."
            }
            Refusal::NotLoopback => {
                "The dashboard is served on the loopback interface only: open it at \
                 http://127.0.0.1:PORT/ or http://localhost:PORT/ on this machine."
            }
            Refusal::CrossOrigin => {
                "The dashboard answers requests from its own pages only (same origin)."
            }
            Refusal::Csrf => {
                "The form's CSRF token is missing or does not match: reload the dashboard \
                 and try again."
            }
        }
    }
}

/// The `Host` header, lower case.
fn host(headers: &HeaderMap) -> Option<String> {
    guard::host_header(headers).map(|h| h.trim().to_ascii_lowercase())
}

/// Whether a `Host` value (a port allowed) names the loopback interface: the shared rule
/// of [`userpool_types::net::is_loopback_host`], and also `*.localhost`, which browsers
/// resolve to loopback themselves (RFC 6761) and developers use to tell apps apart.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((ip, port)) if port.is_empty() || port.starts_with(':') => {
                return userpool_types::net::is_loopback_host(ip);
            }
            _ => return false,
        },
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    let name = name.trim_end_matches('.');
    name.ends_with(".localhost") || userpool_types::net::is_loopback_host(name)
}

/// The server's own origin as the browser sees it: `http://<Host>`.
fn own_origin(host: &str) -> String {
    format!("http://{host}")
}

fn sec_fetch<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"))
}

/// The checks every dashboard request passes: the dashboard on, a loopback `Host`, and
/// (for reads) not another origin's request. `navigation` allows a top-level navigation
/// from another site (a link the developer followed: it reads nothing for that site).
fn check_read(state: &State, headers: &HeaderMap, navigation: bool) -> Result<String, Refusal> {
    if state.access.admin_key.is_some() {
        return Err(Refusal::AdminKey);
    }
    let host = host(headers).ok_or(Refusal::NotLoopback)?;
    if !is_loopback_host(&host) {
        return Err(Refusal::NotLoopback);
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let same = origin.to_str().is_ok_and(|o| {
            o.trim_end_matches('/')
                .eq_ignore_ascii_case(&own_origin(&host))
        });
        if !same {
            return Err(Refusal::CrossOrigin);
        }
    }
    match sec_fetch(headers, "sec-fetch-site") {
        None | Some("same-origin") | Some("none") => {}
        Some(_) => {
            let navigate = sec_fetch(headers, "sec-fetch-mode") == Some("navigate")
                && sec_fetch(headers, "sec-fetch-dest") == Some("document");
            if !(navigation && navigate) {
                return Err(Refusal::CrossOrigin);
            }
        }
    }
    Ok(host)
}

/// The checks of an action: [`check_read`] without the navigation exception, then the
/// origin rule of a POST, then the CSRF token against the cookie.
fn check_action(
    state: &State,
    headers: &HeaderMap,
    fields: &form::Fields,
) -> Result<String, Refusal> {
    let host = check_read(state, headers, false)?;
    // check_read refused any other Origin; a browser's POST always carries one.
    if headers.get(header::ORIGIN).is_none()
        && !matches!(
            sec_fetch(headers, "sec-fetch-site"),
            None | Some("same-origin")
        )
    {
        return Err(Refusal::CrossOrigin);
    }
    let session = cookie(headers, &cookie_name(&host)).ok_or(Refusal::Csrf)?;
    let given = fields.get("csrf").ok_or(Refusal::Csrf)?;
    let expected = state.dashboard.csrf_token(&session);
    if expected.is_empty() || !util::ct_eq(&expected, given) {
        return Err(Refusal::Csrf);
    }
    Ok(host)
}

/// The dashboard cookie's name: one per port, as cookies are not (two local pools on one
/// machine keep their own).
fn cookie_name(host: &str) -> String {
    let port = host
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty())
        .unwrap_or("80");
    format!("userpool_dashboard_{port}")
}

/// A cookie's value, when it has the shape of ours (43 base64url characters: a value
/// the page did not make is treated as no cookie, and the page makes a new one).
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::hosted::cookie::cookie(headers, name).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The headers of every dashboard answer.
fn secure(mut resp: Response, nonce: Option<&str>) -> Response {
    let csp = match nonce {
        Some(n) => format!(
            "default-src 'self'; script-src 'nonce-{n}'; style-src 'nonce-{n}'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        ),
        None => "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
            .to_owned(),
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

fn html(status: StatusCode, body: String, nonce: Option<&str>) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(resp, nonce)
}

fn refused(r: &Refusal) -> Response {
    html(
        StatusCode::FORBIDDEN,
        page::message_page("Refused", r.message()),
        None,
    )
}

/// `GET /` for a browser: the dashboard page, with the cookie of its CSRF token.
pub(crate) async fn page(state: Arc<State>, headers: HeaderMap, query: Option<&str>) -> Response {
    let host = match check_read(&state, &headers, true) {
        Ok(h) => h,
        Err(r) => return refused(&r),
    };
    let notice = query
        .and_then(|q| form::parse(q.as_bytes()).ok())
        .unwrap_or_default();
    let name = cookie_name(&host);
    let (session, new_cookie) = match cookie(&headers, &name) {
        Some(s) => (s, false),
        None => match util::random_bytes::<32>() {
            Ok(b) => (util::b64url(&b), true),
            Err(e) => return html_error(&e),
        },
    };
    let nonce = match util::random_bytes::<18>() {
        Ok(b) => util::b64url(&b),
        Err(e) => return html_error(&e),
    };
    let csrf = state.dashboard.csrf_token(&session);
    let version = state.dashboard.version();
    let view = match page::gather(&state).await {
        Ok(v) => v,
        Err(e) => return html_error(&e),
    };
    let body = page::render(&page::Context {
        view: &view,
        csrf: &csrf,
        nonce: &nonce,
        version,
        endpoint: &own_origin(&host),
        notice: notice
            .get("done")
            .map(|done| (done, notice.get("user").unwrap_or_default())),
    });
    let mut resp = html(StatusCode::OK, body, Some(&nonce));
    if new_cookie
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{name}={session}; Path=/; HttpOnly; SameSite=Strict"
        ))
    {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept, Cookie"));
    resp
}

fn html_error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    html(status, page::message_page(e.kind(), e.message()), None)
}

#[derive(Debug, serde::Deserialize)]
struct ChangesQuery {
    since: Option<u64>,
    /// Seconds to wait at most (capped at [`MAX_WAIT`]).
    wait: Option<u64>,
}

/// `GET /_local/dashboard/changes?since=N&wait=S`: `{"version": V}` as soon as the change
/// counter is not `N`, or after `S` seconds (at most 25) with it unchanged. The page polls
/// it and reloads itself when the version moves.
async fn changes(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Response {
    if let Err(r) = check_read(&state, &headers, false) {
        return refused(&r);
    }
    let Ok(Query(q)) = query else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            json!({"message": "since and wait are numbers"}),
        );
    };
    let wait = q.wait.map_or(MAX_WAIT, Duration::from_secs).min(MAX_WAIT);
    let mut rx = state.dashboard.changes.subscribe();
    let since = q.since.unwrap_or_else(|| *rx.borrow_and_update());
    let seen = *rx.borrow_and_update();
    if seen == since && !state.dashboard.closed.load(Ordering::SeqCst) {
        let _ = tokio::time::timeout(wait, rx.changed()).await;
    }
    let version = *rx.borrow();
    json_answer(StatusCode::OK, json!({ "version": version }))
}

fn json_answer(status: StatusCode, v: Value) -> Response {
    let mut resp = (status, v.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    secure(resp, None)
}

/// Reads an action's form body (bounded in size and time).
async fn read_form(state: &State, body: Body) -> Result<form::Fields, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_FORM);
    let collected = tokio::time::timeout(state.access.body_timeout, limited.collect())
        .await
        .map_err(|_| ApiError::invalid_parameter("The form was not received in time."))?
        .map_err(|_| ApiError::invalid_parameter("The form is too large or broken."))?;
    form::parse(&collected.to_bytes())
}

/// An action: the checks, then the admin operation `op` with the request `make` builds
/// from the form, then back to the dashboard (303) with a notice, or the error on a page.
async fn act(
    state: Arc<State>,
    req: Request,
    op: &'static str,
    done: &'static str,
    make: fn(&form::Fields) -> Result<Value, ApiError>,
) -> Response {
    let (parts, body) = req.into_parts();
    // The origin is checked before the body is read.
    if let Err(r) = check_read(&state, &parts.headers, false) {
        return refused(&r);
    }
    let fields = match read_form(&state, body).await {
        Ok(f) => f,
        Err(e) => return html_error(&e),
    };
    if let Err(r) = check_action(&state, &parts.headers, &fields) {
        return refused(&r);
    }
    let request = match make(&fields) {
        Ok(r) => r,
        Err(e) => return html_error(&e),
    };
    let user = fields.get("username").unwrap_or_default().to_owned();
    // In a task of its own, as server.rs runs the API's operations: a panic is an answer.
    let run = {
        let state = state.clone();
        tokio::spawn(async move { crate::ops::call(&state, op, &request, None).await })
    };
    match run.await {
        Ok(Ok(_)) => {
            let location = format!(
                "/?done={done}&user={}",
                crate::hosted::authorize::encode(&user)
            );
            let mut resp = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            secure(resp, None)
        }
        Ok(Err(e)) => html_error(&e),
        Err(_) => html_error(&ApiError::internal("the action failed")),
    }
}

fn required<'f>(fields: &'f form::Fields, name: &str) -> Result<&'f str, ApiError> {
    fields
        .get(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter(format!("Missing required parameter {name}")))
}

/// The pool and user every action names.
fn target(f: &form::Fields) -> Result<serde_json::Map<String, Value>, ApiError> {
    let mut m = serde_json::Map::new();
    m.insert("UserPoolId".into(), json!(required(f, "pool")?));
    m.insert("Username".into(), json!(required(f, "username")?));
    Ok(m)
}

/// `POST /_local/dashboard/confirm`: AdminConfirmSignUp.
async fn confirm(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    act(state, req, "AdminConfirmSignUp", "confirmed", |f| {
        Ok(Value::Object(target(f)?))
    })
    .await
}

/// `POST /_local/dashboard/set-password`: AdminSetUserPassword, permanent when the box is
/// ticked, temporary (FORCE_CHANGE_PASSWORD) otherwise.
async fn set_password(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    act(state, req, "AdminSetUserPassword", "password-set", |f| {
        let mut m = target(f)?;
        m.insert("Password".into(), json!(required(f, "password")?));
        m.insert("Permanent".into(), json!(f.get("permanent").is_some()));
        Ok(Value::Object(m))
    })
    .await
}

/// `POST /_local/dashboard/delete`: AdminDeleteUser.
async fn delete(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    act(state, req, "AdminDeleteUser", "deleted", |f| {
        Ok(Value::Object(target(f)?))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1:9229",
            "127.0.0.1",
            "127.1.2.3:1",
            "localhost:9229",
            "app.localhost",
            "[::1]:9229",
            "[::1]",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "10.0.0.5:9229",
            "0.0.0.0:9229",
            "pool.test",
            "[::2]:1",
            "[::1",
            "localhost.evil.example",
            "",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn html_is_for_browsers_only() {
        let mut h = HeaderMap::new();
        assert!(!wants_html(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        );
        assert!(wants_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html, application/json"),
        );
        assert!(!wants_html(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(!wants_html(&h));
    }

    #[test]
    fn cookies_are_per_port_and_shaped() {
        assert_eq!(cookie_name("127.0.0.1:9229"), "userpool_dashboard_9229");
        assert_eq!(cookie_name("[::1]:80"), "userpool_dashboard_80");
        assert_eq!(cookie_name("localhost"), "userpool_dashboard_80");
        let good = "a".repeat(43);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; userpool_dashboard_1={good}")).unwrap(),
        );
        assert_eq!(cookie(&h, "userpool_dashboard_1"), Some(good));
        assert_eq!(cookie(&h, "userpool_dashboard_2"), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("userpool_dashboard_1=short"),
        );
        assert_eq!(cookie(&h, "userpool_dashboard_1"), None);
    }

    #[test]
    fn tokens_depend_on_the_session_and_the_key() {
        let a = Live::new().unwrap();
        let b = Live::new().unwrap();
        let s = "s".repeat(43);
        assert_eq!(a.csrf_token(&s), a.csrf_token(&s));
        assert_ne!(a.csrf_token(&s), a.csrf_token(&"t".repeat(43)));
        assert_ne!(a.csrf_token(&s), b.csrf_token(&s));
        assert!(!format!("{a:?}").contains(&util::hex(&a.csrf_key)));
    }

    #[test]
    fn reads_do_not_count_as_changes() {
        assert!(reads_only("ListUsers"));
        assert!(reads_only("AdminGetUser"));
        assert!(reads_only("DescribeUserPool"));
        assert!(!reads_only("AdminConfirmSignUp"));
        assert!(!reads_only("GetTokensFromRefreshToken"));
        assert!(!reads_only("GetUserAttributeVerificationCode"));
    }
}
