//! Architecture invariants, checked mechanically from `cargo metadata`:
//! - only `src-tauri` (package `loket`) depends on `tauri`;
//! - client crates never depend on server crates;
//! - the domain crate does no IO: it depends on nothing that does.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// package name → names of its direct normal and build dependencies (not dev-dependencies).
fn workspace_deps() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(loket_e2e::workspace_root())
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

const CLIENT_CRATES: &[&str] =
    &["loket-domain", "loket-protocol", "loket-keys", "loket-store", "loket-sync", "loket-app", "loket"];
const SERVER_CRATES: &[&str] = &["loket-server"];
const IO_CRATES: &[&str] =
    &["tauri", "rusqlite", "reqwest", "tokio", "axum", "hyper", "tokio-postgres", "postgres"];

#[test]
fn only_the_shell_depends_on_tauri() {
    for (pkg, deps) in workspace_deps() {
        let tauri: Vec<_> = deps.iter().filter(|d| d.starts_with("tauri")).collect();
        if pkg != "loket" {
            assert!(tauri.is_empty(), "{pkg} depends on {tauri:?}; only src-tauri may");
        }
    }
}

#[test]
fn client_crates_never_depend_on_server_crates() {
    let all = workspace_deps();
    for client in CLIENT_CRATES {
        if let Some(deps) = all.get(*client) {
            for server in SERVER_CRATES {
                assert!(!deps.contains(*server), "{client} depends on {server}");
            }
        }
    }
}

/// `crate` does no IO and depends on no other Loket crate.
fn computation_only(crate_name: &str) {
    let all = workspace_deps();
    let deps = all.get(crate_name).unwrap_or_else(|| panic!("{crate_name} is a workspace member"));
    for io in IO_CRATES {
        assert!(!deps.contains(*io), "{crate_name} depends on {io}");
    }
    let internal: Vec<_> = deps.iter().filter(|d| d.starts_with("loket")).collect();
    assert!(internal.is_empty(), "{crate_name} depends on {internal:?}");
}

#[test]
fn domain_does_no_io() {
    computation_only("loket-domain");
}

/// The key crate is computation only: no files, no network, no database; and it knows nothing
/// of Loket's other crates (what is signed is the protocol's business).
#[test]
fn keys_do_no_io() {
    computation_only("loket-keys");
}

#[test]
fn lower_layers_never_import_higher_ones() {
    // Each crate may depend only on crates listed before it.
    const LAYERS: &[&str] =
        &["loket-domain", "loket-protocol", "loket-keys", "loket-store", "loket-sync", "loket-app", "loket"];
    let all = workspace_deps();
    for (i, lower) in LAYERS.iter().enumerate() {
        let Some(deps) = all.get(*lower) else { continue };
        for higher in &LAYERS[i + 1..] {
            assert!(!deps.contains(*higher), "{lower} depends on higher layer {higher}");
        }
    }
}
