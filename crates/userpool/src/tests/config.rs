//! Building the client.

use userpool_types::{AuthEvent, Error};

use super::*;
use crate::{Auth, DEFAULT_REFRESH_MARGIN};

#[test]
fn the_pool_id_and_the_client_id_are_required_and_checked() {
    let err = Auth::builder().client_id(CLIENT).build().unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    let err = Auth::builder().user_pool_id(POOL).build().unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    let err = Auth::builder()
        .user_pool_id("not-a-pool")
        .client_id(CLIENT)
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "user_pool_id",
            ..
        }
    ));
    let err = Auth::builder()
        .user_pool_id(POOL)
        .client_id("")
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "client_id",
            ..
        }
    ));
}

#[test]
fn the_region_defaults_to_the_pool_id_s_region() {
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .build()
        .unwrap();
    assert_eq!(auth.region(), "eu-west-1");
    assert_eq!(auth.user_pool_id().as_str(), POOL);
    assert_eq!(auth.client_id().as_str(), CLIENT);
    assert_eq!(auth.endpoint(), None);
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .region("us-east-2")
        .endpoint("http://127.0.0.1:9229")
        .build()
        .unwrap();
    assert_eq!(auth.region(), "us-east-2");
    assert_eq!(auth.endpoint(), Some("http://127.0.0.1:9229"));
    assert!(
        Auth::builder()
            .user_pool_id(POOL)
            .client_id(CLIENT)
            .endpoint("not a url")
            .build()
            .is_err()
    );
    assert_eq!(DEFAULT_REFRESH_MARGIN, Duration::from_secs(5));
}

#[test]
fn an_injected_transport_must_agree_on_the_client_id() {
    let err = Auth::builder()
        .user_pool_id(POOL)
        .client_id("another")
        .transport(Arc::new(mock()))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .transport(Arc::new(mock()))
        .build()
        .unwrap();
    assert_eq!(auth.client_id().as_str(), CLIENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_emits_configured() {
    let hub = Hub::new();
    let mut sub = hub.subscribe(crate::AUTH_CHANNEL);
    let (tx, rx) = std::sync::mpsc::channel();
    let listener = hub.listen(crate::AUTH_CHANNEL, move |e: &AuthEvent| {
        let _ = tx.send(e.name());
    });
    let auth = builder(mock(), &TestClock::new(T0))
        .hub(hub)
        .build()
        .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(e, AuthEvent::Configured));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        "configured"
    );
    drop(listener);
    // The client's own helpers reach the same hub.
    let mut again = auth.subscribe();
    auth.hub()
        .dispatch(crate::AUTH_CHANNEL, AuthEvent::TokenRefresh);
    assert!(matches!(again.try_recv(), Some(AuthEvent::TokenRefresh)));
}

#[tokio::test]
async fn a_slow_or_panicking_listener_does_not_break_an_operation() {
    let mut m = mock();
    m.expect_initiate_auth()
        .returning(|_, _| Ok(answer(&Tok::default())));
    let auth = builder(m, &TestClock::new(T0))
        .auth_flow(crate::AuthFlow::UserPassword)
        .build()
        .unwrap();
    let _slow = auth.listen(|_| std::thread::sleep(Duration::from_millis(500)));
    let _panicky = auth.listen(|_| panic!("listener bug"));
    let started = std::time::Instant::now();
    assert!(
        auth.sign_in(TYPED, "Pa55word!")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[test]
fn retry_policy_settings() {
    let p =
        RetryPolicy::new(0, Duration::from_millis(50)).with_max_delay(Duration::from_millis(80));
    assert_eq!(p.max_attempts(), 1);
    assert_eq!(p.base_delay(), Duration::from_millis(50));
    assert_eq!(p.max_delay(), Duration::from_millis(80));
    assert_eq!(RetryPolicy::default().max_attempts(), 3);
}
