//! The verified-token cache: a hit skips the signature, never a claim check; entries are
//! void once the keys change; only successful verifications are remembered; bounded;
//! safe under concurrent use; its `Debug` shows no token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use userpool_verify::test_util::TestKey;
use userpool_verify::{TokenUse, VerifyError};

use crate::common::*;

/// A token of user `sub-<i>`: distinct bytes, distinct claims.
fn token_of(i: usize) -> String {
    access_with(|c| {
        c.insert("sub".into(), json!(format!("sub-{i}")));
    })
}

#[test]
fn a_second_verification_of_a_token_is_a_hit() {
    let v = verifier();
    let t = access();
    assert!(!v.is_cached(&t));
    let first = v.verify_sync_at(&t, NOW).unwrap();
    assert!(v.is_cached(&t));
    assert_eq!(v.cached_tokens(), 1);
    let second = v.verify_sync_at(&t, NOW).unwrap();
    assert_eq!(first, second);
    assert_eq!(second.sub(), "sub-1");
    assert_eq!(second.token_use(), TokenUse::Access);
}

#[tokio::test]
async fn a_hit_still_refuses_an_expired_token_and_the_other_time_checks() {
    let v = builder().leeway(Duration::from_secs(10)).build().unwrap();
    let t = access(); // iat NOW - 60, exp NOW + 3600
    v.verify_at(&t, NOW).await.unwrap();
    assert!(v.is_cached(&t));
    // Inside the leeway after exp: still accepted, from the cache.
    v.verify_at(&t, NOW + 3605).await.unwrap();
    let err = v.verify_at(&t, NOW + 3610).await.unwrap_err();
    assert!(matches!(err, VerifyError::Expired { .. }), "{err:?}");
    let err = v.verify_sync_at(&t, NOW + 7200).unwrap_err();
    assert!(matches!(err, VerifyError::Expired { .. }), "{err:?}");
    assert!(v.is_cached(&t), "the refusals above were hits");
    // A clock before iat (and auth_time): refused on a hit too.
    let err = v.verify_at(&t, NOW - 120).await.unwrap_err();
    assert!(matches!(err, VerifyError::IssuedInFuture { .. }), "{err:?}");
    v.verify_at(&t, NOW).await.unwrap();
}

#[test]
fn a_token_that_differs_in_one_byte_misses() {
    let v = verifier();
    let t = access();
    v.verify_sync_at(&t, NOW).unwrap();
    let bytes = t.as_bytes();
    let dots: Vec<usize> = t.match_indices('.').map(|(i, _)| i).collect();
    // One byte in the header, the payload, the signature, and the token cut short.
    for at in [3, dots[0] + 5, dots[1] + 7, t.len() - 2] {
        let mut changed = bytes.to_vec();
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).unwrap();
        assert!(!v.is_cached(&changed));
        assert!(v.verify_sync_at(&changed, NOW).is_err(), "byte {at}");
    }
    assert!(v.verify_sync_at(&t[..t.len() - 1], NOW).is_err());
    assert!(v.verify_sync_at(&format!("{t}A"), NOW).is_err());
    assert_eq!(v.cached_tokens(), 1);
    v.verify_sync_at(&t, NOW).unwrap();
}

#[tokio::test]
async fn an_entry_made_under_the_old_keys_misses_after_a_rotation() {
    let (a, b) = (TestKey::a(), TestKey::b());
    let v = verifier();
    let t = access(); // signed by a
    v.verify_at(&t, NOW).await.unwrap();
    assert!(v.is_cached(&t));
    // The keys are replaced by b alone: a's tokens stop at once, cached or not.
    v.load_jwks(ISSUER, &TestKey::jwks(&[&b])).unwrap();
    assert!(!v.is_cached(&t));
    let err = v.verify_at(&t, NOW).await.unwrap_err();
    assert!(matches!(err, VerifyError::UnknownKid { .. }), "{err:?}");
    // a back (a new snapshot): verified again, then cached again.
    v.load_jwks(ISSUER, &TestKey::jwks(&[&a, &b])).unwrap();
    assert!(!v.is_cached(&t));
    v.verify_at(&t, NOW).await.unwrap();
    assert!(v.is_cached(&t));
}

#[test]
fn the_custom_check_and_the_requirements_run_on_hits() {
    let calls = Arc::new(AtomicUsize::new(0));
    let deny = Arc::new(AtomicBool::new(false));
    let v = {
        let (calls, deny) = (calls.clone(), deny.clone());
        builder()
            .require_group("staff")
            .custom_check(move |claims| {
                calls.fetch_add(1, Ordering::SeqCst);
                if deny.load(Ordering::SeqCst) {
                    return Err(format!("{} is suspended", claims.sub()).into());
                }
                Ok(())
            })
            .build()
            .unwrap()
    };
    let t = access();
    v.verify_sync_at(&t, NOW).unwrap();
    assert!(v.is_cached(&t));
    v.verify_sync_at(&t, NOW).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the check ran on the hit");
    deny.store(true, Ordering::SeqCst);
    let err = v.verify_sync_at(&t, NOW).unwrap_err();
    assert!(matches!(err, VerifyError::CustomCheck(_)), "{err:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // The requirements, too: a verifier that requires another group refuses the same
    // token whether it is cached there or not.
    let admins = builder().require_group("admins").build().unwrap();
    for _ in 0..2 {
        let err = admins.verify_sync_at(&t, NOW).unwrap_err();
        assert!(matches!(err, VerifyError::MissingGroup { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn failed_verifications_are_never_cached() {
    let v = verifier();
    let wrong_client = access_with(|c| {
        c.insert("client_id".into(), json!("someone-else"));
    });
    let expired = access_with(|c| {
        c.insert("exp".into(), json!(NOW - 1));
    });
    let forged = format!("{}x", &access()[..access().len() - 1]);
    for t in [&wrong_client, &expired, &forged] {
        assert!(v.verify_at(t, NOW).await.is_err());
        assert!(v.verify_sync_at(t, NOW).is_err());
        assert!(!v.is_cached(t));
    }
    assert_eq!(v.cached_tokens(), 0);
}

#[test]
fn the_cache_is_bounded_and_can_be_turned_off() {
    let v = builder().token_cache(4).build().unwrap();
    let tokens: Vec<String> = (0..50).map(token_of).collect();
    for (i, t) in tokens.iter().enumerate() {
        assert_eq!(v.verify_sync_at(t, NOW).unwrap().sub(), format!("sub-{i}"));
        assert!(v.cached_tokens() <= 4, "{}", v.cached_tokens());
    }
    assert!(v.cached_tokens() >= 1);
    let off = builder().no_token_cache().build().unwrap();
    for t in &tokens[..3] {
        off.verify_sync_at(t, NOW).unwrap();
        off.verify_sync_at(t, NOW).unwrap();
        assert!(!off.is_cached(t));
    }
    assert_eq!(off.cached_tokens(), 0);
    let zero = builder().token_cache(0).build().unwrap();
    zero.verify_sync_at(&tokens[0], NOW).unwrap();
    assert_eq!(zero.cached_tokens(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tasks_get_their_own_tokens_claims() {
    // A cache smaller than the tokens, so that tasks keep replacing each other's
    // entries while others read them.
    let v = builder().token_cache(3).build().unwrap();
    let tokens: Arc<Vec<String>> = Arc::new((0..6).map(token_of).collect());
    let tasks: Vec<_> = (0..16)
        .map(|task| {
            let (v, tokens) = (v.clone(), tokens.clone());
            tokio::spawn(async move {
                for round in 0..60 {
                    // Half the tasks share one token, the others cycle through all.
                    let i = if task % 2 == 0 {
                        0
                    } else {
                        (task + round) % tokens.len()
                    };
                    let claims = if round % 2 == 0 {
                        v.verify_at(&tokens[i], NOW).await.unwrap()
                    } else {
                        v.verify_sync_at(&tokens[i], NOW).unwrap()
                    };
                    assert_eq!(claims.sub(), format!("sub-{i}"));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert!(v.cached_tokens() <= 3);
}

#[test]
fn debug_shows_no_token() {
    let v = verifier();
    let t = access();
    v.verify_sync_at(&t, NOW).unwrap();
    let shown = format!("{v:?} {v:#?}");
    assert!(shown.contains("TokenCache"), "{shown}");
    assert!(shown.contains("entries: 1"), "{shown}");
    for part in t.split('.') {
        assert!(!shown.contains(part), "{shown}");
    }
    assert!(!shown.contains("sub-1"), "{shown}");
}
