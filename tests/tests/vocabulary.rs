//! One typed vocabulary from the window to the server: operation and change kinds are named
//! only by the protocol crate's enums, and the window's labels only by its one catalogue.
//!
//! Mechanical checks over the source tree:
//! - no Rust file outside `crates/protocol` writes an operation kind as a string literal
//!   (`"application.register"`, or `'staff.update'` inside SQL), nor matches, compares, builds
//!   or stores a change kind as one (`kind == "flag"`, `"event" =>`, `kind: "state"`, a
//!   `change_log` insert with `'user'`);
//! - no UI source but the generated bindings and the label catalogue spells out a status or an
//!   action of the workflow.

use std::path::{Path, PathBuf};

use loket_protocol::{ChangeKind, OpKind};

fn files(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | "dist" | ".git" | "artifacts") {
                files(&path, ext, out);
            }
        } else if path.extension().is_some_and(|e| ext.iter().any(|x| e == *x)) {
            out.push(path);
        }
    }
}

/// Lines of Rust outside the protocol crate that name a kind by its wire text.
fn kind_literals(root: &Path) -> Vec<String> {
    let mut rust = Vec::new();
    for dir in ["crates", "src-tauri", "tests"] {
        files(&root.join(dir), &["rs"], &mut rust);
    }
    let protocol = root.join("crates/protocol");
    let mut found = Vec::new();
    for path in rust.iter().filter(|p| !p.starts_with(&protocol)) {
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let hit = OpKind::ALL.iter().any(|k| {
                line.contains(&format!("\"{}\"", k.as_str())) || line.contains(&format!("'{}'", k.as_str()))
            }) || ChangeKind::ALL.iter().any(|k| {
                let w = k.as_str();
                [
                    format!("kind == \"{w}\""),
                    format!("kind: \"{w}\""),
                    format!("\"{w}\" =>"),
                    format!("\"{w}\" |"),
                    format!("kind = \"{w}\""),
                ]
                .iter()
                .any(|p| line.contains(p.as_str()))
                    || (line.contains("change_log") && line.contains(&format!("'{w}'")))
            });
            // This file spells the patterns it looks for.
            if hit && !path.ends_with("tests/vocabulary.rs") {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn kinds_are_named_only_by_the_protocol_enums() {
    let root = loket_e2e::workspace_root();
    let found = kind_literals(&root);
    assert!(found.is_empty(), "kinds written as strings outside crates/protocol:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_what_it_looks_for() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("crates/store/src");
    std::fs::create_dir_all(&src).unwrap();
    for d in ["src-tauri", "tests", "crates/protocol/src"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    std::fs::write(
        src.join("a.rs"),
        "fn f(c: &C) -> bool { c.kind == \"flag\" }\nconst OP: &str = \"staff.update\";\nlet x = \"user\";\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("crates/protocol/src/k.rs"), "const A: &str = \"staff.update\";\n")
        .unwrap();
    let found = kind_literals(dir.path());
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn the_window_has_one_label_catalogue() {
    let root = loket_e2e::workspace_root().join("ui/src");
    let mut ui = Vec::new();
    files(&root, &["ts", "svelte"], &mut ui);
    let vocabulary =
        ["\"in_review\"", "\"start_review\"", "\"resubmit\"", "\"submitted\"", "\"upgrade_required\""];
    let found: Vec<String> = ui
        .iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !matches!(name.as_ref(), "bindings.ts" | "labels.ts") && !name.ends_with(".test.ts")
        })
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            vocabulary
                .iter()
                .filter(|w| text.contains(*w))
                .map(|w| format!("{}: {w}", p.display()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!ui.is_empty());
    assert!(found.is_empty(), "statuses or actions spelt outside labels.ts:\n{}", found.join("\n"));
}
