//! One in-flight call shared by every caller that asks while it runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use tracing::Instrument as _;
use userpool_types::Error;

use crate::detach::join_error;

type Call<T> = Shared<BoxFuture<'static, Result<T, Error>>>;
type Slot<T> = Arc<Mutex<Option<(u64, Call<T>)>>>;

/// Holds at most one running call. Callers that `join` while it runs wait for it and get a
/// clone of its result; the call is made once, whether it succeeds or fails.
///
/// The call runs in a task of its own: it completes even when every waiter is dropped
/// (cancelled, timed out), so the locks it takes are released and what it changes is
/// changed whole. The task empties the slot when it ends, so a call that nobody collected
/// is never handed to a later caller as if it were still running. A panic in it is
/// [`Error::Panicked`] for its waiters only.
pub(crate) struct Inflight<T: Clone> {
    slot: Slot<T>,
    next_id: AtomicU64,
}

impl<T: Clone> Default for Inflight<T> {
    fn default() -> Self {
        Self {
            slot: Arc::new(Mutex::new(None)),
            next_id: AtomicU64::new(1),
        }
    }
}

fn lock<T>(slot: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Empties the slot of call `id` when dropped, unless a newer call holds it.
struct Leave<T: Clone> {
    slot: Slot<T>,
    id: u64,
}

impl<T: Clone> Drop for Leave<T> {
    fn drop(&mut self) {
        let mut slot = lock(&self.slot);
        if matches!(slot.as_ref(), Some((current, _)) if *current == self.id) {
            *slot = None;
        }
    }
}

impl<T> Inflight<T>
where
    T: Clone + Send + Sync + 'static,
{
    /// Joins the running call when `join` is true and one runs; otherwise starts
    /// `start()` (which later `join`ers then share). Returns the call's result.
    pub(crate) async fn run(
        &self,
        join: bool,
        operation: &'static str,
        start: impl FnOnce() -> BoxFuture<'static, Result<T, Error>>,
    ) -> Result<T, Error> {
        let call = {
            let mut slot = lock(&self.slot);
            match slot.as_ref() {
                Some((_, call)) if join => call.clone(),
                _ => {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    let work = start();
                    let leave = Leave {
                        slot: Arc::clone(&self.slot),
                        id,
                    };
                    let task = tokio::spawn(
                        async move {
                            // Empties the slot when the call ends, returned or unwound.
                            let _leave = leave;
                            work.await
                        }
                        .in_current_span(),
                    );
                    let call: Call<T> = async move {
                        match task.await {
                            Ok(result) => result,
                            Err(e) => Err(join_error(operation, &e)),
                        }
                    }
                    .boxed()
                    .shared();
                    *slot = Some((id, call.clone()));
                    call
                }
            }
        };
        call.await
    }

    /// True while a call is running.
    #[cfg(test)]
    pub(crate) fn is_busy(&self) -> bool {
        lock(&self.slot).is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_one_call() {
        let inflight = Arc::new(Inflight::<u32>::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..50 {
            let inflight = inflight.clone();
            let calls = calls.clone();
            handles.push(tokio::spawn(async move {
                inflight
                    .run(true, "t", move || {
                        async move {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok(7)
                        }
                        .boxed()
                    })
                    .await
            }));
        }
        for h in handles {
            assert_eq!(h.await.ok().and_then(Result::ok), Some(7));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(!inflight.is_busy());
    }

    #[tokio::test]
    async fn a_fresh_call_does_not_join() {
        let inflight = Inflight::<u32>::default();
        let a = inflight.run(false, "t", || async { Ok(1) }.boxed()).await;
        let b = inflight.run(false, "t", || async { Ok(2) }.boxed()).await;
        assert_eq!((a.ok(), b.ok()), (Some(1), Some(2)));
    }

    #[tokio::test]
    async fn a_call_whose_waiters_are_all_dropped_still_completes() {
        let inflight = Arc::new(Inflight::<u32>::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let (c, d) = (calls.clone(), done.clone());
        let first = inflight.run(true, "t", move || {
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                d.fetch_add(1, Ordering::SeqCst);
                Ok(5)
            }
            .boxed()
        });
        // Poll once so the call starts, then drop the only waiter.
        assert!(
            tokio::time::timeout(Duration::from_millis(1), first)
                .await
                .is_err()
        );
        for _ in 0..500 {
            if !inflight.is_busy() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(!inflight.is_busy(), "the call ended and emptied its slot");
        assert_eq!(done.load(Ordering::SeqCst), 1);
        // The next caller starts a new call rather than collecting the old result.
        let next = inflight.run(true, "t", || async { Ok(6) }.boxed()).await;
        assert_eq!(next.ok(), Some(6));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_panicking_call_fails_its_waiters_and_not_the_next_call() {
        let inflight = Inflight::<u32>::default();
        let r = inflight
            .run(true, "t", || async { panic!("boom") }.boxed())
            .await;
        assert!(matches!(r, Err(Error::Panicked { .. })));
        assert!(!inflight.is_busy());
        let r = inflight.run(true, "t", || async { Ok(1) }.boxed()).await;
        assert_eq!(r.ok(), Some(1));
    }
}
