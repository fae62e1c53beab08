#!/usr/bin/env bash
# Runs one fuzz target for a while: `fuzz/run.sh check_source 600` (seconds). The working corpus
# grows in fuzz/work/<target>/ (seeded from the committed fuzz/corpus/<target>/ and fixtures),
# crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
target="$1"
seconds="${2:-600}"
shift 2 || true
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin="target/$triple/release/$target"
[ -x "$bin" ] || ./build.sh
mkdir -p "work/$target" "artifacts/$target" "corpus/$target"
case "$target" in
    check_source) dict=(-dict=rust.dict) ;;
    *) dict=() ;;
esac
exec "$bin" "work/$target" "corpus/$target" "${dict[@]}" \
    -artifact_prefix="artifacts/$target/" -max_total_time="$seconds" \
    -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "$@"
