//! The verifier's tests: hostile tokens against fixed keys (`hostile`), the JWKS cache with
//! a counting fetcher (`cache`), real tokens of a `userpool-local` sign-in (`local_pool`),
//! a property test that no input panics (`props`), a running verifier following a
//! key rotation of `userpool-local` (`rotation_local`), and the verified-token cache
//! (`token_cache`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cache;
mod common;
mod hostile;
mod local_pool;
mod props;
mod rotation_local;
mod token_cache;
