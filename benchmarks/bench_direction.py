"""Monte Carlo of the direction guard's AUC interval (audit/explain/_direction.py).

What it is for: the guard reports the AUC with a DeLong interval on the logit scale and warns "the
scores rank the label backwards" when a one-sided Mann-Whitney test says the adverse people score
higher. This checks, by simulation, that the interval holds its nominal 95 % coverage, that the
warning fires on a scorer with no ranking power (true AUC 0.5) at most 2.5 % of the time (its
nominal one-sided level), and how often it fires on inverted scorers (true AUC 0.3).

Model: binormal scores. Non-adverse people score N(0, 1), adverse people N(-d, 1) (low score =
risky), so the true AUC is Phi(d / sqrt(2)) exactly. Scores are rounded to whole points in some
cells to create ties (real scorers give points). Seeded per cell; each rate has its Monte Carlo SE.

What it must not do: assert (it measures; numbers go to benchmarks/RESULTS.md).

    python benchmarks/bench_direction.py            # 2,000 replicates per cell
    python benchmarks/bench_direction.py --reps 500
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this tree's `audit`

from audit.explain._direction import check_direction

ROOT_SEED = 20_261_202
CELLS = [  # (adverse people, non-adverse people, true AUC, scores rounded to points?)
    (n_adv, n_not, auc, rounded)
    for n_adv, n_not in ((10, 90), (30, 300), (200, 2_000), (2_000, 20_000))
    for auc in (0.5, 0.7, 0.9, 0.3)
    for rounded in (False, True)
]


def run_cell(n_adv: int, n_not: int, auc: float, rounded: bool, reps: int) -> dict:
    rng = np.random.default_rng(
        [ROOT_SEED, zlib.crc32(repr((n_adv, n_not, auc, rounded)).encode())]
    )
    d = math.sqrt(2) * stats.norm.ppf(auc)
    covered = below = 0
    for _ in range(reps):
        scores = np.concatenate([rng.normal(-d, 1, n_adv), rng.normal(0, 1, n_not)])
        if rounded:  # a points scale: 40 points per standard deviation, whole points
            scores = np.round(650 + 40 * scores)
        adverse = np.arange(n_adv + n_not) < n_adv
        out = check_direction(scores, adverse, scores < np.median(scores), label="y")
        low, high = out["auc"]["ci"]
        covered += low <= auc <= high
        below += "inverted" in [w["code"] for w in out["warnings"]]
    return {"cover": covered / reps, "warn": below / reps}


def se(p: float, reps: int) -> float:
    return math.sqrt(p * (1 - p) / reps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=2_000)
    args = ap.parse_args()
    start = time.perf_counter()
    print(f"# bench_direction: {args.reps} replicates per cell, root seed {ROOT_SEED}\n")
    print(
        "| adverse | not adverse | true AUC | whole points | coverage % (SE) | warns 'backwards' % (SE) |"
    )
    print("|---:|---:|---:|---|---|---|")
    worst = 1.0
    for n_adv, n_not, auc, rounded in CELLS:
        r = run_cell(n_adv, n_not, auc, rounded, args.reps)
        worst = min(worst, r["cover"])
        print(f"| {n_adv:,} | {n_not:,} | {auc} | {'yes' if rounded else 'no'} | "
              f"{100 * r['cover']:.1f} ({100 * se(r['cover'], args.reps):.1f}) | "
              f"{100 * r['warn']:.1f} ({100 * se(r['warn'], args.reps):.1f}) |")  # fmt: skip
    print(f"\nlowest coverage {100 * worst:.1f} %; time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
