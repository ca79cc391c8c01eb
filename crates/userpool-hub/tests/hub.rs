//! Behaviour of the hub: delivery, ordering, removal, isolation of slow and failing
//! listeners, subscriptions, and use with or without a Tokio runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use userpool_hub::{Hub, Listener};

const WAIT: Duration = Duration::from_secs(5);

/// The next value, failing the test after `WAIT`.
async fn next<T>(rx: &mut UnboundedReceiver<T>) -> T {
    match tokio::time::timeout(WAIT, rx.recv()).await {
        Ok(Some(v)) => v,
        Ok(None) => panic!("channel closed"),
        Err(_) => panic!("nothing received within {WAIT:?}"),
    }
}

/// Lets queued work run, then checks that nothing arrived.
async fn assert_nothing<T: std::fmt::Debug>(rx: &mut UnboundedReceiver<T>) {
    tokio::time::sleep(Duration::from_millis(150)).await;
    if let Ok(v) = rx.try_recv() {
        panic!("unexpected {v:?}");
    }
}

/// A listener that forwards what it sees.
fn recorder<E: Clone + Send + Sync + 'static>(
    hub: &Hub<E>,
    channel: &str,
) -> (Listener, UnboundedReceiver<E>) {
    let (tx, rx) = unbounded_channel();
    let listener = hub.listen(channel, move |e: &E| {
        let _ = tx.send(e.clone());
    });
    (listener, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_gets_events_in_dispatch_order() {
    let hub = Hub::<u32>::new();
    let (_l, mut rx) = recorder(&hub, "auth");
    for i in 0..200 {
        hub.dispatch("auth", i);
    }
    for i in 0..200 {
        assert_eq!(next(&mut rx).await, i);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_dispatchers_give_every_listener_the_same_order() {
    let hub = Hub::<u32>::new();
    let (_a, mut rx_a) = recorder(&hub, "auth");
    let (_b, mut rx_b) = recorder(&hub, "auth");
    let mut sub = hub.subscribe("auth");
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let hub = hub.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    hub.dispatch("auth", t * 1000 + i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("dispatcher thread");
    }
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    let mut seen_s = Vec::new();
    for _ in 0..200 {
        seen_a.push(next(&mut rx_a).await);
        seen_b.push(next(&mut rx_b).await);
        seen_s.push(sub.next().await.expect("subscription event"));
    }
    assert_eq!(seen_a, seen_b);
    assert_eq!(seen_a, seen_s);
    // Each dispatcher's own events stay in its order.
    for t in 0..2 {
        let mine: Vec<u32> = seen_a.iter().copied().filter(|v| v / 1000 == t).collect();
        assert_eq!(mine, (0..100).map(|i| t * 1000 + i).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn channels_are_isolated() {
    let hub = Hub::<&'static str>::new();
    let (_auth, mut auth) = recorder(&hub, "auth");
    let (_other, mut other) = recorder(&hub, "other");
    let mut auth_sub = hub.subscribe("auth");
    hub.dispatch("auth", "a1");
    hub.dispatch("other", "o1");
    hub.dispatch("nobody", "n1");
    hub.dispatch("auth", "a2");
    assert_eq!(next(&mut auth).await, "a1");
    assert_eq!(next(&mut auth).await, "a2");
    assert_eq!(next(&mut other).await, "o1");
    assert_eq!(auth_sub.recv().await, Some("a1"));
    assert_eq!(auth_sub.recv().await, Some("a2"));
    assert_nothing(&mut auth).await;
    assert_nothing(&mut other).await;
    assert_eq!(auth_sub.try_recv(), None);
}

#[tokio::test]
async fn every_listener_and_subscription_of_the_channel_gets_each_event() {
    let hub = Hub::<String>::new();
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(recorder(&hub, "auth"));
    }
    let mut subs = vec![hub.subscribe("auth"), hub.subscribe("auth")];
    assert_eq!(hub.listener_count("auth"), 3);
    assert_eq!(hub.subscription_count("auth"), 2);
    hub.dispatch("auth", "signIn".to_owned());
    for (_, rx) in &mut listeners {
        assert_eq!(next(rx).await, "signIn");
    }
    for sub in &mut subs {
        assert_eq!(sub.next().await.as_deref(), Some("signIn"));
    }
}

#[tokio::test]
async fn remove_by_handle_stops_delivery() {
    let hub = Hub::<u32>::new();
    let (removed, mut removed_rx) = recorder(&hub, "auth");
    let (_kept, mut kept_rx) = recorder(&hub, "auth");
    hub.dispatch("auth", 1);
    assert_eq!(next(&mut removed_rx).await, 1);
    assert_eq!(removed.channel(), "auth");
    removed.remove();
    assert_eq!(hub.listener_count("auth"), 1);
    hub.dispatch("auth", 2);
    assert_eq!(next(&mut kept_rx).await, 1);
    assert_eq!(next(&mut kept_rx).await, 2);
    // The worker stopped and dropped the closure (and its sender).
    assert_eq!(
        tokio::time::timeout(WAIT, removed_rx.recv()).await,
        Ok(None)
    );
}

#[tokio::test]
async fn dropping_the_handle_removes_the_listener() {
    let hub = Hub::<u32>::new();
    let (listener, mut rx) = recorder(&hub, "auth");
    assert_eq!(hub.listener_count("auth"), 1);
    drop(listener);
    assert_eq!(hub.listener_count("auth"), 0);
    assert!(hub.channels().is_empty(), "empty channels are forgotten");
    hub.dispatch("auth", 1);
    assert_eq!(tokio::time::timeout(WAIT, rx.recv()).await, Ok(None));
}

#[tokio::test]
async fn removed_listener_skips_events_already_queued() {
    let hub = Hub::<u32>::new();
    let (started_tx, started_rx) = std_mpsc::channel::<()>();
    let (gate_tx, gate_rx) = std_mpsc::channel::<()>();
    let gate_rx = std::sync::Mutex::new(gate_rx);
    let (seen_tx, mut seen_rx) = unbounded_channel();
    let listener = hub.listen("auth", move |e: &u32| {
        let _ = seen_tx.send(*e);
        if *e == 1 {
            let _ = started_tx.send(());
            let _ = gate_rx
                .lock()
                .map(|rx| rx.recv_timeout(Duration::from_secs(10)));
        }
    });
    hub.dispatch("auth", 1);
    hub.dispatch("auth", 2);
    hub.dispatch("auth", 3);
    tokio::task::spawn_blocking(move || started_rx.recv_timeout(WAIT))
        .await
        .expect("join")
        .expect("listener started");
    listener.remove();
    let _ = gate_tx.send(());
    assert_eq!(next(&mut seen_rx).await, 1);
    // 2 and 3 were queued before the removal: discarded, and the worker ends.
    assert_eq!(tokio::time::timeout(WAIT, seen_rx.recv()).await, Ok(None));
}

#[tokio::test]
async fn detached_listener_lives_as_long_as_the_hub() {
    let hub = Hub::<u32>::new();
    let (listener, mut rx) = recorder(&hub, "auth");
    listener.detach();
    assert_eq!(hub.listener_count("auth"), 1);
    hub.dispatch("auth", 7);
    assert_eq!(next(&mut rx).await, 7);
    let clone = hub.clone();
    drop(hub);
    clone.dispatch("auth", 8);
    assert_eq!(next(&mut rx).await, 8);
    // Dropping the last clone stops the worker, which drops the closure.
    drop(clone);
    assert_eq!(tokio::time::timeout(WAIT, rx.recv()).await, Ok(None));
}

#[tokio::test]
async fn panicking_listener_keeps_others_and_the_emitter_working() {
    let hub = Hub::<u32>::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let _bad = hub.listen("auth", move |e: &u32| {
        counted.fetch_add(1, Ordering::SeqCst);
        panic!("listener failure on {e}");
    });
    let (_good, mut rx) = recorder(&hub, "auth");
    for i in 0..3 {
        hub.dispatch("auth", i); // does not panic
    }
    for i in 0..3 {
        assert_eq!(next(&mut rx).await, i);
    }
    // The panicking listener stays registered and keeps being called.
    assert_eq!(hub.listener_count("auth"), 2);
    let deadline = Instant::now() + WAIT;
    while calls.load(Ordering::SeqCst) < 3 {
        assert!(
            Instant::now() < deadline,
            "panicking listener not called 3 times"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    hub.dispatch("auth", 3);
    assert_eq!(next(&mut rx).await, 3);
}

#[test]
fn panicking_listener_without_runtime_keeps_working() {
    let hub = Hub::<u32>::new();
    let (tx, rx) = std_mpsc::channel();
    let _l = hub.listen("auth", move |e: &u32| {
        let _ = tx.send(*e);
        if *e == 0 {
            panic!("first event fails");
        }
    });
    hub.dispatch("auth", 0);
    hub.dispatch("auth", 1);
    assert_eq!(rx.recv_timeout(WAIT), Ok(0));
    assert_eq!(rx.recv_timeout(WAIT), Ok(1));
}

/// A listener that sleeps 1 s per event delays neither `dispatch` nor the other listeners.
async fn check_slow_listener() {
    let hub = Hub::<u32>::new();
    let slow = hub.listen("auth", |_: &u32| std::thread::sleep(Duration::from_secs(1)));
    let (_fast, mut rx) = recorder(&hub, "auth");
    let mut sub = hub.subscribe("auth");

    let started = Instant::now();
    for i in 0..10 {
        hub.dispatch("auth", i);
    }
    let dispatching = started.elapsed();
    assert!(
        dispatching < Duration::from_millis(50),
        "dispatch took {dispatching:?}"
    );
    for i in 0..10 {
        assert_eq!(next(&mut rx).await, i);
        assert_eq!(sub.next().await, Some(i));
    }
    let delivering = started.elapsed();
    assert!(
        delivering < Duration::from_millis(900),
        "the fast listener waited for the slow one: {delivering:?}"
    );
    slow.remove(); // discards its 9 queued events
}

#[tokio::test(flavor = "current_thread")]
async fn slow_listener_does_not_delay_dispatch_or_others_current_thread() {
    check_slow_listener().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_listener_does_not_delay_dispatch_or_others_multi_thread() {
    check_slow_listener().await;
}

#[test]
fn slow_listener_does_not_delay_dispatch_or_others_without_runtime() {
    let hub = Hub::<u32>::new();
    let slow = hub.listen("auth", |_: &u32| std::thread::sleep(Duration::from_secs(1)));
    let (tx, rx) = std_mpsc::channel();
    let _fast = hub.listen("auth", move |e: &u32| {
        let _ = tx.send(*e);
    });
    let started = Instant::now();
    for i in 0..10 {
        hub.dispatch("auth", i);
    }
    assert!(started.elapsed() < Duration::from_millis(50));
    for i in 0..10 {
        assert_eq!(rx.recv_timeout(WAIT), Ok(i));
    }
    assert!(started.elapsed() < Duration::from_millis(900));
    slow.remove();
}

#[tokio::test]
async fn subscription_is_a_stream_of_the_channel_events() {
    let hub = Hub::<u32>::new();
    let mut sub = hub.subscribe("auth");
    assert_eq!(sub.channel(), "auth");
    assert_eq!(sub.try_recv(), None);
    hub.dispatch("auth", 1);
    hub.dispatch("auth", 2);
    hub.dispatch("auth", 3);
    assert_eq!(sub.try_recv(), Some(1));
    assert_eq!(sub.recv().await, Some(2));
    assert_eq!(sub.next().await, Some(3));

    // Usable with stream combinators, from another task.
    let hub2 = hub.clone();
    let collector = tokio::spawn(async move { sub.take(3).collect::<Vec<u32>>().await });
    for i in 10..13 {
        hub2.dispatch("auth", i);
    }
    let got = tokio::time::timeout(WAIT, collector)
        .await
        .expect("in time")
        .expect("join");
    assert_eq!(got, [10, 11, 12]);
    // `take` dropped the subscription when done.
    assert_eq!(hub.subscription_count("auth"), 0);
}

#[tokio::test]
async fn dropping_a_subscription_unsubscribes() {
    let hub = Hub::<u32>::new();
    let sub = hub.subscribe("auth");
    let _other = hub.subscribe("auth");
    assert_eq!(hub.subscription_count("auth"), 2);
    drop(sub);
    assert_eq!(hub.subscription_count("auth"), 1);
    hub.dispatch("auth", 1);
}

#[tokio::test]
async fn subscription_ends_when_the_hub_is_dropped() {
    let hub = Hub::<u32>::new();
    let mut sub = hub.subscribe("auth");
    hub.dispatch("auth", 1);
    drop(hub);
    assert_eq!(sub.next().await, Some(1), "pending events are still read");
    assert_eq!(sub.next().await, None);
    assert_eq!(sub.recv().await, None);
}

#[test]
fn dispatch_with_nobody_listening_is_a_no_op() {
    let hub = Hub::<String>::new();
    hub.dispatch("auth", "nobody".to_owned());
    assert_eq!(hub.listener_count("auth"), 0);
    assert_eq!(hub.subscription_count("auth"), 0);
    assert!(hub.channels().is_empty());
}

#[tokio::test]
async fn dispatch_from_a_thread_without_runtime() {
    let hub = Hub::<u32>::new();
    let (_l, mut rx) = recorder(&hub, "auth");
    let mut sub = hub.subscribe("auth");
    let sender = hub.clone();
    std::thread::spawn(move || {
        assert!(tokio::runtime::Handle::try_current().is_err());
        sender.dispatch("auth", 42);
    })
    .join()
    .expect("dispatcher thread");
    assert_eq!(next(&mut rx).await, 42);
    assert_eq!(sub.next().await, Some(42));
}

#[test]
fn listen_and_dispatch_without_any_runtime() {
    let hub = Hub::<u32>::new();
    let (tx, rx) = std_mpsc::channel();
    let listener = hub.listen("auth", move |e: &u32| {
        let _ = tx.send(*e);
    });
    for i in 0..50 {
        hub.dispatch("auth", i);
    }
    for i in 0..50 {
        assert_eq!(rx.recv_timeout(WAIT), Ok(i));
    }
    listener.remove();
    hub.dispatch("auth", 99);
    // The worker thread ended and dropped the closure's sender.
    assert_eq!(
        rx.recv_timeout(WAIT),
        Err(std_mpsc::RecvTimeoutError::Disconnected)
    );
}

#[tokio::test]
async fn listener_calls_can_use_the_runtime() {
    let hub = Hub::<u32>::new();
    let (tx, mut rx) = unbounded_channel();
    let _l = hub.listen("auth", move |e: &u32| {
        let tx = tx.clone();
        let e = *e;
        tokio::spawn(async move {
            let _ = tx.send(e);
        });
    });
    hub.dispatch("auth", 5);
    assert_eq!(next(&mut rx).await, 5);
}

#[test]
fn listener_of_a_stopped_runtime_is_pruned_without_panic() {
    let hub = Hub::<u32>::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let listener = runtime.block_on(async { hub.listen("auth", |_: &u32| {}) });
    assert_eq!(hub.listener_count("auth"), 1);
    drop(runtime);
    hub.dispatch("auth", 1); // the worker is gone: the registration is dropped
    assert_eq!(hub.listener_count("auth"), 0);
    listener.remove();
}

#[test]
fn a_panicking_event_clone_does_not_escape_dispatch() {
    #[derive(Debug)]
    struct Bomb(bool);
    impl Clone for Bomb {
        fn clone(&self) -> Self {
            if self.0 {
                panic!("clone exploded");
            }
            Bomb(false)
        }
    }
    let hub = Hub::<Bomb>::new();
    let mut sub = hub.subscribe("auth");
    hub.dispatch("auth", Bomb(true));
    hub.dispatch("auth", Bomb(false));
    assert!(matches!(sub.try_recv(), Some(Bomb(false))));
}

#[tokio::test]
async fn debug_shows_channels_and_counts() {
    let hub = Hub::<u32>::new();
    let _a = hub.listen("auth", |_: &u32| {});
    let _b = hub.listen("auth", |_: &u32| {});
    let _s = hub.subscribe("storage");
    assert_eq!(
        format!("{hub:?}"),
        r#"Hub { channels: {"auth": Channel { listeners: 2, subscriptions: 0 }, "storage": Channel { listeners: 0, subscriptions: 1 }} }"#
    );
    assert_eq!(hub.channels(), ["auth", "storage"]);
    assert!(format!("{_a:?}").contains("auth"));
    assert!(format!("{_s:?}").contains("storage"));
}

#[tokio::test]
async fn clones_and_default_share_nothing_but_clones_share_everything() {
    let hub = Hub::<u32>::default();
    let clone = hub.clone();
    let (_l, mut rx) = recorder(&clone, "auth");
    assert_eq!(hub.listener_count("auth"), 1);
    hub.dispatch("auth", 1);
    assert_eq!(next(&mut rx).await, 1);
    let other = Hub::<u32>::new();
    assert_eq!(other.listener_count("auth"), 0);
}
