"""Hand-built audit.json dicts for the report tests, in the shapes the pipeline stages write.

The report only formats numbers it is given, so these fixtures need not be statistically exact; they are
internally consistent (rates follow from the confusion counts written here) so a reader of a rendered
fixture sees a plausible audit. Shapes follow `audit.metrics` (group blocks, differences/ratios with
``between_groups``, ll144, score histogram/sweep/calibration), `audit.explain` (groups with
``score_gap_ci``, ranked proxies) and `audit.cases` (count/excess/groups/by_cause, case files).

`small_result` is the golden-snapshot input; `realistic_result` has the size of a real synthetic run;
`csv_result` is what `audit csv` gives for real decisions (no truth, scorer, scores, explain or cases).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd

CI_METRICS = ("adverse_rate", "favourable_rate", "fpr", "fnr", "ppv", "fdr", "for", "base_rate")
RATES = ("adverse_rate", "favourable_rate", "fpr", "fnr", "tpr", "tnr", "ppv", "fdr", "for", "npv")
RATES += ("accuracy", "base_rate")

#: the report's sections, in page order (their element ids)
SECTIONS = [
    "summary",
    "scope",
    "data",
    "scorer",
    "impact",
    "errors",
    "scores",
    "why",
    "cases",
    "limitations",
]


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 6)


def _interval(p: float | None, n: int) -> list[float] | None:
    if p is None or n == 0:
        return None
    half = 1.96 * math.sqrt(max(p * (1 - p), 1e-4) / n)
    return [round(max(0.0, p - half), 6), round(min(1.0, p + half), 6)]


def group_block(tp: int, fp: int, fn: int, tn: int, *, min_group_size: int = 30) -> dict:
    """A group metrics block (contract shape) from confusion counts; impact ratio filled later."""
    n = tp + fp + fn + tn
    small = n < min_group_size
    rates = {
        "adverse_rate": _rate(tp + fp, n),
        "favourable_rate": _rate(fn + tn, n),
        "fpr": _rate(fp, fp + tn),
        "fnr": _rate(fn, tp + fn),
        "tpr": _rate(tp, tp + fn),
        "tnr": _rate(tn, fp + tn),
        "ppv": _rate(tp, tp + fp),
        "fdr": _rate(fp, tp + fp),
        "for": _rate(fn, fn + tn),
        "npv": _rate(tn, fn + tn),
        "accuracy": _rate(tp + tn, n),
        "base_rate": _rate(tp + fn, n),
    }
    dens = {"adverse_rate": n, "favourable_rate": n, "fpr": fp + tn, "fnr": tp + fn, "ppv": tp + fp}
    dens.update({"fdr": tp + fp, "for": fn + tn, "base_rate": n})
    block = {
        "n": n,
        "small": small,
        "counts": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        **rates,
        "auc": round(0.7 + 0.1 * (tp % 7) / 7, 6),
        "impact_ratio": None,
        "four_fifths": None,
        "ci": {m: _interval(rates[m], dens[m]) for m in CI_METRICS},
        "tests": {},
    }
    if small:
        for key in (*RATES, "auc"):
            block[key] = None
        block["ci"] = {m: None for m in CI_METRICS}
    return block


def _finish_section(groups: dict[str, dict], reference: str, *, unknown: int = 0) -> dict:
    """Impact ratios, tests, differences/ratios and the LL144 table of one grouping."""
    ref = groups[reference]
    total = sum(b["n"] for b in groups.values())
    for name, b in groups.items():
        b["share"] = round(b["n"] / total, 6)
        if b["small"]:
            continue
        b["impact_ratio"] = round(b["favourable_rate"] / ref["favourable_rate"], 6)
        b["four_fifths"] = "pass" if b["impact_ratio"] >= 0.8 else "fail"
        b["ci"]["impact_ratio"] = [
            round(b["impact_ratio"] - 0.01, 6),
            round(b["impact_ratio"] + 0.01, 6),
        ]
        if name != reference:
            fp = b["counts"]["fp"]
            b["tests"] = {
                m: {
                    "statistic": round(3.1 * (fp % 5 + 1), 4),
                    "p_value": round(0.0004 * (fp % 9 + 1), 6),
                    "p_holm": round(min(1.0, 0.0016 * (fp % 9 + 1)), 6),
                    "method": "z",
                    "against": reference,
                }
                for m in ("adverse_rate", "fpr")
            }
    usable = [b for b in groups.values() if not b["small"]]
    differences, ratios = {}, {}
    for m in ("adverse_rate", "fpr", "fnr", "ppv"):
        values = [b[m] for b in usable]
        diff = round(max(values) - min(values), 6)
        ratio = round(min(values) / max(values), 6)
        differences[m] = {
            "between_groups": diff,
            "to_overall": round(diff / 2, 6),
            "ci": {
                "between_groups": [round(diff * 0.9, 6), round(diff * 1.1, 6)],
                "to_overall": None,
            },
        }
        ratios[m] = {
            "between_groups": ratio,
            "to_overall": round((1 + ratio) / 2, 6),
            "ci": {
                "between_groups": [round(ratio * 0.95, 6), round(min(1, ratio * 1.05), 6)],
                "to_overall": None,
            },
        }
    ll_rows = {
        g: {
            "n": b["n"],
            "share": b["share"],
            "small": b["small"],
            "excluded": b["share"] < 0.02,
            "favourable_rate": b["favourable_rate"],
            "adverse_rate": b["adverse_rate"],
            "impact_ratio": b["impact_ratio"],
            "impact_ratio_excluding_small_categories": None
            if b["share"] < 0.02
            else b["impact_ratio"],
        }
        for g, b in groups.items()
        if g != "unknown"
    }
    return {
        "reference": reference,
        "reference_rule": "most_favoured",
        "unknown": unknown,
        "groups": groups,
        "differences": differences,
        "ratios": ratios,
        "ll144": {
            "min_share": 0.02,
            "unknown": unknown,
            "reference": reference,
            "reference_excluding_small_categories": reference,
            "changes_reference": False,
            "excluded": [g for g, r in ll_rows.items() if r["excluded"]],
            "rows": ll_rows,
        },
        "score_histogram": None,
        "threshold_sweep": None,
        "calibration": None,
    }


def _score_parts(groups: list[str], shifts: list[float], small: set[str]) -> dict:
    """Score histogram, threshold sweep and calibration of one attribute (smooth made-up curves)."""
    edges = [float(e) for e in range(350, 951, 20)]
    mids = np.array(edges[:-1]) + 10
    thresholds = [float(t) for t in range(350, 950, 20)]
    bands = [[float(lo), float(lo + 100)] for lo in range(350, 950, 100)]
    hist, sweep, calib = {}, {}, {}
    for group, shift in zip(groups, shifts, strict=True):
        if group in small:
            hist[group] = sweep[group] = calib[group] = None
            continue
        dens = np.exp(-0.5 * ((mids - (680 - shift)) / 80) ** 2)
        counts = np.round(dens / dens.sum() * 4000)
        adverse = np.round(counts / (1 + np.exp((mids - 560) / 40)))
        hist[group] = {
            "not_adverse": [int(c) for c in counts - adverse],
            "adverse": [int(c) for c in adverse],
        }
        t = np.array(thresholds)
        rate = 1 / (1 + np.exp(-(t - (680 - shift)) / 45))
        sweep[group] = {
            "adverse_rate": [round(float(v), 6) for v in rate],
            "fpr": [round(float(v), 6) for v in rate * 0.6],
            "fnr": [round(float(v), 6) for v in 1 - rate],
            "ppv": [round(float(v), 6) for v in 0.3 + 0.2 * rate],
            "impact_ratio": [round(float(v), 6) for v in 1 - rate * shift / 400],
        }
        calib[group] = {
            "n": [400] * len(bands),
            "adverse_label_rate": [
                round(float(1 / (1 + np.exp((lo + 50 - 600 + shift / 3) / 60))), 6)
                for lo, _ in bands
            ],
        }
    return {
        "score_histogram": {"edges": edges, "groups": hist},
        "threshold_sweep": {
            "thresholds": thresholds,
            "rule": "score < threshold",
            "overall": {},
            "groups": sweep,
        },
        "calibration": {"bands": bands, "overall": {}, "groups": calib},
    }


# (tp, fp, fn, tn) per group under the true label, and under the recorded label
REALISTIC = {
    "ethnicity": {
        "reference": "Han",
        "unknown": 412,
        "groups": {
            "Han": ((61_200, 38_300, 29_800, 650_700), (60_100, 39_400, 30_900, 649_600)),
            "Hui": ((2_410, 3_050, 1_210, 21_330), (3_700, 1_760, 1_300, 21_240)),
            "Uyghur": ((4_880, 8_920, 1_900, 41_300), (8_500, 5_300, 2_100, 41_100)),
            "Tibetan": ((1_330, 2_440, 520, 9_710), (2_400, 1_370, 560, 9_670)),
            "unknown": ((33, 41, 30, 308), (36, 38, 31, 307)),
            "Zhuang": ((3, 4, 2, 12), (3, 4, 2, 12)),
        },
        "shifts": [0, 25, 60, 55, 5, 10],
    },
    "sex": {
        "reference": "male",
        "unknown": 0,
        "groups": {
            "male": ((35_900, 27_800, 17_600, 418_700), (37_100, 26_600, 18_000, 418_300)),
            "female": ((33_956, 24_951, 15_862, 304_901), (37_639, 21_272, 16_881, 303_882)),
        },
        "shifts": [0, 8],
    },
    "age_band": {
        "reference": "45-59",
        "unknown": 0,
        "groups": {
            "18-29": ((21_000, 20_400, 9_100, 189_500), (22_500, 18_900, 9_300, 189_300)),
            "30-44": ((19_500, 13_100, 9_400, 198_000), (20_400, 12_200, 9_700, 197_700)),
            "45-59": ((16_900, 9_700, 8_100, 185_300), (17_600, 9_000, 8_300, 185_100)),
            "60+": ((12_456, 9_551, 6_862, 150_801), (14_239, 7_772, 7_581, 150_082)),
        },
        "shifts": [35, 15, 0, 20],
    },
    "registration": {
        "reference": "urban",
        "unknown": 0,
        "groups": {
            "urban": ((30_100, 17_900, 16_300, 445_700), (30_500, 17_500, 16_600, 445_400)),
            "rural-migrant": ((39_756, 34_851, 17_162, 277_901), (44_239, 30_372, 18_281, 276_782)),
        },
        "shifts": [0, 40],
    },
    "region": {
        "reference": "east",
        "unknown": 0,
        "groups": {
            "east": ((28_300, 16_400, 14_200, 371_100), (28_700, 16_000, 14_500, 370_800)),
            "central": ((21_200, 16_800, 9_900, 212_100), (22_600, 15_400, 10_100, 211_900)),
            "northwest": ((20_356, 19_551, 9_362, 140_401), (23_439, 16_472, 10_281, 139_782)),
        },
        "shifts": [0, 20, 45],
    },
}

INTERSECTION = {
    ("Han", "male"): ((31_000, 19_800, 15_100, 334_100), (30_500, 20_300, 15_600, 333_600)),
    ("Han", "female"): ((30_200, 18_500, 14_700, 316_600), (29_600, 19_100, 15_300, 316_000)),
    ("Hui", "male"): ((1_250, 1_600, 610, 10_540), (1_900, 950, 660, 10_490)),
    ("Hui", "female"): ((1_160, 1_450, 600, 10_790), (1_800, 810, 640, 10_750)),
    ("Uyghur", "male"): ((2_500, 4_700, 960, 20_840), (4_400, 2_800, 1_050, 20_750)),
    ("Uyghur", "female"): ((2_380, 4_220, 940, 20_460), (4_100, 2_500, 1_050, 20_350)),
    ("Tibetan", "male"): ((700, 1_280, 260, 4_760), (1_250, 730, 280, 4_740)),
    ("Tibetan", "female"): ((630, 1_160, 260, 4_950), (1_150, 640, 280, 4_930)),
}

FEATURES = [
    "missed_repayments",
    "late_bike_returns",
    "gaming_hours",
    "online_spend",
    "owns_home",
    "social_security",
    "education",
    "friends_listed_share",
    "critical_posts",
    "court_listed",
]

MECHANISMS = {
    "label_bias": {
        "description": "Label bias: people who in truth did not default are recorded as defaulters, at a "
        "group-dependent rate.",
        "magnitude": 0.04,
        "note": "Disputed or partial repayments more often recorded as defaults for minorities.",
        "on": True,
        "settings": {
            "base": 0.0,
            "weights": {"ethnicity": {"Hui": 0.4, "Tibetan": 0.8, "Uyghur": 1.0}},
        },
        "touched": 4_310,
    },
    "surveillance": {
        "description": "Differential surveillance: minor infractions recorded at a group-dependent rate.",
        "magnitude": 1.0,
        "note": "Denser checkpoints and cameras: more of the same infractions end up recorded.",
        "on": True,
        "settings": {
            "targets": ["late_bike_returns", "drunk_driving"],
            "weights": {"region": {"northwest": 0.5}},
        },
        "touched": 93_080,
    },
    "association": {
        "description": "Guilt by association: the share of a person's friends on the court list is a feature.",
        "magnitude": 0.7,
        "note": "Ties mostly within one's own ethnic group.",
        "on": True,
        "settings": {"by": "ethnicity", "friends": 8},
        "touched": 80_040,
    },
    "political_speech": {
        "description": "Critical posts flagged as political speech, for a hypothetical speech penalty.",
        "magnitude": 0.1,
        "note": "HYPOTHETICAL: no primary evidence such a penalty exists.",
        "on": False,
        "settings": {"posts": "critical_posts"},
        "touched": 0,
    },
}


def _sections(which: int, min_group_size: int, with_scores: bool) -> tuple[dict, dict]:
    attributes = {}
    for attr, spec in REALISTIC.items():
        groups = {
            g: group_block(*c[which], min_group_size=min_group_size)
            for g, c in spec["groups"].items()
        }
        sec = _finish_section(groups, spec["reference"], unknown=spec["unknown"])
        if with_scores:
            small = {g for g, b in groups.items() if b["small"]}
            sec.update(_score_parts(list(spec["groups"]), spec["shifts"], small))
        attributes[attr] = sec
    groups = {}
    for (eth, sex), counts in INTERSECTION.items():
        block = group_block(*counts[which], min_group_size=min_group_size)
        block["levels"] = {"ethnicity": eth, "sex": sex}
        groups[f"{eth} & {sex}"] = block
    return attributes, {"ethnicity & sex": _finish_section(groups, "Han & male")}


def _verdict(attributes: dict, intersections: dict) -> dict:
    violations = []
    for kind in (attributes, intersections):
        for attr, sec in kind.items():
            for group, g in sec["groups"].items():
                if g["four_fifths"] == "fail":
                    violations.append(
                        {
                            "criterion": "four_fifths",
                            "attribute": attr,
                            "group": group,
                            "value": g["impact_ratio"],
                            "threshold": 0.8,
                            "p_holm": g["tests"].get("adverse_rate", {}).get("p_holm"),
                        }
                    )
            ratio = sec["ratios"]["fpr"]["between_groups"]
            if ratio < 0.8:
                violations.append(
                    {
                        "criterion": "fpr_ratio",
                        "attribute": attr,
                        "group": None,
                        "value": ratio,
                        "threshold": 0.8,
                        "p_holm": None,
                    }
                )
    return {"passed": not violations, "violations": violations}


def _explain() -> dict:
    rng = np.random.default_rng(7)
    attributes = {}
    for attr, spec in REALISTIC.items():
        groups = {}
        for group, shift in zip(spec["groups"], spec["shifts"], strict=True):
            if group == "Zhuang":
                continue
            weights = rng.dirichlet(np.ones(len(FEATURES)))
            gap = 0.0 if group == spec["reference"] else -float(shift) * 0.9
            groups[group] = {
                "n_explained": 250,
                "n_population": 10_000,
                "mean_score": 640.0 + gap,
                "mean_score_population": 641.0 + gap,
                "score_gap": round(gap, 4),
                "score_gap_ci": None if gap == 0 else [round(gap - 3.1, 4), round(gap + 3.1, 4)],
                "score_gap_population": round(gap * 1.04, 4),
                "population_gap_in_ci": None if gap == 0 else True,
                "gap_by_feature": {
                    f: round(float(w) * gap, 4) for f, w in zip(FEATURES, weights, strict=True)
                },
            }
        attributes[attr] = {"reference": spec["reference"], "per_group": 250, "groups": groups}
    proxies = [
        ("friends_listed_share", "ethnicity", "Uyghur", 0.71, -18.4, 0.34),
        ("critical_posts", "ethnicity", "Tibetan", 0.58, -10.2, 0.21),
        ("social_security", "registration", "rural-migrant", 0.66, -11.6, 0.29),
        ("online_spend", "region", "northwest", 0.44, -4.9, 0.12),
        ("gaming_hours", "age_band", "18-29", 0.39, -5.7, 0.18),
    ]
    ranked = [
        {
            "feature": f,
            "attribute": a,
            "group": g,
            "reference": REALISTIC[a]["reference"],
            "predictiveness": p,
            "auc": p,
            "gap_points": pts,
            "gap_share": share,
            "proxy_points": round((2 * p - 1) * -pts, 4),
            "rank": i,
        }
        for i, (f, a, g, p, pts, share) in enumerate(proxies, 1)
    ]
    return {
        "method": "black_box",
        "method_note": "exact Shapley values from score() calls",
        "features": FEATURES,
        "constant_features": [],
        "base_value": 631.2,
        "background": {"n": 100, "source": "uniform random sample of everyone"},
        "per_group": 250,
        "n_explained": 4_500,
        "confidence": 0.95,
        "seed": 0,
        "attributes": attributes,
        "proxies": ranked,
        "proxy_method": "proxy_points = (2*predictiveness-1) * max(0, -gap_points)",
    }


def _cases(attributes: dict, n_files: int) -> tuple[dict, pd.DataFrame]:
    rng = np.random.default_rng(3)
    ethnicity = rng.choice(
        ["Han", "Hui", "Uyghur", "Tibetan"], size=n_files, p=[0.4, 0.2, 0.25, 0.15]
    )
    twin = rng.random(n_files) < 0.6
    table = pd.DataFrame(
        {
            "case_id": [f"C-{i:05d}" for i in range(n_files)],
            "sampled_for": [f"ethnicity={e}" for e in ethnicity],
            "ethnicity": ethnicity,
            "sex": rng.choice(["male", "female"], size=n_files),
            "score": np.round(rng.uniform(420, 599, size=n_files), 1),
            "threshold": 600.0,
            "blacklisted": True,
            "label": 0,
            "label_kind": "truth",
            "reasons": rng.choice(
                [
                    "friends_listed_share (-48.0 pts); missed_repayments (-31.2 pts)",
                    "critical_posts (-62.0 pts); online_spend (-20.5 pts)",
                    "court_listed (-120.0 pts)",
                    "late_bike_returns (-25.1 pts); gaming_hours (-22.0 pts)",
                ],
                size=n_files,
            ),
            "failure_mode": rng.choice(
                [
                    "label bias",
                    "differential surveillance",
                    "guilt by association",
                    "no identifiable cause",
                ],
                size=n_files,
            ),
            "twin_ethnicity_score": np.where(ethnicity == "Han", np.nan, 612.0),
            "twin_ethnicity_blacklisted": pd.array(
                [None if e == "Han" else not t for e, t in zip(ethnicity, twin, strict=True)],
                dtype="boolean",
            ),
        }
    )
    count, excess, detail = {}, {}, {}
    for attr, sec in attributes.items():
        ref = sec["reference"]
        ref_rate = sec["groups"][ref]["fpr"]
        count[attr], excess[attr], detail[attr] = {}, {}, {}
        for g, b in sec["groups"].items():
            wrong = b["counts"]["fp"]
            neg = b["counts"]["fp"] + b["counts"]["tn"]
            expected = ref_rate * neg
            count[attr][g] = wrong
            excess[attr][g] = 0.0 if g == ref else round(max(0.0, wrong - expected), 1)
            detail[attr][g] = {
                "wrongful": wrong,
                "not_adverse": neg,
                "rate": _rate(wrong, neg),
                "expected_at_reference_rate": round(expected, 1),
                "excess": excess[attr][g],
                "excess_signed": round(wrong - expected, 1),
            }
    non_ref = (ethnicity != "Han").sum()
    cleared = int(((ethnicity != "Han") & twin).sum())
    section = {
        "label": "truth",
        "label_kind": "truth",
        "label_note": "wrongful = blacklisted although in truth they would not default or violate",
        "n_wrongful": 52_751,
        "reference": {a: s["reference"] for a, s in attributes.items()},
        "count": count,
        "excess": excess,
        "excess_total": {a: round(sum(v for v in e.values()), 1) for a, e in excess.items()},
        "groups": detail,
        "by_cause_total": {
            "label_bias": 2_101,
            "surveillance": 14_312,
            "association": 9_800,
            "no identifiable cause": 26_538,
        },
        "excess_definition": "excess = max(0, wrongful - reference wrongful rate x group's people with a "
        "non-adverse label)",
        "n_case_files": n_files,
        "case_files": {
            "n": n_files,
            "by_failure_mode": {
                str(m): int(c) for m, c in table["failure_mode"].value_counts().sort_index().items()
            },
            "twins": {
                "ethnicity": {
                    "reference": "Han",
                    "n": int(non_ref),
                    "not_blacklisted": cleared,
                    "share_not_blacklisted": round(cleared / non_ref, 6),
                }
            },
            "twin_note": "twin = the same person and noise with the reference group's value, scored again",
            "reasons_note": "up to 4 features that lowered the score most, in points",
            "columns": list(table.columns),
        },
    }
    return section, table


def realistic_result() -> tuple[dict, dict[str, pd.DataFrame]]:
    """A full synthetic run (sesame-like): every section of the report has data."""
    min_group_size = 30
    attributes, intersections = _sections(0, min_group_size, with_scores=True)
    observed_attrs, observed_inter = _sections(1, min_group_size, with_scores=False)
    overall = group_block(69_856, 52_751, 33_462, 723_601)
    cases, cases_table = _cases(attributes, 120)
    data = {
        "schema_version": 1,
        "meta": {
            "n": 1_000_000,
            "seed": 0,
            "versions": {
                "audit": "0.1.0",
                "python": "3.11.2",
                "numpy": "2.4.0",
                "pandas": "3.1.0",
                "fairlearn": "0.15.0",
                "scipy": "1.17.0",
            },
            "data_sha256": "9f2c" + "0" * 56 + "beef",
            "source": "synthetic:sesame",
            "label": "truth",
            "observed_label": "observed",
            "decision": "blacklisted",
            "positive": 1,
            "score": "score",
            "protected": list(REALISTIC),
            "min_group_size": min_group_size,
            "missing": "unknown",
            "confidence": 0.95,
            "criterion": "four_fifths",
            "bootstrap_replicates": 1000,
            "tests": {"metrics": ["adverse_rate", "fpr"], "correction": "holm"},
        },
        "thresholds": {"impact_ratio": 0.8, "fpr_ratio": 0.8},
        "overall": overall,
        "attributes": attributes,
        "intersections": intersections,
        "observed": {
            "overall": overall,
            "attributes": observed_attrs,
            "intersections": observed_inter,
        },
        "verdict": _verdict(attributes, intersections),
        "population": {"name": "sesame", "seed": 0, "n": 1_000_000, "mechanisms": MECHANISMS},
        "scorer": {
            "kind": "SocialCreditScorer (HistGradientBoostingClassifier)",
            "threshold": 600.0,
            "score_range": [350, 950],
            "include_protected": False,
            "rules": [
                {"rule": "court_listed == 1", "effect": "blacklist regardless of score"},
                {"rule": "speech_flag == 1", "effect": "-200 points (hypothetical)"},
            ],
            "queried": "score(X) on all 1,000,000 people; black box",
            "features": FEATURES,
        },
        "explain": _explain(),
        "cases": cases,
    }
    return data, {"cases": cases_table}


def small_result() -> tuple[dict, dict[str, pd.DataFrame]]:
    """A small fixed audit (two attributes, no intersections, five case files): the golden input."""
    data, tables = realistic_result()
    data = copy.deepcopy(data)
    keep = {"ethnicity": ["Han", "Uyghur", "Zhuang"], "sex": ["male", "female"]}
    for block in (data["attributes"], data["observed"]["attributes"]):
        for attr in list(block):
            if attr not in keep:
                del block[attr]
                continue
            sec = block[attr]
            sec["groups"] = {g: sec["groups"][g] for g in keep[attr]}
            sec["ll144"]["rows"] = {
                g: r for g, r in sec["ll144"]["rows"].items() if g in keep[attr]
            }
            for part in ("score_histogram", "threshold_sweep", "calibration"):
                if sec.get(part):
                    sec[part]["groups"] = {g: sec[part]["groups"][g] for g in keep[attr]}
            if sec.get("threshold_sweep"):
                sweep = sec["threshold_sweep"]
                idx = list(range(0, len(sweep["thresholds"]), 3))
                sweep["thresholds"] = [sweep["thresholds"][i] for i in idx]
                for g in sweep["groups"].values():
                    if g:
                        for k in g:
                            g[k] = [g[k][i] for i in idx]
    data["meta"]["protected"] = list(keep)
    data["verdict"]["violations"] = [
        v for v in data["verdict"]["violations"] if v["attribute"] in keep
    ]
    data["verdict"]["passed"] = not data["verdict"]["violations"]
    data["intersections"] = {}
    data["observed"]["intersections"] = {}
    ex = data["explain"]
    ex["attributes"] = {"ethnicity": ex["attributes"]["ethnicity"]}
    groups = ex["attributes"]["ethnicity"]["groups"]
    ex["attributes"]["ethnicity"]["groups"] = {g: groups[g] for g in ("Han", "Uyghur")}
    ex["proxies"] = ex["proxies"][:2]
    cases = data["cases"]
    for key in ("count", "excess", "groups"):
        cases[key] = {"ethnicity": {g: cases[key]["ethnicity"][g] for g in ("Han", "Uyghur")}}
    cases["excess_total"] = {"ethnicity": cases["excess"]["ethnicity"]["Uyghur"]}
    return data, {"cases": tables["cases"].head(5)}


def csv_result() -> dict:
    """What `audit csv` on real decisions gives: no ground truth, scorer, scores, explain or cases."""
    data, _ = realistic_result()
    data = copy.deepcopy(data)
    for key in ("population", "scorer", "explain", "cases"):
        del data[key]
    data["observed"] = None
    data["meta"].update(
        {
            "source": "decisions.csv",
            "label": "defaulted",
            "observed_label": None,
            "decision": "refused",
            "score": None,
            "seed": None,
        }
    )
    for sec in data["attributes"].values():
        for key in ("score_histogram", "threshold_sweep", "calibration"):
            sec[key] = None
    return data
