//! The userpool sides of the client comparisons of `cargo xtask bench`.
//!
//! ```text
//! userpool-bench-client session [ITERATIONS] [RUNS]
//! userpool-bench-client refresh --endpoint URL --pool-id ID --client-id ID --username NAME
//!                               --password PW [--concurrency 1000] [--runs 5] [--counts URL]
//! ```
//!
//! `session`: `Auth::current_session()` with a valid session in a memory store (no
//! network: the endpoint is a closed loopback port), seeded under the reference key layout
//! with unsigned, well-formed JWTs that expire in a year; the same set-up as
//! `xtask/peers/node-clients/current_session.js` gives Amplify JS. Prints the mean time
//! per call of each run and their median, in microseconds.
//!
//! `refresh`: signs in once (USER_PASSWORD_AUTH, raw HTTP) for a real refresh token; then,
//! per run, a new `Auth` over a memory store holding that refresh token and the id and
//! access tokens rewritten to have expired an hour ago, and `--concurrency` concurrent
//! `current_session()` calls. Reports the refresh calls the server saw (the `refreshes`
//! count of `userpool-countproxy` at `--counts`, by either refresh API, read before and
//! after), the other calls, and the time until every call had its tokens.

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use userpool::Auth;
use userpool_storage::{Keys, MemoryStore, Storage};

use userpool_bench::args::Args;
use userpool_bench::cognito::{self, Api};
use userpool_bench::http::{Client, Endpoint};
use userpool_bench::{jwt, stats};

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn main() {
    let mut argv = std::env::args().skip(1);
    let command = argv.next().unwrap_or_default();
    let args = Args::parse(argv);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let local = tokio::task::LocalSet::new();
    let result = match command.as_str() {
        "session" => local.block_on(&rt, session(&args)),
        "refresh" => local.block_on(&rt, refresh(&args)),
        _ => {
            eprintln!(
                "usage: userpool-bench-client session [ITERATIONS] [RUNS] | refresh --endpoint URL ..."
            );
            std::process::exit(2);
        }
    };
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("userpool-bench-client {command}: {e}");
            std::process::exit(1);
        }
    }
}

/// Writes a signed-in session under the reference key layout.
async fn seed(
    store: &dyn Storage,
    client_id: &str,
    username: &str,
    id: &str,
    access: &str,
    refresh: &str,
) -> Result<(), String> {
    let keys = Keys::new(client_id);
    let user = keys.user(username);
    let (last, id_key, access_key, refresh_key, drift_key) = (
        keys.last_auth_user(),
        user.id_token(),
        user.access_token(),
        user.refresh_token(),
        user.clock_drift(),
    );
    store
        .set_many(&[
            (last.as_str(), username),
            (id_key.as_str(), id),
            (access_key.as_str(), access),
            (refresh_key.as_str(), refresh),
            (drift_key.as_str(), "0"),
        ])
        .await
        .map_err(|e| format!("seeding the store: {e}"))
}

fn build_auth(
    pool_id: &str,
    client_id: &str,
    endpoint: &str,
    store: Arc<MemoryStore>,
) -> Result<Auth, String> {
    Auth::builder()
        .user_pool_id(pool_id)
        .client_id(client_id)
        .region("us-east-1")
        .endpoint(endpoint)
        .storage(store)
        .build()
        .map_err(|e| format!("building Auth: {e}"))
}

async fn session(args: &Args) -> Result<Value, String> {
    let iterations: usize = args
        .positional
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let runs: usize = args
        .positional
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let pool_id = "us-east-1_BenchPool";
    let client_id = "benchclient0123456789abcdef";
    let username = "bench-user";
    let sub = "2f0b7c2e-7a51-4a4b-9a87-4c1f0e6d5b3a";
    let exp = now_secs() + 365 * 24 * 3600;
    let (id, access) = jwt::tokens(pool_id, client_id, username, sub, exp);
    let store = Arc::new(MemoryStore::new());
    seed(
        store.as_ref(),
        client_id,
        username,
        &id,
        &access,
        "bench-refresh-token",
    )
    .await?;
    // A closed port on this machine: a call that went to the network fails the run.
    let auth = build_auth(pool_id, client_id, "http://127.0.0.1:9", store)?;

    let first = auth
        .current_session()
        .await
        .map_err(|e| format!("current_session: {e}"))?;
    if first.access_token().exp() != exp {
        return Err("current_session did not return the seeded session".into());
    }
    for _ in 0..iterations.min(10_000) {
        std::hint::black_box(auth.current_session().await.map_err(|e| e.to_string())?);
    }
    let mut per_op = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(auth.current_session().await.map_err(|e| e.to_string())?);
        }
        per_op.push(t0.elapsed().as_secs_f64() * 1e6 / iterations as f64);
    }
    Ok(json!({
        "impl": "userpool",
        "version": env!("CARGO_PKG_VERSION"),
        "runtime": "rust (release), tokio current_thread",
        "unit": "us",
        "per_op_us": per_op,
        "median_us": stats::median(&per_op),
        "iterations": iterations,
        "runs": runs,
    }))
}

/// The refresh calls counted so far by the proxy.
/// The proxy's counts, or `None` without a proxy.
async fn proxy_counts(counts: &mut Option<Client>) -> Result<Option<Value>, String> {
    let Some(client) = counts.as_mut() else {
        return Ok(None);
    };
    let r = client
        .request("GET", "/__counts", &[], b"")
        .await
        .map_err(|e| format!("reading the proxy's counts: {e}"))?;
    serde_json::from_slice(&r.body)
        .map(Some)
        .map_err(|e| format!("proxy counts: {e}"))
}

/// What reached the server between two readings of the proxy's counts: the refresh calls
/// (by either API), and every other call by label, so that a refresh counted under a
/// label the proxy does not know shows up instead of vanishing.
fn calls_between(before: &Value, after: &Value) -> (u64, Map<String, Value>) {
    let get = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let refreshes = get(after, "refreshes").saturating_sub(get(before, "refreshes"));
    let mut other = Map::new();
    if let Some(labels) = after.as_object() {
        for (label, n) in labels {
            let Some(n) = n.as_u64() else { continue };
            let d = n.saturating_sub(get(before, label));
            if d > 0
                && !matches!(label.as_str(), "total" | "refreshes")
                && !cognito::is_refresh(label)
            {
                other.insert(label.clone(), json!(d));
            }
        }
    }
    (refreshes, other)
}

async fn refresh(args: &Args) -> Result<Value, String> {
    let endpoint_url = args.required("endpoint").to_owned();
    let endpoint = Endpoint::parse(&endpoint_url).map_err(|e| e.to_string())?;
    let pool_id = args.required("pool-id").to_owned();
    let client_id = args.required("client-id").to_owned();
    let username = args.required("username").to_owned();
    let password = args.required("password").to_owned();
    let concurrency: usize = args.num("concurrency", 1000).max(1);
    let runs: usize = args.num("runs", 5).max(1);
    let mut counts = match args.get("counts") {
        Some(url) => Some(Client::new(
            Endpoint::parse(url).map_err(|e| e.to_string())?,
        )),
        None => None,
    };

    let mut api = Api::new(endpoint.clone());
    let result = cognito::sign_in_password(&mut api, &client_id, &username, &password)
        .await
        .map_err(|e| format!("sign-in for a refresh token: {e}"))?;
    let s = |k: &str| result.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(id), Some(access), Some(refresh_token)) =
        (s("IdToken"), s("AccessToken"), s("RefreshToken"))
    else {
        return Err(format!("the sign-in answer lacks tokens: {result}"));
    };

    let mut per_run = Vec::new();
    let (mut calls, mut times) = (Vec::new(), Vec::new());
    let mut errors_total = 0u64;
    let mut first_error: Option<String> = None;
    for _ in 0..runs {
        let expired = now_secs() - 3600;
        let id_old = jwt::with_exp(&id, expired).ok_or("the id token is not a JWT")?;
        let access_old = jwt::with_exp(&access, expired).ok_or("the access token is not a JWT")?;
        let store = Arc::new(MemoryStore::new());
        seed(
            store.as_ref(),
            &client_id,
            &username,
            &id_old,
            &access_old,
            &refresh_token,
        )
        .await?;
        let auth = Rc::new(build_auth(&pool_id, &client_id, &endpoint_url, store)?);

        let before = proxy_counts(&mut counts).await?;
        let t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let auth = Rc::clone(&auth);
            tasks.spawn_local(async move {
                let r = auth.current_session().await;
                (
                    r.map(|s| s.access_token().exp()).map_err(|e| e.to_string()),
                    t0.elapsed(),
                )
            });
        }
        let mut errors = 0u64;
        let mut last_done = t0.elapsed();
        let floor = now_secs();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((Ok(exp), done)) if exp > floor => last_done = last_done.max(done),
                Ok((Ok(exp), _)) => {
                    errors += 1;
                    first_error.get_or_insert_with(|| {
                        format!("a session that expires at {exp}, in the past")
                    });
                }
                Ok((Err(e), _)) => {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    errors += 1;
                    first_error.get_or_insert_with(|| format!("task: {e}"));
                }
            }
        }
        let elapsed_ms = last_done.as_secs_f64() * 1000.0;
        let after = proxy_counts(&mut counts).await?;
        let (seen, other_calls) = match (before, after) {
            (Some(b), Some(a)) => {
                let (n, other) = calls_between(&b, &a);
                (Some(n), Value::Object(other))
            }
            _ => (None, Value::Null),
        };
        if let Some(n) = seen {
            calls.push(n as f64);
        }
        times.push(elapsed_ms);
        errors_total += errors;
        per_run.push(json!({
            "refresh_calls": seen,
            "other_calls": other_calls,
            "all_done_ms": elapsed_ms,
            "errors": errors,
        }));
    }
    Ok(json!({
        "impl": "userpool",
        "concurrency": concurrency,
        "refresh_calls": if calls.is_empty() { Value::Null } else { json!(stats::median(&calls)) },
        "refresh_calls_max": calls.iter().copied().fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
        "all_done_ms": stats::median(&times),
        "errors": errors_total,
        "first_error": first_error,
        "runs": per_run,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// userpool refreshes with GetTokensFromRefreshToken: a run that made one such call
    /// made one refresh (the count once read only InitiateAuth's, and saw none).
    #[test]
    fn a_get_tokens_from_refresh_token_call_is_a_refresh() {
        let before = json!({"InitiateAuth:USER_PASSWORD_AUTH": 1, "total": 1, "refreshes": 0});
        let after = json!({
            "InitiateAuth:USER_PASSWORD_AUTH": 1, "GetTokensFromRefreshToken": 1,
            "GetUser": 2, "total": 4, "refreshes": 1,
            "refresh_labels": cognito::REFRESH_LABELS,
        });
        let (refreshes, other) = calls_between(&before, &after);
        assert_eq!(refreshes, 1);
        assert_eq!(Value::Object(other), json!({"GetUser": 2}));
    }
}
