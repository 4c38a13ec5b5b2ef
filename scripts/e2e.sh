#!/usr/bin/env bash
# The end-to-end tests in a real browser: a demo county served by the debug binary on a
# fresh SQLite file, driven through the whole material path, then the secret ballot on
# five phone-sized pages at once, and the rectification ledger from an approved material
# to a verified item, in headless Chromium.
# Screenshots at 360 px and 1280 px land in ./screenshots (ignored by git).
# Slow part of the suite (about a minute): scripts/test.sh runs it last.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/chromium.sh
ensure_chromium
ensure_e2e_packages
# The same build as the test suite's, so after scripts/test.sh's cargo test this is a no-op.
cargo test --workspace --locked --no-run --quiet
binary="${CARGO_TARGET_DIR:-$(pwd)/target}/debug/mingjing"
node e2e/flow.mjs "$binary"
node e2e/ballot.mjs "$binary"
node e2e/ledger.mjs "$binary"
