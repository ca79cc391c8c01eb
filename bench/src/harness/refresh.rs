//! 1,000 concurrent session requests at expiry: how many refresh calls reach the server
//! (counted by `userpool-countproxy`) and the time until every caller has tokens.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Map, Value, json};

use super::peers::BenchPeers;
use super::process::{json_of, node, num, pinned};
use super::servers::{ServerKind, loadgen_setup, spawn_proxy, wait_ready};
use super::{AMPLIFY, LOCAL, Params, Programs, program};

pub(super) fn concurrent_refresh(
    p: &Params,
    peers: &BenchPeers,
    programs: &Programs,
    out_dir: &Path,
) -> Result<Value> {
    eprintln!(
        "\n== concurrent_refresh: {} concurrent session requests at expiry",
        p.refresh_concurrency
    );
    let loadgen = program(&programs.loadgen, "userpool-loadgen")?;
    let proxy_bin = program(&programs.countproxy, "userpool-countproxy")?;
    let mut notes = Vec::new();
    let kind = match program(&programs.local, LOCAL) {
        Ok(bin) => ServerKind::Local(bin),
        Err(e) => {
            notes.push(format!(
                "userpool-local is not available ({e:#}); the refresh server is moto instead"
            ));
            ServerKind::Moto(peers.moto_server.clone())
        }
    };
    let mut server = kind.spawn(out_dir, "refresh")?;
    wait_ready(&mut server, Instant::now(), Duration::from_secs(60))?;
    let mut proxy = spawn_proxy(&proxy_bin, &server.url(), out_dir)?;
    let proxy_url = proxy.url();
    let counts_url = format!("{proxy_url}/__counts");
    let setup = loadgen_setup(&loadgen, &server.url(), 2)?;
    let s = |k: &str| {
        setup
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let user = |i: usize| {
        setup["usernames"]
            .get(i)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (pool_id, client_id, password) = (s("pool_id"), s("client_id"), s("password"));
    let common = |c: &mut Command, username: String| {
        c.args([
            "--endpoint",
            &proxy_url,
            "--pool-id",
            &pool_id,
            "--client-id",
            &client_id,
        ])
        .args([
            "--username",
            &username,
            "--password",
            &password,
            "--counts",
            &counts_url,
        ])
        .args([
            "--concurrency",
            &p.refresh_concurrency.to_string(),
            "--runs",
            &p.runs.to_string(),
        ]);
    };
    let ours = program(&programs.bench_client, "userpool-bench-client").and_then(|bin| {
        let mut c = pinned(0, bin);
        c.arg("refresh");
        common(&mut c, user(0));
        json_of("userpool (userpool-bench-client refresh)", &mut c)
    });
    let amplify = {
        let mut c = node(peers, "concurrent_refresh.js", Some(0));
        common(&mut c, user(1));
        json_of(AMPLIFY, &mut c)
    };
    proxy.stop();
    server.stop();

    let mut medians = Map::new();
    let mut details = Map::new();
    let mut errors = Map::new();
    let mut out = Map::new();
    out.insert(
        "unit".into(),
        json!("refresh calls that reached the server; ms until every request had its tokens"),
    );
    out.insert("server".into(), json!(kind.name()));
    out.insert("concurrency".into(), json!(p.refresh_concurrency));
    let summary = |v: &Value| -> Result<Value> {
        Ok(json!({
            "refresh_calls": num(v, "refresh_calls")?,
            "refresh_calls_max": v.get("refresh_calls_max").cloned().unwrap_or(Value::Null),
            "all_done_ms": num(v, "all_done_ms")?,
            "errors": v.get("errors").cloned().unwrap_or(Value::Null),
        }))
    };
    let ours_summary = match &ours {
        Ok(v) => {
            let sm = summary(v)?;
            out.insert(
                "userpool_exactly_one_refresh".into(),
                json!(
                    v.get("refresh_calls_max").and_then(Value::as_f64) == Some(1.0)
                        && v.get("errors").and_then(Value::as_u64) == Some(0)
                ),
            );
            medians.insert("userpool".into(), sm.clone());
            details.insert("userpool".into(), v.clone());
            Some(sm)
        }
        Err(e) => {
            errors.insert("userpool".into(), json!(format!("{e:#}")));
            None
        }
    };
    match &amplify {
        Ok(v) => {
            let sm = summary(v)?;
            if let Some(o) = &ours_summary {
                let t = sm["all_done_ms"].as_f64().unwrap_or(f64::NAN)
                    / o["all_done_ms"].as_f64().unwrap_or(f64::NAN);
                let c = sm["refresh_calls"].as_f64().unwrap_or(f64::NAN)
                    / o["refresh_calls"].as_f64().unwrap_or(f64::NAN);
                out.insert(format!("ratio_vs_{AMPLIFY}"), json!(t));
                out.insert(
                    format!("ratios_by_metric_vs_{AMPLIFY}"),
                    json!({ "all_done_ms": t, "refresh_calls": c }),
                );
            }
            medians.insert(AMPLIFY.into(), sm);
            details.insert(AMPLIFY.into(), v.clone());
        }
        Err(e) => {
            errors.insert(AMPLIFY.into(), json!(format!("{e:#}")));
        }
    }
    out.insert("medians".into(), Value::Object(medians));
    if !errors.is_empty() {
        out.insert("errors".into(), Value::Object(errors));
    }
    if !notes.is_empty() {
        out.insert("notes".into(), json!(notes));
    }
    out.insert("details".into(), Value::Object(details));
    Ok(Value::Object(out))
}
