"""Metrics-stage blocks of audit.json built by hand from confusion counts, for the report tests.

The report only formats the numbers it is given, so these need not be the engine's exact statistics:
rates follow from the counts; intervals use textbook closed forms (Wilson for rates, Wald for
differences, Katz's log interval for ratios with 0.5 in an empty cell and an unbounded upper end
when the reference count is 0); the verdict judges every ratio's simultaneous (Bonferroni) interval
against the band [t, 1/t] exactly as the engine's rule says, so a fixture's verdict, ``judged``
entries, ``four_fifths`` fields and criterion counts agree with each other. Shapes follow
``audit/core/audit.schema.json`` (a test validates every fixture against it).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from audit.core import CRITERIA, METRICS, band
from audit.metrics._engine import METHODS as ENGINE_METHODS

COMPARED = ("adverse_rate", "favourable_rate", "fpr", "fnr", "ppv")
TESTED = ("adverse_rate", "fpr")
WILSON = ("adverse_rate", "fpr", "fnr", "ppv", "npv", "accuracy", "base_rate")
DISPARITIES = ("adverse_rate", "favourable_rate", "fpr", "fnr", "ppv", "for", "accuracy")
POWER = 0.8

METHODS = dict(ENGINE_METHODS)  # the words the engine writes, so the report's table stays in step


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(float(x), digits)


def cells(block: dict) -> np.ndarray:
    c = block["counts"]
    return np.array([c["tn"], c["fp"], c["fn"], c["tp"]])


def _xt(metric: str, c: np.ndarray) -> tuple[int, int]:
    m = METRICS[metric]
    return int(m.successes(c)), int(m.trials(c))


def _wilson(x: int, n: int, z: float) -> list[float]:
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return [_r(max(0.0, centre - half)), _r(min(1.0, centre + half))]


def _difference(x: int, t: int, xr: int, tr: int, z: float) -> list[float]:
    p, q = x / t, xr / tr
    half = z * math.sqrt(p * (1 - p) / t + q * (1 - q) / tr)
    return [_r(max(-1.0, p - q - half)), _r(min(1.0, p - q + half))]


def _ratio(x: int, t: int, xr: int, tr: int, z: float) -> list[float | None] | None:
    """Katz's log interval; 0.5 in an empty cell; upper end None when the reference count is 0."""
    if x == 0 and xr == 0:
        return None
    a, b = x or 0.5, xr or 0.5
    se = math.sqrt(max(1 / a - 1 / t + 1 / b - 1 / tr, 1e-12))
    point = (a / t) / (b / tr)
    low = 0.0 if x == 0 else point * math.exp(-z * se)
    return [_r(low), None if xr == 0 else _r(point * math.exp(z * se))]


def group_block(
    tp: int, fp: int, fn: int, tn: int, *, min_group_size: int = 30, confidence: float = 0.95
) -> dict:
    """A group block from confusion counts: n, counts, rates (null where the rate's own denominator
    is below ``min_group_size``, listed in ``insufficient``), Wilson intervals; the comparison with
    the reference is added by :func:`grouping`."""
    c = np.array([tn, fp, fn, tp])
    n = int(c.sum())
    small = n < min_group_size
    ok = {m: not small and _xt(m, c)[1] >= max(min_group_size, 1) for m in METRICS}
    z = _z(confidence)
    block = {
        "n": n,
        "small": small,
        "insufficient": [] if small else [m for m in METRICS if not ok[m]],
        "counts": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
    }
    for m, metric in METRICS.items():
        block[m] = float(metric(c)) if ok[m] else None
    block["auc"] = None if small else round(0.7 + 0.1 * (tp % 7) / 7, 6)
    block["ci"] = {m: _wilson(*_xt(m, c), z) if ok[m] else None for m in WILSON}
    block["ci"]["impact_ratio"] = None
    block.update(impact_ratio=None, four_fifths=None, tests={})
    return block


def _z_test(x: int, t: int, xr: int, tr: int) -> dict:
    pooled = (x + xr) / (t + tr)
    se = math.sqrt(pooled * (1 - pooled) * (1 / t + 1 / tr)) or 1e-12
    stat = (x / t - xr / tr) / se
    return {"statistic": round(stat, 4), "p_value": math.erfc(abs(stat) / math.sqrt(2))}


def _excess(c: np.ndarray, rc: np.ndarray, z: float) -> dict:
    x, t = _xt("fpr", c)
    xr, tr = _xt("fpr", rc)
    low, high = _difference(x, t, xr, tr, z)
    return {"value": x - xr / tr * t, "ci": [_r(t * low), _r(t * high)]}


def _compare(groups: dict, reference: str, confidence: float) -> None:
    """difference / ratio to the reference with intervals, impact ratio, excess, tests."""
    z = _z(confidence)
    ref = groups[reference]
    rc = cells(ref)
    for name, b in groups.items():
        c = cells(b)
        for key in ("difference", "ratio", "ci_difference", "ci_ratio"):
            b[key] = {}
        for m in COMPARED:
            ok = b[m] is not None and ref[m] is not None
            x, t = _xt(m, c)
            xr, tr = _xt(m, rc)
            b["difference"][m] = _r(b[m] - ref[m]) if ok else None
            b["ratio"][m] = _r(b[m] / ref[m]) if ok and ref[m] > 0 else None
            b["ci_difference"][m] = _difference(x, t, xr, tr, z) if ok else None
            b["ci_ratio"][m] = _ratio(x, t, xr, tr, z) if ok else None
        fav_ok = b["favourable_rate"] is not None and ref["favourable_rate"]
        b["impact_ratio"] = b["favourable_rate"] / ref["favourable_rate"] if fav_ok else None
        b["ci"]["impact_ratio"] = b["ci_ratio"]["favourable_rate"]
        fpr_ok = b["fpr"] is not None and ref["fpr"] is not None
        b["excess_wrongful"] = None if not fpr_ok else _excess(c, rc, z)
        if name == reference:
            if fpr_ok:
                b["excess_wrongful"] = {"value": 0.0, "ci": [0.0, 0.0]}
            continue
        for m in TESTED:
            if b[m] is not None and ref[m] is not None:
                test = _z_test(*_xt(m, c), *_xt(m, rc))
                b["tests"][m] = {**test, "p_holm": None, "method": "z", "against": reference}


def _homogeneity(groups: dict) -> dict:
    from scipy import stats

    out = {}
    for m in TESTED:
        usable = [b for b in groups.values() if b[m] is not None]
        if len(usable) < 2:
            out[m] = None
            continue
        table = np.array([[x, t - x] for x, t in (_xt(m, cells(b)) for b in usable)], dtype=float)
        expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
        stat = float(((table - expected) ** 2 / expected).sum())
        df = len(usable) - 1
        out[m] = {
            "statistic": round(stat, 4),
            "df": df,
            "p_value": float(stats.chi2.sf(stat, df)),
            "p_holm": None,
            "method": "chi2",
            "groups": len(usable),
        }
    return out


def _spread(groups: dict) -> tuple[dict, dict]:
    """fairlearn's between-groups difference and ratio over the sufficient groups, with a made-up
    but ordered simultaneous interval around each."""
    overall = sum(cells(b) for b in groups.values())
    differences, ratios = {}, {}
    for m in DISPARITIES:
        values = [b[m] for b in groups.values() if b[m] is not None]
        whole = float(METRICS[m](overall))
        if not values:
            continue
        diff, ratio = max(values) - min(values), min(values) / max(values) if max(values) else None
        differences[m] = {
            "between_groups": diff,
            "to_overall": max(abs(v - whole) for v in values),
            "ci": {
                "between_groups": [_r(diff * 0.8), _r(min(1.0, diff * 1.2 + 0.001))],
                "to_overall": None,
            },
        }
        ratios[m] = {
            "between_groups": ratio,
            "to_overall": min(min(v / whole, whole / v) for v in values if v) if whole else None,
            "ci": {
                "between_groups": None
                if ratio is None
                else [_r(ratio * 0.9), _r(min(1.0, ratio * 1.1))],
                "to_overall": None,
            },
        }
    return differences, ratios


def _excess_total(groups: dict, reference: str, confidence: float) -> dict | None:
    ref = groups[reference]
    rest = [b for name, b in groups.items() if name != reference and b["fpr"] is not None]
    if ref["fpr"] is None or not rest:
        return None
    total = _excess(sum(cells(b) for b in rest), cells(ref), _z(confidence))
    return {**total, "groups": len(rest)}


def _ll144(groups: dict, min_share: float = 0.02) -> dict:
    """The NYC LL144 table: impact ratios against the most favoured group (a description)."""
    known = {g: b for g, b in groups.items() if "unknown" not in g.split(" & ")}
    total = sum(b["n"] for b in known.values())
    fav = {g: b["favourable_rate"] for g, b in known.items() if b["favourable_rate"] is not None}
    top = max(fav, key=lambda g: fav[g]) if fav else None
    rows = {}
    for g, b in known.items():
        share = b["n"] / total
        ratio = None if g not in fav else fav[g] / fav[top]
        rows[g] = {
            "n": b["n"],
            "share": share,
            "small": b["small"],
            "excluded": share < min_share,
            "favourable_rate": b["favourable_rate"],
            "adverse_rate": b["adverse_rate"],
            "impact_ratio": ratio,
            "impact_ratio_excluding_small_categories": None if share < min_share else ratio,
        }
    return {
        "min_share": min_share,
        "unknown": sum(b["n"] for g, b in groups.items() if g not in known),
        "reference": top,
        "reference_excluding_small_categories": top,
        "changes_reference": False,
        "excluded": [g for g, r in rows.items() if r["excluded"]],
        "rows": rows,
    }


def grouping(
    groups: dict, reference: str, rule: str, *, confidence: float = 0.95, unknown: int = 0
) -> dict:
    """One grouping's section (attribute or intersection) from its group blocks."""
    total = sum(b["n"] for b in groups.values())
    for b in groups.values():
        b["share"] = b["n"] / total
    _compare(groups, reference, confidence)
    differences, ratios = _spread(groups)
    return {
        "reference": reference,
        "reference_rule": rule,
        "unknown": unknown,
        "groups": {reference: groups[reference], **groups},
        "differences": differences,
        "ratios": ratios,
        "excess_wrongful_total": _excess_total(groups, reference, confidence),
        "homogeneity": _homogeneity(groups),
        "ll144": _ll144(groups),
        "score_histogram": None,
        "threshold_sweep": None,
        "calibration": None,
    }


def holm(sections: list[dict]) -> None:
    """Holm's correction over every test of a label block, in place."""
    family = [t for s in sections for g in s["groups"].values() for t in g["tests"].values()]
    family += [t for s in sections for t in s["homogeneity"].values() if t is not None]
    order = sorted(range(len(family)), key=lambda i: family[i]["p_value"])
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(family) - rank) * family[i]["p_value"]))
        family[i]["p_holm"] = running


# --- the verdict --------------------------------------------------------------------------------


def _family(sections: dict, judged: list[str]) -> tuple[list, dict]:
    family, insufficient = [], {c: 0 for c in judged}
    for name, sec in sections.items():
        ref = sec["groups"][sec["reference"]]
        for group, g in sec["groups"].items():
            if group == sec["reference"]:
                continue
            for crit in judged:
                metric = CRITERIA[crit].metric
                if g[metric] is None or ref[metric] is None:
                    insufficient[crit] += 1
                else:
                    family.append((name, sec, group, g, crit))
    return family, insufficient


def _outcome(interval: list | None, threshold: float) -> tuple[str, float | None, str | None]:
    low_band, high_band = band(threshold)
    if interval is None:
        return "inconclusive", None, None
    low, high = interval
    if high is not None and high < low_band:
        return "fail", high, "below"
    if low > high_band:
        return "fail", low, "above"
    if low >= low_band and high is not None and high <= high_band:
        return "pass", low if low - low_band <= high_band - high else high, None
    return "inconclusive", None, None


def verdict(sections: dict, thresholds: dict, confidence: float) -> dict:
    """Judge every criterion with a threshold on simultaneous intervals, as the engine's rule says;
    writes ``judged``, ``four_fifths`` and ``power`` into the group blocks."""
    judged = [c.name for c in CRITERIA.values() if thresholds.get(c.threshold) is not None]
    family, insufficient = _family(sections, judged)
    m = max(len(family), 1)
    level = 1 - (1 - confidence) / m
    z = _z(level)
    counts = {
        c: {"pass": 0, "fail": 0, "inconclusive": 0, "insufficient": insufficient[c]}
        for c in judged
    }
    items = {"fail": [], "inconclusive": [], "described": []}
    for name, sec, group, g, crit in family:
        metric, thr = CRITERIA[crit].metric, thresholds[CRITERIA[crit].threshold]
        ref = sec["groups"][sec["reference"]]
        interval = _ratio(*_xt(metric, cells(g)), *_xt(metric, cells(ref)), z)
        outcome, bound, direction = _outcome(interval, thr)
        counts[crit][outcome] += 1
        entry = {
            "outcome": outcome,
            "value": g["ratio"][metric],
            "interval": interval,
            "bound": bound,
            "direction": direction,
        }
        g.setdefault("judged", {})[crit] = entry
        if crit == "four_fifths":
            g["four_fifths"] = outcome
        test = g["tests"].get("adverse_rate" if metric == "favourable_rate" else metric, {})
        item = {
            "criterion": crit,
            "attribute": name,
            "group": group,
            "against": sec["reference"],
            "value": entry["value"],
            "threshold": thr,
            "interval": interval,
            "bound": bound,
            "direction": direction,
            "p_holm": test.get("p_holm"),
        }
        if outcome != "pass":
            items[outcome].append(item)
        low, high = band(thr)
        if entry["value"] is not None and not low <= entry["value"] <= high:
            items["described"].append(item)
    _power(sections, thresholds, confidence, m)
    criteria = {
        c: {
            "threshold": thresholds[CRITERIA[c].threshold],
            "band": list(band(thresholds[CRITERIA[c].threshold])),
            "outcome": _overall({c: counts[c]}),
            **counts[c],
        }
        for c in judged
    }
    outcome = _overall(counts)
    return {
        "outcome": outcome,
        "passed": outcome == "pass",
        "method": "simultaneous_intervals",
        "confidence": confidence,
        "family_size": len(family),
        "interval_level": level,
        "interval_method": "miettinen_nurminen_score_ratio",
        "multiplicity": "bonferroni",
        "criteria": criteria,
        "violations": items["fail"],
        "inconclusive": items["inconclusive"],
        "point_estimate_rule": items["described"],
    }


def _overall(counts: dict) -> str | None:
    if not counts:
        return None
    total = {k: sum(c[k] for c in counts.values()) for k in ("pass", "fail", "inconclusive")}
    if total["fail"]:
        return "fail"
    if total["inconclusive"] or not total["pass"]:
        return "inconclusive"
    return "pass"


def _power(sections: dict, thresholds: dict, confidence: float, m: int) -> None:
    """The smallest ratio that would FAIL (and that a test would detect) with 80 % power, from the
    normal approximation of the log ratio at the reference rate."""
    z = _z(1 - (1 - confidence) / m) + NormalDist().inv_cdf(POWER)
    for sec in sections.values():
        ref = sec["groups"][sec["reference"]]
        for metric, key in (("adverse_rate", "adverse_ratio"), ("fpr", "fpr_ratio")):
            p = ref[metric]
            thr = thresholds.get(key) or 0.8
            if p is None or p in (0.0, 1.0):
                continue
            n_ref = _xt(metric, cells(ref))[1]
            for group, g in sec["groups"].items():
                if group == sec["reference"] or g[metric] is None:
                    continue
                n = _xt(metric, cells(g))[1]
                se = math.sqrt((1 - p) / (p * n) + (1 - p) / (p * n_ref))
                detect = math.exp(z * se)
                fail = detect / thr
                g.setdefault("power", {})[metric] = {
                    "failing_ratio": round(fail, 4) if fail * p < 1 else None,
                    "detectable_ratio": round(detect, 4) if detect * p < 1 else None,
                    "underpowered": detect * p >= 1 or detect > 1 / thr,
                }
