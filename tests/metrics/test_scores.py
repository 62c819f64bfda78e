"""AUC, threshold sweep and calibration from histograms against direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from audit.metrics import ScoreGrid, audit_decisions, count_groups
from audit.metrics._scores import auc_from_histograms, sweep_cells


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 6000
    g = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    y = (rng.random(n) < np.where(g == "b", 0.35, 0.2)).astype(int)
    score = np.clip(np.round(rng.normal(650, 90, n) - 90 * y), 350, 950)  # integer scores
    return pd.DataFrame({"y": y, "d": (score < 560).astype(int), "g": g, "s": score})


def test_auc_equals_sklearn_for_integer_scores(scored):
    res = audit_decisions(scored, label="y", decision="d", protected="g", score="s").to_dict()
    for group, part in scored.groupby("g"):
        expected = roc_auc_score(part["y"], -part["s"])  # low scores are the adverse end
        assert res["attributes"]["g"]["groups"][group]["auc"] == pytest.approx(expected, abs=1e-12)
    assert res["overall"]["auc"] == pytest.approx(roc_auc_score(scored.y, -scored.s), abs=1e-12)


def test_auc_when_high_scores_are_adverse(scored):
    counts = count_groups(scored, label="y", decision="d", protected="g", score="s")
    hist = counts.tables["g"].hist
    auc = auc_from_histograms(hist, low_is_adverse=False)
    assert auc[0] == pytest.approx(
        roc_auc_score(scored.y[scored.g == "a"], scored.s[scored.g == "a"])
    )


def test_threshold_sweep_equals_recomputing_decisions(scored):
    res = audit_decisions(scored, label="y", decision="d", protected="g", score="s").to_dict()
    sweep = res["attributes"]["g"]["threshold_sweep"]
    assert sweep["thresholds"][:3] == [350.0, 360.0, 370.0] and sweep["thresholds"][-1] == 940.0
    part = scored[scored.g == "b"]
    for k, t in enumerate(sweep["thresholds"]):
        flagged = part.s < t
        expected_fpr = flagged[part.y == 0].mean()
        expected_rate = flagged.mean()
        assert sweep["groups"]["b"]["fpr"][k] == round(expected_fpr, 4)
        assert sweep["groups"]["b"]["adverse_rate"][k] == round(expected_rate, 4)
    # at the scorer's own threshold the sweep reproduces the decisions
    k = sweep["thresholds"].index(560.0)
    assert sweep["groups"]["b"]["fpr"][k] == round(res["attributes"]["g"]["groups"]["b"]["fpr"], 4)


def test_sweep_cells_both_directions():
    hist = np.array([[[1, 2, 3], [4, 5, 6]]])  # not adverse / adverse, three bins
    low = sweep_cells(hist, np.array([0, 1, 3]))
    # threshold at edge 1: bin 0 flagged -> fp = 1, tp = 4
    assert low[0, 1].tolist() == [5, 1, 11, 4]
    assert low[0, 0].tolist() == [6, 0, 15, 0] and low[0, 2].tolist() == [0, 6, 0, 15]
    high = sweep_cells(hist, np.array([1]), low_is_adverse=False)
    assert high[0, 0].tolist() == [1, 5, 4, 11]


def test_calibration_by_band(scored):
    res = audit_decisions(scored, label="y", decision="d", protected="g", score="s").to_dict()
    cal = res["attributes"]["g"]["calibration"]
    assert cal["bands"][0] == [350.0, 400.0] and cal["bands"][-1] == [900.0, 950.0]
    part = scored[scored.g == "a"]
    band = np.clip(((part.s - 350) // 50).astype(int), 0, 11)
    for b in range(12):
        inside = part[band == b]
        assert cal["groups"]["a"]["n"][b] == len(inside)
        rate = cal["groups"]["a"]["adverse_label_rate"][b]
        if len(inside) >= 30:
            assert rate == pytest.approx(inside.y.mean(), abs=1e-12)
        else:
            assert rate is None


def test_score_grid_choice():
    assert ScoreGrid.for_scores(np.array([400.0, 900.0])) == ScoreGrid.social_credit()
    assert ScoreGrid.for_scores(np.array([0.1, 0.7])) == ScoreGrid.probability()
    g = ScoreGrid.for_scores(np.array([-3.0, 12.0]))
    assert (g.low, g.high, g.bins) == (-3.0, 12.0, 600)
    idx, outside = ScoreGrid.social_credit().bin_index(np.array([350.0, 350.99, 949.5, 950.0, 951]))
    assert idx.tolist() == [0, 0, 599, 599, 599] and outside == 1


def test_full_threshold_sweep_has_every_metric_at_every_threshold(scored):
    from audit.metrics import METRICS, threshold_sweep

    counts = count_groups(scored, label="y", decision="d", protected=["g"], score="s")
    sweep = threshold_sweep(counts, "g")
    assert len(sweep) == 3 * 601 and set(METRICS) <= set(sweep.columns)
    part = scored[scored.g == "c"]
    for t in (350.0, 487.0, 560.0, 951.0 - 1):
        row = sweep[(sweep.group == "c") & (sweep.threshold == t)].iloc[0]
        flagged = part.s < t
        assert (
            row.fp == (flagged & (part.y == 0)).sum() and row.tp == (flagged & (part.y == 1)).sum()
        )
        assert row.adverse_rate == pytest.approx(flagged.mean(), abs=1e-12)
