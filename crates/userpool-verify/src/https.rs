//! [`HttpsFetcher`], the default [`JwksFetcher`]: hyper's client over rustls on ring with
//! the system's root certificates, the stack the AWS SDK's client uses, so that it adds
//! no HTTP or TLS library to a service that talks to AWS.

use std::fmt;

use async_trait::async_trait;
use http_body_util::{BodyExt as _, Empty, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper::{Request, StatusCode, Uri, header};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use userpool_types::net::{UrlRefusal, check_http_target};

use crate::error::JwksError;
use crate::fetch::JwksFetcher;

/// Fetches JWKS documents over HTTPS; plain HTTP only from a loopback address
/// (`127.0.0.0/8`, `::1`, `localhost`), where `userpool-local` serves. Redirects are not
/// followed. It needs a Tokio runtime.
#[derive(Clone)]
pub struct HttpsFetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl fmt::Debug for HttpsFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsFetcher").finish_non_exhaustive()
    }
}

impl HttpsFetcher {
    /// A fetcher trusting the system's root certificates; fails when there are none.
    pub fn new() -> std::io::Result<Self> {
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self::with_connector(connector))
    }

    /// A fetcher over a connector of the service's own (other roots, a proxy).
    pub fn with_connector(connector: HttpsConnector<HttpConnector>) -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }
}

/// Whether `uri` may be fetched: `https`, or `http` to a loopback host (the rule of
/// `userpool_types::net`, worded for a JWKS fetch).
fn allowed(uri: &Uri) -> Result<(), &'static str> {
    check_http_target(uri.scheme_str(), uri.host()).map_err(|refusal| match refusal {
        UrlRefusal::PlainHttpNotLoopback => "plain http is fetched from loopback only",
        UrlRefusal::NotHttp => "not an https URL",
    })
}

#[async_trait]
impl JwksFetcher for HttpsFetcher {
    async fn fetch(&self, jwks_uri: &str, max_bytes: usize) -> Result<Vec<u8>, JwksError> {
        let refused = |reason| JwksError::Url {
            url: crate::error::excerpt(jwks_uri),
            reason,
        };
        let uri: Uri = jwks_uri.parse().map_err(|_| refused("not a URL"))?;
        allowed(&uri).map_err(refused)?;
        let request = Request::get(uri)
            .header(header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(JwksError::transport)?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(JwksError::transport)?;
        if response.status() != StatusCode::OK {
            return Err(JwksError::Status {
                status: response.status().as_u16(),
            });
        }
        let body = Limited::new(response.into_body(), max_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    JwksError::TooLarge { limit: max_bytes }
                } else {
                    JwksError::transport(e)
                }
            })?;
        Ok(body.to_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        let check = |u: &str| allowed(&u.parse().unwrap());
        assert!(check("https://cognito-idp.eu-west-1.amazonaws.com/x").is_ok());
        assert!(check("http://127.0.0.1:9229/x").is_ok());
        assert!(check("http://127.1.2.3/x").is_ok());
        assert!(check("http://[::1]:80/x").is_ok());
        assert!(check("http://localhost:9229/x").is_ok());
        assert!(check("http://example.com/x").is_err());
        assert!(check("http://10.0.0.1/x").is_err());
        assert!(check("http://localhost.example.com/x").is_err());
        assert!(check("ftp://127.0.0.1/x").is_err());
    }
}
