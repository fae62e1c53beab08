#!/usr/bin/env bash
# The test suite: unit, fixture, snapshot, CLI and live-process tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --all-targets
