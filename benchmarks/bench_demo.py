"""Benchmark of the main job, `audit demo`: wall time per stage, peak memory, report size.

Target (issue 6): the default demo (1M people, seed 0) in <= 3 minutes on the 2-core machine,
everything after installation included; the report (index.html) under 1 MB.

Runs ``audit demo`` in a fresh process under ``/usr/bin/time -v`` (Python start-up and imports
included) and prints the stage timings the command reports, the process's wall time and peak memory,
and the size of every file written.

Usage::

    python benchmarks/bench_demo.py              # default demo: --n 1000000 --seed 0
    python benchmarks/bench_demo.py --n 200000

This script measures; it asserts nothing (numbers go to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    audit = Path(sys.executable).with_name("audit")
    out = Path(tempfile.mkdtemp(prefix="bench-demo-")) / "demo"
    cmd = [str(audit), "demo", "--n", str(args.n), "--seed", str(args.seed), "--out", str(out)]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    proc = subprocess.run(
        [*timer, *cmd, "--no-progress"], capture_output=True, text=True, check=True
    )
    print(f"# bench_demo: n={args.n:,}, seed={args.seed}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(proc.stdout.strip())
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", proc.stderr)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if wall and peak:
        print(f"process: wall {wall.group(1)} (start-up included), peak RSS "
              f"{int(peak.group(1)) / 1e6:.2f} GB")  # fmt: skip
    for f in sorted(out.iterdir()):
        print(f"{f.name}: {f.stat().st_size / 1e3:,.0f} kB")


if __name__ == "__main__":
    main()
