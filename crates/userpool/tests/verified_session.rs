//! The facade's verified tokens (feature `verify`): an `Auth` built with a
//! `userpool_verify::Verifier` signs in against an embedded local pool and hands out its
//! session with both tokens verified against the pool's JWKS; the refusals are typed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use userpool::verify::{
    Pool, SessionToken, SessionVerifyError, TokenUse, Verifier, VerifyError, VerifySession,
};
use userpool::{Auth, Error};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

const PASSWORD: &str = "Correct-Horse-1";

struct Setup {
    server: LocalPool,
    pool_id: String,
    client_id: String,
}

async fn setup() -> Setup {
    let server = LocalPool::builder().in_memory().start().await.unwrap();
    let pool_id = server
        .create_pool(PoolConfig::new("verified"))
        .await
        .unwrap()
        .pool_id;
    let client_id = server
        .create_client(&pool_id, ClientConfig::new("web"))
        .await
        .unwrap()
        .client_id;
    server
        .create_user(&pool_id, "ada", PASSWORD, &[("email", "ada@example.com")])
        .await
        .unwrap();
    Setup {
        server,
        pool_id,
        client_id,
    }
}

fn verifier(s: &Setup, token_use: TokenUse, client_id: &str) -> Verifier {
    Verifier::builder()
        .pool(
            Pool::with_issuer(s.server.issuer(&s.pool_id))
                .unwrap()
                .token_use(token_use)
                .client_id(client_id),
        )
        .refetch_interval(Duration::from_millis(200))
        .build()
        .unwrap()
}

fn auth(s: &Setup, verifier: Option<Verifier>) -> Auth {
    let builder = Auth::builder()
        .user_pool_id(&s.pool_id)
        .client_id(&s.client_id)
        .endpoint(s.server.endpoint());
    match verifier {
        Some(v) => builder.verifier(v),
        None => builder,
    }
    .build()
    .unwrap()
}

#[tokio::test]
async fn a_signed_in_session_is_verified_against_the_pools_jwks() {
    let s = setup().await;
    let auth = auth(&s, Some(verifier(&s, TokenUse::Either, &s.client_id)));
    assert!(auth.verifier().is_some());
    // Nobody signed in yet: the session's own error.
    assert!(matches!(
        auth.verified_session().await,
        Err(SessionVerifyError::Session(Error::NotSignedIn))
    ));

    assert!(auth.sign_in("ada", PASSWORD).await.unwrap().is_signed_in());
    let verified = auth.verified_session().await.unwrap();
    assert_eq!(verified.access.token_use(), TokenUse::Access);
    assert_eq!(verified.id.token_use(), TokenUse::Id);
    assert_eq!(verified.access.sub(), verified.id.sub());
    assert_eq!(verified.access.username(), Some("ada"));
    assert_eq!(
        verified.id.get("email").and_then(|e| e.as_str()),
        Some("ada@example.com")
    );
    assert_eq!(verified.access.client_id(), Some(s.client_id.as_str()));
    // The same session the client holds.
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        verified.session.access_token().raw().expose(),
        session.access_token().raw().expose()
    );
    let access = auth.verified_access().await.unwrap();
    assert_eq!(access, verified.access);
    // Debug shows no token.
    let shown = format!("{verified:?}");
    assert!(!shown.contains(session.access_token().raw().expose()));
    assert!(!shown.contains(session.id_token().raw().expose()));
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn tokens_the_verifier_does_not_accept_are_refused_with_its_reason() {
    let s = setup().await;
    // No verifier configured.
    let plain = auth(&s, None);
    plain.sign_in("ada", PASSWORD).await.unwrap();
    assert!(plain.verifier().is_none());
    assert!(matches!(
        plain.verified_session().await,
        Err(SessionVerifyError::NoVerifier)
    ));

    // A verifier for another app client refuses the access token first.
    let other = auth(&s, Some(verifier(&s, TokenUse::Either, "another-client")));
    other.sign_in("ada", PASSWORD).await.unwrap();
    let refused = other.verified_session().await.unwrap_err();
    assert!(
        matches!(
            refused,
            SessionVerifyError::Rejected {
                token: SessionToken::Access,
                source: VerifyError::WrongClient { .. }
            }
        ),
        "{refused:?}"
    );
    let session = other.current_session().await.unwrap();
    assert!(
        !refused
            .to_string()
            .contains(session.access_token().raw().expose())
    );

    // An access-only verifier: the access token passes, the id token is the wrong kind.
    let access_only = auth(&s, Some(verifier(&s, TokenUse::Access, &s.client_id)));
    access_only.sign_in("ada", PASSWORD).await.unwrap();
    access_only.verified_access().await.unwrap();
    assert!(matches!(
        access_only.verified_session().await,
        Err(SessionVerifyError::Rejected {
            token: SessionToken::Id,
            source: VerifyError::WrongTokenUse { .. }
        })
    ));
    let session = access_only.current_session().await.unwrap();
    let v = access_only.verifier().unwrap();
    session.verified_access(v).await.unwrap();
    assert!(matches!(
        session.verified_id(v).await,
        Err(VerifyError::WrongTokenUse { .. })
    ));
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_session_signed_with_a_retired_key_no_longer_verifies() {
    let s = setup().await;
    let verifier = verifier(&s, TokenUse::Either, &s.client_id);
    let auth = auth(&s, Some(verifier.clone()));
    auth.sign_in("ada", PASSWORD).await.unwrap();
    auth.verified_session().await.unwrap();

    let old_kid = s.server.signing_keys(&s.pool_id).await.unwrap().signing_kid;
    s.server.rotate_signing_key(&s.pool_id).await.unwrap();
    s.server
        .retire_signing_key(&s.pool_id, &old_kid)
        .await
        .unwrap();
    // Once the verifier has refetched the JWKS, the old key is gone.
    tokio::time::sleep(Duration::from_millis(250)).await;
    verifier.hydrate().await.unwrap();
    assert!(matches!(
        auth.verified_session().await,
        Err(SessionVerifyError::Rejected {
            token: SessionToken::Access,
            source: VerifyError::UnknownKid { .. }
        })
    ));
    // A new sign-in gets tokens of the new key, which verify.
    auth.sign_out().await.unwrap();
    auth.sign_in("ada", PASSWORD).await.unwrap();
    auth.verified_session().await.unwrap();
    s.server.shutdown().await.unwrap();
}
