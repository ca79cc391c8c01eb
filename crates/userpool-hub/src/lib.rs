//! The userpool event hub: channels, listeners and subscriptions.
//!
//! A [`Hub`] carries events of one type `E` on named channels (the client uses the `auth`
//! channel). Code that emits an event calls [`Hub::dispatch`]; code that wants events
//! either registers a closure with [`Hub::listen`] or takes a [`Subscription`] (a
//! [`Stream`]) with [`Hub::subscribe`]. The hub knows nothing of
//! authentication: it is generic over the event type.
//!
//! # Example
//!
//! ```
//! use std::sync::mpsc;
//! use std::time::Duration;
//! use userpool_hub::Hub;
//!
//! #[derive(Clone, Debug, PartialEq)]
//! enum Event {
//!     SignedIn(String),
//!     SignedOut,
//! }
//!
//! let hub = Hub::<Event>::new();
//! let (tx, rx) = mpsc::channel();
//! // Keep the handle: dropping it removes the listener (or call `.detach()`).
//! let listener = hub.listen("auth", move |event: &Event| {
//!     let _ = tx.send(event.clone());
//! });
//!
//! hub.dispatch("auth", Event::SignedIn("alice".into()));
//! hub.dispatch("other", Event::SignedOut); // another channel: not delivered
//! hub.dispatch("auth", Event::SignedOut);
//!
//! let wait = Duration::from_secs(5);
//! assert_eq!(rx.recv_timeout(wait), Ok(Event::SignedIn("alice".into())));
//! assert_eq!(rx.recv_timeout(wait), Ok(Event::SignedOut));
//!
//! listener.remove();
//! assert_eq!(hub.listener_count("auth"), 0);
//! ```
//!
//! With a subscription, in async code:
//!
//! ```
//! use futures_util::StreamExt;
//! use userpool_hub::Hub;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let hub = Hub::<&'static str>::new();
//! let mut events = hub.subscribe("auth");
//! hub.dispatch("auth", "signedIn");
//! assert_eq!(events.next().await, Some("signedIn"));
//! drop(events); // unsubscribes
//! assert_eq!(hub.subscription_count("auth"), 0);
//! # }
//! ```
//!
//! # Delivery
//!
//! - [`dispatch`](Hub::dispatch) delivers to every listener and subscription of the
//!   channel registered at the time of the call, and only enqueues: it never waits for a
//!   listener, never blocks on a full queue, and never panics. It can be called from sync
//!   or async code, inside a Tokio runtime or not.
//! - Each listener has its own queue and its own worker, so it sees the events of its
//!   channel in dispatch order, one at a time, and a slow listener delays nobody else.
//!   The worker is a Tokio task when [`listen`](Hub::listen) is called inside a Tokio
//!   runtime (each call then runs on the runtime's blocking thread pool, so a listener may
//!   block and may use `tokio::spawn`), and a dedicated thread otherwise. A worker stops
//!   when its listener is removed or the hub is dropped. A worker task lives on the
//!   runtime that was current at `listen` time: that runtime must keep running for the
//!   listener to be called, and when it shuts down the listener receives no more events
//!   (its registration is dropped at the next dispatch).
//! - A listener that panics is logged (`tracing::error!`) and stays registered; the
//!   emitter and the other listeners are not affected.
//! - Removing a listener (with [`Listener::remove`] or by dropping its handle) stops
//!   delivery at once: events dispatched afterwards are not delivered, and events still
//!   queued for it are discarded. A call already running finishes.
//! - Events are moved through unbounded queues: a listener that is slower than the event
//!   rate, or a subscription that is not polled, holds every pending event in memory. The
//!   client's events are rare (a few per sign-in), so this costs nothing in practice; do
//!   not keep a `Subscription` you do not poll.
//! - Events are cloned once per listener and subscription.
#![warn(missing_docs)]

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Channels of events of type `E`, with their listeners and subscriptions.
///
/// Clones share the same channels. Dropping the last clone ends every subscription's
/// stream and stops every listener's worker (after the events already queued).
pub struct Hub<E> {
    inner: Arc<Inner<E>>,
}

struct Inner<E> {
    channels: Mutex<HashMap<String, Channel<E>>>,
    next_id: AtomicU64,
}

struct Channel<E> {
    listeners: Vec<Registration<E>>,
    subscriptions: Vec<Registration<E>>,
}

impl<E> Default for Channel<E> {
    fn default() -> Self {
        Channel {
            listeners: Vec::new(),
            subscriptions: Vec::new(),
        }
    }
}

impl<E> Channel<E> {
    fn is_empty(&self) -> bool {
        self.listeners.is_empty() && self.subscriptions.is_empty()
    }
}

struct Registration<E> {
    id: u64,
    sender: UnboundedSender<E>,
}

/// What a handle needs to remove its registration without knowing the event type.
trait Unregister: Send + Sync {
    fn unregister(&self, channel: &str, id: u64);
}

impl<E: Send + 'static> Unregister for Inner<E> {
    fn unregister(&self, channel: &str, id: u64) {
        let mut channels = self.lock();
        if let Some(ch) = channels.get_mut(channel) {
            ch.listeners.retain(|r| r.id != id);
            ch.subscriptions.retain(|r| r.id != id);
            if ch.is_empty() {
                channels.remove(channel);
            }
        }
    }
}

impl<E> Inner<E> {
    // Every change under the lock is a single Vec or map operation, so a poisoned lock
    // cannot hide a half-made change: recover it.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Channel<E>>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<E> Clone for Hub<E> {
    fn clone(&self) -> Self {
        Hub {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<E: Clone + Send + Sync + 'static> Default for Hub<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> fmt::Debug for Hub<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Counts {
            listeners: usize,
            subscriptions: usize,
        }
        impl fmt::Debug for Counts {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Channel")
                    .field("listeners", &self.listeners)
                    .field("subscriptions", &self.subscriptions)
                    .finish()
            }
        }
        let mut channels: Vec<(String, Counts)> = self
            .inner
            .lock()
            .iter()
            .map(|(name, ch)| {
                let counts = Counts {
                    listeners: ch.listeners.len(),
                    subscriptions: ch.subscriptions.len(),
                };
                (name.clone(), counts)
            })
            .collect();
        channels.sort_by(|a, b| a.0.cmp(&b.0));
        f.debug_struct("Hub")
            .field(
                "channels",
                &DebugMap(channels.iter().map(|(k, v)| (k, v)).collect()),
            )
            .finish()
    }
}

struct DebugMap<'a, V>(Vec<(&'a String, &'a V)>);

impl<V: fmt::Debug> fmt::Debug for DebugMap<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().copied()).finish()
    }
}

impl<E: Clone + Send + Sync + 'static> Hub<E> {
    /// A hub with no channels. Channels exist while something is registered on them.
    pub fn new() -> Self {
        Hub {
            inner: Arc::new(Inner {
                channels: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    fn register(&self, channel: &str, subscription: bool, sender: UnboundedSender<E>) -> Handle {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut channels = self.inner.lock();
        let ch = channels.entry(channel.to_owned()).or_default();
        let list = if subscription {
            &mut ch.subscriptions
        } else {
            &mut ch.listeners
        };
        list.push(Registration { id, sender });
        drop(channels);
        let weak: Weak<Inner<E>> = Arc::downgrade(&self.inner);
        let hub: Weak<dyn Unregister> = weak;
        Handle {
            hub: Some(hub),
            channel: channel.to_owned(),
            id,
        }
    }

    /// Calls `f` with every event dispatched on `channel` from now on, until the returned
    /// [`Listener`] is removed or dropped (or [detached](Listener::detach): then until the
    /// hub is dropped).
    ///
    /// `f` runs on the listener's own worker, never inside `dispatch`: see the
    /// [crate documentation](crate#delivery).
    pub fn listen<F>(&self, channel: &str, f: F) -> Listener
    where
        F: Fn(&E) + Send + Sync + 'static,
    {
        let (sender, receiver) = unbounded_channel();
        let removed = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            channel: channel.to_owned(),
            f: Arc::new(f),
            removed: Arc::clone(&removed),
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(worker.run_task(receiver));
            }
            Err(_) => {
                let spawned = std::thread::Builder::new()
                    .name("userpool-hub-listener".to_owned())
                    .spawn(move || worker.run_thread(receiver));
                if let Err(error) = spawned {
                    // The receiver is gone with the closure: dispatch will prune the entry.
                    tracing::error!(channel, %error, "cannot start a listener thread");
                }
            }
        }
        Listener {
            handle: self.register(channel, false, sender),
            removed,
        }
    }

    /// A stream of every event dispatched on `channel` from now on. Dropping it
    /// unsubscribes. The stream ends when the hub is dropped.
    ///
    /// Pending events are kept in an unbounded queue until they are read: poll the
    /// subscription or drop it.
    pub fn subscribe(&self, channel: &str) -> Subscription<E> {
        let (sender, receiver) = unbounded_channel();
        Subscription {
            handle: self.register(channel, true, sender),
            receiver,
        }
    }

    /// Sends `event` to every listener and subscription of `channel`. Only enqueues: never
    /// blocks, never panics (a panicking `E::clone` is caught and logged). With nobody on
    /// the channel, the event is dropped.
    pub fn dispatch(&self, channel: &str, event: E) {
        // The lock is held while enqueueing so that every listener of a channel sees
        // events in the same order, even with several dispatching threads.
        let mut channels = self.inner.lock();
        let Some(ch) = channels.get_mut(channel) else {
            return;
        };
        let fan_out = catch_unwind(AssertUnwindSafe(|| {
            // A failed send means the worker or stream is gone (e.g. its runtime shut
            // down): drop the registration.
            ch.listeners
                .retain(|r| r.sender.send(event.clone()).is_ok());
            ch.subscriptions
                .retain(|r| r.sender.send(event.clone()).is_ok());
        }));
        if fan_out.is_err() {
            tracing::error!(channel, "cloning an event panicked during dispatch");
        }
        if ch.is_empty() {
            channels.remove(channel);
        }
    }

    /// The number of listeners (closures) registered on `channel`.
    pub fn listener_count(&self, channel: &str) -> usize {
        self.inner
            .lock()
            .get(channel)
            .map_or(0, |ch| ch.listeners.len())
    }

    /// The number of live subscriptions on `channel`.
    pub fn subscription_count(&self, channel: &str) -> usize {
        self.inner
            .lock()
            .get(channel)
            .map_or(0, |ch| ch.subscriptions.len())
    }

    /// The names of the channels that have a listener or a subscription, sorted.
    pub fn channels(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.lock().keys().cloned().collect();
        names.sort_unstable();
        names
    }
}

/// Runs one listener's calls, one at a time, in order.
struct Worker<E> {
    channel: String,
    f: Arc<dyn Fn(&E) + Send + Sync>,
    removed: Arc<AtomicBool>,
}

impl<E: Send + 'static> Worker<E> {
    async fn run_task(self, mut receiver: UnboundedReceiver<E>) {
        while let Some(event) = receiver.recv().await {
            let f = Arc::clone(&self.f);
            let removed = Arc::clone(&self.removed);
            let channel = self.channel.clone();
            // On the blocking pool: a listener that blocks cannot stall the runtime.
            let call = tokio::task::spawn_blocking(move || call(&channel, &removed, &*f, &event));
            if call.await.is_err() || self.removed.load(Ordering::Acquire) {
                // The runtime is shutting down, or the listener was removed.
                break;
            }
        }
    }

    fn run_thread(self, mut receiver: UnboundedReceiver<E>) {
        while let Some(event) = receiver.blocking_recv() {
            call(&self.channel, &self.removed, &*self.f, &event);
            if self.removed.load(Ordering::Acquire) {
                break;
            }
        }
    }
}

/// One call of a listener, unless it was removed; a panic is logged and swallowed.
fn call<E>(channel: &str, removed: &AtomicBool, f: &(dyn Fn(&E) + Send + Sync), event: &E) {
    if removed.load(Ordering::Acquire) {
        return;
    }
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(event))) {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(non-string panic payload)");
        tracing::error!(
            channel,
            panic = message,
            "a hub listener panicked; it stays registered"
        );
    }
}

/// Removes a registration when dropped, unless detached.
struct Handle {
    hub: Option<Weak<dyn Unregister>>,
    channel: String,
    id: u64,
}

impl Handle {
    fn unregister(&mut self) {
        if let Some(hub) = self.hub.take().and_then(|weak| weak.upgrade()) {
            hub.unregister(&self.channel, self.id);
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// The handle of a listener registered with [`Hub::listen`].
///
/// Dropping it removes the listener, like [`remove`](Listener::remove);
/// [`detach`](Listener::detach) keeps the listener for the life of the hub.
#[must_use = "dropping a Listener removes it at once; keep it, or call .detach()"]
pub struct Listener {
    handle: Handle,
    removed: Arc<AtomicBool>,
}

impl Listener {
    /// Removes the listener. Events dispatched afterwards are not delivered, and events
    /// still queued for it are discarded; a call already running finishes.
    pub fn remove(self) {
        // Drop does the work.
    }

    /// Keeps the listener registered until the hub is dropped, without a handle.
    pub fn detach(mut self) {
        self.handle.hub = None;
    }

    /// The channel the listener is registered on.
    pub fn channel(&self) -> &str {
        &self.handle.channel
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if self.handle.hub.is_some() {
            self.removed.store(true, Ordering::Release);
            self.handle.unregister();
        }
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("channel", &self.handle.channel)
            .field("id", &self.handle.id)
            .finish()
    }
}

/// The events of one channel, as a [`Stream`]: returned by [`Hub::subscribe`].
///
/// Dropping it unsubscribes. The stream ends (yields `None`) when the hub is dropped,
/// after the events already received.
#[must_use = "dropping a Subscription unsubscribes at once"]
pub struct Subscription<E> {
    handle: Handle,
    receiver: UnboundedReceiver<E>,
}

impl<E> Subscription<E> {
    /// The next event, or `None` once the hub is dropped and every pending event was read.
    pub async fn recv(&mut self) -> Option<E> {
        self.receiver.recv().await
    }

    /// The next pending event, without waiting: `None` when none is queued.
    pub fn try_recv(&mut self) -> Option<E> {
        self.receiver.try_recv().ok()
    }

    /// The channel of the subscription.
    pub fn channel(&self) -> &str {
        &self.handle.channel
    }
}

impl<E> Stream for Subscription<E> {
    type Item = E;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<E> fmt::Debug for Subscription<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("channel", &self.handle.channel)
            .field("id", &self.handle.id)
            .finish()
    }
}
