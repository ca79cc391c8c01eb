//! A sign-in against a port nobody listens on: the facade's log lines name the cause of
//! the failure ("Connection refused"), which the error's message alone leaves to its
//! source, and no secret of the request. Alone in its test binary: tracing caches, per
//! log line, whether any subscriber wants it, and a test running beside it on a thread
//! without one could make a line look disabled here.

#![cfg(feature = "sdk")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use userpool::{Auth, AuthFlow, Error, MemoryStore, RetryPolicy};

const PASSWORD: &str = "Refused-Passw0rd-never-logged!";
const CLIENT_SECRET: &str = "refused-cl13nt-s3cr3t-never-logged";

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

/// A local port that was free a moment ago and is closed now.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_refused_connection_is_logged_with_its_cause_and_no_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let auth = Auth::builder()
        .user_pool_id("eu-west-1_Refused1")
        .client_id("refusedclientid")
        .client_secret(CLIENT_SECRET)
        .region("eu-west-1")
        .endpoint(format!("http://127.0.0.1:{}", closed_port()))
        .storage(Arc::new(MemoryStore::new()))
        // The password itself goes into the request: the strictest case for the logs.
        .auth_flow(AuthFlow::UserPassword)
        // Two attempts, so that the retry's log line is there too.
        .retry(RetryPolicy::new(2, Duration::from_millis(1)))
        .build()
        .unwrap();
    let error = auth.sign_in("alice", PASSWORD).await.unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    // The premise: the message alone does not say why.
    assert!(
        !error.to_string().to_lowercase().contains("refused"),
        "{error}"
    );

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The facade's own lines (not only the transport's) carry the cause.
    for what in ["sign-in failed", "retrying"] {
        let line = text
            .lines()
            .find(|l| l.contains("userpool::") && l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} line:\n{text}"));
        assert!(
            line.to_lowercase().contains("refused"),
            "the {what:?} line does not name the cause: {line}"
        );
        assert!(line.contains(&error.to_string()), "{line}");
    }
    for secret in [PASSWORD, CLIENT_SECRET] {
        assert!(!text.contains(secret), "{secret} was logged:\n{text}");
    }
}
