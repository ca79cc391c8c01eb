//! Hosted sign-in (redirect): a fake browser reads the authorize URL and performs the
//! redirect to the loopback port; the OAuth transport is mocked.

use base64::Engine as _;
use sha2::Digest as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use userpool_transport::{MockOAuthTransport, OAuthError, OAuthErrorCode, OAuthTokens, TokenGrant};
use userpool_types::Error;

use super::*;
use crate::{HostedConfig, SignOutOptions};

const DOMAIN: &str = "https://my-app.auth.eu-west-1.amazoncognito.com";
const CODE: &str = "CODE-NEVER-LOGGED-7f3a";

/// What the fake browser saw in the URL it was asked to open.
#[derive(Clone, Debug, Default)]
struct Seen {
    url: String,
    params: BTreeMap<String, String>,
}

fn query_of(url: &str) -> BTreeMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            let v = v.replace('+', " ");
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            (k.to_owned(), String::from_utf8(out).unwrap())
        })
        .collect()
}

/// What the fake browser does after reading the URL.
#[derive(Clone)]
enum Then {
    /// Redirects with the code and the right state.
    Redirect,
    /// Redirects with this state instead.
    WrongState(&'static str),
    /// Redirects with `error=…`.
    Error(&'static str),
    /// Never comes back.
    Nothing,
}

/// GETs `target` on the loopback port; answers the status line and the body.
async fn get(port: u16, target: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

/// A browser that records the URL and redirects as `then` says; it also first asks for a
/// favicon, which must be answered 404 and not end the wait.
fn browser(seen: Arc<Mutex<Seen>>, then: Then) -> impl Fn(&str) -> Result<(), Error> {
    move |url: &str| {
        let params = query_of(url);
        *seen.lock().unwrap() = Seen {
            url: url.to_owned(),
            params: params.clone(),
        };
        let then = then.clone();
        let redirect = params
            .get("redirect_uri")
            .or(params.get("logout_uri"))
            .cloned();
        tokio::spawn(async move {
            let redirect = redirect.unwrap();
            let rest = redirect.strip_prefix("http://127.0.0.1:").unwrap();
            let (port, path) = rest.split_at(rest.find('/').unwrap());
            let port: u16 = port.parse().unwrap();
            let favicon = get(port, "/favicon.ico").await;
            assert!(favicon.starts_with("HTTP/1.1 404"), "{favicon}");
            let state = params.get("state").cloned().unwrap_or_default();
            let target = match then {
                Then::Redirect => format!("{path}?code={CODE}&state={state}"),
                Then::WrongState(s) => format!("{path}?code={CODE}&state={s}"),
                Then::Error(e) => {
                    format!("{path}?error={e}&error_description=no+thanks&state={state}")
                }
                Then::Nothing => return,
            };
            let page = get(port, &target).await;
            assert!(page.contains("close this window"), "{page}");
        });
        Ok(())
    }
}

/// The token endpoint: checks the grant, answers tokens with the nonce the browser saw
/// (or `nonce` when given).
fn oauth(
    seen: Arc<Mutex<Seen>>,
    verifiers: Arc<Mutex<Vec<String>>>,
    nonce: Option<&'static str>,
) -> MockOAuthTransport {
    let mut m = MockOAuthTransport::new();
    m.expect_client_id()
        .return_const(ClientId::new(CLIENT).unwrap());
    m.expect_token().returning(move |grant| {
        let TokenGrant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } = grant
        else {
            panic!("not a code grant");
        };
        assert_eq!(code.expose(), CODE);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(Some(&redirect_uri), seen.params.get("redirect_uri"));
        verifiers
            .lock()
            .unwrap()
            .push(code_verifier.expose().to_owned());
        let nonce = nonce
            .map(str::to_owned)
            .or_else(|| seen.params.get("nonce").cloned())
            .unwrap();
        let t = tokens_with(&Tok::default(), |c| c.claim("nonce", nonce.as_str()));
        let mut answer = OAuthTokens::new(t.access_token, "Bearer")
            .with_id_token(t.id_token)
            .with_expires_in(3600);
        if let Some(r) = t.refresh_token {
            answer = answer.with_refresh_token(r);
        }
        Ok(answer)
    });
    m
}

struct Hosted {
    env: Env,
    seen: Arc<Mutex<Seen>>,
    verifiers: Arc<Mutex<Vec<String>>>,
}

fn hosted_env(m: MockTransport, then: Then, nonce: Option<&'static str>) -> Hosted {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let verifiers = Arc::new(Mutex::new(Vec::new()));
    let config = HostedConfig::new(DOMAIN)
        .any_redirect_port()
        .timeout(Duration::from_secs(5))
        .browser(browser(seen.clone(), then))
        .oauth_transport(oauth(seen.clone(), verifiers.clone(), nonce));
    let env = env_with(m, MemoryStore::new(), |b| b.hosted(config));
    Hosted {
        env,
        seen,
        verifiers,
    }
}

#[tokio::test]
async fn the_redirect_signs_in_stores_the_session_and_emits_the_events() {
    let mut h = hosted_env(mock(), Then::Redirect, None);
    h.env.auth.sign_in_with_redirect().await.unwrap();
    let session = h.env.auth.current_session().await.unwrap();
    assert_eq!(session.access_token().username(), Some(USER_ID));
    assert_eq!(
        h.env
            .stored(&h.env.keys().last_auth_user())
            .await
            .as_deref(),
        Some(USER_ID)
    );
    assert!(h.env.stored_user_key("refreshToken").await.is_some());
    assert_eq!(h.env.event_names().await, ["signIn", "signInWithRedirect"]);

    let seen = h.seen.lock().unwrap().clone();
    assert!(seen.url.starts_with(&format!("{DOMAIN}/oauth2/authorize?")));
    let p = &seen.params;
    assert_eq!(p["response_type"], "code");
    assert_eq!(p["client_id"], CLIENT);
    assert_eq!(p["scope"], "openid aws.cognito.signin.user.admin");
    assert_eq!(p["code_challenge_method"], "S256");
    assert!(p["redirect_uri"].starts_with("http://127.0.0.1:"));
    assert!(p["redirect_uri"].ends_with("/callback"));
    assert_eq!(p["state"].len(), 43);
    assert_eq!(p["nonce"].len(), 43);
}

#[tokio::test]
async fn the_verifier_sent_matches_the_challenge_of_the_authorize_url() {
    let h = hosted_env(mock(), Then::Redirect, None);
    h.env.auth.sign_in_with_redirect().await.unwrap();
    let verifier = h.verifiers.lock().unwrap()[0].clone();
    let challenge = h.seen.lock().unwrap().params["code_challenge"].clone();
    assert_eq!(verifier.len(), 43);
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes())),
        challenge
    );
    assert_ne!(verifier, challenge);
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused() {
    let mut h = hosted_env(mock(), Then::WrongState("forged-state"), None);
    let e = h.env.auth.sign_in_with_redirect().await.unwrap_err();
    assert!(matches!(&e, Error::NotAuthorized { message } if message.contains("state")));
    assert!(h.verifiers.lock().unwrap().is_empty(), "no code redeemed");
    assert!(matches!(
        h.env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(h.env.event_names().await, ["signInWithRedirect_failure"]);
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let mut h = hosted_env(mock(), Then::Redirect, Some("another-nonce"));
    let e = h.env.auth.sign_in_with_redirect().await.unwrap_err();
    assert!(matches!(&e, Error::NotAuthorized { message } if message.contains("nonce")));
    assert!(h.env.store.is_empty());
    assert_eq!(h.env.event_names().await, ["signInWithRedirect_failure"]);
}

#[tokio::test]
async fn an_error_redirect_is_a_typed_error() {
    let mut h = hosted_env(mock(), Then::Error("access_denied"), None);
    let e = h.env.auth.sign_in_with_redirect().await.unwrap_err();
    assert!(
        matches!(&e, Error::Service { code, message } if code == "access_denied" && message == "no thanks"),
        "{e:?}"
    );
    assert_eq!(
        OAuthErrorCode::parse(e.code().unwrap()),
        OAuthErrorCode::AccessDenied
    );
    assert_eq!(h.env.event_names().await, ["signInWithRedirect_failure"]);
}

#[tokio::test]
async fn a_browser_that_never_comes_back_times_out() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let config = HostedConfig::new(DOMAIN)
        .any_redirect_port()
        .timeout(Duration::from_millis(300))
        .browser(browser(seen.clone(), Then::Nothing))
        .oauth_transport(oauth(seen, Arc::default(), None));
    let mut env = env_with(mock(), MemoryStore::new(), |b| b.hosted(config));
    let e = env.auth.sign_in_with_redirect().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert_eq!(env.event_names().await, ["signInWithRedirect_failure"]);
}

#[tokio::test]
async fn a_refused_code_is_not_authorized() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut m = MockOAuthTransport::new();
    m.expect_client_id()
        .return_const(ClientId::new(CLIENT).unwrap());
    m.expect_token().times(1).returning(|_| {
        Err(OAuthError::Rejected {
            endpoint: "/oauth2/token",
            status: 400,
            code: OAuthErrorCode::InvalidGrant,
            description: None,
        })
    });
    let config = HostedConfig::new(DOMAIN)
        .any_redirect_port()
        .timeout(Duration::from_secs(5))
        .browser(browser(seen, Then::Redirect))
        .oauth_transport(m);
    let env = env_with(mock(), MemoryStore::new(), |b| b.hosted(config));
    let e = env.auth.sign_in_with_redirect().await.unwrap_err();
    assert!(matches!(e, Error::NotAuthorized { .. }), "{e:?}");
}

#[tokio::test]
async fn sign_out_with_redirect_signs_out_and_opens_logout() {
    let mut h = hosted_env(mock(), Then::Redirect, None);
    h.env.auth.sign_in_with_redirect().await.unwrap();
    h.env.event_names().await;
    h.env
        .auth
        .sign_out_with_redirect(SignOutOptions::default())
        .await
        .unwrap();
    assert!(h.env.store.is_empty());
    assert_eq!(h.env.event_names().await, ["signOut"]);
    let seen = h.seen.lock().unwrap().clone();
    assert!(
        seen.url.starts_with(&format!("{DOMAIN}/logout?")),
        "{}",
        seen.url
    );
    assert_eq!(seen.params["client_id"], CLIENT);
    assert!(seen.params["logout_uri"].starts_with("http://127.0.0.1:"));
    assert!(seen.params["logout_uri"].ends_with("/signed-out"));
    assert_eq!(seen.params.len(), 2);
}

#[test]
fn a_port_must_be_configured_and_openid_asked_for() {
    let build = |c: HostedConfig| {
        builder(mock(), &TestClock::new(T0))
            .hosted(c.oauth_transport(oauth(Arc::default(), Arc::default(), None)))
            .build()
    };
    assert!(matches!(
        build(HostedConfig::new(DOMAIN)),
        Err(Error::Config { reason }) if reason.contains("port")
    ));
    assert!(matches!(
        build(HostedConfig::new(DOMAIN).redirect_port(8765).scopes(["email"])),
        Err(Error::Config { reason }) if reason.contains("openid")
    ));
    assert!(build(HostedConfig::new(DOMAIN).redirect_port(8765)).is_ok());
    let auth = builder(mock(), &TestClock::new(T0)).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(matches!(
        rt.block_on(auth.sign_in_with_redirect()),
        Err(Error::Config { .. })
    ));
}

#[test]
fn the_code_verifier_state_and_nonce_are_never_logged_or_shown() {
    let ((seen, verifiers, debug), mut out) = with_captured_logs(|| async {
        let h = hosted_env(mock(), Then::Redirect, None);
        h.env.auth.sign_in_with_redirect().await.unwrap();
        let debug = format!("{:?}", h.env.auth);
        (h.seen, h.verifiers, debug)
    });
    out += &debug;
    assert!(out.contains("sign_in_with_redirect"), "the span was logged");
    let seen = seen.lock().unwrap().clone();
    let mut secrets = vec![CODE.to_owned(), verifiers.lock().unwrap()[0].clone()];
    secrets.push(seen.params["state"].clone());
    secrets.push(seen.params["nonce"].clone());
    for secret in secrets {
        assert!(!out.contains(&secret), "{secret} in the log");
    }
}
