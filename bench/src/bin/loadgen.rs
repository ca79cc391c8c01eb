//! The load generator of `cargo xtask bench`: the same client for every server.
//!
//! ```text
//! userpool-loadgen setup  --endpoint URL [--users 100] [--parallel 8]
//! userpool-loadgen signin --endpoint URL [--flow password|srp] [--users 100] [--workers 16]
//!                         [--count 5000] [--max-secs 60] [--warmup 200] [--runs 1]
//!                         [--pool-id ID --client-id ID]
//! ```
//!
//! `setup` creates a pool, an app client and users through the admin API and prints them
//! as JSON. `signin` (after the same set-up, unless given a pool) runs `--workers`
//! concurrent workers, each on its own kept-alive connection, until `--count` sign-ins
//! are done or `--max-secs` have passed, `--runs` times; it prints one JSON object:
//! `{signins_per_sec, p50_ms, p99_ms, errors, runs: [...]}` with the medians over the
//! runs. Single-threaded on purpose: the client's cost stays low and the same for every
//! server (pin it with taskset). Only loopback addresses are accepted.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use userpool_bench::args::Args;
use userpool_bench::cognito::{self, Api, PASSWORD, Setup};
use userpool_bench::http::Endpoint;
use userpool_bench::stats;

const USAGE: &str = "usage: userpool-loadgen setup|signin --endpoint http://127.0.0.1:PORT [options] (see the source's doc)";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Flow {
    Password,
    Srp,
}

fn main() {
    let mut argv = std::env::args().skip(1);
    let command = argv.next().unwrap_or_default();
    let args = Args::parse(argv);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = match command.as_str() {
        "setup" => rt.block_on(setup(&args)),
        "signin" => rt.block_on(signin(&args)),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("userpool-loadgen {command}: {e}");
            std::process::exit(1);
        }
    }
}

fn endpoint(args: &Args) -> Result<Endpoint, String> {
    Endpoint::parse(args.required("endpoint")).map_err(|e| e.to_string())
}

async fn setup(args: &Args) -> Result<Value, String> {
    let endpoint = endpoint(args)?;
    let users: usize = args.num("users", 1);
    let parallel: usize = args.num("parallel", 8);
    let started = Instant::now();
    let s = cognito::setup(&endpoint, users, parallel)
        .await
        .map_err(|e| format!("set-up: {e}"))?;
    let mut v = s.to_json();
    v["setup_s"] = json!(started.elapsed().as_secs_f64());
    Ok(v)
}

/// What one run measured.
struct RunResult {
    signins: u64,
    errors: u64,
    elapsed: Duration,
    latencies_ms: Vec<f64>,
    first_error: Option<String>,
    connects: u64,
}

async fn signin(args: &Args) -> Result<Value, String> {
    let endpoint = endpoint(args)?;
    let flow = match args.get("flow").unwrap_or("password") {
        "password" | "USER_PASSWORD_AUTH" => Flow::Password,
        "srp" | "USER_SRP_AUTH" => Flow::Srp,
        other => return Err(format!("unknown --flow {other}")),
    };
    let users: usize = args.num("users", 100);
    let workers: usize = args.num("workers", 16).max(1);
    let count: u64 = args.num("count", 5000);
    let max_secs: f64 = args.num("max-secs", 60.0);
    let warmup: u64 = args.num("warmup", (count / 10).min(500));
    let runs: usize = args.num("runs", 1).max(1);

    let setup_started = Instant::now();
    let setup = match (args.get("pool-id"), args.get("client-id")) {
        (Some(p), Some(c)) => Setup {
            pool_id: p.to_owned(),
            client_id: c.to_owned(),
            usernames: (0..users).map(cognito::username).collect(),
        },
        _ => cognito::setup(&endpoint, users, 8)
            .await
            .map_err(|e| format!("set-up: {e}"))?,
    };
    let setup_s = setup_started.elapsed().as_secs_f64();
    let setup = Rc::new(setup);

    // Counted so that a caller dividing the server's CPU time by the sign-ins it served
    // (`cargo xtask bench`) counts the warm-up's too.
    let mut warmup_signins = 0;
    if warmup > 0 {
        let w = run(&endpoint, &setup, flow, workers, warmup, max_secs).await;
        warmup_signins = w.signins;
        if w.signins == 0 {
            return Err(format!(
                "no sign-in succeeded during the warm-up ({} errors; first: {})",
                w.errors,
                w.first_error.unwrap_or_default()
            ));
        }
    }
    let mut results = Vec::new();
    for _ in 0..runs {
        results.push(run(&endpoint, &setup, flow, workers, count, max_secs).await);
    }

    let mut per_run = Vec::new();
    let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    let mut errors = 0;
    let mut first_error = None;
    for r in &mut results {
        r.latencies_ms.sort_by(f64::total_cmp);
        let rate = r.signins as f64 / r.elapsed.as_secs_f64().max(1e-9);
        let p50 = stats::percentile_sorted(&r.latencies_ms, 50.0);
        let p99 = stats::percentile_sorted(&r.latencies_ms, 99.0);
        rates.push(rate);
        p50s.push(p50);
        p99s.push(p99);
        errors += r.errors;
        if first_error.is_none() {
            first_error = r.first_error.clone();
        }
        per_run.push(json!({
            "signins": r.signins,
            "errors": r.errors,
            "elapsed_s": r.elapsed.as_secs_f64(),
            "signins_per_sec": rate,
            "p50_ms": p50,
            "p99_ms": p99,
            "connections": r.connects,
        }));
    }
    Ok(json!({
        "flow": match flow { Flow::Password => "USER_PASSWORD_AUTH", Flow::Srp => "USER_SRP_AUTH" },
        "endpoint": endpoint.url(),
        "users": setup.usernames.len(),
        "workers": workers,
        "count": count,
        "warmup_signins": warmup_signins,
        "setup_s": setup_s,
        "signins_per_sec": stats::median(&rates),
        "p50_ms": stats::median(&p50s),
        "p99_ms": stats::median(&p99s),
        "errors": errors,
        "first_error": first_error,
        "runs": per_run,
    }))
}

/// `workers` workers share `count` sign-ins; stops early after `max_secs`.
async fn run(
    endpoint: &Endpoint,
    setup: &Rc<Setup>,
    flow: Flow,
    workers: usize,
    count: u64,
    max_secs: f64,
) -> RunResult {
    let next = Rc::new(Cell::new(0u64));
    let deadline = Instant::now() + Duration::from_secs_f64(max_secs);
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(count as usize)));
    let errors = Rc::new(Cell::new(0u64));
    let first_error: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let connects = Rc::new(Cell::new(0u64));
    let started = Instant::now();
    let local = tokio::task::LocalSet::new();
    for _ in 0..workers {
        let (endpoint, setup, next) = (endpoint.clone(), Rc::clone(setup), Rc::clone(&next));
        let (latencies, errors, first_error, connects) = (
            Rc::clone(&latencies),
            Rc::clone(&errors),
            Rc::clone(&first_error),
            Rc::clone(&connects),
        );
        local.spawn_local(async move {
            let mut api = Api::new(endpoint);
            loop {
                let n = next.get();
                if n >= count || Instant::now() >= deadline {
                    break;
                }
                next.set(n + 1);
                let user = &setup.usernames[(n as usize) % setup.usernames.len().max(1)];
                let t0 = Instant::now();
                let result = match flow {
                    Flow::Password => {
                        cognito::sign_in_password(&mut api, &setup.client_id, user, PASSWORD).await
                    }
                    Flow::Srp => {
                        cognito::sign_in_srp(
                            &mut api,
                            &setup.pool_id,
                            &setup.client_id,
                            user,
                            PASSWORD,
                        )
                        .await
                    }
                };
                match result {
                    Ok(_) => latencies
                        .borrow_mut()
                        .push(t0.elapsed().as_secs_f64() * 1000.0),
                    Err(e) => {
                        errors.set(errors.get() + 1);
                        let mut first = first_error.borrow_mut();
                        if first.is_none() {
                            *first = Some(e.to_string());
                        }
                    }
                }
            }
            connects.set(connects.get() + api.http.connects);
        });
    }
    local.await;
    let elapsed = started.elapsed();
    let latencies_ms = std::mem::take(&mut *latencies.borrow_mut());
    RunResult {
        signins: latencies_ms.len() as u64,
        errors: errors.get(),
        elapsed,
        latencies_ms,
        first_error: first_error.borrow_mut().take(),
        connects: connects.get(),
    }
}
