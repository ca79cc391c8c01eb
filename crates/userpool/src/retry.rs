//! Bounded retries of retryable errors.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher as _;
use std::time::Duration;

use futures_util::FutureExt as _;

use userpool_types::Error;

use crate::RetryPolicy;

/// Whether a call may be repeated after an error that leaves its outcome unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Reading, or repeating does no harm: every retryable error is retried.
    Safe,
    /// Changes something once (a code, a challenge session, a password): only throttling,
    /// which means the call was not carried out, is retried.
    OnlyThrottled,
}

fn should_retry(replay: Replay, error: &Error) -> bool {
    match replay {
        Replay::Safe => error.is_retryable(),
        Replay::OnlyThrottled => matches!(error, Error::TooManyRequests { .. }),
    }
}

/// Jitter: a random fraction of `delay` between one half and all of it.
fn jittered(delay: Duration) -> Duration {
    if delay.is_zero() {
        return delay;
    }
    let random = RandomState::new().hash_one(0u8);
    let half = delay / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(random % nanos.saturating_add(1))
}

/// Runs `call` until it succeeds, fails with an error that is not retried, or the policy's
/// attempts are spent. `operation` names the call in logs.
pub(crate) async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    replay: Replay,
    operation: &'static str,
    mut call: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut retry = 0u32;
    loop {
        // A custom transport that panics fails this call with a typed error instead of
        // unwinding through the caller.
        let attempt = std::panic::AssertUnwindSafe(call()).catch_unwind().await;
        let attempt = attempt.unwrap_or_else(|_| {
            tracing::error!(operation, "the transport panicked");
            Err(Error::Panicked { operation })
        });
        match attempt {
            Err(error) if retry + 1 < policy.max_attempts() && should_retry(replay, &error) => {
                let delay = jittered(policy.delay(retry));
                tracing::debug!(
                    operation,
                    attempt = retry + 1,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %error.chain(),
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                retry += 1;
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn throttled() -> Error {
        Error::from_service("TooManyRequestsException", "slow down")
    }

    #[tokio::test(start_paused = true)]
    async fn retries_retryable_errors_up_to_the_limit() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy::new(3, Duration::from_millis(10));
        let r: Result<(), Error> = with_retry(&policy, Replay::Safe, "t", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Error::network("reset", None)) }
        })
        .await;
        assert!(matches!(r, Err(Error::Network { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn never_retries_not_authorized() {
        let calls = AtomicU32::new(0);
        let r: Result<(), Error> = with_retry(&RetryPolicy::default(), Replay::Safe, "t", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Error::from_service("NotAuthorizedException", "no")) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn unsafe_calls_retry_only_throttling() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy::default();
        let r: Result<(), Error> = with_retry(&policy, Replay::OnlyThrottled, "t", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Error::network("reset", None)) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let calls = AtomicU32::new(0);
        let r = with_retry(&policy, Replay::OnlyThrottled, "t", || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move { if n == 0 { Err(throttled()) } else { Ok(n) } }
        })
        .await;
        assert_eq!(r.ok(), Some(1));
    }

    #[test]
    fn delays_double_and_are_capped() {
        let p = RetryPolicy::new(5, Duration::from_millis(100));
        assert_eq!(p.delay(0), Duration::from_millis(100));
        assert_eq!(p.delay(1), Duration::from_millis(200));
        assert_eq!(p.delay(30), Duration::from_secs(1));
        let j = jittered(Duration::from_millis(100));
        assert!(j >= Duration::from_millis(50) && j <= Duration::from_millis(100));
        assert_eq!(RetryPolicy::none().max_attempts(), 1);
    }
}
