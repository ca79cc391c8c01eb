//! Tidy checks of the workspace's shape, under plain `cargo test`: the dependency arrows
//! ARCHITECTURE.md promises, where the AWS SDK may appear, what a plain `cargo build`
//! builds, and that ARCHITECTURE.md's code map names every crate.
//!
//! It reads `cargo metadata`, so it checks the manifests as they are, features included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

struct Package {
    name: String,
    dir: String,
    /// Normal (not dev, not build) dependencies, optional ones included.
    normal: BTreeSet<String>,
}

fn packages(meta: &Value) -> Vec<Package> {
    let root = root();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            let dir = manifest
                .parent()
                .unwrap()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let normal = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect();
            Package {
                name: p["name"].as_str().unwrap().to_owned(),
                dir,
                normal,
            }
        })
        .collect()
}

/// The arrows between the workspace's crates that ARCHITECTURE.md allows, with why.
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        // The vocabulary and the arithmetic depend on nothing of ours: they do no I/O and
        // are shared by the client and the local pool.
        ("userpool-types", &[][..]),
        ("userpool-srp", &[][..]),
        // Storage and events know nothing of Cognito calls.
        ("userpool-storage", &[][..]),
        ("userpool-hub", &[][..]),
        // The trait crate: the vocabulary only, no SDK, no HTTP client.
        ("userpool-transport", &["userpool-types"][..]),
        (
            "userpool-transport-sdk",
            &["userpool-types", "userpool-srp", "userpool-transport"][..],
        ),
        // The facade: everything of the client, the SDK transport only behind `sdk`.
        (
            "userpool",
            &[
                "userpool-types",
                "userpool-srp",
                "userpool-storage",
                "userpool-hub",
                "userpool-transport",
                "userpool-transport-sdk",
            ][..],
        ),
        // The local pool shares the wire facts and the SRP, never the client.
        ("userpool-local", &["userpool-types", "userpool-srp"][..]),
        // Programs and test drivers on top.
        (
            "userpool-cli",
            &[
                "userpool",
                "userpool-local",
                "userpool-srp",
                "userpool-types",
            ][..],
        ),
        (
            "userpool-it",
            &[
                "userpool",
                "userpool-local",
                "userpool-types",
                "userpool-srp",
            ][..],
        ),
        (
            "userpool-loadgen",
            &[
                "userpool",
                "userpool-srp",
                "userpool-storage",
                "userpool-types",
            ][..],
        ),
        ("xtask", &[][..]),
    ])
}

#[test]
fn dependency_arrows_are_the_allowed_ones() {
    let meta = metadata();
    let packages = packages(&meta);
    let ours: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let allowed = allowed();
    for p in &packages {
        let Some(may) = allowed.get(p.name.as_str()) else {
            panic!(
                "{} has no entry in the allowed arrows: add one, with its reason",
                p.name
            );
        };
        for dep in p.normal.iter().filter(|d| ours.contains(d.as_str())) {
            assert!(
                may.contains(&dep.as_str()),
                "{} depends on {dep}, which ARCHITECTURE.md does not allow",
                p.name
            );
        }
    }
    // The SDK transport is optional in the facade: `default-features = false` builds
    // without the AWS SDK.
    let facade = &meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "userpool")
        .unwrap()["dependencies"];
    let sdk = facade
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "userpool-transport-sdk" && d["kind"].is_null())
        .expect("the facade depends on the SDK transport");
    assert_eq!(
        sdk["optional"], true,
        "the SDK transport must be optional in the facade"
    );
}

#[test]
fn the_aws_sdk_is_named_only_by_the_sdk_transport() {
    let meta = metadata();
    // Test drivers (userpool-it) and bench programs call the local pool with the stock
    // SDK on purpose: that is the interoperability they check. Product crates may use it
    // in tests (dev-dependencies) only.
    let drivers = ["userpool-it"];
    for p in packages(&meta) {
        if drivers.contains(&p.name.as_str()) {
            continue;
        }
        let aws: Vec<&String> = p.normal.iter().filter(|d| d.starts_with("aws-")).collect();
        if p.name == "userpool-transport-sdk" {
            assert!(!aws.is_empty(), "the SDK transport names the SDK");
        } else {
            assert!(aws.is_empty(), "{} depends on {aws:?}", p.name);
        }
    }
}

#[test]
fn a_plain_build_builds_no_bench_or_tool_crate() {
    let meta = metadata();
    let defaults: Vec<&str> = meta["workspace_default_members"]
        .as_array()
        .expect("cargo metadata lists the default members")
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    let name_of = |id: &str| -> String {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let names: Vec<String> = defaults.iter().map(|id| name_of(id)).collect();
    for tool in ["userpool-loadgen", "xtask"] {
        assert!(
            !names.iter().any(|n| n == tool),
            "{tool} is a default member: a plain cargo build would build it ({names:?})"
        );
    }
    assert!(names.iter().any(|n| n == "userpool"), "{names:?}");
}

#[test]
fn architecture_md_names_every_crate() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for p in packages(&metadata()) {
        assert!(
            text.contains(&format!("`{}`", p.dir)) || text.contains(&format!("`{}/`", p.dir)),
            "ARCHITECTURE.md's code map does not name {} (`{}`)",
            p.name,
            p.dir
        );
    }
}
