#!/usr/bin/env bash
# forklint's benchmark (never run in CI): forklint against the syn parse floor, semgrep and
# ast-grep on one corpus, side by side in one hyperfine run; linearity at a quarter, half and all
# of the corpus; a 10,000-function call chain; forklint against `ruff check --select ALL` on the .py
# files of a pinned site-packages; `forklint inspect` against `lsof -p` (alternating
# runs, bench/alternate.py); with REPOS, check with and without the prefilter on real projects.
#
# Usage: bench/run.sh CORPUS [REPOS]
#   CORPUS  a folder of Rust sources: e.g. a `cargo vendor` tree of about 540 crates without windows*/winapi*
#   REPOS   optional: a folder of checked-out repositories, one per subfolder; each is timed with and
#           without the prefilter, and the worst ratio is printed
# Every tool's own count of files scanned is checked against the corpus: a run in which a peer
# scanned fewer than 99% of the .rs files (ignore files, size limits) is refused, not reported.
# Tools are installed under bench/.venv and bench/node_modules; outputs go to bench/.out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
BENCH=$PWD
[ $# -ge 1 ] || { echo "usage: bench/run.sh CORPUS [REPOS]" >&2; exit 2; }
CORPUS=$(realpath "$1")
REPOS=${2:+$(realpath "$2")}
RUNS=${RUNS:-3}
OUT=$BENCH/.out
mkdir -p "$OUT"

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
(cd .. && cargo build --release -q)
(cd syn-floor && cargo build --release -q)
FORKLINT=$BENCH/../target/release/forklint
FLOOR=$BENCH/syn-floor/target/release/syn-floor
[ -x .venv/bin/semgrep ] || { python3 -m venv .venv && .venv/bin/pip install -q semgrep; }
[ -x node_modules/.bin/ast-grep ] || npm install -q --prefix "$BENCH" @ast-grep/cli >/dev/null
SEMGREP=$BENCH/.venv/bin/semgrep
ASTGREP=$BENCH/node_modules/.bin/ast-grep

# semgrep skips what git or its default .semgrepignore ignores (tests/, test/: 2,051 corpus files;
# a corpus under a git-ignored folder gives 0) and files over 1 MB. Only an empty .semgrepignore
# at the root of the target, scanned as `.` from there, turns the defaults off: the script puts
# one in the corpus (an empty dotfile no other tool reads).
[ -e "$CORPUS/.semgrepignore" ] || : >"$CORPUS/.semgrepignore"
cat >"$OUT/semgrep" <<SH
#!/bin/sh
cd "\$1" && exec "$SEMGREP" --config "$BENCH/rules/semgrep.yml" --metrics=off --disable-version-check \\
  --no-git-ignore --max-target-bytes 0 -j 2 --json -q .
SH
chmod +x "$OUT/semgrep"

# Same corpus, same 2 threads for every tool.
export RAYON_NUM_THREADS=2 FLOOR_THREADS=2
declare -A CMD=(
  [forklint]="$FORKLINT check -q --format json $CORPUS"
  [forklint-no-prefilter]="$FORKLINT check -q --format json --no-prefilter $CORPUS"
  [syn-floor]="$FLOOR $CORPUS"
  [semgrep]="$OUT/semgrep $CORPUS"
  [ast-grep]="$ASTGREP scan -r $BENCH/rules/ast-grep.yml -j 2 --json=compact --inspect summary $CORPUS"
)
ORDER=(forklint syn-floor semgrep ast-grep)
[ -n "${WITH_FULL:-}" ] && ORDER+=(forklint-no-prefilter)

files=$(find "$CORPUS" -name '*.rs' -type f | wc -l)
mb=$(find "$CORPUS" -name '*.rs' -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s/1e6}')

# One extra run each for peak memory and the findings count.
findings() {
  case $1 in
    forklint*) python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' ;;
    semgrep) python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))' ;;
    ast-grep) python3 -c 'import sys; print(sum(1 for l in sys.stdin if l.strip()))' ;;
    *) echo n/a ;;
  esac
}
# Each tool's own count of the files it scanned.
scanned() { # tool
  case $1 in
    forklint*) python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["files"])' <"$OUT/$1.out" ;;
    semgrep) python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin)["paths"]["scanned"] if p.endswith(".rs")))' <"$OUT/$1.out" ;;
    ast-grep) grep -o 'scannedFileCount=[0-9]*' "$OUT/$1.err" | tail -1 | cut -d= -f2 ;;
    syn-floor) grep -o '^[0-9]* files' "$OUT/$1.out" | cut -d' ' -f1 ;;
  esac
}
declare -A RSS FOUND
for t in "${ORDER[@]}"; do
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M' -o "$OUT/$t.rss" ${CMD[$t]} >"$OUT/$t.out" 2>"$OUT/$t.err" || true
  RSS[$t]=$(tail -1 "$OUT/$t.rss")
  FOUND[$t]=$(findings "$t" <"$OUT/$t.out" 2>/dev/null || echo "?")
  seen=$(scanned "$t" 2>/dev/null || true)
  # forklint and the floor honour the crates' own .gitignore files (a few files); 99% or refuse.
  if [ -z "$seen" ] || [ $((seen * 100)) -lt $((files * 99)) ]; then
    echo "refused: $t scanned ${seen:-an unknown number of} of the $files .rs files (see $OUT/$t.err)" >&2
    exit 1
  fi
done

args=()
for t in "${ORDER[@]}"; do args+=(-n "$t" "${CMD[$t]}"); done
hyperfine -N --style basic --runs "$RUNS" --warmup 1 -i --export-json "$OUT/main.json" "${args[@]}" >"$OUT/hyperfine.txt" 2>&1

table() { # json files mb
  python3 - "$@" <<'PY'
import json, sys
data, files, mb = json.load(open(sys.argv[1])), int(sys.argv[2]), float(sys.argv[3])
rss = dict(a.split("=", 1) for a in sys.argv[4].split(",") if a)
found = dict(a.split("=", 1) for a in sys.argv[5].split(",") if a)
floor = next((r["median"] for r in data["results"] if r["command"] == "syn-floor"), None)
print(f"| tool | median wall | user+sys CPU | peak RSS | files/s | MB/s | findings |{' vs floor |' if floor else ''}")
print(f"|---|---|---|---|---|---|---|{'---|' if floor else ''}")
for r in data["results"]:
    t, med = r["command"], r["median"]
    cpu = r["user"] + r["system"]
    mem = f"{int(rss.get(t, 0)) / 1024:.0f} MB" if rss.get(t, "").isdigit() else "?"
    extra = f" {med / floor:.2f}x |" if floor else ""
    print(f"| {t} | {med:.2f} s | {cpu:.2f} s | {mem} | {files / med:,.0f} | {mb / med:.1f} | {found.get(t, 'n/a')} |{extra}")
PY
}
join() { local -n m=$1; local s=""; for k in "${!m[@]}"; do s+="$k=${m[$k]},"; done; echo "$s"; }

echo "## Corpus: $(basename "$CORPUS") ($files .rs files, $mb MB), $(nproc) cores, median of $RUNS"
table "$OUT/main.json" "$files" "$mb" "$(join RSS)" "$(join FOUND)"

# The prefilter must not change the report: findings and errors with and without it.
"$FORKLINT" check -q --format json --no-prefilter "$CORPUS" >"$OUT/full.out" 2>/dev/null || true
python3 - "$OUT/forklint.out" "$OUT/full.out" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
same = a["findings"] == b["findings"]
print(f"\nprefilter on/off: {len(a['findings'])}/{len(b['findings'])} findings, identical: {'yes' if same else 'NO'}; "
      f"errors {len(a['errors'])}/{len(b['errors'])} (a file the prefilter skips is not parsed, so only a full parse reports its grammar errors)")
PY

# Linearity: every 4th / 2nd / every package of the corpus (hard links, so the same bytes).
echo
echo "## Linearity (forklint check, prefilter on)"
echo "| share | files | MB | median wall | s per 1,000 files | peak RSS |"
echo "|---|---|---|---|---|---|"
for share in 4 2 1; do
  sub=$OUT/corpus-1of$share
  if [ "$share" = 1 ]; then sub=$CORPUS; elif [ ! -d "$sub" ]; then
    mkdir -p "$sub"; i=0
    for d in "$CORPUS"/*/; do
      if [ $((i % share)) = 0 ]; then cp -al "$d" "$sub/" 2>/dev/null || cp -a "$d" "$sub/"; fi
      i=$((i + 1))
    done
  fi
  n=$(find "$sub" -name '*.rs' -type f | wc -l)
  m=$(find "$sub" -name '*.rs' -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s/1e6}')
  hyperfine -N --style none --runs "$RUNS" -i --export-json "$OUT/lin$share.json" "$FORKLINT check -q --format json $sub" >/dev/null 2>&1
  med=$(python3 -c "import json; print(json.load(open('$OUT/lin$share.json'))['results'][0]['median'])")
  /usr/bin/time -f '%M' -o "$OUT/lin$share.rss" "$FORKLINT" check -q --format json "$sub" >/dev/null 2>&1 || true
  python3 -c "print(f'| 1/$share | $n | $m | {$med:.2f} s | {$med / $n * 1000:.3f} s | {int(open(\"$OUT/lin$share.rss\").read().split()[-1]) / 1024:.0f} MB |')"
done

# A call chain of 10,000 functions (and 20,000): the analysis must stay linear.
echo
echo "## Call chain (one finding through the whole chain)"
echo "| functions | median wall | findings |"
echo "|---|---|---|"
for n in 10000 20000; do
  dir=$OUT/chain$n
  rm -rf "$dir" && python3 gen-chain.py "$dir" "$n"
  hyperfine -N --style none --runs "$RUNS" -i --export-json "$OUT/chain$n.json" "$FORKLINT check -q --format json $dir" >/dev/null 2>&1
  med=$(python3 -c "import json; print(json.load(open('$OUT/chain$n.json'))['results'][0]['median'])")
  cnt=$( ("$FORKLINT" check -q --format json "$dir" || true) | findings forklint)
  echo "| $n | $(printf '%.3f' "$med") s | $cnt |"
done

# Python: `forklint check` against `ruff check --select ALL` (every ruff rule, the same parser
# family) on the .py files of a virtualenv's site-packages (bench/python-tree.txt, pinned), in
# alternating runs. The tree holds only .py files (hard links): ruff would also lint .pyi stubs,
# and a folder named site-packages is in ruff's default excludes. Each tool's own count of files
# checked must cover the tree.
echo
echo "## Python (site-packages of bench/python-tree.txt)"
# The stamp records a finished install of this exact list (an interrupted one is redone).
if ! cmp -s python-tree.txt .pyvenv/installed.txt; then
  rm -rf .pyvenv "$OUT/pytree"
  python3 -m venv .pyvenv && .pyvenv/bin/pip install -q -r python-tree.txt && cp python-tree.txt .pyvenv/installed.txt
fi
[ -x .venv/bin/pip ] || python3 -m venv .venv
[ -x .venv/bin/ruff ] || .venv/bin/pip install -q ruff
RUFF=$BENCH/.venv/bin/ruff
pytree=$OUT/pytree
if [ ! -d "$pytree" ]; then
  site=$(.pyvenv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  rm -rf "$pytree.part"
  (cd "$site" && find . -name '*.py' -type f) | while read -r f; do
    mkdir -p "$pytree.part/$(dirname "$f")"
    ln "$site/$f" "$pytree.part/$f" 2>/dev/null || cp "$site/$f" "$pytree.part/$f"
  done
  mv "$pytree.part" "$pytree"
fi
pyfiles=$(find "$pytree" -name '*.py' -type f | wc -l)
pymb=$(find "$pytree" -name '*.py' -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s/1e6}')
[ "$pyfiles" -ge 5000 ] || { echo "refused: the Python tree has $pyfiles .py files (at least 5,000)" >&2; exit 1; }
PYCMD_FORKLINT="$FORKLINT check -q --format json --exit-zero $pytree"
PYCMD_RUFF="$RUFF check --select ALL --no-cache --exit-zero --output-format concise $pytree"
# shellcheck disable=SC2086
/usr/bin/time -f '%M' -o "$OUT/py-forklint.rss" $PYCMD_FORKLINT >"$OUT/py-forklint.out" 2>"$OUT/py-forklint.err" || true
# shellcheck disable=SC2086
/usr/bin/time -f '%M' -o "$OUT/py-ruff.rss" $PYCMD_RUFF -v >"$OUT/py-ruff.out" 2>"$OUT/py-ruff.err" || true
fl_seen=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["files"])' <"$OUT/py-forklint.out" 2>/dev/null || true)
ruff_seen=$(grep -o 'Checked [0-9]* files' "$OUT/py-ruff.err" | tail -1 | cut -d' ' -f2)
for pair in "forklint=$fl_seen" "ruff=$ruff_seen"; do
  seen=${pair#*=}
  if [ -z "$seen" ] || [ "$seen" -lt "$pyfiles" ]; then
    echo "refused: ${pair%%=*} checked ${seen:-an unknown number of} of the $pyfiles .py files (see $OUT/py-${pair%%=*}.err)" >&2
    exit 1
  fi
done
ALTERNATE_JSON="$OUT/python.json" python3 alternate.py "${PY_RUNS:-5}" \
  "forklint=$PYCMD_FORKLINT" "ruff=$PYCMD_RUFF"
RUFF_VERSION=$("$RUFF" --version) python3 - "$OUT" "$pyfiles" "$pymb" "$fl_seen" "$ruff_seen" <<'PY'
import json, os, re, sys
out, files, mb = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
seen = {"forklint": sys.argv[4], "ruff": sys.argv[5]}
r = json.load(open(os.path.join(out, "python.json")))
rss = {t: int(open(os.path.join(out, f"py-{t}.rss")).read().split()[-1]) / 1024 for t in r}
found = {"forklint": len(json.load(open(os.path.join(out, "py-forklint.out")))["findings"])}
m = re.search(r"Found (\d+) error", open(os.path.join(out, "py-ruff.out")).read())
found["ruff"] = m.group(1) if m else "?"
print(f"{files} .py files, {mb} MB; {os.environ['RUFF_VERSION']}; medians of alternating runs\n")
print("| tool | files checked | median wall | median CPU | peak RSS | findings | wall vs ruff |")
print("|---|---|---|---|---|---|---|")
for t in ("forklint", "ruff"):
    print(f"| {t} | {seen[t]} | {r[t]['wall']:.2f} s | {r[t]['cpu']:.2f} s | {rss[t]:.0f} MB "
          f"| {found[t]} | {r[t]['wall'] / r['ruff']['wall']:.2f}x |")
PY

# `forklint inspect --format json` on a CPython process holding 1,000 open files and 50 threads
# (49 threading.Thread + the main one), against `lsof -p`, in alternating runs.
echo
echo "## inspect (a python3 process with 1,000 open files and 50 threads)"
command -v lsof >/dev/null || { apt-get update -qq && apt-get install -y -qq lsof; }
files_dir=$(mktemp -d)
# The file of an earlier run would end the wait below before this run's pid is written.
rm -f "$OUT/inspect.pid"
python3 - "$files_dir" >"$OUT/inspect.pid" <<'PY' &
import os, sys, threading, time
fds = [os.open(os.path.join(sys.argv[1], f"f{i}"), os.O_RDWR | os.O_CREAT) for i in range(1000)]
for _ in range(49):
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
print(os.getpid(), flush=True)
time.sleep(600)
PY
launched=$!
while [ ! -s "$OUT/inspect.pid" ]; do sleep 0.1; done
# The pid the process prints itself: `python3` may be a shim (pyenv) that runs the interpreter
# as its child, so `$!` need not be the process holding the files.
target=$(head -n 1 "$OUT/inspect.pid")
rc=0
"$FORKLINT" inspect --format json "$target" >"$OUT/inspect.json" 2>&1 || rc=$?
threads=$(ls "/proc/$target/task" | wc -l)
open=$(ls "/proc/$target/fd" | wc -l)
# Exit 1 is the verdict "unsafe" (the threads); 2 would mean no inspection at all.
if [ "$threads" = 50 ] && [ "$open" -ge 1000 ] && [ "$rc" -le 1 ]; then
  python3 alternate.py "${INSPECT_RUNS:-15}" "forklint inspect=$FORKLINT inspect --format json $target" "lsof -p=lsof -p $target"
else
  echo "inspect: not measured (the process has $threads threads and $open fds; inspect exited $rc, see $OUT/inspect.json)"
fi
kill "$target" "$launched" 2>/dev/null || true
rm -rf "$files_dir"

# Real projects: `check` with and without the prefilter on each repository, alternating runs
# (medians of REAL_RUNS rounds, default 5, wall and CPU); the worst ratio of each is printed, with
# the files the prefilter parsed and whether both runs' JSON reports are byte-identical.
if [ -n "$REPOS" ]; then
  rm -f "$OUT"/real-*.json
  echo
  echo "## Real projects: check with / without the prefilter"
  echo "| project | files seen | parsed | prefilter wall | --no-prefilter wall | wall ratio | CPU ratio | same report |"
  echo "|---|---|---|---|---|---|---|---|"
  for repo in "$REPOS"/*/; do
    name=$(basename "$repo")
    n=$(find "$repo" -name '*.rs' -type f | wc -l)
    [ "$n" -gt 0 ] || continue
    ALTERNATE_JSON="$OUT/real-$name.json" python3 alternate.py "${REAL_RUNS:-5}" \
      "with=$FORKLINT check -q --format json $repo" \
      "without=$FORKLINT check -q --format json --no-prefilter $repo"
    "$FORKLINT" check -q --format json --exit-zero "$repo" >"$OUT/real-$name.with" 2>/dev/null
    "$FORKLINT" check -q --format json --exit-zero --no-prefilter "$repo" >"$OUT/real-$name.without" 2>/dev/null
    same=$(cmp -s "$OUT/real-$name.with" "$OUT/real-$name.without" && echo yes || echo NO)
    # The walker's own counts: it reads Python files (and scripts) beside the .rs files.
    stats=$("$FORKLINT" check --stats -q --exit-zero "$repo" 2>&1 >/dev/null | head -1)
    seen=$(grep -o 'files seen [0-9]*' <<<"$stats" | grep -o '[0-9]*$')
    parsed=$(grep -o 'parsed [0-9]*' <<<"$stats" | head -1 | grep -o '[0-9]*$')
    python3 - "$OUT/real-$name.json" "$name" "$seen" "$parsed" "$same" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
w, o = r["with"], r["without"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {w['wall']:.3f} s | {o['wall']:.3f} s "
      f"| {w['wall'] / o['wall']:.2f}x | {w['cpu'] / o['cpu']:.2f}x | {sys.argv[5]} |")
PY
  done
  python3 - "$OUT" <<'PY'
import glob, json, os, sys
rows = {os.path.basename(p)[5:-5]: json.load(open(p)) for p in glob.glob(os.path.join(sys.argv[1], "real-*.json"))}
for what in ("wall", "cpu"):
    name, r = max(rows.items(), key=lambda kv: kv[1]["with"][what] / kv[1]["without"][what])
    print(f"\nworst prefilter / no-prefilter {what} ratio: {r['with'][what] / r['without'][what]:.2f}x ({name})", end="")
print(f"\nload average: {open('/proc/loadavg').read().split()[:3]}")
PY
fi

# `forklint trace` overhead: a program that starts 1,000 threads and forks 100 times (each child
# exits at once), untraced, under `forklint trace` (a snapshot through inspect and two stacks
# per fork, one stack per thread start) and under `strace -f -e trace=process`.
echo
echo "## trace (1,000 threads started, 100 forks)"
command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace; }
rustc -O -o "$OUT/trace-load" "$BENCH/trace-load.rs"
hyperfine -N --style none --runs "${TRACE_RUNS:-10}" --warmup 1 -i --export-json "$OUT/trace.json" \
  -n "untraced" "$OUT/trace-load" \
  -n "forklint trace" "$FORKLINT trace -o $OUT/trace.txt -- $OUT/trace-load" \
  -n "strace -f -e trace=process" "strace -f -e trace=process -o $OUT/strace.txt $OUT/trace-load" \
  >/dev/null 2>&1
python3 - "$OUT/trace.json" <<'PY'
import json, sys
rs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = rs["untraced"]["median"]
print("| run | median wall | user+sys CPU | vs untraced |\n|---|---|---|---|")
for name, r in rs.items():
    print(f"| {name} | {r['median'] * 1000:.0f} ms | {(r['user'] + r['system']) * 1000:.0f} ms | {r['median'] / base:.1f}x |")
PY
