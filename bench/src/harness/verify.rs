//! Token verification: verifications per second on one core with a warm cache,
//! userpool-verify against aws-jwt-verify, over the same real tokens, in two rows.
//!
//! The harness starts the `userpool-local` program, signs users in (USER_PASSWORD_AUTH,
//! one access token per sign-in), reads the pool's JWKS, and writes the tokens, issuer,
//! client and JWKS to `target/bench/verify_tokens.json`. Both verifiers read that file,
//! load the JWKS at start-up (no fetch while timed), check every token once, then verify
//! the N tokens in turn, pinned to core 0 when pinning is possible. aws-jwt-verify has no
//! cache of verified tokens: it checks every token's signature. userpool-verify is
//! measured twice in one program run (`userpool-bench-verify`, runs alternating):
//!
//! - `verify` (the signature path): its token cache off, every verification checks the
//!   RS256 signature, like aws-jwt-verify. The RSA-2048 public-key operation (the same
//!   OpenSSL-class cost in both) dominates both, which bounds this ratio.
//! - `verify_token_cache` (the hit path): the default verifier, its verified-token cache
//!   warm with the same N tokens, so every verification skips the signature and the
//!   decoding and re-runs every claim check: what a service pays for the token of a
//!   session it has seen before.
//!
//! Each row has its ratio against the same aws-jwt-verify run.

use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::{Map, Value, json};

use super::peers::BenchPeers;
use super::process::{json_of, node, num, pinned};
use super::{AWS_JWT_VERIFY, Params, Programs, program};
use crate::local::ServerProcess;
use crate::verify::TokenSet;

/// The target of issue 12: at least this many times aws-jwt-verify's rate.
const TARGET_RATIO: f64 = 3.0;

pub(super) fn verify(
    p: &Params,
    peers: &BenchPeers,
    programs: &Programs,
    out_dir: &Path,
) -> Result<Value> {
    eprintln!("\n== verify: token verifications per second, one core, warm cache");
    program(&programs.local, "userpool-local")?;
    let server = ServerProcess::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let set = rt
        .block_on(TokenSet::from_sign_ins(
            &server.endpoint,
            p.verify_users,
            p.verify_sign_ins_per_user,
        ))
        .context("signing in against the local pool")?;
    drop(server);
    let tokens_file = out_dir.join("verify_tokens.json");
    std::fs::write(&tokens_file, set.to_json().to_string())?;
    let iterations = p.verify_iters.to_string();
    let runs = p.runs.to_string();
    let ours = program(&programs.bench_verify, "userpool-bench-verify").and_then(|bin| {
        json_of(
            "userpool (userpool-bench-verify)",
            pinned(0, bin).arg(&tokens_file).arg(&iterations).arg(&runs),
        )
    });
    let peer = json_of(
        AWS_JWT_VERIFY,
        node(peers, "verify.js", Some(0))
            .arg(&tokens_file)
            .arg(&iterations)
            .arg(&runs),
    );
    two_rows(ours, peer, set.tokens.len())
}

/// `{"signature": row, "token_cache_hits": row}` from the one run of each program: each
/// row is `ratios_higher_is_better` of one of our two measurements against the peer's.
fn two_rows(ours: Result<Value>, peer: Result<Value>, tokens: usize) -> Result<Value> {
    // The errors are kept as text, to give them to both rows.
    let ours = ours.map_err(|e| format!("{e:#}"));
    let peer = peer.map_err(|e| format!("{e:#}"));
    let mut rows = Map::new();
    for (key, what) in [
        (
            "signature",
            "verifications per second (one core, warm JWKS cache; token cache off: every signature checked)",
        ),
        (
            "token_cache_hits",
            "verifications per second (one core, warm JWKS cache; token cache hits: the same tokens again, claims re-checked, signature skipped)",
        ),
    ] {
        let mine = match &ours {
            Ok(v) => v
                .get(key)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("userpool-bench-verify printed no {key:?}")),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        };
        let theirs = peer.clone().map_err(|e| anyhow::anyhow!("{e}"));
        let mut row = ratios_higher_is_better(
            what,
            mine,
            vec![(AWS_JWT_VERIFY, theirs)],
            "median_per_sec",
            Some((AWS_JWT_VERIFY, TARGET_RATIO)),
        )?;
        if let Value::Object(m) = &mut row {
            m.insert("tokens".into(), json!(tokens));
            m.insert("path".into(), json!(key));
        }
        rows.insert(key.into(), row);
    }
    Ok(Value::Object(rows))
}

/// `{unit, medians, ratio_vs_<peer>, target, details, errors}` for a rate where higher is
/// better: the ratio is userpool / peer (the shape `client::ratios_lower_is_better`
/// gives times).
fn ratios_higher_is_better(
    unit: &str,
    ours: Result<Value>,
    peers: Vec<(&str, Result<Value>)>,
    key: &str,
    target: Option<(&str, f64)>,
) -> Result<Value> {
    let mut medians = Map::new();
    let mut details = Map::new();
    let mut errors = Map::new();
    let mut out = Map::new();
    out.insert("unit".into(), json!(unit));
    out.insert("lower_is_better".into(), json!(false));
    let ours_rate = match ours {
        Ok(v) => {
            let rate = num(&v, key)?;
            medians.insert("userpool".into(), json!(rate));
            details.insert("userpool".into(), v);
            Some(rate)
        }
        Err(e) => {
            errors.insert("userpool".into(), json!(format!("{e:#}")));
            None
        }
    };
    for (name, r) in peers {
        match r {
            Ok(v) => {
                let rate = num(&v, key)?;
                medians.insert(name.into(), json!(rate));
                details.insert(name.into(), v);
                if let Some(o) = ours_rate {
                    out.insert(format!("ratio_vs_{name}"), json!(o / rate));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_ratio_is_ours_over_the_peers() {
        let out = ratios_higher_is_better(
            "per s",
            Ok(json!({ "median_per_sec": 300.0 })),
            vec![("peer", Ok(json!({ "median_per_sec": 100.0 })))],
            "median_per_sec",
            Some(("peer", 3.0)),
        )
        .unwrap();
        assert_eq!(out["ratio_vs_peer"], 3.0);
        assert_eq!(out["medians"]["userpool"], 300.0);
        assert_eq!(out["medians"]["peer"], 100.0);
        assert_eq!(out["target"]["met"], true);
        assert_eq!(out["lower_is_better"], false);
        let failed = ratios_higher_is_better(
            "per s",
            Err(anyhow::anyhow!("boom")),
            vec![("peer", Ok(json!({ "median_per_sec": 100.0 })))],
            "median_per_sec",
            Some(("peer", 3.0)),
        )
        .unwrap();
        assert!(failed.get("ratio_vs_peer").is_none());
        assert_eq!(failed["errors"]["userpool"], "boom");
        let slower = ratios_higher_is_better(
            "per s",
            Ok(json!({ "median_per_sec": 200.0 })),
            vec![("peer", Ok(json!({ "median_per_sec": 100.0 })))],
            "median_per_sec",
            Some(("peer", 3.0)),
        )
        .unwrap();
        assert_eq!(slower["target"]["met"], false);
    }

    #[test]
    fn both_rows_are_compared_with_the_same_peer_run() {
        let ours = json!({
            "signature": { "median_per_sec": 50_000.0 },
            "token_cache_hits": { "median_per_sec": 900_000.0 },
        });
        let peer = json!({ "median_per_sec": 30_000.0 });
        let rows = two_rows(Ok(ours), Ok(peer), 7).unwrap();
        let ratio = format!("ratio_vs_{AWS_JWT_VERIFY}");
        let sig = &rows["signature"];
        assert!((sig[&ratio].as_f64().unwrap() - 50.0 / 30.0).abs() < 1e-9);
        assert_eq!(sig["target"]["met"], false);
        assert_eq!(sig["tokens"], 7);
        let hits = &rows["token_cache_hits"];
        assert_eq!(hits[&ratio], 30.0);
        assert_eq!(hits["target"]["met"], true);
        assert_eq!(hits["medians"][AWS_JWT_VERIFY], 30_000.0);

        let failed = two_rows(
            Err(anyhow::anyhow!("no program")),
            Ok(json!({ "median_per_sec": 1.0 })),
            1,
        )
        .unwrap();
        assert_eq!(failed["signature"]["errors"]["userpool"], "no program");
        assert_eq!(
            failed["token_cache_hits"]["errors"]["userpool"],
            "no program"
        );
        let peer_failed = two_rows(
            Ok(json!({ "signature": { "median_per_sec": 1.0 }, "token_cache_hits": { "median_per_sec": 2.0 } })),
            Err(anyhow::anyhow!("node missing")),
            1,
        )
        .unwrap();
        assert_eq!(
            peer_failed["token_cache_hits"]["errors"][AWS_JWT_VERIFY],
            "node missing"
        );
        assert!(peer_failed["token_cache_hits"].get(&ratio).is_none());
    }
}
