"""Registry-driven checks shared by every metric (scikit-learn's test_common habit).

Every entry of ``METRICS`` and ``DISPARITY_FUNCTIONS`` is checked against fairlearn's
``MetricFrame`` on random tables (tiny groups, groups without negatives or positives, one group,
many groups), for bounds, and for invariance to row order, chunking and renaming groups.
"""

from __future__ import annotations

import functools
import math
import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn.metrics import MetricFrame
from hypothesis import HealthCheck, assume, given, settings

from audit.metrics import (
    DISPARITY_FUNCTIONS,
    METRICS,
    audit_chunks,
    audit_decisions,
    count_groups,
)
from tests.metrics.strategies import decision_tables

TOL = 1e-12
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _base_rate(y_true, y_pred):
    return float(np.mean(y_true))


# The independent oracle for each registered metric: fairlearn / scikit-learn functions.
ORACLES = {
    "adverse_rate": flm.selection_rate,
    "favourable_rate": functools.partial(flm.selection_rate, pos_label=0),
    "fpr": flm.false_positive_rate,
    "fnr": flm.false_negative_rate,
    "tpr": flm.true_positive_rate,
    "tnr": flm.true_negative_rate,
    "ppv": functools.partial(skm.precision_score, zero_division=np.nan),
    "fdr": lambda t, p: 1 - skm.precision_score(t, p, zero_division=np.nan),
    "for": lambda t, p: 1 - skm.precision_score(t, p, pos_label=0, zero_division=np.nan),
    "npv": functools.partial(skm.precision_score, pos_label=0, zero_division=np.nan),
    "accuracy": skm.accuracy_score,
    "base_rate": _base_rate,
}


def test_every_registered_metric_has_an_oracle():
    assert set(ORACLES) == set(METRICS)


def _ours(frame: pd.DataFrame, **kw) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return audit_decisions(
            frame,
            label="y",
            decision="d",
            protected=[c for c in frame.columns if c.startswith("a")],
            min_group_size=0,
            **kw,
        ).to_dict()


def _metric_frame(frame: pd.DataFrame, features: list[str]) -> MetricFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about ill-defined precision
        return MetricFrame(
            metrics=ORACLES,
            y_true=frame["y"].to_numpy(),
            y_pred=frame["d"].to_numpy(),
            sensitive_features=frame[features],
        )


def _defined(metric: str, cells: dict) -> bool:
    return METRICS[metric].trials(np.array([cells[c] for c in ("tn", "fp", "fn", "tp")])) > 0


@FAST
@given(decision_tables(max_groups=30, max_size=25))
def test_group_metrics_equal_metricframe(frame):
    assume(frame["y"].any() or frame["d"].any())
    ours = _ours(frame, intersections=1)
    mf = _metric_frame(frame, ["a0"])
    by_group = mf.by_group
    groups = ours["attributes"]["a0"]["groups"]
    assert sorted(groups) == sorted(by_group.index.astype(str))
    for group, row in by_group.iterrows():
        mine = groups[str(group)]
        for name in METRICS:
            if _defined(name, mine["counts"]):
                assert mine[name] == pytest.approx(row[name], abs=TOL), (name, group)
            else:  # undefined: null here; fairlearn reports 0 or NaN
                assert mine[name] is None
                assert row[name] == 0 or math.isnan(row[name])
    overall = mf.overall
    for name in METRICS:
        if ours["overall"][name] is not None:
            assert ours["overall"][name] == pytest.approx(overall[name], abs=TOL)


@FAST
@given(decision_tables(max_groups=8, attributes=2))
def test_intersections_equal_metricframe(frame):
    assume(frame["y"].any() or frame["d"].any())
    ours = _ours(frame)
    mf = _metric_frame(frame, ["a0", "a1"])
    groups = ours["intersections"]["a0 & a1"]["groups"]
    assert len(groups) == len(mf.by_group.dropna(how="all"))
    for (g0, g1), row in mf.by_group.iterrows():
        key = f"{g0} & {g1}"
        if key not in groups:  # an empty combination: MetricFrame has a NaN row
            assert row.isna().all()
            continue
        mine = groups[key]
        assert mine["levels"] == {"a0": g0, "a1": g1}
        for name in METRICS:
            if _defined(name, mine["counts"]):
                assert mine[name] == pytest.approx(row[name], abs=TOL), (name, key)


@FAST
@given(decision_tables())
def test_differences_and_ratios_equal_metricframe(frame):
    assume(frame["y"].any() or frame["d"].any())
    ours = _ours(frame, intersections=1)["attributes"]["a0"]
    mf = _metric_frame(frame, ["a0"])
    for name in ours["differences"]:
        defined = all(_defined(name, g["counts"]) for g in ours["groups"].values())
        if not defined:  # fairlearn counts undefined rates as 0; we leave the group out
            continue
        for method in ("between_groups", "to_overall"):
            diff = mf.difference(method=method)[name]
            assert ours["differences"][name][method] == pytest.approx(diff, abs=TOL)
            ratio = mf.ratio(method=method)[name]
            if math.isnan(ratio):
                assert ours["ratios"][name][method] is None
            else:
                assert ours["ratios"][name][method] == pytest.approx(ratio, abs=TOL)


@pytest.mark.parametrize("name", sorted(DISPARITY_FUNCTIONS))
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@settings(max_examples=8, deadline=None)
@given(frame=decision_tables())
def test_named_functions_equal_fairlearn(name, method, frame):
    assume(frame["y"].any() or frame["d"].any())
    function, metric, _, fairlearn_name = DISPARITY_FUNCTIONS[name]
    counts = count_groups(frame, label="y", decision="d", protected="a0")
    cells = counts.tables["a0"].cells
    assume(bool((METRICS[metric].trials(cells) > 0).all()))  # fairlearn: undefined counts as 0
    expected = getattr(flm, fairlearn_name)(
        frame["y"], frame["d"], sensitive_features=frame["a0"], method=method
    )
    got = function(frame["y"], frame["d"], sensitive_features=frame["a0"], method=method)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("name", sorted(DISPARITY_FUNCTIONS))
def test_named_functions_document_definition_and_ideal_value(name):
    doc = DISPARITY_FUNCTIONS[name][0].__doc__
    assert "Ideal value" in doc
    assert "/" in doc  # the definition as a fraction of cells


@FAST
@given(decision_tables(max_groups=5, attributes=2))
def test_bounds_and_invariances(frame):
    """Rates lie in [0, 1]; row order, chunking and renaming groups do not change them."""
    assume(frame["y"].any() or frame["d"].any())
    kw = {"label": "y", "decision": "d", "protected": ["a0", "a1"], "min_group_size": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = audit_decisions(frame, **kw)
        shuffled = audit_decisions(frame.iloc[::-1].reset_index(drop=True), **kw)
        parts = [frame.iloc[i : i + 7] for i in range(0, len(frame), 7)]
        chunked = audit_chunks(parts, **kw)
        olds = sorted(frame["a0"].unique())
        mapping = {old: f"h{len(olds) - k}" for k, old in enumerate(olds)}  # reverses the order
        renamed = audit_decisions(frame.assign(a0=frame["a0"].map(mapping)), **kw)
    b = base.to_dict()
    for sec in b["attributes"].values():
        for g in sec["groups"].values():
            for name in METRICS:
                assert g[name] is None or 0 <= g[name] <= 1
            for name, interval in g["ci"].items():
                if interval is not None and interval[1] is None:  # a ratio over a rate of 0
                    assert name == "impact_ratio" and interval[0] >= 0
                elif interval is not None:
                    assert 0 <= interval[0] <= interval[1]
                    assert name == "impact_ratio" or interval[1] <= 1
    # chunking: byte-identical, hash included
    assert chunked.to_json() == base.to_json()
    # row order: everything but the data hash
    s = shuffled.to_dict()
    s["meta"]["data_sha256"] = b["meta"]["data_sha256"]
    assert s == b
    # renaming groups (which reverses their order): every number the same under the new names,
    # intervals, judgements, tests and the Monte Carlo homogeneity test included, as long as the
    # reference is the same group (the largest; a tie in size is broken by name)
    r = renamed.to_dict()
    if r["attributes"]["a0"]["reference"] != mapping.get(b["attributes"]["a0"]["reference"]):
        return
    a, ra = b["attributes"]["a0"], r["attributes"]["a0"]
    for old, g in a["groups"].items():
        assert _without_names(ra["groups"][mapping[old]]) == _without_names(g)
    for key in ("differences", "ratios", "homogeneity", "excess_wrongful_total"):
        assert ra[key] == a[key]
    assert r["verdict"]["family_size"] == b["verdict"]["family_size"]
    assert r["verdict"]["outcome"] == b["verdict"]["outcome"]


def _without_names(block: dict) -> dict:
    """A group block without the fields that hold group names."""
    out = {k: v for k, v in block.items() if k not in ("tests", "share")}
    out["tests"] = {m: {k: v for k, v in t.items() if k not in ("against", "p_holm")}
                    for m, t in block["tests"].items()}  # fmt: skip
    return out
