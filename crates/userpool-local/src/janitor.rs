//! Forgets what has expired while the server runs: sessions whose refresh token expired
//! (a day after, when every access token issued with them has expired too), codes that can
//! no longer be used and whose request window is over, and sign-ins in progress past their
//! validity. Runs at start-up and then on an interval until the server shuts down.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::ApiError;
use crate::state::State;
use crate::{store, util};

/// One sweep: the database rows and the in-memory sign-ins. Returns (sessions, codes,
/// sign-ins) forgotten.
pub(crate) async fn prune_once(state: &State) -> Result<(usize, usize, usize), ApiError> {
    let pending = state.pending.sweep();
    state.grants.prune();
    let now = util::now_ms();
    let window_ms = i64::try_from(state.limits.code_request_window.as_millis()).unwrap_or(i64::MAX);
    let (sessions, codes) = state
        .store
        .write(move |c| {
            let sessions = store::prune_sessions(c, now)?;
            let codes = store::prune_codes(c, now, window_ms)?;
            Ok((sessions, codes))
        })
        .await?;
    Ok((sessions, codes, pending))
}

/// Sweeps every `every` until `stop` turns true (or its sender is gone).
pub(crate) async fn run(state: Arc<State>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; start-up has just pruned.
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
        }
        match prune_once(&state).await {
            Ok((sessions, codes, pending)) if sessions + codes + pending > 0 => {
                tracing::debug!(sessions, codes, pending, "pruned expired state");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning expired state failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::LocalPool;
    use crate::store::{self, SessionRow};

    fn session(jti: &str, expires_ms: i64) -> SessionRow {
        SessionRow {
            origin_jti: jti.to_owned(),
            pool_id: "us-east-1_test".to_owned(),
            sub: "sub".to_owned(),
            client_id: "client".to_owned(),
            event_id: "event".to_owned(),
            auth_time: 0,
            expires_ms,
            revoked: false,
        }
    }

    /// Rows that expire while the server runs are forgotten by the periodic sweep, not only
    /// at the next start; live ones stay.
    #[tokio::test]
    async fn expired_sessions_and_codes_are_pruned_while_running() {
        let server = LocalPool::builder()
            .prune_interval(std::time::Duration::from_millis(50))
            .start()
            .await
            .unwrap();
        let state = server.state().clone();
        let long_ago = crate::util::now_ms() - 3 * 86_400_000;
        let future = crate::util::now_ms() + 86_400_000;
        state
            .store
            .write(move |c| {
                store::insert_session(c, &session("old", long_ago), b"old-hash")?;
                store::insert_session(c, &session("live", future), b"live-hash")?;
                let spent = store::CodeRow {
                    code: String::new(),
                    attr: "email".to_owned(),
                    value: "a@example.com".to_owned(),
                    expires_ms: 0,
                    failures: 0,
                    window_start_ms: long_ago,
                    sent_in_window: 1,
                };
                store::put_code(c, "us-east-1_test", "sub", "signup", &spent)
            })
            .await
            .unwrap();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (old, live, code) = state
                .store
                .read(|c| {
                    Ok((
                        store::session_by_jti(c, "old")?.is_some(),
                        store::session_by_jti(c, "live")?.is_some(),
                        store::get_code(c, "us-east-1_test", "sub", "signup")?.is_some(),
                    ))
                })
                .await
                .unwrap();
            assert!(live, "a live session was pruned");
            if !old && !code {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "expired rows still there after 10 s of running (old session {old}, code {code})"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        server.shutdown().await.unwrap();
    }
}
