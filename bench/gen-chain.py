#!/usr/bin/env python3
"""Generates a library crate whose `run` starts a thread and then calls a chain of N functions (spread
over modules of 100 functions each, every call crossing into the next function by a `crate::`
path) whose last one forks: one finding whose trace walks the whole chain.

Usage: gen-chain.py OUT [N]"""
import os
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
per = 100
os.makedirs(os.path.join(out, "src"), exist_ok=True)
with open(os.path.join(out, "Cargo.toml"), "w") as f:
    f.write('[package]\nname = "chain"\nversion = "0.1.0"\nedition = "2021"\n')
mods = (n + per - 1) // per
with open(os.path.join(out, "src", "lib.rs"), "w") as f:
    for m in range(mods):
        f.write(f"mod m{m};\n")
    f.write("pub fn run() {\n    let _t = std::thread::spawn(|| loop {});\n    crate::m0::f0();\n}\n")
for m in range(mods):
    with open(os.path.join(out, "src", f"m{m}.rs"), "w") as f:
        for i in range(m * per, min(n, (m + 1) * per)):
            f.write(f"pub fn f{i}() {{\n")
            if i + 1 < n:
                f.write(f"    crate::m{(i + 1) // per}::f{i + 1}();\n")
            else:
                f.write("    match unsafe { libc::fork() } {\n        0 => loop { std::thread::park() },\n        _ => {}\n    }\n")
            f.write("}\n")
