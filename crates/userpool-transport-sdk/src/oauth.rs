//! [`HttpsOAuthTransport`]: the [`OAuthTransport`] on hyper's client, over rustls on ring
//! with the system's roots (the stack of the SDK's own client and of `userpool-verify`'s
//! fetcher, so no second HTTP or TLS library is built).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper::{Request, Uri, header};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use userpool_transport::oauth::{REVOKE_PATH, TOKEN_PATH};
use userpool_transport::{OAuthError, OAuthErrorCode, OAuthTokens, OAuthTransport, TokenGrant};
use userpool_types::net::{UrlRefusal, check_http_target};
use userpool_types::{ClientId, ClientSecret, Error, SecretString};

/// The default bound of one request, connection and answer included.
pub const DEFAULT_OAUTH_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read: a token answer is three JWTs, a few kilobytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The OAuth endpoints (`/oauth2/token`, `/oauth2/revoke`) of one app client on one user
/// pool domain, over HTTPS; plain HTTP only to a loopback host (`127.0.0.0/8`, `::1`,
/// `localhost`), where `userpool-local` serves.
///
/// Sends `application/x-www-form-urlencoded` bodies with `client_id`; with a client
/// secret, authenticates with HTTP Basic (RFC 6749 §2.3.1). One attempt per call, each
/// bounded by [`with_timeout`](Self::with_timeout) (default 30 s); redirects are not
/// followed. Needs a Tokio runtime. `Debug` shows the domain and the client id, and
/// whether a secret is set.
#[derive(Clone)]
pub struct HttpsOAuthTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// The domain base URL without a trailing `/`.
    domain: String,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    timeout: Duration,
}

impl fmt::Debug for HttpsOAuthTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsOAuthTransport")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Whether `uri` may be called: `https`, or `http` to a loopback host (the rule of
/// `userpool_types::net`, worded for the pool domain).
fn allowed(uri: &Uri) -> Result<(), &'static str> {
    check_http_target(uri.scheme_str(), uri.host()).map_err(|refusal| match refusal {
        UrlRefusal::PlainHttpNotLoopback => "plain http is allowed to a loopback host only",
        UrlRefusal::NotHttp => "the domain must be an https URL",
    })
}

/// `application/x-www-form-urlencoded` (the URL standard's serializer): unreserved bytes
/// as they are, space as `+`, every other byte `%XX`.
pub(crate) fn form_encode(out: &mut String, value: &str) {
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

/// A form body; wiped on drop, as it holds codes, verifiers and tokens.
struct Form(zeroize::Zeroizing<String>);

impl Form {
    fn new() -> Self {
        Self(zeroize::Zeroizing::new(String::new()))
    }

    fn field(mut self, name: &str, value: &str) -> Self {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        form_encode(&mut self.0, name);
        self.0.push('=');
        form_encode(&mut self.0, value);
        self
    }
}

impl HttpsOAuthTransport {
    /// The endpoints under `domain` (the domain base URL:
    /// `https://<prefix>.auth.<region>.amazoncognito.com`, or a local pool's
    /// `http://127.0.0.1:9229/<domain>`) for `client_id`, with the app client's secret if
    /// it has one. No I/O.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a domain that is not an https URL (or plain http to a host
    /// that is not loopback), or when the system has no root certificates.
    pub fn new(
        domain: impl Into<String>,
        client_id: ClientId,
        client_secret: Option<ClientSecret>,
    ) -> Result<Self, Error> {
        let domain = domain.into().trim_end_matches('/').to_owned();
        let uri: Uri = domain.parse().map_err(|_| Error::Config {
            reason: "the hosted domain is not a URL".into(),
        })?;
        allowed(&uri).map_err(|reason| Error::Config {
            reason: reason.into(),
        })?;
        if uri.query().is_some() {
            return Err(Error::Config {
                reason: "the hosted domain must not have a query".into(),
            });
        }
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| Error::Config {
                reason: format!("no root certificates for HTTPS: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            domain,
            client_id,
            client_secret,
            timeout: DEFAULT_OAUTH_TIMEOUT,
        })
    }

    /// Bounds each request, connection and answer included (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The domain base URL.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The `Authorization: Basic` value, for a client with a secret.
    fn basic(&self) -> Option<zeroize::Zeroizing<String>> {
        let secret = self.client_secret.as_ref()?;
        let mut pair = zeroize::Zeroizing::new(String::new());
        form_encode(&mut pair, self.client_id.as_str());
        pair.push(':');
        form_encode(&mut pair, secret.expose());
        let mut value = zeroize::Zeroizing::new(String::from("Basic "));
        base64::engine::general_purpose::STANDARD.encode_string(pair.as_bytes(), &mut value);
        Some(value)
    }

    /// Posts `form` to `path`; answers the status and the body.
    async fn post(&self, path: &'static str, form: Form) -> Result<(u16, Bytes), OAuthError> {
        let url = format!("{}{path}", self.domain);
        let uri: Uri = url.parse().map_err(|_| OAuthError::Url {
            reason: "the endpoint URL does not parse".into(),
        })?;
        let mut request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(basic) = self.basic() {
            let mut value = header::HeaderValue::from_str(&basic).map_err(|_| OAuthError::Url {
                reason: "the client credentials do not fit in a header".into(),
            })?;
            value.set_sensitive(true);
            request = request.header(header::AUTHORIZATION, value);
        }
        let request = request
            .body(Full::new(Bytes::from(form.0.as_bytes().to_vec())))
            .map_err(|_| OAuthError::Url {
                reason: "the request could not be built".into(),
            })?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| OAuthError::Network {
                    endpoint: path,
                    reason: "the request failed".into(),
                    source: Some(std::sync::Arc::new(e)),
                })?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<LengthLimitError>().is_some() {
                        OAuthError::Malformed {
                            endpoint: path,
                            reason: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
                        }
                    } else {
                        OAuthError::Network {
                            endpoint: path,
                            reason: "reading the answer failed".into(),
                            source: Some(std::sync::Arc::from(e)),
                        }
                    }
                })?;
            Ok((status, body.to_bytes()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| OAuthError::Timeout {
                endpoint: path,
                after: self.timeout,
            })?
    }
}

/// An error answer: `{"error": …, "error_description": …}` (RFC 6749 §5.2) or, without
/// one, the bare status.
fn refusal(endpoint: &'static str, status: u16, body: &[u8]) -> OAuthError {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(serde_json::Value::as_str);
    match code {
        Some(code) => OAuthError::Rejected {
            endpoint,
            status,
            code: OAuthErrorCode::parse(code),
            description: parsed
                .as_ref()
                .and_then(|v| v.get("error_description"))
                .and_then(serde_json::Value::as_str)
                // A server's text, cut so that a huge one cannot flood a log.
                .map(|d| d.chars().take(200).collect()),
        },
        None => OAuthError::Status { endpoint, status },
    }
}

/// Reads a token answer (RFC 6749 §5.1).
fn read_tokens(body: &[u8]) -> Result<OAuthTokens, OAuthError> {
    let malformed = |reason: &str| OAuthError::Malformed {
        endpoint: TOKEN_PATH,
        reason: reason.to_owned(),
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| malformed("the answer is not JSON"))?;
    let text = |name: &str| -> Result<Option<SecretString>, OAuthError> {
        match value.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(SecretString::from(s.as_str()))),
            Some(_) => Err(malformed(&format!("{name} is not a string"))),
        }
    };
    let access = text("access_token")?.ok_or_else(|| malformed("access_token is missing"))?;
    let token_type = value
        .get("token_type")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| malformed("token_type is missing"))?;
    let mut tokens = OAuthTokens::new(access, token_type);
    if let Some(id) = text("id_token")? {
        tokens = tokens.with_id_token(id);
    }
    if let Some(refresh) = text("refresh_token")? {
        tokens = tokens.with_refresh_token(refresh);
    }
    match value.get("expires_in") {
        None | Some(serde_json::Value::Null) => {}
        Some(v) => {
            let secs = v
                .as_i64()
                .ok_or_else(|| malformed("expires_in is not an integer"))?;
            tokens = tokens.with_expires_in(secs);
        }
    }
    Ok(tokens)
}

#[async_trait]
impl OAuthTransport for HttpsOAuthTransport {
    fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    #[tracing::instrument(name = "oauth", level = "debug", skip_all, fields(endpoint = TOKEN_PATH, grant_type = grant.grant_type()))]
    async fn token(&self, grant: TokenGrant) -> Result<OAuthTokens, OAuthError> {
        let form = Form::new().field("grant_type", grant.grant_type());
        let form = match &grant {
            TokenGrant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => form
                .field("client_id", self.client_id.as_str())
                .field("code", code.expose())
                .field("redirect_uri", redirect_uri)
                .field("code_verifier", code_verifier.expose()),
            TokenGrant::RefreshToken { refresh_token } => form
                .field("client_id", self.client_id.as_str())
                .field("refresh_token", refresh_token.expose()),
            // A grant of a later version of the vocabulary.
            _ => {
                return Err(OAuthError::Url {
                    reason: format!("grant_type {} is not supported", grant.grant_type()),
                });
            }
        };
        let (status, body) = self.post(TOKEN_PATH, form).await?;
        if status != 200 {
            let e = refusal(TOKEN_PATH, status, &body);
            tracing::debug!(error = %e, "token request refused");
            return Err(e);
        }
        read_tokens(&body)
    }

    #[tracing::instrument(name = "oauth", level = "debug", skip_all, fields(endpoint = REVOKE_PATH))]
    async fn revoke(&self, refresh_token: SecretString) -> Result<(), OAuthError> {
        let form = Form::new()
            .field("token", refresh_token.expose())
            .field("client_id", self.client_id.as_str());
        let (status, body) = self.post(REVOKE_PATH, form).await?;
        if status == 200 {
            Ok(())
        } else {
            Err(refusal(REVOKE_PATH, status, &body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        let check = |u: &str| allowed(&u.parse().unwrap());
        assert!(check("https://my-app.auth.eu-west-1.amazoncognito.com").is_ok());
        assert!(check("http://127.0.0.1:9229/my-app").is_ok());
        assert!(check("http://[::1]:9229/my-app").is_ok());
        assert!(check("http://localhost:9229/my-app").is_ok());
        assert!(check("http://example.com/x").is_err());
        assert!(check("http://localhost.example.com/x").is_err());
        assert!(check("ftp://127.0.0.1/x").is_err());
        let id = ClientId::new("client").unwrap();
        assert!(matches!(
            HttpsOAuthTransport::new("http://example.com", id.clone(), None),
            Err(Error::Config { .. })
        ));
        assert!(HttpsOAuthTransport::new("https://x.example.com/", id, None).is_ok());
    }

    #[test]
    fn form_encoding_is_the_url_standards() {
        let mut out = String::new();
        form_encode(&mut out, "a b+c&d=e/é~");
        assert_eq!(out, "a+b%2Bc%26d%3De%2F%C3%A9%7E");
    }

    #[test]
    fn token_answers_are_read_or_refused() {
        let ok = read_tokens(
            br#"{"access_token":"a","id_token":"i","refresh_token":"r","token_type":"Bearer","expires_in":3600}"#,
        )
        .unwrap();
        assert_eq!(ok.id_token.unwrap().expose(), "i");
        assert_eq!(ok.expires_in, Some(3600));
        assert!(matches!(
            read_tokens(b"<html>"),
            Err(OAuthError::Malformed { .. })
        ));
        assert!(matches!(
            read_tokens(br#"{"token_type":"Bearer"}"#),
            Err(OAuthError::Malformed { reason, .. }) if reason.contains("access_token")
        ));
        assert!(matches!(
            refusal(TOKEN_PATH, 502, b"<html>bad gateway</html>"),
            OAuthError::Status { status: 502, .. }
        ));
    }
}
