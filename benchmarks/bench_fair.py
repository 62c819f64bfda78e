"""`audit run --spec fair` never FAILs (exit 1) across seeds; `sesame` FAILs for the right reasons.

What it is for: the end-to-end check of honest verdicts (issue 10). The `fair` scenario has no
bias mechanism, so a FAIL verdict there is a false finding: over 20 seeds at each size, count the
outcomes (pass / fail / inconclusive) and the exit code `audit run --spec fair` would return
(``audit.cli.exit_code``: 0 pass, 1 fail, 3 inconclusive). Then `sesame` at 1M people, seed 0, must
FAIL naming the Uyghur and Tibetan wrongful-blacklisting gaps and the adverse-rate ratio.
Each run is ``audit.run_synthetic(spec, n=..., seed=s, out=tmp, progress=False)``, the call the
CLI makes; one JSON line per run goes to ``--log`` as soon as it ends, so a long background run can
be followed (``tail -f``).
What it must not do: assert (it measures; numbers go to benchmarks/RESULTS.md).

Usage (from the repository root; long, so run it with nohup)::

    python benchmarks/bench_fair.py                       # fair 100k x 20 + sesame 1M: ~10 min
    python benchmarks/bench_fair.py --n 1000000 --no-sesame   # fair 1M x 20: ~10 min
    python benchmarks/bench_fair.py --quick               # fair 100k x 3 seeds, no sesame: < 1 min

``--threads`` (default 1) sets OMP_NUM_THREADS before anything is imported: with two OpenMP threads
on two shared cores, gradient-boosting training stalls at thread barriers; the decisions, and so
the verdicts, are identical whatever the thread count (benchmarks/RESULTS.md, "Scorer").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def run_once(spec: str, n: int, seed: int) -> dict:
    """One synthetic run; what its verdict says, and how long it took."""
    from audit import run_synthetic
    from audit.cli import exit_code

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-fair-") as tmp:
        run = run_synthetic(spec, n=n, seed=seed, out=Path(tmp) / "run", progress=False)
    verdict = run.result.data["verdict"]
    return {
        "spec": spec,
        "n": n,
        "seed": seed,
        "outcome": verdict["outcome"],
        "exit_code": exit_code(verdict["outcome"]),
        "family_size": verdict["family_size"],
        "criteria": {
            c: {k: v[k] for k in ("fail", "inconclusive", "pass", "insufficient")}
            for c, v in verdict["criteria"].items()
        },
        "violations": [violation(run.result.data, v) for v in verdict["violations"]],
        "headline": run.headline(),
        "seconds": round(time.perf_counter() - start, 1),
        "timings": run.timings,
    }


def violation(d: dict, v: dict) -> dict:
    """A FAIL of the verdict, with the counts behind it (x, n of the group, then the reference)."""
    from audit.core import CELLS, CRITERIA, METRICS

    kind = "intersections" if " & " in v["attribute"] else "attributes"
    groups = d[kind][v["attribute"]]["groups"]
    metric = METRICS[CRITERIA[v["criterion"]].metric]
    counts = [
        int(f(np.array([groups[g]["counts"][c] for c in CELLS])))
        for g in (v["group"], v["against"])
        for f in (metric.successes, metric.trials)
    ]
    keys = ("criterion", "attribute", "group", "against", "value", "interval")
    return {**{k: v[k] for k in keys}, "counts": counts}


def summary_row(runs: list[dict]) -> str:
    """A markdown row: outcomes, exit codes, judged comparisons and timings of one size."""
    outcomes = Counter(r["outcome"] for r in runs)
    codes = Counter(r["exit_code"] for r in runs)
    secs = [r["seconds"] for r in runs]
    inconclusive = [sum(c["inconclusive"] for c in r["criteria"].values()) for r in runs]
    return (
        f"| {runs[0]['n']:,} | {len(runs)} | {outcomes['pass']} | {outcomes['fail']} | "
        f"{outcomes['inconclusive']} | {dict(sorted(codes.items()))} | {runs[0]['family_size']} | "
        f"{min(inconclusive)}–{max(inconclusive)} | {statistics.median(secs):.0f} "
        f"({min(secs):.0f}–{max(secs):.0f}) |"
    )


def sesame_check(run: dict) -> list[tuple[str, bool]]:
    """Does sesame FAIL for the right reasons?"""
    named = {(v["criterion"], v["attribute"], v["group"]) for v in run["violations"]}
    return [
        ("outcome is FAIL (exit 1)", run["outcome"] == "fail" and run["exit_code"] == 1),
        ("fpr_ratio violation: ethnicity Uyghur", ("fpr_ratio", "ethnicity", "Uyghur") in named),
        ("fpr_ratio violation: ethnicity Tibetan", ("fpr_ratio", "ethnicity", "Tibetan") in named),
        ("an adverse_ratio violation", any(c == "adverse_ratio" for c, _, _ in named)),
        ("the headline names Uyghur or Tibetan", any(g in run["headline"]
                                                     for g in ("Uyghur", "Tibetan"))),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=[100_000], help="population sizes")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--no-sesame", action="store_true")
    parser.add_argument("--quick", action="store_true", help="100k x 3 seeds, no sesame")
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS (default 1)")
    parser.add_argument("--log", default="benchmarks/out/bench_fair.jsonl")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    sys.path.insert(0, str(ROOT))  # this tree's `audit`, whichever checkout the venv installed
    sizes, seeds = ([100_000], 3) if args.quick else (args.n, args.seeds)
    log = Path(args.log)
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"# bench_fair: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, OMP_NUM_THREADS={args.threads}, load average "
          f"{os.getloadavg()[0]:.2f}; log {log}")  # fmt: skip
    start, by_size = time.perf_counter(), {}
    for n in sizes:
        by_size[n] = []
        for seed in range(seeds):
            run = run_once("fair", n, seed)
            by_size[n].append(run)
            with log.open("a") as f:
                f.write(json.dumps(run) + "\n")
            print(f"fair n={n:,} seed={seed}: {run['outcome']} (exit {run['exit_code']}), "
                  f"{run['seconds']:.0f} s", flush=True)  # fmt: skip
    print(
        "\n| n | seeds | PASS | FAIL | INCONCLUSIVE | exit codes | judged comparisons "
        "| inconclusive comparisons (min–max) | s per run: median (min–max) |"
    )
    print("|---:|---:|---:|---:|---:|---|---:|---|---|")
    for runs in by_size.values():
        print(summary_row(runs))
    if not (args.no_sesame or args.quick):
        run = run_once("sesame", 1_000_000, 0)
        with log.open("a") as f:
            f.write(json.dumps(run) + "\n")
        print(f"\nsesame n=1,000,000 seed=0: {run['outcome']} (exit {run['exit_code']}), "
              f"{run['seconds']:.0f} s\n{run['headline']}")  # fmt: skip
        for what, ok in sesame_check(run):
            print(f"- {what}: {'yes' if ok else 'NO'}")
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
