"""Benchmark and calibration of stage 2 (`audit.scoring`): the opaque social-credit scorer.

For each scenario (``sesame``, ``fair``), seed 0, 1M people: train ``SocialCreditScorer`` (threshold
and rules from the scenario's ``[scorer]`` table) on 200k people drawn with the seed, then score all
1M and measure on the 800k held-out people:

- AUC of the score against the observed label and against the truth (higher score = lower risk);
- the blacklisted share, and by ethnic group the wrongful-blacklisting rate (blacklisted among
  people whose truth is 0) and its ratio to the reference (majority) group's rate, with a 95 %
  confidence interval by the Katz log method (delta method on the log of the ratio of two
  independent binomial proportions), computed by ``scipy.stats.contingency.relative_risk``;
- the same ratios for the model alone (before the rules layer), to show what the rules add.

Targets (issue 3): held-out AUC vs observed >= 0.75; ``sesame``: most affected ethnic group's
wrongful-blacklisting rate >= 1.5x the majority's; ``fair``: that ratio in [0.9, 1.1]. Speed:
training on 200k <= 30 s, scoring 1M <= 5 s on this machine (2 cores, shared). Training and scoring
run with the default thread settings (``--threads N`` limits them); scoring is timed three times
(first and best reported). On a shared machine OpenMP threads compete with other processes, so
timings vary with the load average printed in the header.

Usage::

    python benchmarks/bench_scoring.py                    # both scenarios, 1M, train on 200k
    python benchmarks/bench_scoring.py --n 200000 --sample 50000 --scenarios sesame

This script measures; it asserts nothing (numbers go to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy.stats.contingency import relative_risk
from sklearn.metrics import roc_auc_score

TRAIN_TARGET_S, SCORE_TARGET_S, AUC_TARGET = 30.0, 5.0, 0.75


def ratios(blacklisted: np.ndarray, truth: np.ndarray, groups: pd.Series, reference: str):
    """Wrongful-blacklisting rate per group (truth == 0) and its ratio to ``reference``, Katz CI."""
    innocent = truth == 0
    table = (
        pd.DataFrame({"group": groups.to_numpy()[innocent], "bl": blacklisted[innocent]})
        .groupby("group", observed=True)["bl"]
        .agg(["sum", "count"])
    )
    ref_k, ref_n = int(table.loc[reference, "sum"]), int(table.loc[reference, "count"])
    rows = []
    for group, (k, n) in table.iterrows():
        if group == reference:
            rows.append((group, int(n), int(k) / int(n), 1.0, np.nan, np.nan))
            continue
        rr = relative_risk(int(k), int(n), ref_k, ref_n)
        ci = rr.confidence_interval(0.95)
        rows.append((group, int(n), int(k) / int(n), rr.relative_risk, ci.low, ci.high))
    return pd.DataFrame(rows, columns=["group", "n_truth0", "wrongful_rate", "ratio", "lo", "hi"])


def run(scenario: str, n: int, sample: int, seed: int) -> None:
    from audit.population import make_population
    from audit.scoring import SCORE_MAX, SCORE_MIN, proba_to_score, train_scorer

    print(f"\n=== {scenario}: n={n:,}, seed={seed}, train on {sample:,} ===", flush=True)
    t0 = time.perf_counter()
    pop = make_population(scenario, n=n, seed=seed)
    print(f"generate: {time.perf_counter() - t0:.1f} s", flush=True)
    frame = pop.frame

    t0 = time.perf_counter()
    scorer = train_scorer(pop, sample=sample, seed=seed)
    train_s = time.perf_counter() - t0
    mark = "ok" if train_s <= TRAIN_TARGET_S else "OVER"
    print(f"train {sample:,}: {train_s:.2f} s (target <= {TRAIN_TARGET_S:g} s: {mark})")

    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        score = scorer.score(frame)
        times.append(time.perf_counter() - t0)
    mark = "ok" if min(times) <= SCORE_TARGET_S else "OVER"
    print(
        f"score {n:,}: first {times[0]:.2f} s, best of 3 {min(times):.2f} s "
        f"(target <= {SCORE_TARGET_S:g} s: {mark})"
    )

    held = np.ones(n, dtype=bool)
    held[scorer.training_rows_] = False
    h = frame[held]
    s = score[held]
    auc_obs = roc_auc_score(h["observed"], -s)
    auc_truth = roc_auc_score(h["truth"], -s)
    mark = "ok" if auc_obs >= AUC_TARGET else "LOW"
    print(
        f"held-out {int(held.sum()):,}: AUC vs observed {auc_obs:.4f} "
        f"(target >= {AUC_TARGET}: {mark}), vs truth {auc_truth:.4f}"
    )
    print(
        f"threshold {scorer.threshold:g}; rules: "
        + "; ".join(
            f"{r['name']} ({r['when']}: {r.get('points', r.get('set'))})"
            for r in scorer.rules or []
        )
    )
    blacklisted = s < scorer.threshold
    print(
        f"blacklisted: {blacklisted.mean():.2%} of held-out people "
        f"(all {n:,}: {(score < scorer.threshold).mean():.2%}); "
        f"score percentiles 1/5/25/50/75/95/99: "
        f"{np.percentile(s, [1, 5, 25, 50, 75, 95, 99]).round(0).astype(int).tolist()}"
    )
    reference = pop.reference["ethnicity"]
    table = ratios(blacklisted, h["truth"].to_numpy(), h["ethnicity"], reference)
    print(f"wrongful-blacklisting rate by ethnicity (truth == 0; reference {reference}):")
    print(
        table.to_string(
            index=False,
            formatters={
                "wrongful_rate": "{:.4f}".format,
                "ratio": "{:.3f}".format,
                "lo": "{:.3f}".format,
                "hi": "{:.3f}".format,
            },
        )
    )
    others = table[table["group"] != reference]
    worst = others.loc[others["ratio"].idxmax()]
    print(
        f"most affected: {worst['group']} ratio {worst['ratio']:.3f} "
        f"(95% CI {worst['lo']:.3f}-{worst['hi']:.3f}, Katz log method)"
    )

    proba = scorer.predict_default_proba(h)
    model_only = np.clip(
        proba_to_score(
            proba, base_score=scorer.base_score, base_odds=scorer.base_odds, pdo=scorer.pdo
        ),
        SCORE_MIN,
        SCORE_MAX,
    )
    bl_model = model_only < scorer.threshold
    t2 = ratios(bl_model, h["truth"].to_numpy(), h["ethnicity"], reference)
    print(
        f"model alone (no rules): blacklisted {bl_model.mean():.2%}; ratios "
        + ", ".join(f"{g} {r:.3f}" for g, r in zip(t2["group"], t2["ratio"], strict=True))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenarios", nargs="+", default=["sesame", "fair"])
    parser.add_argument(
        "--threads", type=int, default=None, help="Limit OpenMP/BLAS threads (threadpoolctl)."
    )
    args = parser.parse_args()

    import sklearn
    from threadpoolctl import threadpool_info, threadpool_limits

    if args.threads is not None:
        threadpool_limits(args.threads)

    from audit.scoring import BASE_ODDS, BASE_SCORE, DEFAULT_THRESHOLD, PDO

    threads = sorted({(i["internal_api"], i["num_threads"]) for i in threadpool_info()})
    print(
        f"python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, threads {threads}"
    )
    print(
        f"scale: {BASE_SCORE:g} points at good:bad odds {BASE_ODDS:g}:1, {PDO:g} points to double "
        f"the odds, range [350, 950]; default threshold {DEFAULT_THRESHOLD:g}"
    )
    for scenario in args.scenarios:
        run(scenario, args.n, args.sample, args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"\npeak memory of this process: {peak:.2f} GB", file=sys.stdout)


if __name__ == "__main__":
    main()
