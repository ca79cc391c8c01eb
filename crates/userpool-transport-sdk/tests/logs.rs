//! At `debug` level (every target, the SDK's included), nothing secret is logged, and
//! each call has its span with the operation name and its outcome. Alone in its test
//! binary: tracing caches, per log line, whether any subscriber wants it, and a test
//! running beside it on a thread without one could make a line look disabled here.

mod common;

use std::sync::{Arc, Mutex};

use serde_json::json;
use userpool_transport::{
    ConfirmDeviceRequest, DeviceVerifierConfig, InitiateAuth, RefreshRequest, Transport,
};
use userpool_transport_sdk::SdkTransport;
use userpool_types::{ClientSecret, Password, SecretString};

use common::*;

const ROTATED_REFRESH_TOKEN: &str = "eyJ.rotated-refresh-token-never-logged.sig";
const DEVICE_VERIFIER: &str = "ZGV2aWNlLXZlcmlmaWVyLW5ldmVyLWxvZ2dlZA==";

/// A writer that collects everything the subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// At `debug` level (every target, the SDK's included), nothing secret is logged, and
/// each call has its span with the operation name.
#[tokio::test]
async fn debug_logs_never_show_secrets() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests, on threads with no subscriber, may have hit the same log lines first
    // and had them cached as disabled everywhere: ask again, now that this one exists.
    tracing::callsite::rebuild_interest_cache();

    let server = Server::start(vec![
        ok(tokens_answer()),
        exception(
            400,
            "NotAuthorizedException",
            "Incorrect username or password.",
        ),
        Reply::HangUp,
        Reply::HangUp,
        // The calls of issue 11 that carry the client secret or a device verifier.
        ok(json!({
            "AuthenticationResult": {
                "AccessToken": ACCESS_TOKEN,
                "IdToken": "eyJ.id.sig",
                "RefreshToken": ROTATED_REFRESH_TOKEN
            }
        })),
        ok(json!({ "UserConfirmationNecessary": false })),
    ])
    .await;
    let t = transport(&server, Some(SECRET));
    let request = || InitiateAuth::UserPassword {
        username: user("alice"),
        password: Password::from(PASSWORD),
        device_key: None,
    };
    t.initiate_auth(request(), no_metadata()).await.unwrap();
    let _ = t.initiate_auth(request(), no_metadata()).await;
    let _ = t.get_user(SecretString::from(ACCESS_TOKEN)).await;
    let _ = t.revoke_token(SecretString::from(REFRESH_TOKEN)).await;
    let rotated = t
        .get_tokens_from_refresh_token(RefreshRequest::new(SecretString::from(REFRESH_TOKEN)))
        .await
        .unwrap();
    assert_eq!(
        rotated.refresh_token.as_ref().map(SecretString::expose),
        Some(ROTATED_REFRESH_TOKEN)
    );
    t.confirm_device(ConfirmDeviceRequest::new(
        SecretString::from(ACCESS_TOKEN),
        "eu-west-1_dev",
        DeviceVerifierConfig::new(DEVICE_VERIFIER, "c2FsdA=="),
    ))
    .await
    .unwrap();
    // And one against a port nobody listens on: the error's message says what failed and
    // leaves why to its source, so only a line that logs the chain names the cause.
    let refused_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = SdkTransport::builder()
        .client_id(client_id())
        .client_secret(Some(ClientSecret::from(SECRET)))
        .region("eu-west-1")
        .endpoint(format!("http://127.0.0.1:{refused_port}"))
        .build()
        .unwrap();
    let error = refused
        .initiate_auth(request(), no_metadata())
        .await
        .unwrap_err();
    assert!(!error.to_string().contains("refused"), "{error}");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("cognito{operation=\"InitiateAuth\"}"),
        "{text}"
    );
    assert!(text.contains("cognito{operation=\"GetUser\"}"), "{text}");
    assert!(
        text.contains("cognito{operation=\"GetTokensFromRefreshToken\"}"),
        "{text}"
    );
    assert!(
        text.contains("cognito{operation=\"ConfirmDevice\"}"),
        "{text}"
    );
    assert!(text.contains("NotAuthorizedException"), "{text}");
    let failed = text
        .lines()
        .find(|l| l.contains(&format!("failed error={error}")))
        .unwrap_or_else(|| panic!("no line for the refused call:\n{text}"));
    assert!(
        failed.to_lowercase().contains("refused"),
        "the cause is not logged: {failed}"
    );
    for secret in [
        SECRET,
        PASSWORD,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        ROTATED_REFRESH_TOKEN,
        DEVICE_VERIFIER,
        &expected_hash("alice"),
    ] {
        assert!(!text.contains(secret), "{secret} was logged:\n{text}");
    }
}
