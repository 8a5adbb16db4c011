#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install the pinned local cloud, check formatting
# and lints, self-test the moto extension, then run every Rust test (unit, CLI, integration).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*" >&2; }

step "Installing the local cloud (pinned moto in .local-cloud/venv)"
scripts/local-cloud.sh install
PYTHON=$(scripts/local-cloud.sh python)
export WARDEN_TEST_PYTHON="$PYTHON"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --all-targets --quiet -- -D warnings

step "Self-test of the moto extension"
"$PYTHON" tests/harness/test_moto_ext.py

step "cargo test"
# Snapshots are never written in a test run: a missing or changed snapshot fails.
INSTA_UPDATE=no cargo test --all-targets -- --test-threads="${WARDEN_TEST_THREADS:-4}"
