//! One in-flight call shared by every caller that asks while it runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

/// Holds at most one running call. Callers that `join` while it runs wait for it and get a
/// clone of its result; the call is made once, whether it succeeds or fails.
///
/// The call's future is owned by the slot and by every waiter: if every waiter is dropped
/// (cancelled), the next caller drives it on; it is never made twice.
pub(crate) struct Inflight<T: Clone> {
    slot: Mutex<Option<(u64, Shared<BoxFuture<'static, T>>)>>,
    next_id: AtomicU64,
}

impl<T: Clone> Default for Inflight<T> {
    fn default() -> Self {
        Self {
            slot: Mutex::new(None),
            next_id: AtomicU64::new(1),
        }
    }
}

impl<T> Inflight<T>
where
    T: Clone + Send + Sync + 'static,
{
    /// Joins the running call when `join` is true and one runs; otherwise starts
    /// `start()` (which later `join`ers then share). Returns the call's result.
    pub(crate) async fn run(&self, join: bool, start: impl FnOnce() -> BoxFuture<'static, T>) -> T {
        let (id, call) = {
            let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
            match slot.as_ref() {
                Some((id, call)) if join => (*id, call.clone()),
                _ => {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    let call = start().shared();
                    *slot = Some((id, call.clone()));
                    (id, call)
                }
            }
        };
        let result = call.await;
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(slot.as_ref(), Some((current, _)) if *current == id) {
            *slot = None;
        }
        result
    }

    /// True while a call is held (running, or finished and not yet collected).
    #[cfg(test)]
    pub(crate) fn is_busy(&self) -> bool {
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
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
                    .run(true, move || {
                        async move {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            7
                        }
                        .boxed()
                    })
                    .await
            }));
        }
        for h in handles {
            assert_eq!(h.await.ok(), Some(7));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(!inflight.is_busy());
    }

    #[tokio::test]
    async fn a_fresh_call_does_not_join() {
        let inflight = Inflight::<u32>::default();
        let a = inflight.run(false, || async { 1 }.boxed()).await;
        let b = inflight.run(false, || async { 2 }.boxed()).await;
        assert_eq!((a, b), (1, 2));
    }

    #[tokio::test]
    async fn a_cancelled_call_is_driven_on_by_the_next_caller() {
        let inflight = Arc::new(Inflight::<u32>::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let start = |calls: Arc<AtomicUsize>| {
            move || {
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    5
                }
                .boxed()
            }
        };
        let first = inflight.run(true, start(calls.clone()));
        // Poll once so the call starts, then drop the only waiter.
        assert!(first.now_or_never().is_none());
        assert!(inflight.is_busy());
        let second = inflight.run(true, start(calls.clone())).await;
        assert_eq!(second, 5);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
