//! The hot path: `Auth::current_session` on a valid cached session.
//!
//! `cargo bench -p userpool-bench --bench current_session`
//!
//! The session is restored from a memory store by a first call; every measured call then
//! answers from memory (one read lock, one reference count increment). The transport is
//! a mock with no expectation: a call to the server would panic.

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt as _;
use serde_json::json;
use userpool::storage::{Keys, Storage};
use userpool::transport::MockTransport;
use userpool::{Auth, ClientId, MemoryStore};
use userpool_types::testing::unsigned_jwt;

const CLIENT: &str = "benchclient";
const USER: &str = "8f0e6d4c-7a9b-4c2d-9e1f-000000000001";

fn client(rt: &tokio::runtime::Runtime) -> Auth {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let exp = now + 10 * 365 * 24 * 3600;
    let id = unsigned_jwt(&json!({"token_use": "id", "sub": USER, "iat": now, "exp": exp}));
    let access =
        unsigned_jwt(&json!({"token_use": "access", "username": USER, "iat": now, "exp": exp}));
    let store = MemoryStore::new();
    let keys = Keys::new(CLIENT);
    let user = keys.user(USER);
    rt.block_on(store.set_many(&[
        (keys.last_auth_user().as_str(), USER),
        (user.id_token().as_str(), id.as_str()),
        (user.access_token().as_str(), access.as_str()),
        (user.refresh_token().as_str(), "refresh"),
        (user.clock_drift().as_str(), "0"),
    ]))
    .expect("seed the store");

    let mut transport = MockTransport::new();
    transport
        .expect_client_id()
        .return_const(ClientId::new(CLIENT).expect("client id"));
    let auth = Auth::builder()
        .user_pool_id("eu-west-1_Bench1")
        .transport(Arc::new(transport))
        .storage(Arc::new(store))
        .build()
        .expect("build the client");
    // The first call reads the stored session.
    rt.block_on(auth.current_session()).expect("a session");
    auth
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let auth = client(&rt);
    c.bench_function("current_session (cached, polled once)", |b| {
        b.iter(|| {
            let session = auth
                .current_session()
                .now_or_never()
                .expect("answered without waiting")
                .expect("a session");
            black_box(session)
        })
    });
    // For scale: the two unavoidable parts, reading the clock and sharing the Arc.
    c.bench_function("baseline: SystemTime::now", |b| {
        b.iter(|| black_box(SystemTime::now()))
    });
    c.bench_function("current_session (cached, tokio block_on)", |b| {
        b.iter(|| black_box(rt.block_on(auth.current_session()).expect("a session")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
