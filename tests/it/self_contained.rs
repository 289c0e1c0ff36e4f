//! The repository carries every input its tests need: no test, test helper,
//! script or README command may read a path outside it (such as a benchmark
//! corpus beside the clone). Only `bench/` may, as an option.

use std::path::{Path, PathBuf};

/// Strings that name a place outside the repository, spelled in pieces so
/// that this file, which is checked too, does not name them itself.
/// (A build cache under `$HOME/.cache` is allowed: nothing depends on it.)
const OUTSIDE: &[&str] = &[
    concat!("..", "/shared"),
    concat!("PIXPIPE_", "CORPUS"),
    concat!("/wo", "rk/"),
];

/// Everything a test run reads or runs, relative to the repository root.
const CHECKED: &[&str] = &[
    "tests",
    "src",
    "clients",
    "imaging/tests",
    "core",
    "local",
    "api",
    "worker",
    "aws",
    "lambda",
    "testphotos",
    "web/tests",
    "scripts",
    ".ci",
    "README.md",
    "Cargo.toml",
];

#[test]
fn no_test_or_command_reads_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for entry in CHECKED {
        collect(&root.join(entry), &mut files);
    }
    assert!(files.len() > 50, "walked only {} files", files.len());
    let mut found = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // binary inputs
        };
        for (n, line) in text.lines().enumerate() {
            for needle in OUTSIDE.iter().filter(|s| line.contains(**s)) {
                let path = file.strip_prefix(root).unwrap_or(file);
                found.push(format!("{}:{}: {needle}", path.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "reaches outside the repository:\n{}",
        found.join("\n")
    );
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name == ".venv" {
            continue;
        }
        collect(&p, out);
    }
}
