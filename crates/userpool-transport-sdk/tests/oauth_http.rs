//! `HttpsOAuthTransport` against a tiny local HTTP server: what it sends (form encoding,
//! Basic authentication, the path), and how it reads answers and failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use userpool_transport::{OAuthError, OAuthErrorCode, OAuthTransport, TokenGrant};
use userpool_transport_sdk::HttpsOAuthTransport;
use userpool_types::{ClientId, ClientSecret, Error, SecretString};

/// One request as received.
#[derive(Clone, Debug, Default)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The form fields, decoded.
    fn field(&self, name: &str) -> Option<String> {
        self.body.split('&').find_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| decode(v))
        })
    }
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

enum Answer {
    Reply(u16, &'static str, String),
    Silent,
}

/// Serves `answer` to every request; records what came.
async fn serve(answer: Answer) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let record = Arc::clone(&record);
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, length) = loop {
                    let n = stream.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                let (n, v) = l.split_once(':')?;
                                n.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    let n = stream.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end - 4]).to_string();
                let mut lines = head.lines();
                let request_line = lines.next().unwrap_or_default().to_owned();
                let headers = lines
                    .filter_map(|l| {
                        let (n, v) = l.split_once(':')?;
                        Some((n.trim().to_owned(), v.trim().to_owned()))
                    })
                    .collect();
                let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                record.lock().unwrap().push(Seen {
                    request_line,
                    headers,
                    body,
                });
                match &*answer {
                    Answer::Reply(status, content_type, body) => {
                        let text = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = stream.write_all(text.as_bytes()).await;
                    }
                    Answer::Silent => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/my-app"), seen)
}

fn json(status: u16, body: &str) -> Answer {
    Answer::Reply(status, "application/json", body.to_owned())
}

const TOKENS: &str = r#"{"access_token":"acc.ess.tok","id_token":"id.tok.en","refresh_token":"ref-resh","token_type":"Bearer","expires_in":3600}"#;

fn code_grant() -> TokenGrant {
    TokenGrant::AuthorizationCode {
        code: SecretString::from("c0de-value"),
        redirect_uri: "http://127.0.0.1:8765/callback?x=1 2".into(),
        code_verifier: SecretString::from("v3rifier~value_with-chars.ok"),
    }
}

fn client() -> ClientId {
    ClientId::new("7abc123clientid").unwrap()
}

#[tokio::test]
async fn a_code_is_redeemed_with_a_form_and_basic_auth() {
    let (domain, seen) = serve(json(200, TOKENS)).await;
    let transport =
        HttpsOAuthTransport::new(&domain, client(), Some(ClientSecret::from("s3cr:et"))).unwrap();
    let tokens = transport.token(code_grant()).await.unwrap();
    assert_eq!(tokens.access_token.expose(), "acc.ess.tok");
    assert_eq!(tokens.id_token.unwrap().expose(), "id.tok.en");
    assert_eq!(tokens.refresh_token.unwrap().expose(), "ref-resh");
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, Some(3600));

    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.request_line, "POST /my-app/oauth2/token HTTP/1.1");
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        seen.field("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(seen.field("client_id").as_deref(), Some("7abc123clientid"));
    assert_eq!(seen.field("code").as_deref(), Some("c0de-value"));
    assert_eq!(
        seen.field("redirect_uri").as_deref(),
        Some("http://127.0.0.1:8765/callback?x=1 2")
    );
    assert_eq!(
        seen.field("code_verifier").as_deref(),
        Some("v3rifier~value_with-chars.ok")
    );
    // Encoded, not raw: the `?`, `:` and space of the redirect URI.
    assert!(
        seen.body
            .contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback%3Fx%3D1+2"),
        "{}",
        seen.body
    );
    // RFC 6749 §2.3.1: id and secret form-encoded, joined by `:`, base64.
    use base64::Engine as _;
    let expected = base64::engine::general_purpose::STANDARD.encode("7abc123clientid:s3cr%3Aet");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Basic {expected}").as_str())
    );
}

#[tokio::test]
async fn a_public_client_sends_no_authorization_and_refreshes() {
    let (domain, seen) = serve(json(
        200,
        r#"{"access_token":"a2","id_token":"i2","token_type":"Bearer","expires_in":60}"#,
    ))
    .await;
    let transport = HttpsOAuthTransport::new(&domain, client(), None).unwrap();
    let tokens = transport
        .token(TokenGrant::RefreshToken {
            refresh_token: SecretString::from("ref-resh"),
        })
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_none());
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.field("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(seen.field("refresh_token").as_deref(), Some("ref-resh"));
}

#[tokio::test]
async fn an_oauth_error_answer_is_typed() {
    let (domain, _) = serve(json(
        400,
        r#"{"error":"invalid_grant","error_description":"the code was used"}"#,
    ))
    .await;
    let transport = HttpsOAuthTransport::new(&domain, client(), None).unwrap();
    let e = transport.token(code_grant()).await.unwrap_err();
    match &e {
        OAuthError::Rejected {
            status,
            code,
            description,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(*code, OAuthErrorCode::InvalidGrant);
            assert_eq!(description.as_deref(), Some("the code was used"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(Error::from(e), Error::NotAuthorized { .. }));
}

#[tokio::test]
async fn a_non_json_answer_is_typed() {
    let (domain, _) = serve(Answer::Reply(
        200,
        "text/html",
        "<html>a login page</html>".into(),
    ))
    .await;
    let transport = HttpsOAuthTransport::new(&domain, client(), None).unwrap();
    let e = transport.token(code_grant()).await.unwrap_err();
    assert!(matches!(e, OAuthError::Malformed { .. }), "{e:?}");
    assert!(!e.to_string().contains("login page"), "{e}");

    let (domain, _) = serve(Answer::Reply(502, "text/html", "<html>bad</html>".into())).await;
    let transport = HttpsOAuthTransport::new(&domain, client(), None).unwrap();
    let e = transport.token(code_grant()).await.unwrap_err();
    assert!(matches!(e, OAuthError::Status { status: 502, .. }), "{e:?}");
    assert!(Error::from(e).is_retryable());
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let (domain, _) = serve(Answer::Silent).await;
    let transport = HttpsOAuthTransport::new(&domain, client(), None)
        .unwrap()
        .with_timeout(Duration::from_millis(200));
    let e = transport.token(code_grant()).await.unwrap_err();
    assert!(matches!(e, OAuthError::Timeout { .. }), "{e:?}");
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let transport = HttpsOAuthTransport::new(format!("http://{addr}/d"), client(), None).unwrap();
    let e = transport.token(code_grant()).await.unwrap_err();
    assert!(matches!(e, OAuthError::Network { .. }), "{e:?}");
}

#[tokio::test]
async fn revocation_posts_the_token() {
    let (domain, seen) = serve(json(200, "")).await;
    let transport = HttpsOAuthTransport::new(&domain, client(), None).unwrap();
    transport
        .revoke(SecretString::from("ref-resh"))
        .await
        .unwrap();
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.request_line, "POST /my-app/oauth2/revoke HTTP/1.1");
    assert_eq!(seen.field("token").as_deref(), Some("ref-resh"));
    assert_eq!(seen.field("client_id").as_deref(), Some("7abc123clientid"));

    let (domain, _) = serve(json(400, r#"{"error":"unsupported_token_type"}"#)).await;
    let transport = HttpsOAuthTransport::new(&domain, client(), None).unwrap();
    let e = transport.revoke(SecretString::from("x")).await.unwrap_err();
    assert_eq!(e.code(), Some(&OAuthErrorCode::UnsupportedTokenType));
}

#[test]
fn debug_shows_no_secret() {
    let transport = HttpsOAuthTransport::new(
        "https://my-app.auth.eu-west-1.amazoncognito.com",
        client(),
        Some(ClientSecret::from("never-shown-secret")),
    )
    .unwrap();
    let shown = format!("{transport:?}");
    assert!(!shown.contains("never-shown-secret"), "{shown}");
    assert!(shown.contains("my-app.auth"), "{shown}");
}
