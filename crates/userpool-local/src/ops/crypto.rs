//! The pool that runs the operations' crypto: SRP server steps, password checks, verifier
//! creation, RS256 signing, key generation.
//!
//! Each of those costs milliseconds of one core (modular exponentiations over 3072 bits,
//! an RSA-2048 private-key operation). Run on the runtime's async worker threads they would
//! stall every other request served by the same thread meanwhile, cheap ones included. So
//! they run on tokio's blocking threads instead, at most as many at once as the machine
//! has cores: more would only make them share the cores and finish later, and would take
//! blocking threads from the database work that also runs there.
//!
//! The bound is one per process, not per server: servers started in the same process (as
//! tests do) share the same cores. Nothing of this crate holds a lock while it waits for a
//! job or while a job runs.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::srp_glue::{self, StoredVerifier};

/// Jobs allowed to run at once: one per core the process may use.
fn permits() -> &'static Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Arc::new(Semaphore::new(cores))
    })
}

/// Runs `job` on a blocking thread once a core is free, and waits for its result.
///
/// The permit travels with the job, so a caller that stops waiting (its request was
/// dropped) still keeps the core counted until the job ends.
pub(crate) async fn run<T, F>(job: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let permit = permits()
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::internal("the crypto pool is closed"))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        job()
    })
    .await
    .map_err(|e| {
        if e.is_panic() {
            ApiError::internal("a crypto job panicked")
        } else {
            ApiError::internal("a crypto job was cancelled")
        }
    })?
}

/// The verifier of a password (one modular exponentiation), made on the pool.
pub(crate) async fn make_verifier(
    pool_id: &str,
    user_id_for_srp: &str,
    password: &str,
) -> Result<StoredVerifier, ApiError> {
    let (pool_id, user_id, password) = (
        pool_id.to_owned(),
        user_id_for_srp.to_owned(),
        password.to_owned(),
    );
    run(move || srp_glue::make_verifier(&pool_id, &user_id, &password)).await
}

/// Checks a password against a stored verifier (one modular exponentiation), on the pool.
pub(crate) async fn check_password(
    pool_id: &str,
    user_id_for_srp: &str,
    password: &str,
    stored: StoredVerifier,
) -> Result<bool, ApiError> {
    let (pool_id, user_id, password) = (
        pool_id.to_owned(),
        user_id_for_srp.to_owned(),
        password.to_owned(),
    );
    run(move || srp_glue::check_password(&pool_id, &user_id, &password, &stored)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_calling_thread_and_errors_come_back() {
        let caller = std::thread::current().id();
        let ran_on = run(|| Ok(std::thread::current().id())).await.unwrap();
        assert_ne!(ran_on, caller);
        let e = run(|| -> Result<(), ApiError> { Err(ApiError::bad_credentials()) })
            .await
            .unwrap_err();
        assert_eq!(e.message(), "Incorrect username or password.");
        #[allow(clippy::unnecessary_literal_unwrap)]
        let panicked = run(|| -> Result<(), ApiError> {
            let nothing: Option<()> = None;
            nothing.expect("boom");
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(panicked.status(), 500);
    }
}
