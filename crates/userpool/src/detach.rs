//! Work that finishes whether or not its caller still waits, and the deadline of an
//! operation.
//!
//! A caller can be dropped at any `.await`: a `tokio::time::timeout` around a call, an
//! axum handler whose client went away, this client's own deadline. Anything that holds
//! the session's write lock, or changes storage and memory together, therefore runs in a
//! task of its own: dropping the caller stops the waiting, never the work, so the lock is
//! always released and storage and memory never disagree. A panic in that task (a custom
//! `Storage` or `Transport` that panics) fails the one call that ran it, as
//! [`Error::Panicked`], and leaves the client usable.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinError;
use tracing::Instrument as _;
use userpool_types::Error;

/// Runs `work` in its own Tokio task and waits for it. The task goes on if the caller is
/// dropped.
pub(crate) async fn detached<T, F>(operation: &'static str, work: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    let task = tokio::spawn(work.in_current_span());
    match task.await {
        Ok(result) => result,
        Err(e) => Err(join_error(operation, &e)),
    }
}

/// The error for a task that did not return: it panicked, or the runtime is shutting
/// down.
pub(crate) fn join_error(operation: &'static str, e: &JoinError) -> Error {
    if e.is_panic() {
        tracing::error!(operation, "a task of the client panicked");
    } else {
        tracing::warn!(operation, "a task of the client was cancelled");
    }
    Error::Panicked { operation }
}

/// `work` with a deadline: past `after`, [`Error::Timeout`]. Work `work` started in
/// [`detached`] tasks goes on and completes.
pub(crate) async fn with_deadline<T>(
    operation: &'static str,
    after: Duration,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(after, work).await {
        Ok(result) => result,
        Err(_) => {
            tracing::debug!(operation, ?after, "deadline reached");
            Err(Error::Timeout { operation, after })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn detached_work_finishes_after_its_caller_is_dropped() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let caller = detached("t", async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tx.send(());
            Ok(())
        });
        // Poll once (the task starts), then drop the caller.
        let _ = tokio::time::timeout(Duration::from_millis(1), caller).await;
        assert!(
            tokio::time::timeout(Duration::from_secs(5), rx)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_panic_is_an_error_of_that_call() {
        let r: Result<(), Error> = detached("t", async { panic!("boom") }).await;
        assert!(matches!(r, Err(Error::Panicked { operation: "t" })));
        let r = detached("t", async { Ok(5) }).await;
        assert_eq!(r.ok(), Some(5));
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_gives_a_typed_timeout() {
        let r: Result<(), Error> = with_deadline(
            "op",
            Duration::from_secs(2),
            std::future::pending::<Result<(), Error>>(),
        )
        .await;
        assert!(matches!(
            r,
            Err(Error::Timeout {
                operation: "op",
                ..
            })
        ));
    }
}
