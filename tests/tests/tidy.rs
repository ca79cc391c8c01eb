//! Tidy checks of the workspace's shape, under plain `cargo test`: the dependency arrows
//! ARCHITECTURE.md promises, where the AWS SDK may appear, what a plain `cargo build`
//! builds, that benchmarks live in `bench/` only, that ARCHITECTURE.md's code map
//! names every crate, that docs/local-pool.md lists every operation the local pool
//! serves, and that product code unwraps nothing but listed constants.
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

/// The arrows between the workspace's packages that ARCHITECTURE.md allows: its table
/// under "Dependency arrows" (`| package(s) | may depend on | because |`) is the one place
/// they are written, with their reasons; this reads it back.
fn allowed() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let names = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let mut allowed = BTreeMap::new();
    let mut rows = text
        .lines()
        .skip_while(|l| !l.starts_with("| package | may depend on | because |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'));
    for row in rows.by_ref() {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(
            cells.len(),
            3,
            "a dependency-arrow row has three cells: {row}"
        );
        assert!(!cells[2].is_empty(), "an arrow without its reason: {row}");
        let targets: BTreeSet<String> = if cells[1] == "nothing of ours" {
            BTreeSet::new()
        } else {
            names(cells[1]).into_iter().collect()
        };
        for package in names(cells[0]) {
            let previous = allowed.insert(package.clone(), targets.clone());
            assert!(
                previous.is_none(),
                "{package} has two rows in the arrow table"
            );
        }
    }
    assert!(
        !allowed.is_empty(),
        "ARCHITECTURE.md has no dependency-arrow table"
    );
    allowed
}

#[test]
fn dependency_arrows_are_the_allowed_ones() {
    let meta = metadata();
    let packages = packages(&meta);
    let ours: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let allowed = allowed();
    for name in allowed.keys() {
        assert!(
            ours.contains(name.as_str()),
            "ARCHITECTURE.md's arrow table names {name}, which is not a workspace package"
        );
    }
    for p in &packages {
        let Some(may) = allowed.get(p.name.as_str()) else {
            panic!(
                "{} has no row in ARCHITECTURE.md's dependency-arrow table: add one, with its reason",
                p.name
            );
        };
        for dep in p.normal.iter().filter(|d| ours.contains(d.as_str())) {
            assert!(
                may.contains(dep),
                "{} depends on {dep}, which ARCHITECTURE.md does not allow",
                p.name
            );
        }
    }
    // Optional dependencies are arrows too (a feature turns them on): the facade's two
    // must be among the arrows checked above, and stay optional. The SDK transport, so
    // that `default-features = false` builds without the AWS SDK; the verifier, so that a
    // client that only sends its tokens on builds no RSA code.
    let facade = packages
        .iter()
        .find(|p| p.name == "userpool")
        .expect("the facade is a workspace package");
    let facade_deps = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "userpool")
        .unwrap()["dependencies"]
        .as_array()
        .unwrap();
    for (dep, what) in [
        ("userpool-transport-sdk", "the SDK transport"),
        ("userpool-verify", "the verifier"),
    ] {
        assert!(
            facade.normal.contains(dep),
            "the arrow check must see the facade's optional dependency on {dep}"
        );
        let found = facade_deps
            .iter()
            .find(|d| d["name"] == dep && d["kind"].is_null())
            .unwrap_or_else(|| panic!("the facade depends on {what} ({dep})"));
        assert_eq!(
            found["optional"], true,
            "{what} ({dep}) must be optional in the facade"
        );
    }
}

#[test]
fn the_aws_sdk_is_named_only_by_the_sdk_transport() {
    let meta = metadata();
    // Test drivers (userpool-it) and bench programs call the local pool with the stock
    // SDK on purpose: that is the interoperability they check. Product crates may use it
    // in tests (dev-dependencies) only.
    let drivers = ["userpool-it", "userpool-bench"];
    // AWS's cryptography library is not the SDK: the verifier and the local pool do their
    // RSA with it.
    let not_the_sdk = ["aws-lc-rs", "aws-lc-sys"];
    for p in packages(&meta) {
        if drivers.contains(&p.name.as_str()) {
            continue;
        }
        let aws: Vec<&String> = p
            .normal
            .iter()
            .filter(|d| d.starts_with("aws-") && !not_the_sdk.contains(&d.as_str()))
            .collect();
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
    for tool in ["userpool-bench", "xtask"] {
        assert!(
            !names.iter().any(|n| n == tool),
            "{tool} is a default member: a plain cargo build would build it ({names:?})"
        );
    }
    assert!(names.iter().any(|n| n == "userpool"), "{names:?}");
}

#[test]
fn benchmarks_live_in_the_bench_crate_only() {
    // Product crates carry no bench targets and no benchmark framework: `cargo test` of a
    // product crate then builds no criterion, and every benchmark is found in `bench/`.
    let meta = metadata();
    for p in meta["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        if name == "userpool-bench" {
            continue;
        }
        let benches: Vec<&str> = p["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "bench"))
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(
            benches.is_empty(),
            "{name} has bench targets {benches:?}: move them to bench/"
        );
        let criterion = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "criterion");
        assert!(
            !criterion,
            "{name} depends on criterion: benchmarks live in bench/"
        );
    }
    let bench = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "userpool-bench")
        .expect("the bench crate is a workspace member");
    assert!(
        bench["manifest_path"]
            .as_str()
            .unwrap()
            .ends_with("bench/Cargo.toml"),
        "the bench crate is the top-level bench/"
    );
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

/// The operations the local pool's dispatch table (`ops::call` in
/// crates/userpool-local/src/ops/mod.rs) serves: the string patterns of its arms.
fn dispatched_operations() -> BTreeSet<String> {
    let path = root().join("crates/userpool-local/src/ops/mod.rs");
    let source = std::fs::read_to_string(&path).unwrap();
    let start = source
        .find("pub(crate) async fn call(")
        .expect("ops::call in ops/mod.rs");
    let body = &source[start..];
    let end = body
        .find("other => Err(")
        .expect("the fallback arm of ops::call");
    body[..end]
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('"')?;
            let (name, after) = rest.split_once('"')?;
            after
                .trim_start()
                .starts_with("=>")
                .then(|| name.to_owned())
        })
        .collect()
}

#[test]
fn docs_local_pool_lists_every_operation_served_and_counts_them() {
    let served = dispatched_operations();
    assert!(served.len() > 50, "parsed too few operations: {served:?}");
    let docs = std::fs::read_to_string(root().join("docs/local-pool.md")).unwrap();
    let section = docs
        .split_once("\n## Operations\n")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split_once("\n### ").map(|(s, _)| s))
        .expect("docs/local-pool.md has an `## Operations` section");
    let named: BTreeSet<String> = section
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(str::to_owned)
        .collect();
    let missing: Vec<&String> = served.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "served but not listed in docs/local-pool.md's Operations: {missing:?}"
    );
    let count = format!("That is {} operations.", served.len());
    assert!(
        section.contains(&count),
        "docs/local-pool.md's Operations should say {count:?}"
    );
}

/// The `unwrap()` / `expect("…")` calls of product code outside tests, by file: each one
/// here is on a constant and says in a comment why it cannot fail. Anything else that
/// could panic on input must return a typed error instead. (`Batch::expect(key, value)`,
/// the storage batch's condition, takes no string literal and is not counted.)
const ALLOWED_UNWRAPS: &[(&str, usize)] = &[
    // `Odd::new(N)` and `NonZero::new(N)` of the RFC 3526 prime.
    ("crates/userpool-srp/src/field.rs", 2),
    // A 16-byte HKDF-SHA256 output, well inside its 255 × 32-byte limit.
    ("crates/userpool-srp/src/hash.rs", 1),
];

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn product_code_unwraps_only_constants() {
    let root = root();
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap() {
        rust_files(&krate.unwrap().path().join("src"), &mut files);
    }
    assert!(
        files.len() > 50,
        "found too few source files: {}",
        files.len()
    );
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // Test code: the unit-test folders, the test-only helpers and vector tests.
        if rel.contains("/src/tests/")
            || rel.ends_with("test_util.rs")
            || rel.ends_with("kat_tests.rs")
        {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        // A file's unit tests come last, after `#[cfg(test)] mod tests`.
        let product = source
            .find("#[cfg(test)]\nmod tests")
            .map_or(source.as_str(), |at| &source[..at]);
        let count = product
            .lines()
            .filter(|l| {
                let code = l.trim_start();
                !code.starts_with("//")
                    && (code.contains(".unwrap()") || code.contains(".expect(\""))
            })
            .count();
        if count > 0 {
            found.insert(rel, count);
        }
    }
    let allowed: BTreeMap<String, usize> = ALLOWED_UNWRAPS
        .iter()
        .map(|(f, n)| ((*f).to_owned(), *n))
        .collect();
    assert_eq!(
        found, allowed,
        "unwrap()/expect() in product code outside tests: return a typed error instead \
         (or, for a constant that cannot fail, say why and list it in ALLOWED_UNWRAPS)"
    );
}
