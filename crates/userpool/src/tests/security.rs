//! No secret in any log line or `Debug` output.

use userpool_transport::{ChallengeResponse, SignUpRequest};
use userpool_types::{AuthEvent, Error, SignUpResult};

use super::*;
use crate::{Attributes, SignUpOptions};

const PASSWORD: &str = "Sup3r-Secret-Passw0rd-XYZZY";
const NEW_PASSWORD: &str = "An0ther-Secret-Passw0rd-PLUGH";
const SIGN_UP_CODE: &str = "CODE-QWERTY-4242";
const CLIENT_SECRET: &str = "CLIENT-SECRET-FROBOZZ";
const REFRESH_1: &str = "REFRESH-SECRET-ONE-ABCDEF";
const REFRESH_2: &str = "REFRESH-SECRET-TWO-GHIJKL";

fn first_tokens() -> Tok {
    Tok {
        refresh: Some(REFRESH_1.into()),
        origin_jti: true,
        tag: "first-secret-token",
        ..Tok::default()
    }
}

fn second_tokens() -> Tok {
    Tok {
        iat: T0 + HOUR,
        exp: T0 + 2 * HOUR,
        refresh: Some(REFRESH_2.into()),
        origin_jti: true,
        tag: "second-secret-token",
        ..Tok::default()
    }
}

/// Every secret of the flow, as it would appear in a log.
fn secrets(signatures: &[String]) -> Vec<String> {
    let mut all = vec![
        PASSWORD.to_owned(),
        NEW_PASSWORD.to_owned(),
        SIGN_UP_CODE.to_owned(),
        CLIENT_SECRET.to_owned(),
        REFRESH_1.to_owned(),
        REFRESH_2.to_owned(),
        "session-of-PASSWORD_VERIFIER".to_owned(),
    ];
    for t in [first_tokens(), second_tokens()] {
        for jwt in [id_jwt(&t), access_jwt(&t)] {
            // The whole token, and its payload alone.
            all.push(jwt.split('.').nth(1).unwrap().to_owned());
            all.push(jwt);
        }
    }
    all.extend(signatures.iter().cloned());
    all
}

fn flow_mock(pool: &SrpPool, signatures: Arc<Mutex<Vec<String>>>) -> MockTransport {
    let mut m = mock();
    m.expect_sign_up()
        .withf(|r: &SignUpRequest| r.password.expose() == PASSWORD)
        .returning(|_| Ok(SignUpResult::new(USER_ID, false)));
    m.expect_confirm_sign_up()
        .withf(|_, code, _, _| code.expose() == SIGN_UP_CODE)
        .returning(|_, _, _, _| Ok(()));
    let p = pool.clone();
    m.expect_initiate_auth()
        .withf(|r, _| matches!(r, InitiateAuth::UserSrp { .. }))
        .returning(move |r, _| p.challenge(&r));
    let p = pool.clone();
    m.expect_respond_to_auth_challenge().returning(move |a| {
        if let ChallengeResponse::PasswordVerifier { signature, .. } = &a.response {
            signatures
                .lock()
                .unwrap()
                .push(signature.expose().to_owned());
        }
        p.verify(&a, answer(&first_tokens()))
    });
    m.expect_initiate_auth()
        .withf(|r, _| matches!(r, InitiateAuth::RefreshToken { refresh_token, .. } if [REFRESH_1, REFRESH_2].contains(&refresh_token.expose())))
        .returning(|_, _| Ok(answer(&second_tokens())));
    m.expect_change_password()
        .withf(|_, old, new| old.expose() == PASSWORD && new.expose() == NEW_PASSWORD)
        .returning(|_, _, _| Ok(()));
    m.expect_update_user_attributes()
        .returning(|_, _, _| Ok(vec![]));
    m.expect_get_user().returning(|_| Ok(test_user(TYPED)));
    m.expect_revoke_token()
        .withf(|t| t.expose() == REFRESH_2)
        .times(1)
        .returning(|_| Ok(()));
    m
}

#[test]
fn a_full_flow_at_trace_level_logs_no_secret() {
    let signatures = Arc::new(Mutex::new(Vec::new()));
    let pool = SrpPool::new(PASSWORD);
    let m = flow_mock(&pool, signatures.clone());
    let (debug_dump, logs) = with_captured_logs(|| async {
        let clock = TestClock::new(T0);
        let auth = builder(m, &clock)
            .client_secret(CLIENT_SECRET)
            .storage(Arc::new(MemoryStore::new()))
            .build()
            .unwrap();
        let mut dump = String::new();
        let up = auth
            .sign_up(
                TYPED,
                PASSWORD,
                SignUpOptions::default().attribute("email", TYPED).unwrap(),
            )
            .await
            .unwrap();
        dump += &format!("{up:?}");
        auth.confirm_sign_up(TYPED, SIGN_UP_CODE).await.unwrap();
        // A failed attempt first (wrong password), then the right one.
        let wrong = auth.sign_in(TYPED, "not-it").await.unwrap_err();
        dump += &format!("{wrong:?} {wrong}");
        let r = auth.sign_in(TYPED, PASSWORD).await.unwrap();
        dump += &format!("{r:?}");
        let s = auth.current_session().await.unwrap();
        dump += &format!("{s:?} {s:#?}");
        clock.set(T0 + HOUR);
        let s = auth.current_session().await.unwrap();
        dump += &format!("{s:?}");
        auth.change_password(PASSWORD, NEW_PASSWORD).await.unwrap();
        let results = auth
            .update_user_attributes(Attributes::try_from([("given_name", "Ada")]).unwrap())
            .await
            .unwrap();
        dump += &format!("{results:?}");
        let user = auth.current_authenticated_user().await.unwrap();
        dump += &format!("{user:?}");
        dump += &format!("{auth:?} {auth:#?}");
        auth.sign_out().await.unwrap();
        dump
    });
    assert!(
        logs.contains("userpool.sign_in"),
        "the spans were captured:\n{logs}"
    );
    assert!(logs.contains("userpool.refresh_session"), "{logs}");
    assert!(logs.contains("userpool.change_password"), "{logs}");
    let signatures = signatures.lock().unwrap().clone();
    assert_eq!(signatures.len(), 2);
    for secret in secrets(&signatures) {
        assert!(
            !logs.contains(&secret),
            "secret {secret:?} in the logs:\n{logs}"
        );
        assert!(
            !debug_dump.contains(&secret),
            "secret {secret:?} in Debug output"
        );
    }
}

#[tokio::test]
async fn debug_of_client_builder_events_and_errors_shows_no_secret() {
    let builder_dbg = format!(
        "{:?}",
        Auth::builder()
            .user_pool_id(POOL)
            .client_id(CLIENT)
            .client_secret(CLIENT_SECRET)
    );
    assert!(!builder_dbg.contains(CLIENT_SECRET), "{builder_dbg}");
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .client_secret(CLIENT_SECRET)
        .build()
        .unwrap();
    let dbg = format!("{auth:?} {auth:#?}");
    assert!(!dbg.contains(CLIENT_SECRET), "{dbg}");
    assert!(dbg.contains("[redacted]"), "{dbg}");

    let env = signed_in(mock(), first_tokens()).await;
    let dbg = format!(
        "{:?} {:?}",
        env.auth,
        env.auth.current_session().await.unwrap()
    );
    for secret in secrets(&[]) {
        assert!(!dbg.contains(&secret), "{secret:?} in {dbg}");
    }
    let event = AuthEvent::TokenRefreshFailure {
        error: Error::from_service("NotAuthorizedException", "Invalid Refresh Token"),
    };
    assert!(!format!("{event:?}").contains(REFRESH_1));
}
