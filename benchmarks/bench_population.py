"""Benchmark of stage 1 (`audit.population`): generation speed, peak memory, and a calibration check.

Targets (issue 2): 1M people in <= 10 s, 10M in <= 120 s, peak memory for 10M <= 2.5 GB, on the
2-core machine. Each size runs in a fresh process under ``/usr/bin/time -v`` (peak = maximum
resident set size of that process, including writing the Parquet file).

The calibration check trains a plain scorer (sklearn HistGradientBoostingClassifier on the observed
features and the observed label, protected attributes excluded) on 200k people, blacklists the 5 %
with the highest predicted risk among 1M other people, and reports the wrongful-blacklisting rate
(blacklisted among truth == 0) by ethnic group: on `sesame` the most affected group should be
>= 1.5x the Han rate with AUC >= 0.75 against the observed label; on `fair` within [0.9, 1.1].

Usage::

    python benchmarks/bench_population.py                  # speed + memory, 1M and 10M
    python benchmarks/bench_population.py --sizes 1000000  # one size
    python benchmarks/bench_population.py --calibration    # the scorer check (sesame, fair)

This script measures; it asserts nothing (numbers go to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {1_000_000: (10.0, None), 10_000_000: (120.0, 2.5)}  # n: (seconds, peak GB)


def one_run(n: int, spec: str, seed: int) -> dict:
    """Generate and write one population in this process; return timings."""
    from audit.population import make_population

    t0 = time.perf_counter()
    pop = make_population(spec, n=n, seed=seed)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = pop.save(Path(tmp) / "pop.parquet")
        t2 = time.perf_counter()
        size = path.stat().st_size
    frame_bytes = int(pop.frame.memory_usage(deep=True).sum())
    return {
        "n": n,
        "generate_s": t1 - t0,
        "write_s": t2 - t1,
        "frame_bytes": frame_bytes,
        "file_bytes": size,
        "columns": pop.frame.shape[1],
    }


def measured(n: int, spec: str, seed: int) -> dict:
    """Run `one_run` in a fresh process under /usr/bin/time -v; add its peak memory."""
    cmd = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        __file__,
        "--one",
        str(n),
        "--spec",
        spec,
        "--seed",
        str(seed),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", done.stderr).group(1)
    result.update(peak_gb=peak_kb * 1024 / 1e9, process_wall=wall)
    return result


def speed(sizes: list[int], spec: str, seed: int) -> None:
    print(
        f"# population benchmark: spec={spec} seed={seed} | {platform.machine()} | "
        f"{os.cpu_count()} cores | python {platform.python_version()}"
    )
    print(
        "| people | generate (s) | people/s | write parquet (s) | frame (MB) | file (MB) | "
        "peak RSS (GB) | target |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in sizes:
        r = measured(n, spec, seed)
        limit_s, limit_gb = TARGETS.get(n, (None, None))
        checks = []
        if limit_s:
            checks.append(f"≤ {limit_s:g} s {'ok' if r['generate_s'] <= limit_s else 'MISSED'}")
        if limit_gb:
            checks.append(f"≤ {limit_gb:g} GB {'ok' if r['peak_gb'] <= limit_gb else 'MISSED'}")
        print(
            f"| {n:,} | {r['generate_s']:.1f} | {n / r['generate_s']:,.0f} | {r['write_s']:.1f} | "
            f"{r['frame_bytes'] / 1e6:,.0f} | {r['file_bytes'] / 1e6:,.0f} | {r['peak_gb']:.2f} | "
            f"{', '.join(checks) or '-'} |"
        )


def calibration(n_train: int = 200_000, n_test: int = 1_000_000, share: float = 0.05) -> None:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from audit.population import make_population

    print(
        f"# calibration: HGB trained on {n_train:,} (seed 1), blacklist the riskiest "
        f"{share:.0%} of {n_test:,} (seed 0); FPR = blacklisted among truth == 0"
    )
    for spec in ("sesame", "fair"):
        train = make_population(spec, n=n_train, seed=1)
        test = make_population(spec, n=n_test, seed=0)
        clf = HistGradientBoostingClassifier(random_state=0)
        clf.fit(train.frame[train.features], train.frame["observed"])
        f = test.frame
        risk = clf.predict_proba(f[test.features])[:, 1]
        blacklisted = risk >= np.quantile(risk, 1 - share)
        negative = f["truth"].to_numpy() == 0
        print(
            f"\n## {spec}: AUC vs observed {roc_auc_score(f['observed'], risk):.3f}, "
            f"vs truth {roc_auc_score(f['truth'], risk):.3f}"
        )
        for attr in test.protected:
            ref = test.reference[attr]
            rates = {}
            for g in f[attr].cat.categories:
                members = (f[attr] == g).to_numpy() & negative
                rates[g] = (blacklisted[members].mean(), members.sum())
            parts = [
                f"{g} {r:.4f} ({r / rates[ref][0]:.2f}x, n={m:,})" for g, (r, m) in rates.items()
            ]
            print(f"  {attr:<12} " + " · ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--spec", default="sesame")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--calibration", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.spec, args.seed)))
    elif args.calibration:
        calibration()
    else:
        speed(args.sizes, args.spec, args.seed)


if __name__ == "__main__":
    main()
