#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit and integration tests, doc
# tests. The one command the README gives for testing, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# One run from a clean checkout gains nothing from incremental caches, only their cost.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Each step prints its start in seconds since the script began, so a slow CI run shows where it went.
step() { echo "== [${SECONDS}s] $*"; }

# PostgreSQL-backed tests need a server on 127.0.0.1:5432; install and start one where
# the machine has none (CI machines of this project's kind already run one).
source scripts/lib/postgres.sh
ensure_postgres

# The document tests open every exported .docx/.xlsx with LibreOffice and read the PDF with poppler.
source scripts/lib/libreoffice.sh
ensure_libreoffice

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

# Slow suite (about a minute, plus chromium's install on a fresh machine): the whole
# material path and a roster import in headless Chromium, screenshots in ./screenshots.
step "browser test (slow)"
bash scripts/e2e.sh
step "all tests passed"
