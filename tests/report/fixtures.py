"""Hand-built audit.json dicts for the report tests, following the audit.json contract (schema 1).

The report only formats numbers it is given, so these fixtures need not be statistically exact; they
are internally consistent (rates follow from the confusion counts written here) so that a reader of a
rendered fixture sees a plausible audit. `small_result` is the golden-snapshot input; `realistic_result`
is the size of a real synthetic run (5 attributes, an intersection, truth and records, explain, cases).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd

METRICS = ("adverse_rate", "fpr", "fnr", "ppv")


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
    block = {
        "n": n,
        "small": small,
        "counts": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "adverse_rate": _rate(tp + fp, n),
        "favourable_rate": _rate(fn + tn, n),
        "impact_ratio": None,
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
        "auc": None if small else round(0.7 + 0.1 * (tp % 7) / 7, 6),
        "four_fifths": None,
    }
    dens = {"adverse_rate": n, "fpr": fp + tn, "fnr": tp + fn, "ppv": tp + fp}
    block["ci"] = {m: _interval(block[m], dens[m]) for m in METRICS}
    block["tests"] = {
        m: {
            "statistic": round(3.1 * (fp % 5 + 1), 4),
            "p_value": round(0.0004 * (fp % 9 + 1), 6),
            "p_holm": round(min(1.0, 0.0016 * (fp % 9 + 1)), 6),
            "method": "two-proportion z-test",
        }
        for m in ("adverse_rate", "fpr")
    }
    if small:
        for key in ("adverse_rate", "favourable_rate", "fpr", "fnr", "tpr", "tnr", "ppv", "fdr"):
            block[key] = None
        for key in ("for", "npv", "accuracy", "base_rate"):
            block[key] = None
        block["ci"] = {m: None for m in METRICS}
        block["tests"] = {}
    return block


def _finish_attribute(groups: dict[str, dict], reference: str, *, unknown: int = 0) -> dict:
    ref_fav = groups[reference]["favourable_rate"]
    for block in groups.values():
        if block["small"] or ref_fav is None:
            continue
        block["impact_ratio"] = round(block["favourable_rate"] / ref_fav, 6)
        block["four_fifths"] = "pass" if block["impact_ratio"] >= 0.8 else "fail"
    usable = [b for b in groups.values() if not b["small"]]
    return {
        "reference": reference,
        "reference_rule": "most_favoured",
        "unknown": unknown,
        "groups": groups,
        "differences": {
            "adverse_rate": round(
                max(b["adverse_rate"] for b in usable) - min(b["adverse_rate"] for b in usable), 6
            ),
            "fpr": round(max(b["fpr"] for b in usable) - min(b["fpr"] for b in usable), 6),
        },
        "ratios": {
            "adverse_rate": round(
                min(b["adverse_rate"] for b in usable) / max(b["adverse_rate"] for b in usable), 6
            ),
            "fpr": round(min(b["fpr"] for b in usable) / max(b["fpr"] for b in usable), 6),
        },
    }


def _score_parts(groups: list[str], shifts: list[float], threshold: float) -> dict:
    """Score histogram, threshold sweep and calibration for one attribute (smooth made-up curves)."""
    edges = [float(e) for e in range(350, 951, 25)]
    mids = np.array(edges[:-1]) + 12.5
    thresholds = [float(t) for t in range(400, 901, 20)]
    hist, sweep, calib = {}, {}, {}
    for group, shift in zip(groups, shifts, strict=True):
        dens = np.exp(-0.5 * ((mids - (680 - shift)) / 80) ** 2)
        hist[group] = [int(c) for c in np.round(dens / dens.sum() * 4000)]
        t = np.array(thresholds)
        adverse = 1 / (1 + np.exp(-(t - (680 - shift)) / 45))
        sweep[group] = {
            "adverse_rate": [round(float(v), 6) for v in adverse],
            "fpr": [round(float(v), 6) for v in adverse * 0.6],
        }
        cal_mid = [float(m) for m in mids[::4]]
        calib[group] = {
            "mean_score": cal_mid,
            "label_rate": [
                round(float(1 / (1 + np.exp((m - 600 + shift / 3) / 60))), 6) for m in cal_mid
            ],
        }
    return {
        "score_histogram": {"edges": edges, "groups": hist, "threshold": threshold},
        "threshold_sweep": {"thresholds": thresholds, "groups": sweep, "threshold": threshold},
        "calibration": {"groups": calib},
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
            "rural": ((39_756, 34_851, 17_162, 277_901), (44_239, 30_372, 18_281, 276_782)),
        },
        "shifts": [0, 40],
    },
    "region": {
        "reference": "east",
        "unknown": 0,
        "groups": {
            "east": ((28_300, 16_400, 14_200, 371_100), (28_700, 16_000, 14_500, 370_800)),
            "central": ((21_200, 16_800, 9_900, 212_100), (22_600, 15_400, 10_100, 211_900)),
            "west": ((20_356, 19_551, 9_362, 140_401), (23_439, 16_472, 10_281, 139_782)),
        },
        "shifts": [0, 20, 45],
    },
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


def _build_attributes(spec: dict, which: int, min_group_size: int) -> dict:
    groups = {
        g: group_block(*counts[which], min_group_size=min_group_size)
        for g, counts in spec["groups"].items()
    }
    return _finish_attribute(groups, spec["reference"], unknown=spec["unknown"])


def realistic_result() -> tuple[dict, dict[str, pd.DataFrame]]:
    """A full synthetic run (sesame-like): every section of the report has data."""
    min_group_size = 30
    threshold = 600.0
    attributes, observed = {}, {}
    for attr, spec in REALISTIC.items():
        attributes[attr] = _build_attributes(spec, 0, min_group_size)
        observed[attr] = _build_attributes(spec, 1, min_group_size)
        attributes[attr].update(_score_parts(list(spec["groups"]), spec["shifts"], threshold))

    inter_counts = {
        ("Han", "male"): ((31_000, 19_800, 15_100, 334_100), (30_500, 20_300, 15_600, 333_600)),
        ("Han", "female"): ((30_200, 18_500, 14_700, 316_600), (29_600, 19_100, 15_300, 316_000)),
        ("Hui", "male"): ((1_250, 1_600, 610, 10_540), (1_900, 950, 660, 10_490)),
        ("Hui", "female"): ((1_160, 1_450, 600, 10_790), (1_800, 810, 640, 10_750)),
        ("Uyghur", "male"): ((2_500, 4_700, 960, 20_840), (4_400, 2_800, 1_050, 20_750)),
        ("Uyghur", "female"): ((2_380, 4_220, 940, 20_460), (4_100, 2_500, 1_050, 20_350)),
        ("Tibetan", "male"): ((700, 1_280, 260, 4_760), (1_250, 730, 280, 4_740)),
        ("Tibetan", "female"): ((630, 1_160, 260, 4_950), (1_150, 640, 280, 4_930)),
    }

    def intersection(which: int) -> dict:
        groups = {}
        for (eth, sex), counts in inter_counts.items():
            block = group_block(*counts[which], min_group_size=min_group_size)
            block["levels"] = {"ethnicity": eth, "sex": sex}
            groups[f"{eth} & {sex}"] = block
        return {"ethnicity & sex": _finish_attribute(groups, "Han & male")}

    intersections = intersection(0)
    observed_inter = intersection(1)

    overall = group_block(69_856, 52_751, 33_462, 723_601)
    overall["impact_ratio"] = None
    violations = []
    for attr, block in {**attributes, **intersections}.items():
        for group, g in block["groups"].items():
            if g["four_fifths"] == "fail":
                violations.append(
                    {
                        "criterion": "impact_ratio",
                        "attribute": attr,
                        "group": group,
                        "value": g["impact_ratio"],
                        "threshold": 0.8,
                    }
                )
            ref_fpr = block["groups"][block["reference"]]["fpr"]
            if g["fpr"] is not None and ref_fpr and ref_fpr / g["fpr"] < 0.8:
                violations.append(
                    {
                        "criterion": "fpr_ratio",
                        "attribute": attr,
                        "group": group,
                        "value": round(ref_fpr / g["fpr"], 6),
                        "threshold": 0.8,
                    }
                )

    explain_attrs = {}
    rng = np.random.default_rng(7)
    for attr, spec in REALISTIC.items():
        groups = {}
        for group, shift in zip(spec["groups"], spec["shifts"], strict=True):
            if group == spec["reference"] or group == "Zhuang":
                continue
            weights = rng.dirichlet(np.ones(len(FEATURES)))
            gap = -float(shift) * 0.9
            groups[group] = {
                "score_gap": round(gap, 4),
                "score_gap_population": round(gap * 1.04, 4),
                "interval": [round(gap - 3.1, 4), round(gap + 3.1, 4)],
                "gap_by_feature": {
                    f: round(float(w) * gap, 4) for f, w in zip(FEATURES, weights, strict=True)
                },
            }
        explain_attrs[attr] = {"reference": spec["reference"], "groups": groups}
    proxies = [
        {
            "feature": "friends_listed_share",
            "attribute": "ethnicity",
            "predictiveness": 0.71,
            "gap_share": 0.34,
        },
        {
            "feature": "critical_posts",
            "attribute": "ethnicity",
            "predictiveness": 0.58,
            "gap_share": 0.21,
        },
        {
            "feature": "social_security",
            "attribute": "registration",
            "predictiveness": 0.66,
            "gap_share": 0.29,
        },
        {
            "feature": "online_spend",
            "attribute": "region",
            "predictiveness": 0.44,
            "gap_share": 0.12,
        },
        {
            "feature": "gaming_hours",
            "attribute": "age_band",
            "predictiveness": 0.39,
            "gap_share": 0.18,
        },
    ]
    explain = {
        "method": "KernelSHAP on score(X), 200 background rows, 2,000 explained rows",
        "attributes": explain_attrs,
        "proxies": proxies,
        "reason_codes": {
            "most_common": [
                {"feature": "missed_repayments", "share": 0.41},
                {"feature": "friends_listed_share", "share": 0.22},
                {"feature": "court_listed", "share": 0.15},
            ]
        },
    }

    n_cases = 120
    rng = np.random.default_rng(3)
    eth = rng.choice(["Han", "Hui", "Uyghur", "Tibetan"], size=n_cases, p=[0.5, 0.15, 0.25, 0.1])
    cases_table = pd.DataFrame(
        {
            "case_id": [f"C-{i:05d}" for i in range(n_cases)],
            "ethnicity": eth,
            "sex": rng.choice(["male", "female"], size=n_cases),
            "score": np.round(rng.uniform(420, 599, size=n_cases), 1),
            "reasons": rng.choice(
                [
                    "friends_listed_share (-48); missed_repayments (-31); region (-12)",
                    "critical_posts (-62); online_spend (-20)",
                    "court_listed (-120); stale record, debt paid",
                    "late_bike_returns (-25); gaming_hours (-22); social_security (-18)",
                ],
                size=n_cases,
            ),
            "failure_mode": rng.choice(
                ["no notification", "record-linkage error", "stale data", "guilt by association"],
                size=n_cases,
            ),
        }
    )
    count = {
        attr: {g: int(attributes[attr]["groups"][g]["counts"]["fp"]) for g in spec["groups"]}
        for attr, spec in REALISTIC.items()
    }
    excess = {"ethnicity": {"Han": 0.0, "Hui": 1_210.5, "Uyghur": 4_402.3, "Tibetan": 1_126.8}}
    excess["registration"] = {"urban": 0.0, "rural": 16_002.1}
    cases = {
        "total": int(overall["counts"]["fp"]),
        "count": count,
        "excess": excess,
        "columns": list(cases_table.columns),
    }

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
                "scikit-learn": "1.9.0",
                "fairlearn": "0.15.0",
                "shap": "0.51.0",
            },
            "data_sha256": "9f2c" + "0" * 56 + "beef",
            "source": "synthetic:sesame",
            "label": "truth",
            "decision": "blacklisted",
            "positive": 1,
            "score": "score",
            "protected": list(REALISTIC),
            "min_group_size": min_group_size,
            "missing": "unknown",
            "confidence": 0.95,
            "criterion": "impact_ratio",
        },
        "thresholds": {"impact_ratio": 0.8, "fpr_ratio": 0.8},
        "overall": overall,
        "attributes": attributes,
        "intersections": intersections,
        "observed": {"label": "observed", "attributes": observed, "intersections": observed_inter},
        "verdict": {"passed": not violations, "violations": violations},
        "population": {
            "name": "sesame",
            "description": "Sesame-style commercial score with a court blacklist feeding it.",
            "n": 1_000_000,
            "seed": 0,
            "mechanisms": {
                "label_bias": {
                    "magnitude": 1.6,
                    "description": "Defaults over-recorded for Uyghur, Hui and Tibetan people (x1.6).",
                },
                "differential_surveillance": {
                    "magnitude": 2.0,
                    "description": "Twice the monitoring in the west region: more minor infractions recorded.",
                },
                "proxy_social_ties": {
                    "magnitude": 0.7,
                    "description": "Homophilous social graph: listed friends correlate with ethnicity.",
                },
                "political_speech_penalty": {
                    "magnitude": 200.0,
                    "description": "Hypothetical: critical posts cost 200 points (no primary evidence).",
                },
            },
        },
        "scorer": {
            "kind": "SocialCreditScorer (HistGradientBoostingClassifier)",
            "threshold": threshold,
            "include_protected": False,
            "rules": [
                {"rule": "court_listed == 1", "effect": "blacklist regardless of score"},
                {"rule": "speech_flag == 1", "effect": "-200 points (hypothetical)"},
            ],
            "score_mapping": "350 + 600 x (1 - predicted probability of default)",
            "queried": "score(X) on all 1,000,000 people; black box (no access to internals)",
            "features": FEATURES,
        },
        "explain": explain,
        "cases": cases,
    }
    return data, {"cases": cases_table}


def small_result() -> tuple[dict, dict[str, pd.DataFrame]]:
    """A small fixed audit (two attributes, two or three groups each): the golden-snapshot input."""
    data, tables = realistic_result()
    data = copy.deepcopy(data)
    keep = {"ethnicity": ["Han", "Uyghur", "Zhuang"], "sex": ["male", "female"]}
    for block in (data["attributes"], data["observed"]["attributes"]):
        for attr in list(block):
            if attr not in keep:
                del block[attr]
                continue
            a = block[attr]
            a["groups"] = {g: a["groups"][g] for g in keep[attr]}
            for part in ("score_histogram", "threshold_sweep"):
                if part in a:
                    a[part]["groups"] = {
                        g: a[part]["groups"][g] for g in keep[attr] if g != "Zhuang"
                    }
            if "calibration" in a:
                a["calibration"]["groups"] = {
                    g: a["calibration"]["groups"][g] for g in keep[attr] if g != "Zhuang"
                }
            if "threshold_sweep" in a:
                sweep = a["threshold_sweep"]
                idx = list(range(0, len(sweep["thresholds"]), 5))
                sweep["thresholds"] = [sweep["thresholds"][i] for i in idx]
                for g in sweep["groups"].values():
                    for k in g:
                        g[k] = [g[k][i] for i in idx]
    data["meta"]["protected"] = list(keep)
    data["verdict"]["violations"] = [
        v for v in data["verdict"]["violations"] if v["attribute"] in ("ethnicity", "sex")
    ]
    data["intersections"] = {}
    data["observed"]["intersections"] = {}
    ex = data["explain"]
    ex["attributes"] = {"ethnicity": ex["attributes"]["ethnicity"]}
    ex["attributes"]["ethnicity"]["groups"] = {
        "Uyghur": ex["attributes"]["ethnicity"]["groups"]["Uyghur"]
    }
    ex["proxies"] = ex["proxies"][:2]
    data["cases"]["count"] = {"ethnicity": {"Han": 38_300, "Uyghur": 8_920}}
    data["cases"]["excess"] = {"ethnicity": {"Han": 0.0, "Uyghur": 4_402.3}}
    return data, {"cases": tables["cases"].head(5)}


def csv_result() -> dict:
    """What `audit csv` on real decisions gives: no ground truth, scorer, score, explain or cases."""
    data, _ = realistic_result()
    data = copy.deepcopy(data)
    for key in ("observed", "population", "scorer", "explain", "cases"):
        del data[key]
    data["meta"].update(
        {
            "source": "decisions.csv",
            "label": "defaulted",
            "decision": "refused",
            "score": None,
            "seed": None,
        }
    )
    for attr in data["attributes"].values():
        for key in ("score_histogram", "threshold_sweep", "calibration"):
            attr.pop(key, None)
    return data
