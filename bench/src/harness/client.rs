//! The client measurements: the SRP work of one sign-in, and `current_session` with a
//! valid session, beside the JavaScript and Python clients.

use std::process::Command;

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use super::peers::BenchPeers;
use super::process::{json_of, node, num};
use super::{AMPLIFY, JS_CLIENT, PYCOGNITO, Params, Programs, program, root};

// ---------------------------------------------------------------------------------------
// 1. Client SRP work per sign-in

pub(super) fn srp_sign_in(p: &Params, peers: &BenchPeers, programs: &Programs) -> Result<Value> {
    eprintln!("\n== srp_sign_in: client SRP work per sign-in");
    let vectors = root().join("crates/userpool-srp/tests/vectors/srp.jsonl");
    if !vectors.exists() {
        bail!("{} is missing", vectors.display());
    }
    let runs = p.runs.to_string();
    let ours = program(&programs.bench_srp, "userpool-bench-srp").and_then(|bin| {
        json_of(
            "userpool (userpool-bench-srp)",
            Command::new(bin)
                .arg(&vectors)
                .arg(p.srp_iters_rust.to_string())
                .arg(&runs),
        )
    });
    let js = json_of(
        JS_CLIENT,
        node(peers, "srp.js", None)
            .arg(&vectors)
            .arg(p.srp_iters_js.to_string())
            .arg(&runs),
    );
    let py = json_of(
        PYCOGNITO,
        Command::new(&peers.pycognito_python)
            .arg(&peers.pycognito_script)
            .arg(&vectors)
            .arg(p.srp_iters_py.to_string())
            .arg(&runs),
    );
    ratios_lower_is_better(
        "ms per sign-in (A, then the password claim signature)",
        "userpool",
        ours,
        vec![(JS_CLIENT, js), (PYCOGNITO, py)],
        "median_ms",
        Some((JS_CLIENT, 20.0)),
    )
}

/// Builds `{unit, medians, ratio_vs_<peer>, target, details}` for a time where lower is
/// better: the ratio is peer / userpool.
pub(super) fn ratios_lower_is_better(
    unit: &str,
    ours_name: &str,
    ours: Result<Value>,
    peers: Vec<(&str, Result<Value>)>,
    key: &str,
    target: Option<(&str, f64)>,
) -> Result<Value> {
    let mut medians = Map::new();
    let mut details = Map::new();
    let mut errors = Map::new();
    let ours_value = match &ours {
        Ok(v) => {
            details.insert(ours_name.into(), v.clone());
            let m = num(v, key)?;
            medians.insert(ours_name.into(), json!(m));
            Some(m)
        }
        Err(e) => {
            errors.insert(ours_name.into(), json!(format!("{e:#}")));
            None
        }
    };
    let mut out = Map::new();
    out.insert("unit".into(), json!(unit));
    out.insert("lower_is_better".into(), json!(true));
    for (name, r) in peers {
        match r {
            Ok(v) => {
                let m = num(&v, key)?;
                medians.insert(name.into(), json!(m));
                details.insert(name.into(), v);
                if let Some(o) = ours_value {
                    out.insert(format!("ratio_vs_{name}"), json!(m / o));
                }
            }
            Err(e) => {
                errors.insert(name.into(), json!(format!("{e:#}")));
            }
        }
    }
    if let Some((peer, min)) = target {
        let ratio = out.get(&format!("ratio_vs_{peer}")).and_then(Value::as_f64);
        out.insert(
            "target".into(),
            json!({ "vs": peer, "min_ratio": min, "ratio": ratio, "met": ratio.map(|r| r >= min) }),
        );
    }
    out.insert("medians".into(), Value::Object(medians));
    if !errors.is_empty() {
        out.insert("errors".into(), Value::Object(errors));
    }
    out.insert("details".into(), Value::Object(details));
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------------------
// 2. current_session with a valid session

pub(super) fn current_session(
    p: &Params,
    peers: &BenchPeers,
    programs: &Programs,
) -> Result<Value> {
    eprintln!("\n== current_session: a valid session, no network");
    let runs = p.runs.to_string();
    let ours = program(&programs.bench_client, "userpool-bench-client").and_then(|bin| {
        json_of(
            "userpool (userpool-bench-client session)",
            Command::new(bin)
                .arg("session")
                .arg(p.session_iters_rust.to_string())
                .arg(&runs),
        )
    });
    let amplify = json_of(
        AMPLIFY,
        node(peers, "current_session.js", None)
            .arg(p.session_iters_js.to_string())
            .arg(&runs),
    );
    ratios_lower_is_better(
        "µs per call",
        "userpool",
        ours,
        vec![(AMPLIFY, amplify)],
        "median_us",
        Some((AMPLIFY, 100.0)),
    )
}
