#!/usr/bin/env bash
# Records what inspect reads of one process under a /proc root, for tests that run the parsers
# on a fixed snapshot: record-proc-snapshot.sh PID DIR. Regular files are copied, links (fd/N,
# exe) are recorded as links with the same target; /proc/locks keeps only PID's lines.
set -euo pipefail
pid=$1
out=$2
src=/proc/$pid
dst=$out/$pid
mkdir -p "$dst/fd" "$dst/fdinfo" "$dst/net" "$dst/task"
for f in stat status cmdline environ maps; do
    cat "$src/$f" >"$dst/$f"
done
ln -sfn "$(readlink "$src/exe")" "$dst/exe"
for f in tcp tcp6 udp udp6 unix; do
    cat "$src/net/$f" >"$dst/net/$f"
done
for fd in "$src"/fd/*; do
    n=$(basename "$fd")
    target=$(readlink "$fd") || continue
    ln -sfn "$target" "$dst/fd/$n"
    cat "$src/fdinfo/$n" >"$dst/fdinfo/$n"
done
for task in "$src"/task/*; do
    tid=$(basename "$task")
    mkdir -p "$dst/task/$tid"
    cat "$task/stat" >"$dst/task/$tid/stat"
done
awk -v pid="$pid" '$5 == pid || ($5 == "->" && $6 == pid) || $5 == "-1"' /proc/locks >"$out/locks"
