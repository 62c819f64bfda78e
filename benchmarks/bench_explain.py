"""Benchmark of stages 3b/3c (`audit.explain`, `audit.cases`): speed of the explanation phase, and our
black-box SHAP path against ``shap.PermutationExplainer``.

Targets (issue 5):

1. The explanation phase of a 1M-person audit with default sampling <= 120 s on the 2-core machine.
   The phase = ``select_cases`` (counts, excess, causes, case sample) + ``explain_scores`` (default
   per_group=200 per group of each of the 5 protected attributes, background=100, plus every case
   file) + ``build_case_files`` (reason codes, tags, counterfactual twins for every protected
   attribute). Generating the population, fitting the scorer and scoring everyone are earlier
   phases (timed, reported separately; the scorer is fitted on the first 200k people).
2. Per-person cost of our black-box path vs ``shap.PermutationExplainer`` with its defaults
   (max_evals=500, ``maskers.Independent`` over the same 100-row background) on the same scorer
   and people, and their agreement. Both are compared with a high-precision reference: SHAP's
   permutation explainer with max_evals=REF_EVALS on the same people.

Usage::

    python benchmarks/bench_explain.py                 # both parts, n = 1M
    python benchmarks/bench_explain.py --n 200000      # smaller
    python benchmarks/bench_explain.py --skip-phase    # only the per-person comparison

This script measures; it asserts nothing (numbers go to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

REF_EVALS = 5000


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def phase(n: int, seed: int) -> tuple[object, object, dict]:
    from audit.cases import build_case_files, select_cases
    from audit.explain import explain_scores
    from audit.population import make_population
    from audit.scoring import SocialCreditScorer

    t = {}
    t0 = time.perf_counter()
    pop = make_population("sesame", n=n, seed=seed)
    f = pop.frame
    t["generate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    train = f.iloc[: min(n, 200_000)]
    scorer = SocialCreditScorer.from_spec(pop.spec.scorer).fit(train, train["observed"])
    t["fit (200k)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = scorer.score(f)
    decisions = scores < scorer.threshold
    t["score everyone"] = time.perf_counter() - t0

    start = time.perf_counter()
    sel = select_cases(f, decisions, protected=pop.protected, reference=pop.reference, seed=seed)
    t["select_cases"] = time.perf_counter() - start
    t0 = time.perf_counter()
    ex = explain_scores(
        scorer,
        f,
        protected=pop.protected,
        reference=pop.reference,
        extra_rows=sel.rows,
        scores=scores,
        seed=seed,
    )
    t["explain_scores"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cf = build_case_files(
        sel, f, scorer=scorer, explanation=ex, population=pop, mechanism_info=pop.mechanisms
    )
    t["build_case_files"] = time.perf_counter() - t0
    t["explanation phase"] = time.perf_counter() - start
    d = ex.to_dict()
    info = {
        "method": d["method"],
        "n_explained": d["n_explained"],
        "n_cases": len(cf.table),
        "rows_scored": d["rows_scored"],
        "score_calls": d["score_calls"],
        "timings": t,
        "top_proxies": d["proxies"][:3],
        "uyghur": d["attributes"]["ethnicity"]["groups"]["Uyghur"],
        "excess": cf.to_dict()["excess"]["ethnicity"],
        "by_failure_mode": cf.to_dict()["case_files"]["by_failure_mode"],
    }
    return pop, scorer, info


def compare(pop, scorer, n_people: int, seed: int) -> dict:
    import shap

    from audit.explain import _shapley

    f = pop.frame
    features = list(scorer.feature_names)
    rng = np.random.default_rng(seed)
    bg = f[features].iloc[np.sort(rng.choice(len(f), 100, replace=False))].reset_index(drop=True)
    people = f[features].iloc[np.sort(rng.choice(len(f), n_people, replace=False))]
    fn = _shapley.make_score_function(scorer, f, features)

    t0 = time.perf_counter()
    ours, base, fx = _shapley.shapley_black_box(fn, people, bg, seed=seed)
    t_ours = time.perf_counter() - t0
    rows_ours = fn.rows

    def model(a: np.ndarray) -> np.ndarray:
        return scorer.score(pd.DataFrame(a, columns=features).astype(people.dtypes.to_dict()))

    masker = shap.maskers.Independent(bg.to_numpy(np.float64), max_samples=100)
    arr = people.to_numpy(np.float64)
    t0 = time.perf_counter()
    default = shap.PermutationExplainer(model, masker, seed=seed)(arr, silent=True).values
    t_default = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = shap.PermutationExplainer(model, masker, seed=seed + 1)(
        arr, max_evals=REF_EVALS, silent=True
    ).values
    t_ref = time.perf_counter() - t0

    def agreement(a: np.ndarray, b: np.ndarray) -> dict:
        d = np.abs(a - b)
        top_a = np.argsort(a, axis=1)[:, :4]
        top_b = np.argsort(b, axis=1)[:, :4]
        overlap = np.mean([len(set(x) & set(y)) / 4 for x, y in zip(top_a, top_b, strict=True)])
        return {
            "mean_abs": float(d.mean()),
            "p95_abs": float(np.quantile(d, 0.95)),
            "max_abs": float(d.max()),
            "corr": float(np.corrcoef(a.ravel(), b.ravel())[0, 1]),
            "top4_overlap": float(overlap),
        }

    return {
        "n_people": n_people,
        "features": len(features),
        "mean_abs_value_ref": float(np.abs(ref).mean()),
        "additivity_ours": float(np.abs(base + ours.sum(1) - fx).max()),
        "s_per_person": {
            "ours": t_ours / n_people,
            "shap_default": t_default / n_people,
            f"shap_{REF_EVALS}": t_ref / n_people,
        },
        "rows_per_person_ours": rows_ours / n_people,
        "ours_vs_shap_default": agreement(ours, default),
        "ours_vs_ref": agreement(ours, ref),
        "shap_default_vs_ref": agreement(default, ref),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--people", type=int, default=20, help="people in the per-person comparison")
    ap.add_argument("--skip-phase", action="store_true")
    args = ap.parse_args()
    print(f"# bench_explain  python {platform.python_version()}  cores {os.cpu_count()}")
    print(f"load average at start: {_load()}")
    if args.skip_phase:
        from audit.population import make_population
        from audit.scoring import SocialCreditScorer

        pop = make_population("sesame", n=min(args.n, 200_000), seed=args.seed)
        scorer = SocialCreditScorer.from_spec(pop.spec.scorer).fit(pop.frame, pop.frame.observed)
    else:
        pop, scorer, info = phase(args.n, args.seed)
        print(f"\n## Explanation phase, sesame n={args.n:,}, default sampling")
        for k, v in info["timings"].items():
            print(f"  {k:<20} {v:8.1f} s")
        print(
            f"  method={info['method']}  people explained={info['n_explained']:,}  "
            f"case files={info['n_cases']}  rows scored={info['rows_scored']:,} in "
            f"{info['score_calls']} calls"
        )
        u = info["uyghur"]
        ci = ", ".join(f"{x:.1f}" for x in u["score_gap_ci"])
        print(
            f"  Uyghur vs Han: sampled gap {u['score_gap']:.1f} pts (95% CI {ci}), population gap "
            f"{u['score_gap_population']:.1f} pts, n explained {u['n_explained']}"
        )
        print(
            "  excess wrongful blacklistings by ethnicity:",
            {k: round(v, 1) for k, v in info["excess"].items() if v is not None},
        )
        print("  case files by failure mode:", info["by_failure_mode"])
        for p in info["top_proxies"]:
            print(
                f"  proxy #{p['rank']}: {p['feature']} for {p['attribute']}={p['group']}: "
                f"predictiveness {p['predictiveness']:.3f}, {p['gap_points']:.1f} pts of the gap"
            )
        print(f"load average after phase: {_load()}")
    c = compare(pop, scorer, args.people, args.seed)
    print(
        f"\n## Per person: our black box vs shap.PermutationExplainer (defaults), {c['n_people']} "
        f"people, {c['features']} features, background 100"
    )
    for k, v in c["s_per_person"].items():
        print(f"  {k:<16} {v * 1000:9.1f} ms/person")
    print(f"  our rows scored per person: {c['rows_per_person_ours']:.0f}")
    print(f"  our additivity error (max |base + sum - score|): {c['additivity_ours']:.2e} pts")
    print(f"  mean |SHAP value| (reference): {c['mean_abs_value_ref']:.2f} pts")
    for k in ("ours_vs_shap_default", "ours_vs_ref", "shap_default_vs_ref"):
        a = c[k]
        print(
            f"  {k:<20} mean|d| {a['mean_abs']:.2f}  p95|d| {a['p95_abs']:.2f}  max|d| "
            f"{a['max_abs']:.2f} pts  corr {a['corr']:.4f}  top-4 reasons overlap "
            f"{a['top4_overlap']:.2f}"
        )
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
