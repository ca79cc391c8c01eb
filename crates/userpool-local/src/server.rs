//! The HTTP side: `POST /` with `X-Amz-Target`, the JWKS and OpenID configuration, the
//! outbox and signing-key endpoints; request checks (host, browser origin, content type, target, size, read
//! time, SigV4 when configured, JSON) and Cognito-style error answers, including for
//! panics; CORS as Cognito answers the public operations.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use userpool_types::claims as claim;

use crate::error::{ApiError, ExceptionName};
use crate::protocol::{CONTENT_TYPE, TARGET_PREFIX};
use crate::state::State;
use crate::{guard, ops, sigv4, tokens, util};

/// Largest request body accepted.
pub(crate) const MAX_BODY: usize = 256 * 1024;

/// Largest body read and thrown away before answering 413, so that a client that sends
/// its whole body before reading the answer (Python's `http.client`, boto3) gets the JSON
/// error instead of a broken pipe. Larger bodies are not read: the connection is closed.
pub(crate) const DRAIN_LIMIT: usize = 32 * 1024 * 1024;

/// What the answers to a browser's preflight may be cached for (what AWS's endpoints say).
const PREFLIGHT_MAX_AGE: &str = "172800";

/// The response headers a page may read (Cognito's list).
const EXPOSE_HEADERS: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";

/// Serves connections until `stop` turns true, then lets the requests in flight finish.
///
/// HTTP/1.1 with hyper directly (not `axum::serve`) so that a client that is slow to send
/// its headers is cut off after `header_timeout` (a slowloris connection costs a task and a
/// socket for that long, and holds nobody else up).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let mut connections = tokio::task::JoinSet::new();
    loop {
        // Reap finished connection tasks so the set does not grow.
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
                continue;
            }
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors or a connection reset before accept: wait a
                // little instead of spinning, and go on.
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut conn_stop = stop.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                // The guard `wait_for` answers is dropped inside: it is not `Send`.
                _ = async { conn_stop.wait_for(|stopped| *stopped).await.is_ok() } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// The router of the local pool.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", post(api).get(index).options(preflight))
        .route("/_local/outbox", get(outbox).options(outbox_preflight))
        .route("/_local/signing-keys", get(list_signing_keys))
        .route("/_local/signing-keys/rotate", post(rotate_signing_key))
        .route("/_local/signing-keys/retire", post(retire_signing_key))
        .route(&format!("/{{pool_id}}{}", claim::JWKS_PATH), get(jwks))
        .route(
            "/{pool_id}/.well-known/openid-configuration",
            get(crate::hosted::discovery::openid_configuration),
        )
        .merge(crate::hosted::routes())
        .merge(crate::dashboard::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), host_guard))
        .with_state(state)
}

fn json_response(status: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&util::uuid_v4().unwrap_or_default()) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// Which CORS headers an answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cors {
    /// None: not a browser request, or a browser request that is refused.
    None,
    /// `Access-Control-Allow-Origin: *`, as Cognito answers the public operations.
    Any,
    /// The allowed origin itself (admin operations and the outbox).
    Origin(HeaderValue),
}

impl Cors {
    fn apply(&self, resp: &mut Response) {
        let h = resp.headers_mut();
        let origin = match self {
            Cors::None => return,
            Cors::Any => HeaderValue::from_static("*"),
            Cors::Origin(o) => {
                h.insert(header::VARY, HeaderValue::from_static("Origin"));
                o.clone()
            }
        };
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }

    fn answer(self, mut resp: Response) -> Response {
        self.apply(&mut resp);
        resp
    }
}

/// The CORS answer for an allowed browser origin (`Cors::None` when it cannot be echoed).
fn echo_origin(origin: &str) -> Cors {
    HeaderValue::from_str(origin).map_or(Cors::None, Cors::Origin)
}

fn access_denied(message: impl Into<String>) -> ApiError {
    ApiError::with_status(ExceptionName::AccessDenied, message, 403)
}

/// A short, printable excerpt of a header value for an error message.
fn excerpt(v: &str) -> String {
    v.chars().filter(|c| !c.is_control()).take(100).collect()
}

/// Refuses requests whose `Host` (or absolute request target) names a host this server does
/// not serve: a page on `evil.example` whose name was rebound to 127.0.0.1 reaches the
/// server with `Host: evil.example`.
async fn host_guard(AxState(state): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    let guard = &state.access.guard;
    let host = guard::host_header(req.headers());
    let authority = req.uri().authority().map(|a| a.as_str());
    if let Some(bad) = [host, authority]
        .into_iter()
        .flatten()
        .find(|h| !guard.host_allowed(Some(h)))
    {
        return error_response(&access_denied(format!(
            "The local user pool does not serve the host '{}' (DNS rebinding is refused). \
             Allow the name with --allow-host NAME.",
            excerpt(bad)
        )));
    }
    next.run(req).await
}

/// The CORS preflight of `POST /`. The preflight does not say which operation follows, so
/// it is answered as Cognito answers it (any origin, the requested headers) except that a
/// page from an origin that is not allowed is not told it may send SigV4 headers: it can
/// only make unsigned calls, and unsigned admin calls from it are refused when they come.
async fn preflight(AxState(state): AxState<Arc<State>>, headers: HeaderMap) -> Response {
    let origin = guard::browser_origin(&headers);
    let allowed = origin.as_deref().is_some_and(|o| {
        state
            .access
            .guard
            .origin_allowed(o, guard::host_header(&headers))
    });
    let requested = requested_headers(&headers);
    let permitted: Vec<&str> = requested
        .iter()
        .map(String::as_str)
        .filter(|h| allowed || !guard::SIGNING_HEADERS.contains(h))
        .collect();
    let cors = match (&origin, allowed) {
        (Some(o), true) => echo_origin(o),
        _ => Cors::Any,
    };
    let mut resp = StatusCode::OK.into_response();
    cors.apply(&mut resp);
    let h = resp.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, GET, OPTIONS"),
    );
    if !permitted.is_empty()
        && let Ok(v) = HeaderValue::from_str(&permitted.join(","))
    {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    resp
}

/// The header names of `Access-Control-Request-Headers`, lower case, well-formed ones only.
fn requested_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 64
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .take(32)
        .collect()
}

/// The preflight of the outbox: only for allowed origins.
async fn outbox_preflight(AxState(state): AxState<Arc<State>>, headers: HeaderMap) -> Response {
    let origin = guard::browser_origin(&headers);
    match origin {
        Some(o)
            if state
                .access
                .guard
                .origin_allowed(&o, guard::host_header(&headers)) =>
        {
            let mut resp = StatusCode::OK.into_response();
            echo_origin(&o).apply(&mut resp);
            let h = resp.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, OPTIONS"),
            );
            if let Ok(v) = HeaderValue::from_str(&requested_headers(&headers).join(","))
                && !v.is_empty()
            {
                h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
            resp
        }
        Some(o) => error_response(&outbox_refused(&o)),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

fn outbox_refused(origin: &str) -> ApiError {
    access_denied(format!(
        "Browser pages may not read the outbox: the origin '{}' is not allowed. \
         Allow it with --allow-origin ORIGIN.",
        excerpt(origin)
    ))
}

/// The answer for an error: JSON body, `x-amzn-ErrorType` header.
pub(crate) fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = json_response(status, e.body(), CONTENT_TYPE);
    if let Ok(v) = HeaderValue::from_str(e.kind()) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

/// An error after which the connection is closed (the rest of the request was not read).
fn closing_error_response(e: &ApiError) -> Response {
    let mut resp = error_response(e);
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

fn content_type_ok(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        // Some hand-written clients send none; the target header is what matters.
        return true;
    };
    let Ok(ct) = ct.to_str() else {
        return false;
    };
    let base = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    base == CONTENT_TYPE || base == "application/x-amz-json-1.0" || base == "application/json"
}

/// The operation named by `X-Amz-Target`.
fn operation(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(target) = headers.get("x-amz-target") else {
        return Err(ApiError::new(
            ExceptionName::UnknownOperation,
            "Missing X-Amz-Target header: expected AWSCognitoIdentityProviderService.<Operation>",
        ));
    };
    target
        .to_str()
        .ok()
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .filter(|op| !op.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(
                ExceptionName::UnknownOperation,
                "X-Amz-Target must be AWSCognitoIdentityProviderService.<Operation>",
            )
        })
}

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFault {
    TooLarge,
    TimedOut,
    Broken,
}

fn too_large() -> ApiError {
    ApiError::with_status(
        ExceptionName::RequestEntityTooLarge,
        format!("Request body larger than {MAX_BODY} bytes."),
        413,
    )
}

fn body_timed_out(timeout: Duration) -> ApiError {
    ApiError::with_status(
        ExceptionName::RequestTimeout,
        format!(
            "The request body was not received within {} seconds.",
            timeout.as_secs_f64()
        ),
        408,
    )
}

/// Reads a body of at most [`MAX_BODY`] bytes within `timeout`. A larger one is read to its
/// end and thrown away (up to [`DRAIN_LIMIT`], still within `timeout`) so that the client
/// can read the 413 answer; a client that asked `Expect: 100-continue` is answered at once
/// and sends nothing.
async fn read_body(body: Body, headers: &HeaderMap, timeout: Duration) -> Result<Bytes, BodyFault> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let expects_continue = headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if let Some(len) = declared
        && len > MAX_BODY as u64
        && (expects_continue || len > DRAIN_LIMIT as u64)
    {
        return Err(BodyFault::TooLarge);
    }
    // Below MAX_BODY, so the cast back to usize cannot truncate.
    let capacity = declared.map_or(8 * 1024, |l| l.min(MAX_BODY as u64) as usize);
    let read_all = async move {
        let mut buf = Vec::with_capacity(capacity);
        let mut total = 0usize;
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(BodyFault::Broken);
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total = total.saturating_add(data.len());
            if total > DRAIN_LIMIT {
                return Err(BodyFault::TooLarge);
            }
            if total <= MAX_BODY {
                buf.extend_from_slice(&data);
            }
        }
        if total > MAX_BODY {
            return Err(BodyFault::TooLarge);
        }
        Ok(Bytes::from(buf))
    };
    // One deadline for the whole body. `timeout` copes with any configured duration
    // (`Instant::now() + timeout` panics for one as large as `Duration::MAX`).
    tokio::time::timeout(timeout, read_all)
        .await
        .unwrap_or(Err(BodyFault::TimedOut))
}

async fn api(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let op = match operation(headers) {
        Ok(op) => op,
        Err(e) => return Cors::Any.answer(error_response(&e)),
    };
    let cors = if guard::is_public(&op) {
        Cors::Any
    } else {
        match guard::browser_origin(headers) {
            None => Cors::None,
            Some(o)
                if state
                    .access
                    .guard
                    .origin_allowed(&o, guard::host_header(headers)) =>
            {
                echo_origin(&o)
            }
            Some(o) => {
                return error_response(&access_denied(format!(
                    "Browser pages may not call {op}: the origin '{}' is not allowed. \
                     Allow it with --allow-origin ORIGIN.",
                    excerpt(&o)
                )));
            }
        }
    };
    if !content_type_ok(headers) {
        return cors.answer(error_response(&ApiError::serialization(format!(
            "Unsupported content type: expected {CONTENT_TYPE}"
        ))));
    }
    let timeout = state.access.body_timeout;
    let bytes = match read_body(body, headers, timeout).await {
        Ok(b) => b,
        Err(BodyFault::TooLarge) => return cors.answer(closing_error_response(&too_large())),
        Err(BodyFault::TimedOut) => {
            return cors.answer(closing_error_response(&body_timed_out(timeout)));
        }
        Err(BodyFault::Broken) => {
            return cors.answer(closing_error_response(&ApiError::serialization(
                "The request body could not be read.",
            )));
        }
    };
    if !guard::is_public(&op)
        && let Some(key) = &state.access.admin_key
    {
        let signed = sigv4::SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers,
            body: &bytes,
        };
        if let Err(e) = sigv4::verify(key, &signed, std::time::SystemTime::now()) {
            return cors.answer(error_response(&e));
        }
    }
    // The region the caller signed for: CreateUserPool makes its pool ids there.
    let scope_region = sigv4::scope_region(headers);
    let result = match parse_json(&bytes) {
        Ok(value) => {
            run_catching(
                async move { ops::call(&state, &op, &value, scope_region.as_deref()).await },
            )
            .await
        }
        Err(e) => Err(e),
    };
    cors.answer(match result {
        Ok(v) => json_response(StatusCode::OK, v.to_string(), CONTENT_TYPE),
        Err(e) => error_response(&e),
    })
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::serialization(format!("The request body is not valid JSON: {e}")))
}

/// Runs an operation in its own task so that a panic becomes a JSON 500
/// (`InternalErrorException`), not a dropped connection.
async fn run_catching<F>(operation: F) -> Result<Value, ApiError>
where
    F: std::future::Future<Output = Result<Value, ApiError>> + Send + 'static,
{
    match tokio::spawn(operation).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => {
            tracing::error!("operation panicked");
            Err(ApiError::with_status(
                ExceptionName::InternalError,
                "An internal error occurred in the local user pool.",
                500,
            ))
        }
        Err(_) => Err(ApiError::internal("operation cancelled")),
    }
}

/// `GET /`: the dashboard for a browser (an `Accept` with `text/html`), the JSON index for
/// SDKs, curl and `Accept: application/json`.
async fn index(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    let (parts, _body) = req.into_parts();
    if crate::dashboard::wants_html(&parts.headers) {
        return crate::dashboard::page(state, parts.headers, parts.uri.query()).await;
    }
    let mut resp = Cors::Any.answer(json_response(
        StatusCode::OK,
        json!({
            "service": "userpool-local",
            "protocol": "POST / with X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>",
            "outbox": "/_local/outbox",
            "dashboard": "GET / with Accept: text/html (a browser)",
        })
        .to_string(),
        "application/json",
    ));
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

/// A path or query string that axum could not decode (a pool id that is not UTF-8, a
/// member given twice): answered as JSON like every other refusal, not as axum's plain
/// text.
fn undecodable(what: &str, rejection: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_parameter(format!(
        "The {what} could not be read: {}",
        excerpt(&rejection.to_string())
    ))
}

async fn jwks(
    AxState(state): AxState<Arc<State>>,
    pool_id: Result<Path<String>, PathRejection>,
) -> Response {
    let pool_id = match pool_id {
        Ok(Path(id)) => id,
        Err(e) => return Cors::Any.answer(error_response(&undecodable("user pool id", e))),
    };
    // Token verifiers in pages fetch the keys cross-origin, as from Cognito.
    Cors::Any.answer(match state.pool(&pool_id).await {
        Ok(pool) => json_response(
            StatusCode::OK,
            pool.key.jwks().to_owned(),
            "application/json",
        ),
        Err(e) => error_response(&e),
    })
}

#[derive(serde::Deserialize)]
struct OutboxQuery {
    pool: Option<String>,
    username: Option<String>,
}

/// The outbox holds every code and temporary password: a browser page may read it only from
/// an allowed origin.
async fn outbox(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Response {
    let cors = match guard::browser_origin(&headers) {
        None => Cors::None,
        Some(o)
            if state
                .access
                .guard
                .origin_allowed(&o, guard::host_header(&headers)) =>
        {
            echo_origin(&o)
        }
        Some(o) => return error_response(&outbox_refused(&o)),
    };
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return cors.answer(error_response(&undecodable("query string", e))),
    };
    let records: Vec<Value> = state
        .outbox
        .filtered(q.pool.as_deref(), q.username.as_deref())
        .iter()
        .map(|r| r.to_json())
        .collect();
    cors.answer(json_response(
        StatusCode::OK,
        json!({ "records": records }).to_string(),
        "application/json",
    ))
}

/// The start of every `/_local/signing-keys` request: refused to any browser (an `Origin`
/// or a cross-site `Sec-Fetch-Site`, allowed origins included: no page has a reason to
/// rotate a pool's keys, so these answers carry no CORS headers and have no preflight),
/// the body read as for `POST /`, and a SigV4 signature checked when an admin key is
/// configured, as for the admin operations. `Err` is the answer to send.
async fn local_admin_request(state: &State, req: Request) -> Result<Value, Response> {
    let (parts, body) = req.into_parts();
    if let Some(origin) = guard::browser_origin(&parts.headers) {
        return Err(error_response(&access_denied(format!(
            "Browser pages may not manage signing keys (origin '{}'); call from a test or a script.",
            excerpt(&origin)
        ))));
    }
    let timeout = state.access.body_timeout;
    let bytes = match read_body(body, &parts.headers, timeout).await {
        Ok(b) => b,
        Err(BodyFault::TooLarge) => return Err(closing_error_response(&too_large())),
        Err(BodyFault::TimedOut) => return Err(closing_error_response(&body_timed_out(timeout))),
        Err(BodyFault::Broken) => {
            return Err(closing_error_response(&ApiError::serialization(
                "The request body could not be read.",
            )));
        }
    };
    if let Some(key) = &state.access.admin_key {
        let signed = sigv4::SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &bytes,
        };
        sigv4::verify(key, &signed, std::time::SystemTime::now())
            .map_err(|e| error_response(&e))?;
    }
    parse_json(&bytes).map_err(|e| error_response(&e))
}

/// A string member of a `/_local` request body.
fn required_str<'a>(body: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    match body.get(name) {
        Some(Value::String(v)) if !v.is_empty() => Ok(v),
        Some(_) => Err(ApiError::invalid_parameter(format!(
            "{name} must be a non-empty string."
        ))),
        None => Err(ApiError::missing(name)),
    }
}

fn keys_answer(result: Result<tokens::SigningKeys, ApiError>) -> Response {
    match result {
        Ok(keys) => json_response(
            StatusCode::OK,
            keys.to_json().to_string(),
            "application/json",
        ),
        Err(e) => error_response(&e),
    }
}

#[derive(serde::Deserialize)]
struct KeysQuery {
    pool: String,
}

/// `GET /_local/signing-keys?pool=ID`: `{"SigningKid", "PublishedKids"}`.
async fn list_signing_keys(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    let query = Query::<KeysQuery>::try_from_uri(req.uri());
    if let Err(answer) = local_admin_request(&state, req).await {
        return answer;
    }
    match query {
        Ok(Query(q)) => keys_answer(tokens::signing_keys(&state, &q.pool).await),
        Err(e) => error_response(&undecodable("query string (pool=ID)", e)),
    }
}

/// `POST /_local/signing-keys/rotate` with `{"UserPoolId"}`: a fresh signing key, the
/// previous one still published.
async fn rotate_signing_key(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    let body = match local_admin_request(&state, req).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let pool_id = match required_str(&body, "UserPoolId") {
        Ok(id) => id,
        Err(e) => return error_response(&e),
    };
    keys_answer(tokens::rotate(&state, pool_id).await)
}

/// `POST /_local/signing-keys/retire` with `{"UserPoolId", "Kid"}`: the earlier key `Kid`
/// is no longer published and its tokens no longer verify.
async fn retire_signing_key(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    let body = match local_admin_request(&state, req).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let (pool_id, kid) = match (
        required_str(&body, "UserPoolId"),
        required_str(&body, "Kid"),
    ) {
        (Ok(p), Ok(k)) => (p, k),
        (Err(e), _) | (_, Err(e)) => return error_response(&e),
    };
    keys_answer(tokens::retire(&state, pool_id, kid).await)
}

async fn not_found() -> Response {
    error_response(&ApiError::with_status(
        ExceptionName::ResourceNotFound,
        "No such path on the local user pool. The API is POST / with X-Amz-Target.",
        404,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_operation_answers_a_json_500() {
        let result = run_catching(async {
            let v: Option<Value> = None;
            #[allow(clippy::unnecessary_literal_unwrap)]
            Ok(v.expect("boom"))
        })
        .await;
        let e = result.unwrap_err();
        assert_eq!(e.status(), 500);
        let resp = error_response(&e);
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers().get("x-amzn-errortype").unwrap(),
            "InternalErrorException"
        );
        assert_eq!(
            resp.headers().get(header::CONTENT_TYPE).unwrap(),
            CONTENT_TYPE
        );
        let body: Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(body["__type"], "InternalErrorException");
    }
}
