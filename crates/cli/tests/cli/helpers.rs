//! Running the binary and making files for it.

use std::path::PathBuf;
use std::process::{Command, Output};

pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/material-2021-county.txt");

pub fn mingjing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mingjing")).args(args).output().expect("binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh folder of the test's own under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mingjing-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A file in a fresh folder of its own.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_dir(name).join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}
