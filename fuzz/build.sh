#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer on the stable toolchain: the SanitizerCoverage flags that
# `cargo fuzz` passes are stable codegen options; only AddressSanitizer (`-Zsanitizer`) needs
# nightly, and safe Rust does not need it to find panics, overflows, hangs and runaway memory.
set -euo pipefail
# Binaries: fuzz/target/<host triple>/release/<target>.
cd "$(dirname "${BASH_SOURCE[0]}")"
export RUSTFLAGS="${RUSTFLAGS:-} -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps these flags off build scripts and proc macros (they would not link).
target="$(rustc -vV | sed -n 's/^host: //p')"
exec cargo build --release --bins --target "$target" "$@"
