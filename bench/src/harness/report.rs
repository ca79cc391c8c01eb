//! The report: the text table and the chart of `target/bench/report.{txt,png}`.

use std::path::Path;

use anyhow::Result;
use serde_json::{Map, Value};

use super::chart::{self, Bar, Panel};
use super::process::tail;
use super::{AMPLIFY, AWS_JWT_VERIFY, COGNITO_LOCAL, JS_CLIENT, LOCAL, LOCAL_MEM, MOTO, PYCOGNITO};

pub(super) fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 100.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A count: no decimals when whole.
pub(super) fn fmt_count(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        fmt_num(v)
    }
}

/// "userpool 3.2x better" or, below 1, "userpool 1.9x worse".
pub(super) fn better_or_worse(r: f64) -> String {
    if r >= 1.0 {
        format!("userpool {}x better", fmt_num(r))
    } else {
        format!("userpool {}x worse", fmt_num(1.0 / r))
    }
}

pub(super) fn fmt_ratio(v: Option<f64>) -> String {
    match v {
        Some(r) if r.is_finite() => format!("{}x", fmt_num(r)),
        _ => "-".into(),
    }
}

pub(super) fn version_of(report: &Value, name: &str) -> String {
    report["peers"]
        .get(name)
        .and_then(Value::as_str)
        .map(|v| format!("{name} {v}"))
        .unwrap_or_else(|| name.to_owned())
}

pub(super) fn header_lines(report: &Value) -> Vec<String> {
    let m = &report["machine"];
    vec![
        format!(
            "machine: {} cores ({}), {} GiB; load at start {}; {}",
            m["nproc"],
            m["cpu"].as_str().unwrap_or("?"),
            m["memory_gib"],
            m["loadavg_at_start"].as_str().unwrap_or("?"),
            m["rustc"].as_str().unwrap_or("?"),
        ),
        format!(
            "peers: {}",
            [
                JS_CLIENT,
                AMPLIFY,
                PYCOGNITO,
                MOTO,
                COGNITO_LOCAL,
                AWS_JWT_VERIFY
            ]
            .iter()
            .map(|n| version_of(report, n))
            .collect::<Vec<_>>()
            .join(", ")
        ),
        format!(
            "medians over {} runs{}; ratio = how many times better userpool is (>1: userpool better)",
            report["settings"]["runs"],
            if report["settings"]["quick"].as_bool() == Some(true) {
                " (--quick)"
            } else {
                ""
            }
        ),
    ]
}

/// The entries of a `medians` object, userpool first.
pub(super) fn ordered(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<(&String, &Value)> = m.iter().collect();
    v.sort_by_key(|(k, _)| (k.as_str() != "userpool", k.as_str()));
    v
}

pub(super) fn table(report: &Value) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut push = |a: &str, b: String, c: String, d: String| rows.push([a.to_owned(), b, c, d]);
    let error_rows =
        |push: &mut dyn FnMut(&str, String, String, String), section: &str, v: &Value| {
            if let Some(e) = v.get("error").and_then(Value::as_str) {
                push(section, "(failed)".into(), tail(e, 90), String::new());
            }
            if let Some(errs) = v.get("errors").and_then(Value::as_object) {
                for (k, e) in errs {
                    push(
                        section,
                        k.clone(),
                        "(failed)".into(),
                        tail(e.as_str().unwrap_or(""), 70),
                    );
                }
            }
        };

    for (key, title, unit, target_peer) in [
        (
            "srp_sign_in",
            "srp_sign_in (client SRP per sign-in)",
            "ms",
            Some(JS_CLIENT),
        ),
        (
            "current_session",
            "current_session (valid session)",
            "µs",
            Some(AMPLIFY),
        ),
        (
            "verify",
            "verify, signature path (token cache off; one core, warm JWKS)",
            "verifications/s",
            Some(AWS_JWT_VERIFY),
        ),
        (
            "verify_token_cache",
            "verify, token cache hits (same tokens again; one core)",
            "verifications/s",
            Some(AWS_JWT_VERIFY),
        ),
    ] {
        let v = &report[key];
        if v.is_null() {
            continue;
        }
        error_rows(&mut push, title, v);
        if let Some(m) = v.get("medians").and_then(Value::as_object) {
            for (name, val) in ordered(m) {
                let ratio = if name == "userpool" {
                    String::new()
                } else {
                    let r = v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64);
                    let mut s = fmt_ratio(r);
                    // A row may have several targets (`targets`, one per peer) or one.
                    let t = v
                        .get("targets")
                        .and_then(Value::as_array)
                        .and_then(|ts| ts.iter().find(|t| t["vs"].as_str() == Some(name)))
                        .or_else(|| {
                            v.get("target")
                                .filter(|_| Some(name.as_str()) == target_peer)
                        });
                    if let Some(t) = t {
                        let met = match t["met"].as_bool() {
                            Some(true) => "met",
                            Some(false) => "NOT met",
                            None => "?",
                        };
                        s = format!("{s} (target ≥{}x: {met})", t["min_ratio"]);
                    }
                    s
                };
                let label = if name == "userpool" {
                    name.clone()
                } else {
                    version_of(report, name)
                };
                push(
                    title,
                    label,
                    format!("{} {unit}", fmt_num(val.as_f64().unwrap_or(f64::NAN))),
                    ratio,
                );
            }
        }
    }

    let v = &report["concurrent_refresh"];
    if !v.is_null() {
        let title = format!(
            "concurrent_refresh ({} at expiry, server {})",
            v["concurrency"],
            v["server"].as_str().unwrap_or("?")
        );
        error_rows(&mut push, &title, v);
        if let Some(m) = v.get("medians").and_then(Value::as_object) {
            for (name, val) in ordered(m) {
                let ratio = if name == "userpool" {
                    match v
                        .get("userpool_exactly_one_refresh")
                        .and_then(Value::as_bool)
                    {
                        Some(true) => "exactly 1 refresh: yes".into(),
                        Some(false) => "exactly 1 refresh: NO".into(),
                        None => String::new(),
                    }
                } else {
                    fmt_ratio(v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64))
                };
                let label = if name == "userpool" {
                    name.clone()
                } else {
                    version_of(report, name)
                };
                push(
                    &title,
                    label,
                    format!(
                        "{} refresh call(s), all done in {} ms",
                        fmt_count(val["refresh_calls"].as_f64().unwrap_or(f64::NAN)),
                        fmt_num(val["all_done_ms"].as_f64().unwrap_or(f64::NAN))
                    ),
                    ratio,
                );
            }
        }
    }

    let v = &report["server_sign_ins"];
    if !v.is_null() {
        let title = "server_sign_ins (loopback)";
        error_rows(&mut push, title, v);
        if let Some(m) = v.get("medians").and_then(Value::as_object) {
            for name in [LOCAL, LOCAL_MEM, MOTO, COGNITO_LOCAL] {
                let Some(val) = m.get(name) else { continue };
                let f = |k: &str| val.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
                let label = if name == LOCAL || name == LOCAL_MEM {
                    name.to_owned()
                } else {
                    version_of(report, name)
                };
                push(
                    title,
                    label,
                    format!(
                        "{} sign-ins/s, server CPU {} ms each, p50 {} ms, p99 {} ms; start {} ms; RSS {} MiB",
                        fmt_num(f("signins_per_sec")),
                        fmt_num(f("server_cpu_ms_per_signin")),
                        fmt_num(f("p50_ms")),
                        fmt_num(f("p99_ms")),
                        fmt_num(f("startup_ms")),
                        fmt_num(f("rss_after_load_mib")),
                    ),
                    if name == LOCAL {
                        String::new()
                    } else if name == LOCAL_MEM {
                        "(variant: --in-memory)".into()
                    } else {
                        let r = |k: &str| {
                            v.get(format!("ratios_by_metric_vs_{name}"))
                                .and_then(|o| o.get(k))
                                .and_then(Value::as_f64)
                        };
                        format!(
                            "{} throughput, {} start-up, {} memory",
                            fmt_ratio(r("signins_per_sec")),
                            fmt_ratio(r("startup_ms")),
                            fmt_ratio(r("rss_after_load_mib"))
                        )
                    },
                );
                if name == LOCAL {
                    if val.get("srp_signins_per_sec").is_some() {
                        push(
                            title,
                            format!("{LOCAL} (USER_SRP_AUTH)"),
                            format!(
                                "{} sign-ins/s, server CPU {} ms each, p50 {} ms, p99 {} ms",
                                fmt_num(f("srp_signins_per_sec")),
                                fmt_num(f("srp_server_cpu_ms_per_signin")),
                                fmt_num(f("srp_p50_ms")),
                                fmt_num(f("srp_p99_ms")),
                            ),
                            {
                                // no peer has real SRP: set against moto's password sign-ins
                                let r = |k: &str| {
                                    v.get(format!("srp_vs_{MOTO}_password"))
                                        .and_then(|o| o.get(k))
                                        .and_then(Value::as_f64)
                                };
                                format!(
                                    "vs moto's password sign-ins: {} by rate, {} by server CPU (target ≥1.0x)",
                                    fmt_ratio(r("by_rate")),
                                    fmt_ratio(r("by_server_cpu"))
                                )
                            },
                        );
                    } else if let Some(e) = val.get("srp_error").and_then(Value::as_str) {
                        push(
                            title,
                            format!("{LOCAL} (USER_SRP_AUTH)"),
                            "(failed)".into(),
                            tail(e, 70),
                        );
                    }
                }
            }
        }
    }

    if let Some(c) = v.get("crypto_ceiling") {
        let title = "server_sign_ins (loopback)";
        let g = |path: &[&str]| {
            path.iter()
                .try_fold(c, |o, k| o.get(*k))
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        let fr = |k: &str| {
            v.get("fraction_of_ceiling")
                .and_then(|o| o.get(k))
                .and_then(Value::as_f64)
        };
        push(
            title,
            "crypto ceiling (1 thread)".into(),
            format!(
                "password {} /s, SRP {} /s",
                fmt_num(g(&["one_thread", "password_median_per_sec"])),
                fmt_num(g(&["one_thread", "srp_median_per_sec"])),
            ),
            {
                let pct = |f: Option<f64>| match f {
                    Some(f) if f.is_finite() => format!("{:.0}%", f * 100.0),
                    _ => "-".into(),
                };
                format!(
                    "the server reaches {} of it for password sign-ins (target ≥80%), {} for SRP",
                    pct(fr("password")),
                    pct(fr("srp"))
                )
            },
        );
        push(
            title,
            "crypto ceiling (2 threads)".into(),
            format!(
                "password {} /s, SRP {} /s",
                fmt_num(g(&["two_threads", "password_median_per_sec"])),
                fmt_num(g(&["two_threads", "srp_median_per_sec"])),
            ),
            format!(
                "{} and {} of one thread (target ≥1.8x)",
                fmt_ratio(g(&["scaling_two_vs_one", "password"]).into()),
                fmt_ratio(g(&["scaling_two_vs_one", "srp"]).into())
            ),
        );
    }

    if let Some(sc) = v.get("server_scaling") {
        let title = "server_sign_ins (loopback)";
        let g = |path: &[&str]| {
            path.iter()
                .try_fold(sc, |o, k| o.get(*k))
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        push(
            title,
            format!("{LOCAL} on 1 core / 2 cores"),
            format!(
                "{} / {} sign-ins/s, server CPU {} / {} ms each",
                fmt_num(g(&["one_core", "signins_per_sec"])),
                fmt_num(g(&["two_cores", "signins_per_sec"])),
                fmt_num(g(&["one_core", "server_cpu_ms_per_signin"])),
                fmt_num(g(&["two_cores", "server_cpu_ms_per_signin"])),
            ),
            format!(
                "2 cores: {} by rate (the load generator shares them), {} by server CPU (target ≥1.8x)",
                fmt_ratio(g(&["by_rate"]).into()),
                fmt_ratio(g(&["by_capacity"]).into())
            ),
        );
    }

    let mut widths = [0usize; 4];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::from("userpool peer benchmarks\n");
    for l in header_lines(report) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let heads = [
        "measurement",
        "implementation",
        "median",
        "ratio (userpool vs peer)",
    ];
    let line: Vec<String> = heads
        .iter()
        .zip(widths)
        .map(|(h, w)| pad(h, w.max(h.len())))
        .collect();
    out.push_str(line.join("  ").trim_end());
    out.push('\n');
    let mut last = String::new();
    for r in &rows {
        let first = if r[0] == last {
            String::new()
        } else {
            r[0].clone()
        };
        last = r[0].clone();
        let cells = [first, r[1].clone(), r[2].clone(), r[3].clone()];
        let line: Vec<String> = cells
            .iter()
            .zip(widths)
            .zip(heads)
            .map(|((c, w), h)| pad(c, w.max(h.len())))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn write_chart(report: &Value, path: &Path) -> Result<()> {
    let mut panels = Vec::new();
    let bars_of = |v: &Value, unit: &str, order: &[&str]| -> Vec<Bar> {
        let mut bars = Vec::new();
        for name in order {
            let val = v["medians"].get(*name).and_then(Value::as_f64);
            let failed = v.get("errors").and_then(|e| e.get(*name)).is_some();
            if val.is_none() && !failed {
                continue;
            }
            let ratio = v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64);
            let text = match (val, ratio) {
                (Some(x), Some(r)) => {
                    format!("{} {unit} ({})", fmt_num(x), better_or_worse(r))
                }
                (Some(x), None) => format!("{} {unit}", fmt_num(x)),
                (None, _) => "failed".into(),
            };
            bars.push(Bar {
                label: if *name == "userpool" {
                    (*name).to_owned()
                } else {
                    version_of(report, name)
                },
                value: val,
                text,
                ours: *name == "userpool",
            });
        }
        bars
    };
    let v = &report["srp_sign_in"];
    if v.get("medians").is_some() {
        panels.push(Panel {
            title: "Client SRP work per sign-in - ms, lower is better".into(),
            bars: bars_of(v, "ms", &["userpool", JS_CLIENT, PYCOGNITO]),
        });
    }
    let v = &report["current_session"];
    if v.get("medians").is_some() {
        panels.push(Panel {
            title: "current_session with a valid session - us per call, lower is better".into(),
            bars: bars_of(v, "us", &["userpool", AMPLIFY]),
        });
    }
    let v = &report["verify"];
    if v.get("medians").is_some() {
        panels.push(Panel {
            title: "Token verifications per second, one core, signature path (userpool's token cache off) - higher is better"
                .into(),
            bars: bars_of(v, "/s", &["userpool", AWS_JWT_VERIFY]),
        });
    }
    let v = &report["verify_token_cache"];
    if v.get("medians").is_some() {
        panels.push(Panel {
            title: "Token verifications per second, one core, userpool's token cache hits (same tokens again) - higher is better"
                .into(),
            bars: bars_of(v, "/s", &["userpool", AWS_JWT_VERIFY]),
        });
    }
    let v = &report["concurrent_refresh"];
    if let Some(m) = v.get("medians").and_then(Value::as_object) {
        let mut bars = Vec::new();
        for name in ["userpool", AMPLIFY] {
            let Some(x) = m.get(name) else { continue };
            let ms = x["all_done_ms"].as_f64();
            bars.push(Bar {
                label: if name == "userpool" {
                    name.to_owned()
                } else {
                    version_of(report, name)
                },
                value: ms,
                text: {
                    let mut t = format!(
                        "{} ms, {} refresh call(s)",
                        fmt_num(ms.unwrap_or(f64::NAN)),
                        fmt_count(x["refresh_calls"].as_f64().unwrap_or(f64::NAN))
                    );
                    if let Some(r) = v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64) {
                        t.push_str(&format!(" ({})", better_or_worse(r)));
                    }
                    t
                },
                ours: name == "userpool",
            });
        }
        panels.push(Panel {
            title: format!(
                "{} concurrent session requests at expiry - ms until all have tokens, lower is better",
                v["concurrency"]
            ),
            bars,
        });
    }
    let v = &report["server_sign_ins"];
    if let Some(m) = v.get("medians").and_then(Value::as_object) {
        let metric = |key: &str, unit: &str, higher: bool| -> Vec<Bar> {
            let mut bars = Vec::new();
            for name in [LOCAL, LOCAL_MEM, MOTO, COGNITO_LOCAL] {
                let Some(x) = m.get(name).and_then(|x| x.get(key)).and_then(Value::as_f64) else {
                    continue;
                };
                let ours = name == LOCAL || name == LOCAL_MEM;
                let ratio = if ours {
                    None
                } else {
                    m.get(LOCAL)
                        .and_then(|o| o.get(key))
                        .and_then(Value::as_f64)
                        .map(|o| if higher { o / x } else { x / o })
                };
                bars.push(Bar {
                    label: if ours {
                        name.to_owned()
                    } else {
                        version_of(report, name)
                    },
                    value: Some(x),
                    text: match ratio {
                        Some(r) => {
                            format!("{} {unit} ({})", fmt_num(x), better_or_worse(r))
                        }
                        None => format!("{} {unit}", fmt_num(x)),
                    },
                    ours,
                });
            }
            bars
        };
        let mut throughput = metric("signins_per_sec", "/s", true);
        if let Some(x) = m
            .get(LOCAL)
            .and_then(|x| x.get("srp_signins_per_sec"))
            .and_then(Value::as_f64)
        {
            throughput.push(Bar {
                label: format!("{LOCAL} SRP"),
                value: Some(x),
                text: format!("{} /s (USER_SRP_AUTH, no peer)", fmt_num(x)),
                ours: true,
            });
        }
        panels.push(Panel {
            title: "Server sign-ins per second on loopback (USER_PASSWORD_AUTH) - higher is better"
                .into(),
            bars: throughput,
        });
        panels.push(Panel {
            title: "Server start-up, spawn to first answer - ms, lower is better".into(),
            bars: metric("startup_ms", "ms", false),
        });
        panels.push(Panel {
            title: "Server resident memory after the load - MiB, lower is better".into(),
            bars: metric("rss_after_load_mib", "MiB", false),
        });
    }
    let mut footer = Vec::new();
    for (key, v) in report.as_object().into_iter().flatten() {
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            footer.push(format!("{key}: failed: {}", tail(e, 150)));
        }
        if let Some(errs) = v.get("errors").and_then(Value::as_object) {
            for (k, e) in errs {
                footer.push(format!(
                    "{key} / {k}: failed: {}",
                    tail(e.as_str().unwrap_or(""), 150)
                ));
            }
        }
    }
    chart::write_png(
        path,
        "userpool vs peers",
        &header_lines(report),
        &panels,
        &footer,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    #[test]
    fn table_and_chart_render_a_report() {
        let mut peers = BTreeMap::new();
        peers.insert(JS_CLIENT, "6.3.21");
        let report = json!({
            "machine": {"nproc": 2, "cpu": "X", "memory_gib": 24.0, "loadavg_at_start": "0 0 0", "rustc": "r"},
            "peers": peers,
            "settings": {"runs": 3, "quick": true},
            "srp_sign_in": {
                "medians": {"userpool": 2.0, JS_CLIENT: 180.0},
                format!("ratio_vs_{JS_CLIENT}"): 90.0,
                "target": {"min_ratio": 20.0, "met": true},
            },
            "server_sign_ins": {"error": "boom"},
            "verify": {
                "medians": {"userpool": 40000.0, AWS_JWT_VERIFY: 8000.0},
                format!("ratio_vs_{AWS_JWT_VERIFY}"): 5.0,
                "target": {"min_ratio": 3.0, "met": true},
            },
            "verify_token_cache": {
                "medians": {"userpool": 800000.0, AWS_JWT_VERIFY: 8000.0},
                format!("ratio_vs_{AWS_JWT_VERIFY}"): 100.0,
                "target": {"min_ratio": 3.0, "met": true},
            },
        });
        let t = table(&report);
        assert!(t.contains("90.00x (target ≥20.0x: met)"), "{t}");
        assert!(t.contains("boom"), "{t}");
        assert!(t.contains("5.00x (target ≥3.0x: met)"), "{t}");
        assert!(t.contains("verifications/s"), "{t}");
        assert!(t.contains("signature path"), "{t}");
        // fmt_num: one decimal from 100 up.
        assert!(t.contains("100.0x (target ≥3.0x: met)"), "{t}");
        assert!(t.contains("token cache hits"), "{t}");
        let dir = std::env::temp_dir().join(format!("userpool-bench-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write_chart(&report, &dir.join("r.png")).unwrap();
        let png = std::fs::read(dir.join("r.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
