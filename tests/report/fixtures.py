"""Hand-built audit.json dicts for the report tests, in the shapes the pipeline stages write.

The report only formats numbers it is given, so these fixtures need not be statistically exact;
they are internally consistent: every metrics block is built from the confusion counts written here
(``tests/report/blocks.py``: rates from counts, closed-form intervals, the verdict judged by the
engine's rule on them), and every fixture validates against ``audit/core/audit.schema.json``.
`audit.explain` and `audit.cases` sections follow their stages' shapes.

- `realistic_result`: a full synthetic run the size of a real one; the verdict FAILS. It has a small
  group (Zhuang, n = 21), a group with insufficient cells (Kazakh: too few with an adverse label or
  blacklisted for FNR and PPV) whose excess wrongful blacklisting is indistinguishable from 0, and
  groups whose excess interval excludes 0.
- `small_result`: a small fixed cut of it (the golden-snapshot input).
- `inconclusive_result`: real decisions (no ground truth) of 1,690 people; the verdict is
  INCONCLUSIVE. Its intersection's named reference (north & female) has no wrongful blacklisting,
  so every wrongful-blacklisting ratio against it is unbounded above ([x, null]); one intersection
  has too few people with a non-adverse label to judge (insufficient).
- `pass_result`: a large, fair set of decisions; the verdict PASSES.
- `csv_result`: what `audit csv` gives for real decisions (no truth, scorer, scores, explain, cases).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from audit.report import SECTIONS as REGISTRY
from tests.report.blocks import METHODS, group_block, grouping, holm, verdict

#: the report's sections, in page order (their element ids), read from the report's registry
SECTIONS = [s.id for s in REGISTRY]

VERSIONS = {
    "audit": "0.1.0",
    "python": "3.11.2",
    "numpy": "2.4.0",
    "pandas": "3.1.0",
    "fairlearn": "0.15.0",
    "scipy": "1.17.0",
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
        "calibration": {
            "bands": bands,
            "overall": {"n": [2_400] * len(bands), "adverse_label_rate": [0.5] * len(bands)},
            "groups": calib,
        },
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
            "Kazakh": ((2, 3, 3, 52), (2, 3, 3, 52)),
            "unknown": ((33, 41, 30, 308), (36, 38, 31, 307)),
            "Zhuang": ((3, 4, 2, 12), (3, 4, 2, 12)),
        },
        "shifts": [0, 25, 60, 55, 5, 5, 10],
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

THRESHOLDS = {"impact_ratio": 0.8, "adverse_ratio": 0.8, "fpr_ratio": 0.8}


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


def _explain() -> dict:
    rng = np.random.default_rng(7)
    attributes = {}
    for attr, spec in REALISTIC.items():
        groups = {}
        for group, shift in zip(spec["groups"], spec["shifts"], strict=True):
            if group in ("Zhuang", "Kazakh"):
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
                "mean_shap": {
                    f: round(float(w) * (gap - 10.0), 4)
                    for f, w in zip(FEATURES, weights, strict=True)
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
            "predictiveness": max(p, 1 - p),
            "auc": p,
            "gap_points": pts,
            "gap_share": share,
            "proxy_points": round((2 * max(p, 1 - p) - 1) * -pts, 4),
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


def _blocks(
    spec: dict, inter: dict, which: int, *, min_group_size: int, confidence: float, rules: dict
) -> tuple[dict, dict]:
    """Attribute and intersection sections of one label (``which``: 0 truth, 1 records)."""
    attributes = {}
    for attr, s in spec.items():
        groups = {
            g: group_block(*c[which], min_group_size=min_group_size, confidence=confidence)
            for g, c in s["groups"].items()
        }
        attributes[attr] = grouping(
            groups,
            s["reference"],
            rules.get(attr, "named"),
            confidence=confidence,
            unknown=s["unknown"],
        )
    intersections = {}
    for name, (reference, rule, cells) in inter.items():
        groups = {}
        for levels, counts in cells.items():
            block = group_block(
                *counts[which], min_group_size=min_group_size, confidence=confidence
            )
            block["levels"] = dict(zip(name.split(" & "), levels, strict=True))
            groups[" & ".join(levels)] = block
        intersections[name] = grouping(groups, reference, rule, confidence=confidence)
    holm([*attributes.values(), *intersections.values()])
    return attributes, intersections


def _overall(spec: dict, which: int, min_group_size: int, confidence: float) -> dict:
    first = next(iter(spec.values()))["groups"].values()
    tp, fp, fn, tn = (sum(c[which][k] for c in first) for k in range(4))
    block = group_block(tp, fp, fn, tn, min_group_size=min_group_size, confidence=confidence)
    return {**block, "impact_ratio": None, "four_fifths": None}


def _meta(
    protected: list[str],
    n: int,
    *,
    min_group_size: int,
    confidence: float,
    thresholds: dict,
    **changes,
) -> dict:
    meta = {
        "n": n,
        "seed": 0,
        "versions": VERSIONS,
        "data_sha256": "9f2c" + "0" * 56 + "beef",
        "source": "synthetic:sesame",
        "label": "truth",
        "label_kind": "truth",
        "observed_label": "observed",
        "decision": "blacklisted",
        "positive": 1,
        "score": "score",
        "score_grid": {"low": 350.0, "high": 950.0, "bins": 600},
        "protected": protected,
        "intersection_order": 2,
        "min_group_size": min_group_size,
        "missing": "unknown",
        "confidence": confidence,
        "criterion": "four_fifths",
        "criteria": [
            c
            for c, k in (
                ("four_fifths", "impact_ratio"),
                ("adverse_ratio", "adverse_ratio"),
                ("fpr_ratio", "fpr_ratio"),
            )
            if thresholds.get(k) is not None
        ],
        "reference_requested": {},
        "compared": ["adverse_rate", "favourable_rate", "fpr", "fnr", "ppv"],
        "tests": {"metrics": ["adverse_rate", "fpr"], "correction": "holm"},
        "methods": dict(METHODS),
        "ll144_min_share": 0.02,
    }
    meta.update(changes)
    return meta


def _cases(attributes: dict, n_files: int) -> tuple[dict, pd.DataFrame]:
    rng = np.random.default_rng(3)
    ethnicity = rng.choice(
        ["Han", "Hui", "Uyghur", "Tibetan"], size=n_files, p=[0.4, 0.2, 0.25, 0.15]
    )
    twin = rng.random(n_files) < 0.6
    reasons = [
        "friends_listed_share (-48.0 pts); missed_repayments (-31.2 pts)",
        "critical_posts (-62.0 pts); online_spend (-20.5 pts)",
        "court_listed (-120.0 pts)",
        "late_bike_returns (-25.1 pts); gaming_hours (-22.0 pts)",
    ]
    modes = [
        "label bias",
        "differential surveillance",
        "guilt by association",
        "no identifiable cause",
    ]
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
            "reasons": rng.choice(reasons, size=n_files),
            "failure_mode": rng.choice(modes, size=n_files),
            "twin_ethnicity_score": np.where(ethnicity == "Han", np.nan, 612.0),
            "twin_ethnicity_blacklisted": pd.array(
                [None if e == "Han" else not t for e, t in zip(ethnicity, twin, strict=True)],
                dtype="boolean",
            ),
        }
    )
    count, detail = {}, {}
    for attr, sec in attributes.items():
        count[attr], detail[attr] = {}, {}
        for g, b in sec["groups"].items():
            wrong, neg = b["counts"]["fp"], b["counts"]["fp"] + b["counts"]["tn"]
            count[attr][g] = wrong
            detail[attr][g] = {"wrongful": wrong, "not_adverse": neg, "rate": wrong / neg}
    non_ref = int((ethnicity != "Han").sum())
    cleared = int(((ethnicity != "Han") & twin).sum())
    section = {
        "label": "truth",
        "label_kind": "truth",
        "label_note": "wrongful = blacklisted although in truth they would not default or violate",
        "n_wrongful": 52_751,
        "reference": {a: s["reference"] for a, s in attributes.items()},
        "count": count,
        "groups": detail,
        "by_cause_total": {
            "label_bias": 2_101,
            "surveillance": 14_312,
            "association": 9_800,
            "no identifiable cause": 26_538,
        },
        "n_case_files": n_files,
        "case_files": {
            "n": n_files,
            "by_failure_mode": {
                str(m): int(c) for m, c in table["failure_mode"].value_counts().sort_index().items()
            },
            "twins": {
                "ethnicity": {
                    "reference": "Han",
                    "n": non_ref,
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


def _synthetic(spec: dict, inter: dict, *, n_files: int) -> tuple[dict, dict[str, pd.DataFrame]]:
    """A synthetic run over ``spec`` (attributes) and ``inter`` (intersections)."""
    mgs, conf = 30, 0.95
    rules = {}
    attributes, intersections = _blocks(
        spec, inter, 0, min_group_size=mgs, confidence=conf, rules=rules
    )
    observed = _blocks(spec, inter, 1, min_group_size=mgs, confidence=conf, rules=rules)
    for attr, sec in attributes.items():
        small = {g for g, b in sec["groups"].items() if b["small"]}
        sec.update(_score_parts(list(spec[attr]["groups"]), spec[attr]["shifts"], small))
    judged = verdict({**attributes, **intersections}, THRESHOLDS, conf)
    overall = _overall(spec, 0, mgs, conf)
    cases, cases_table = _cases(attributes, n_files)
    cases["n_wrongful"] = overall["counts"]["fp"]
    n = overall["n"]
    data = {
        "schema_version": 1,
        "meta": _meta(
            list(spec),
            n,
            min_group_size=mgs,
            confidence=conf,
            thresholds=THRESHOLDS,
            reference_requested={a: s["reference"] for a, s in spec.items()},
        ),
        "thresholds": THRESHOLDS,
        "overall": overall,
        "attributes": attributes,
        "intersections": intersections,
        "observed": {
            "overall": _overall(spec, 1, mgs, conf),
            "attributes": observed[0],
            "intersections": observed[1],
        },
        "verdict": judged,
        "population": {"name": "sesame", "seed": 0, "n": n, "mechanisms": MECHANISMS},
        "scorer": {
            "kind": "SocialCreditScorer (HistGradientBoostingClassifier)",
            "threshold": 600.0,
            "score_range": [350, 950],
            "include_protected": False,
            "rules": [
                {"rule": "court_listed == 1", "effect": "blacklist regardless of score"},
                {"rule": "speech_flag == 1", "effect": "-200 points (hypothetical)"},
            ],
            "queried": "score(X) on every person; black box",
            "features": FEATURES,
        },
        "explain": _explain(),
        "cases": cases,
    }
    return copy.deepcopy(data), {"cases": cases_table}


def realistic_result() -> tuple[dict, dict[str, pd.DataFrame]]:
    """A full synthetic run (sesame-like): every section of the report has data; it FAILS."""
    inter = {"ethnicity & sex": ("Han & male", "combined", INTERSECTION)}
    return _synthetic(REALISTIC, inter, n_files=120)


def small_result() -> tuple[dict, dict[str, pd.DataFrame]]:
    """A small fixed audit (two attributes, no intersections, five case files): the golden input."""
    keep = {"ethnicity": ["Han", "Uyghur", "Kazakh", "Zhuang"], "sex": ["male", "female"]}
    spec = {}
    for attr, groups in keep.items():
        s = REALISTIC[attr]
        shifts = dict(zip(s["groups"], s["shifts"], strict=True))
        spec[attr] = {
            **s,
            "unknown": 0,
            "groups": {g: s["groups"][g] for g in groups},
            "shifts": [shifts[g] for g in groups],
        }
    data, tables = _synthetic(spec, {}, n_files=120)
    for sec in data["attributes"].values():
        sweep = sec["threshold_sweep"]
        idx = range(0, len(sweep["thresholds"]), 3)
        sweep["thresholds"] = [sweep["thresholds"][i] for i in idx]
        for g in sweep["groups"].values():
            for k in g or {}:
                g[k] = [g[k][i] for i in idx]
    ex = data["explain"]
    ex["attributes"] = {"ethnicity": ex["attributes"]["ethnicity"]}
    groups = ex["attributes"]["ethnicity"]["groups"]
    ex["attributes"]["ethnicity"]["groups"] = {g: groups[g] for g in ("Han", "Uyghur")}
    ex["proxies"] = ex["proxies"][:2]
    cases = data["cases"]
    for key in ("count", "groups"):
        cases[key] = {"ethnicity": {g: cases[key]["ethnicity"][g] for g in ("Han", "Uyghur")}}
    return data, {"cases": tables["cases"].head(5)}


def _decisions(spec: dict, inter: dict, *, source: str, rules: dict, requested: dict) -> dict:
    """An audit of recorded decisions (``audit csv``): no truth, scorer, scores, explain, cases."""
    mgs, conf = 30, 0.95
    attributes, intersections = _blocks(
        spec, inter, 0, min_group_size=mgs, confidence=conf, rules=rules
    )
    judged = verdict({**attributes, **intersections}, THRESHOLDS, conf)
    overall = _overall(spec, 0, mgs, conf)
    meta = _meta(
        list(spec),
        overall["n"],
        min_group_size=mgs,
        confidence=conf,
        thresholds=THRESHOLDS,
        source=source,
        label="defaulted",
        label_kind="observed",
        observed_label=None,
        decision="refused",
        score=None,
        score_grid=None,
        seed=None,
        missing="error",
        reference_requested=requested,
    )
    return copy.deepcopy(
        {
            "schema_version": 1,
            "meta": meta,
            "thresholds": THRESHOLDS,
            "overall": overall,
            "attributes": attributes,
            "intersections": intersections,
            "observed": None,
            "verdict": judged,
        }
    )


#: district x sex cells (tp, fp, fn, tn) of an INCONCLUSIVE audit; attributes are their sums
DISTRICT_SEX = {
    ("north", "female"): (1, 0, 4, 65),
    ("north", "male"): (39, 56, 36, 999),
    ("south", "female"): (7, 8, 6, 179),
    ("south", "male"): (8, 9, 6, 177),
    ("hills", "female"): (5, 2, 6, 27),
    ("hills", "male"): (2, 3, 1, 44),
}


def _sum(cells: dict, position: int) -> dict:
    out: dict = {}
    for levels, c in cells.items():
        out[levels[position]] = tuple(
            a + b for a, b in zip(out.get(levels[position], (0,) * 4), c, strict=True)
        )
    return {k: (v, v) for k, v in out.items()}


def inconclusive_result() -> dict:
    """Recorded decisions of 1,690 people: every comparison's interval is too wide; INCONCLUSIVE.

    district's reference is named (north), sex's is the largest group (male), the intersection's is
    named by the user (north & female: no wrongful blacklisting, so its wrongful-blacklisting
    ratios are unbounded above); hills & female has 29 people with a non-adverse label (below
    min_group_size = 30), so its wrongful-blacklisting rate is insufficient and not judged.
    """
    spec = {
        "district": {"reference": "north", "unknown": 0, "groups": _sum(DISTRICT_SEX, 0)},
        "sex": {"reference": "male", "unknown": 0, "groups": _sum(DISTRICT_SEX, 1)},
    }
    cells = {k: (v, v) for k, v in DISTRICT_SEX.items()}
    inter = {"district & sex": ("north & female", "named", cells)}
    return _decisions(
        spec,
        inter,
        source="decisions.csv",
        rules={"sex": "largest"},
        requested={"district": "north", "district & sex": "north & female"},
    )


def pass_result() -> dict:
    """Recorded decisions of 230,000 people in three regions with near-equal rates: PASS."""
    groups = {
        "east": (4_000, 4_500, 3_000, 88_500),
        "west": (3_150, 3_700, 2_450, 70_700),
        "south": (2_000, 2_300, 1_500, 44_200),
    }
    spec = {
        "region": {
            "reference": "east",
            "unknown": 0,
            "groups": {g: (c, c) for g, c in groups.items()},
        }
    }
    return _decisions(spec, {}, source="fair.csv", rules={}, requested={"region": "east"})


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
            "label_kind": "observed",
            "observed_label": None,
            "decision": "refused",
            "score": None,
            "score_grid": None,
            "seed": None,
        }
    )
    for sec in data["attributes"].values():
        for key in ("score_histogram", "threshold_sweep", "calibration"):
            sec[key] = None
    return data
