"""Runs commands in alternation (one warm-up round, then RUNS rounds) and prints, per command,
the median wall time and the median CPU time (user + system of the command and its children).
Alternating keeps a change in the machine's load from favouring whichever command ran first.

Usage: alternate.py RUNS NAME=COMMAND...   (COMMAND split on spaces)
With ALTERNATE_JSON=FILE the medians (seconds) are also written there: {NAME: {"wall", "cpu"}}."""
import json
import os
import statistics
import sys
import time

runs = int(sys.argv[1])
cmds = [arg.split("=", 1) for arg in sys.argv[2:]]
wall = {name: [] for name, _ in cmds}
cpu = {name: [] for name, _ in cmds}
devnull = os.open(os.devnull, os.O_WRONLY)
for round_ in range(runs + 1):
    for name, cmd in cmds:
        argv = cmd.split()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) == 127:
            sys.exit(f"{name}: cannot run {argv[0]}")
        if round_ > 0:
            wall[name].append(elapsed)
            cpu[name].append(usage.ru_utime + usage.ru_stime)

if os.environ.get("ALTERNATE_JSON"):
    with open(os.environ["ALTERNATE_JSON"], "w") as out:
        json.dump({name: {"wall": statistics.median(wall[name]), "cpu": statistics.median(cpu[name])}
                   for name, _ in cmds}, out)
    sys.exit(0)

print(f"| tool | median wall | median CPU (user+sys) | runs |\n|---|---|---|---|")
for name, _ in cmds:
    print(f"| {name} | {statistics.median(wall[name]) * 1000:.1f} ms "
          f"| {statistics.median(cpu[name]) * 1000:.1f} ms | {runs} |")
if len(cmds) == 2:
    (a, _), (b, _) = cmds
    print(f"\n{a} / {b}: wall {statistics.median(wall[a]) / statistics.median(wall[b]):.2f}, "
          f"CPU {statistics.median(cpu[a]) / statistics.median(cpu[b]):.2f}")
