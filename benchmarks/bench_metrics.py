"""Benchmark of the disparity engine (audit.metrics), side by side with fairlearn, in one run.

1. 1M rows, two protected attributes (5 and 2 groups) and their intersection: the full audit
   (every metric, AUC / calibration / threshold sweep from a score, Wilson, Newcombe and
   Miettinen-Nurminen intervals, simultaneous range intervals, z / Fisher and k x 2 tests with
   Holm, the verdict on simultaneous bounds) against ``fairlearn.metrics.MetricFrame``
   computing four metrics (selection rate, false positive rate, false negative rate, precision)
   with difference() and ratio() for the same three groupings on the same data. Target: >= 300x.
2. 100M rows read from a Parquet file in chunks (the file is generated with numpy in row groups
   under benchmarks/out/, not committed), audited in a child process under ``/usr/bin/time -v``.
   Targets: <= 60 s wall time, peak resident memory <= 2 GB.

Run from the repository root::

    .venv/bin/python benchmarks/bench_metrics.py            # both parts
    .venv/bin/python benchmarks/bench_metrics.py --skip-big # part 1 only

Figures go to benchmarks/RESULTS.md ("## Disparity engine").
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
ETHNICITIES = ["Han", "Uyghur", "Hui", "Tibetan", "Zhuang"]
SHARES = [0.6, 0.15, 0.1, 0.1, 0.05]


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """n people: ethnicity (5 groups), sex (2), adverse label, score 350-950, decision."""
    rng = np.random.default_rng(seed)
    eth = rng.choice(len(ETHNICITIES), n, p=SHARES).astype(np.int8)
    sex = rng.integers(0, 2, n, dtype=np.int8)
    y = (rng.random(n) < 0.2).astype(np.int8)
    score = np.clip(rng.normal(650, 80, n) - 60 * y - 30 * (eth == 1), 350, 950)
    return pd.DataFrame(
        {
            "defaulted": y,
            "blacklisted": (score < 560).astype(np.int8),
            "ethnicity": pd.Categorical.from_codes(eth, ETHNICITIES),
            "sex": pd.Categorical.from_codes(sex, ["female", "male"]),
            "score": score,
        }
    )


def bench_in_memory(n: int, repeats: int, skip_fairlearn: bool) -> None:
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )
    from sklearn.metrics import precision_score

    from audit.metrics import audit_decisions

    frame = make_frame(n)
    kw = {
        "label": "defaulted",
        "decision": "blacklisted",
        "protected": ["ethnicity", "sex"],
        "score": "score",
    }
    audit_decisions(frame, **kw)  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = audit_decisions(frame, **kw)
        times.append(time.perf_counter() - t0)
    ours = statistics.median(times)
    d = result.to_dict()
    n_groups = sum(len(s["groups"]) for k in ("attributes", "intersections") for s in d[k].values())
    print(f"## 1. {n:,} rows, ethnicity (5) x sex (2) + intersection ({n_groups} groups)")
    print(
        f"audit_decisions (full audit: 12 rates + AUC per group, sweep, calibration, Wilson / "
        f"Newcombe / Miettinen-Nurminen intervals, z/Fisher + k x 2 tests + Holm, verdict "
        f"{d['verdict']['outcome']} over {d['verdict']['family_size']} comparisons): "
        f"median {ours * 1000:.0f} ms over {repeats} runs (min {min(times) * 1000:.0f} ms)"
    )
    print(f"audit.json: {len(result.to_json()) / 1e3:.0f} kB")
    if skip_fairlearn:
        return
    metrics = {
        "selection_rate": selection_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
        "precision": precision_score,
    }
    y, p = frame["defaulted"].to_numpy(), frame["blacklisted"].to_numpy()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for features in (frame["ethnicity"], frame["sex"], frame[["ethnicity", "sex"]]):
            mf = MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=features)
            mf.difference()
            mf.ratio()
            mf_last = mf
    theirs = time.perf_counter() - t0
    print(
        f"fairlearn MetricFrame (4 metrics, difference + ratio, same 3 groupings): {theirs:.1f} s"
    )
    print(f"speed-up: {theirs / ours:.0f}x (target >= 300x)")
    # the numbers agree
    han = d["attributes"]["ethnicity"]["groups"]["Han"]
    by = mf_last.by_group.loc[("Han", "female")]
    mine = d["intersections"]["ethnicity & sex"]["groups"]["Han & female"]
    assert abs(mine["fpr"] - by["false_positive_rate"]) < 1e-12
    assert abs(mine["adverse_rate"] - by["selection_rate"]) < 1e-12
    print(f"check: Han & female fpr equal to fairlearn's to 1e-12 (Han fpr {han['fpr']:.4f})")


def write_big_parquet(path: Path, n: int, row_group: int = 1_000_000) -> None:
    """Generate the 100M-row file chunk by chunk with numpy (never the whole table in memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    t0 = time.perf_counter()
    try:
        for i, start in enumerate(range(0, n, row_group)):
            frame = make_frame(min(row_group, n - start), seed=1000 + i)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=row_group)
    finally:
        if writer is not None:
            writer.close()
    os.replace(tmp, path)
    size = path.stat().st_size / 1e9
    print(f"generated {path.relative_to(ROOT)}: {n:,} rows, {size:.2f} GB "
          f"in {time.perf_counter() - t0:.0f} s")  # fmt: skip


def run_big_child(path: str, chunk_size: int) -> None:
    """In the child process: audit the Parquet file chunk by chunk and report the time."""
    from audit.metrics import audit_file

    t0 = time.perf_counter()
    result = audit_file(
        path,
        label="defaulted",
        decision="blacklisted",
        protected=["ethnicity", "sex"],
        score="score",
        chunk_size=chunk_size,
    )
    elapsed = time.perf_counter() - t0
    meta = result.to_dict()["meta"]
    print(f"audited {meta['n']:,} rows in {elapsed:.1f} s; data_sha256 {meta['data_sha256'][:16]}…")
    print(result.summary().splitlines()[1])


def bench_big(n: int, chunk_size: int) -> None:
    path = OUT / f"decisions_{n}.parquet"
    if not path.exists():
        write_big_parquet(path, n)
    print(f"## 2. {n:,} rows from Parquet in chunks of {chunk_size:,} (score, 2 attributes + "
          "intersection, full audit)")  # fmt: skip
    timer = "/usr/bin/time"
    if not Path(timer).exists():
        sys.exit("needs /usr/bin/time (apt-get install time)")
    cmd = [timer, "-v", sys.executable, __file__, "--child", str(path), "--chunk-size",
           str(chunk_size)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    print(proc.stdout.strip())
    if proc.returncode:
        print(proc.stderr)
        sys.exit(proc.returncode)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (.+)", proc.stderr).group(1).strip()
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    print(f"/usr/bin/time -v: wall {wall} (whole process, Python start-up included), "
          f"peak RSS {rss_kb / 1024 / 1024:.2f} GB (targets: <= 60 s, <= 2 GB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--chunk-size", type=int, default=1_000_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-fairlearn", action="store_true")
    parser.add_argument("--child", metavar="PARQUET", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        run_big_child(args.child, args.chunk_size)
        return
    print(f"# bench_metrics on {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")  # fmt: skip
    bench_in_memory(args.rows, args.repeats, args.skip_fairlearn)
    if not args.skip_big:
        bench_big(args.big_rows, args.chunk_size)


if __name__ == "__main__":
    main()
