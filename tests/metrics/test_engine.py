"""audit_decisions on small tables whose every number is worked out by hand below."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from audit.exceptions import InvalidInputError, SmallGroupWarning
from audit.metrics import (
    AuditResult,
    audit_chunks,
    audit_counts,
    audit_decisions,
    count_groups,
    validate_audit_json,
)
from tests.metrics.oracles import exact_mover
from tests.metrics.strategies import frame_from_cells

# Group A: tn=20 fp=4 fn=6 tp=10 (n=40); B: tn=18 fp=12 fn=6 tp=24 (n=60); C: 5,1,1,3 (n=10).
HAND = {"A": (20, 4, 6, 10), "B": (18, 12, 6, 24), "C": (5, 1, 1, 3)}
#: Every denominator of A and B is at least 14; C (n = 10) is below: small.
MIN = 11


@pytest.fixture(scope="module")
def hand() -> dict:
    frame = frame_from_cells(HAND)
    with pytest.warns(SmallGroupWarning, match=r"g=C \(n=10\)"):
        res = audit_decisions(frame, label="y", decision="d", protected="g", min_group_size=MIN)
    return res.to_dict()


def test_hand_table_rates(hand):
    a = hand["attributes"]["g"]["groups"]["A"]
    assert a["counts"] == {"tn": 20, "fp": 4, "fn": 6, "tp": 10}
    assert a["n"] == 40
    assert a["adverse_rate"] == 14 / 40
    assert a["favourable_rate"] == 26 / 40
    assert a["fpr"] == 4 / 24
    assert a["fnr"] == 6 / 16
    assert a["tpr"] == 10 / 16
    assert a["tnr"] == 20 / 24
    assert a["ppv"] == 10 / 14
    assert a["fdr"] == 4 / 14
    assert a["for"] == 6 / 26
    assert a["npv"] == 20 / 26
    assert a["accuracy"] == 30 / 40
    assert a["base_rate"] == 16 / 40
    b = hand["attributes"]["g"]["groups"]["B"]
    assert (b["adverse_rate"], b["fpr"], b["fnr"], b["ppv"]) == (0.6, 0.4, 0.2, 24 / 36)


def test_small_group_is_null_never_zero_or_one(hand):
    c = hand["attributes"]["g"]["groups"]["C"]
    assert c["small"] is True and c["n"] == 10
    for key in ("adverse_rate", "fpr", "fnr", "ppv", "impact_ratio", "four_fifths", "auc"):
        assert c[key] is None
    assert all(v is None for v in c["ci"].values())
    assert c["tests"] == {}


def test_reference_is_largest_and_impact_ratio_judged_on_its_interval(hand):
    sec = hand["attributes"]["g"]
    assert sec["reference"] == "B" and sec["reference_rule"] == "largest"  # 60 > 40 > 10 people
    a = sec["groups"]["A"]
    assert a["impact_ratio"] == 0.65 / 0.4  # favourable rates 26/40 over 24/60 = 13/8
    assert a["impact_ratio"] == 13 / 8 and a["ratio"]["favourable_rate"] == 13 / 8
    assert sec["groups"]["B"]["impact_ratio"] == 1.0
    # the ordinary 95 % interval of the impact ratio: Miettinen-Nurminen, statsmodels as oracle
    low, high = confint_proportions_2indep(26, 40, 24, 60, compare="ratio", method="score")
    assert a["ci"]["impact_ratio"] == pytest.approx([low, high], abs=1e-6)
    # the verdict judges one comparison (A vs B; C is small), so its interval is at 95 %: MOVER-R
    # from exact Clopper-Pearson intervals (the independent oracle of tests/metrics/test_intervals)
    [_, _, [low], [high]] = exact_mover(26, 40, 24, 60, 0.95)
    judged = a["judged"]["four_fifths"]
    assert judged["interval"] == pytest.approx([low, high], abs=1e-6)
    assert hand["verdict"]["family_size"] == 1
    expected = "fail" if low > 1.25 else "inconclusive"  # 13/8 lies above the band 0.8-1.25
    assert judged["outcome"] == a["four_fifths"] == hand["verdict"]["outcome"] == expected
    if expected == "fail":
        [v] = hand["verdict"]["violations"]
        assert v["bound"] == judged["interval"][0] and v["direction"] == "above"
    assert hand["verdict"]["passed"] is False
    [desc] = hand["verdict"]["point_estimate_rule"]  # the point estimate is outside: described
    assert desc["group"] == "A" and desc["value"] == 13 / 8


def test_overall_counts_every_row_including_small_groups(hand):
    o = hand["overall"]
    assert o["counts"] == {"tn": 43, "fp": 17, "fn": 13, "tp": 37}
    assert o["adverse_rate"] == 54 / 110
    assert hand["meta"]["n"] == 110


def test_differences_and_ratios_by_hand(hand):
    sec = hand["attributes"]["g"]
    d = sec["differences"]["adverse_rate"]
    assert d["between_groups"] == pytest.approx(0.6 - 0.35, abs=1e-15)  # C is too small: left out
    assert d["to_overall"] == pytest.approx(54 / 110 - 0.35, abs=1e-15)
    assert sec["ratios"]["adverse_rate"]["between_groups"] == pytest.approx(0.35 / 0.6)
    assert sec["ratios"]["fpr"]["between_groups"] == pytest.approx((4 / 24) / 0.4)
    lo, hi = d["ci"]["between_groups"]
    assert lo < 0.25 < hi


def test_tests_against_reference_by_hand():
    frame = frame_from_cells(HAND)
    with pytest.warns(SmallGroupWarning):
        res = audit_decisions(
            frame, label="y", decision="d", protected="g", reference={"g": "A"}, min_group_size=MIN
        ).to_dict()
    t = res["attributes"]["g"]["groups"]["B"]["tests"]
    # adverse rate 36/60 vs 14/40: pooled 0.5, z = 0.25 / sqrt(0.25 (1/60 + 1/40)) = sqrt(6)
    assert t["adverse_rate"]["method"] == "z"
    assert t["adverse_rate"]["statistic"] == pytest.approx(math.sqrt(6), abs=1e-12)
    chi2 = stats.chi2_contingency([[36, 24], [14, 26]], correction=False)
    assert t["adverse_rate"]["p_value"] == pytest.approx(chi2.pvalue, abs=1e-12)
    # one Holm family: both tests against the reference and both k x 2 homogeneity tests
    homogeneity = res["attributes"]["g"]["homogeneity"]
    family = [t["adverse_rate"], t["fpr"], homogeneity["adverse_rate"], homogeneity["fpr"]]
    # with two groups the k x 2 chi-square test is the z test (chi2 = z^2)
    assert homogeneity["adverse_rate"]["p_value"] == pytest.approx(chi2.pvalue, abs=1e-12)
    _, expected, _, _ = multipletests([f["p_value"] for f in family], method="holm")
    assert [f["p_holm"] for f in family] == pytest.approx(list(expected), abs=1e-15)
    assert t["adverse_rate"]["against"] == "A"
    assert set(t) == {"adverse_rate", "fpr"}


def test_wilson_interval_in_json_matches_scipy(hand):
    ci = hand["attributes"]["g"]["groups"]["A"]["ci"]["fpr"]
    expected = stats.binomtest(4, 24).proportion_ci(method="wilson")
    assert ci == pytest.approx([expected.low, expected.high], abs=1e-6)  # rounded to 6 places


def test_holm_across_groups_and_intersections():
    rng = np.random.default_rng(3)
    n = 4000
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "d": rng.integers(0, 2, n),
            "eth": rng.choice(["Han", "Hui", "Uyghur"], n),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    frame.loc[frame.eth == "Uyghur", "d"] = (
        rng.random((frame.eth == "Uyghur").sum()) < 0.7
    ).astype(int)
    res = audit_decisions(frame, label="y", decision="d", protected=["eth", "sex"]).to_dict()
    sections = [sec for kind in ("attributes", "intersections") for sec in res[kind].values()]
    tests = [t for sec in sections for g in sec["groups"].values() for t in g["tests"].values()]
    homogeneity = [t for sec in sections for t in sec["homogeneity"].values() if t is not None]
    # 3 ethnicities, 2 sexes, 6 intersections, minus 3 references: 8 groups x 2 rates, and a
    # homogeneity test of each rate in each of the 3 groupings: one family of 22
    assert len(tests) == 16 and len(homogeneity) == 6
    family = tests + homogeneity
    p = np.array([t["p_value"] for t in family])
    order = np.argsort(p, kind="stable")
    expected = np.minimum(np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]), 1)
    got = np.array([family[i]["p_holm"] for i in order])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)


def test_user_reference_and_unknown_reference():
    frame = frame_from_cells(HAND)
    res = audit_decisions(
        frame, label="y", decision="d", protected="g", reference={"g": "B"}, min_group_size=5
    ).to_dict()
    sec = res["attributes"]["g"]
    assert sec["reference"] == "B" and sec["reference_rule"] == "named"
    assert sec["groups"]["A"]["impact_ratio"] == 0.65 / 0.4
    with pytest.raises(InvalidInputError, match=r"'Z' does not exist in 'g'.*\['A', 'B', 'C'\]"):
        audit_decisions(frame, label="y", decision="d", protected="g", reference={"g": "Z"})
    with (
        pytest.raises(InvalidInputError, match="n=10, below min_group_size=30"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", SmallGroupWarning)
        audit_decisions(frame, label="y", decision="d", protected="g", reference={"g": "C"})
    with pytest.raises(InvalidInputError, match="'sex'.*not a protected attribute"):
        audit_decisions(frame, label="y", decision="d", protected="g", reference={"sex": "f"})


def test_ll144_reports_both_references_when_exclusion_changes_it():
    # C is small in share (10 of 110 < 10 %) but the most favoured: favourable 9/10.
    frame = frame_from_cells({"A": (20, 4, 6, 10), "B": (18, 12, 6, 24), "C": (8, 0, 1, 1)})
    res = audit_decisions(
        frame, label="y", decision="d", protected="g", min_group_size=5, ll144_min_share=0.1
    ).to_dict()
    t = res["attributes"]["g"]["ll144"]
    assert t["reference"] == "C"
    assert t["reference_excluding_small_categories"] == "A"
    assert t["changes_reference"] is True
    assert t["excluded"] == ["C"]
    assert t["rows"]["B"]["impact_ratio"] == pytest.approx(0.4 / 0.9, abs=1e-15)
    assert t["rows"]["B"]["impact_ratio_excluding_small_categories"] == 8 / 13
    assert t["rows"]["C"]["impact_ratio_excluding_small_categories"] is None
    assert t["rows"]["C"]["share"] == 10 / 110


def test_missing_protected_values_unknown_group_counted():
    frame = frame_from_cells(HAND)
    frame["g"] = frame["g"].astype(object)
    frame.loc[[0, 1, 2], "g"] = None
    with pytest.raises(
        InvalidInputError, match=r"Column 'g' has 3 missing value.*missing='unknown'"
    ):
        audit_decisions(frame, label="y", decision="d", protected="g")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        res = audit_decisions(
            frame, label="y", decision="d", protected="g", missing="unknown", min_group_size=2
        ).to_dict()
    sec = res["attributes"]["g"]
    assert sec["unknown"] == 3
    assert sec["groups"]["unknown"]["n"] == 3
    assert sec["groups"]["A"]["n"] == 37
    assert sec["ll144"]["unknown"] == 3 and "unknown" not in sec["ll144"]["rows"]
    assert sec["reference"] != "unknown"


def test_observed_label_block_has_the_same_shape():
    frame = frame_from_cells(HAND)
    frame["obs"] = frame["y"]
    frame.loc[frame.index[:5], "obs"] = 1  # five recorded as adverse though their truth is not
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        res = audit_decisions(
            frame, label="y", decision="d", protected="g", observed_label="obs"
        ).to_dict()
    obs = res["observed"]
    assert set(obs) == {"overall", "attributes", "intersections"}
    a_true = res["attributes"]["g"]["groups"]["A"]
    a_obs = obs["attributes"]["g"]["groups"]["A"]
    assert set(a_obs) == set(a_true) - {"judged", "power"}  # only the primary label is judged
    # the first five rows of A are tn in truth (y=0, d=0) and fn against the observed label
    assert a_obs["counts"] == {"tn": 15, "fp": 4, "fn": 11, "tp": 10}
    assert a_obs["adverse_rate"] == a_true["adverse_rate"]  # decisions are the same
    assert obs["attributes"]["g"]["reference"] == res["attributes"]["g"]["reference"]
    validate_audit_json(res)


def test_extra_metrics_run_through_metricframe():
    frame = frame_from_cells(HAND)

    def false_positives(y_true, y_pred):
        return int(((y_true == 0) & (y_pred == 1)).sum())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        res = audit_decisions(
            frame, label="y", decision="d", protected="g", extra_metrics={"fp": false_positives}
        ).to_dict()
    groups = res["attributes"]["g"]["groups"]
    assert groups["A"]["extra"] == {"fp": 4.0}
    assert groups["B"]["extra"] == {"fp": 12.0}
    assert groups["C"]["extra"] == {"fp": None}  # small
    assert res["overall"]["extra"] == {"fp": 17.0}


def test_chunks_and_counts_give_byte_identical_results():
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "d": rng.integers(0, 2, n),
            "s": rng.integers(350, 951, n).astype(float),
            "eth": pd.Categorical(rng.choice(["Han", "Hui", "Uyghur"], n)),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    kw = {"label": "y", "decision": "d", "protected": ["eth", "sex"], "score": "s"}
    whole = audit_decisions(frame, **kw)
    for size in (1, 7, 1000, 2999):
        if size == 1:
            parts = [frame.iloc[:1], frame.iloc[1:]]
        else:
            parts = [frame.iloc[i : i + size] for i in range(0, n, size)]
        assert audit_chunks(parts, **kw).to_json() == whole.to_json()
    # counts gathered elsewhere and merged give the same numbers
    counts = count_groups(frame.iloc[:1234], label="y", decision="d", protected=["eth", "sex"],
                          score="s", score_range=(350, 950))  # fmt: skip
    counts = counts + count_groups(frame.iloc[1234:], label="y", decision="d",
                                   protected=["eth", "sex"], score="s", score_range=(350, 950))  # fmt: skip
    merged = audit_counts(counts, label="y", decision="d", score="s").to_dict()
    w = whole.to_dict()
    assert merged["attributes"] == w["attributes"]
    assert merged["intersections"] == w["intersections"]


def test_same_input_same_bytes_and_seed_matters():
    frame = frame_from_cells({"A": (200, 40, 60, 100), "B": (180, 120, 60, 240)})
    kw = {"label": "y", "decision": "d", "protected": "g"}
    a, b = audit_decisions(frame, **kw).to_json(), audit_decisions(frame, **kw).to_json()
    assert a == b
    c = audit_decisions(frame, seed=1, **kw).to_json()
    assert c != a  # the bootstrap intervals depend on the seed ...
    da, dc = json.loads(a), json.loads(c)
    assert (
        da["attributes"]["g"]["groups"]["B"]["fpr"] == dc["attributes"]["g"]["groups"]["B"]["fpr"]
    )


def test_meta_records_provenance():
    frame = frame_from_cells({"A": (200, 40, 60, 100), "B": (180, 120, 60, 240)})
    meta = audit_decisions(frame, label="y", decision="d", protected="g", source="x.csv").to_dict()[
        "meta"
    ]
    assert meta["source"] == "x.csv" and meta["n"] == 1000 and meta["seed"] == 0
    assert len(meta["data_sha256"]) == 64
    assert {"audit", "fairlearn", "numpy", "pandas", "python", "scipy"} <= set(meta["versions"])
    assert meta["values"] == {
        "label": {"adverse": 1, "other": 0},
        "decision": {"adverse": 1, "other": 0},
    }
    changed = frame.copy()
    changed.loc[0, "d"] = 1 - changed.loc[0, "d"]
    other = audit_decisions(changed, label="y", decision="d", protected="g").to_dict()["meta"]
    assert other["data_sha256"] != meta["data_sha256"]


def test_min_fpr_ratio_is_an_optional_second_criterion():
    frame = frame_from_cells({"A": (200, 40, 60, 100), "B": (180, 120, 60, 240)})
    kw = {"label": "y", "decision": "d", "protected": "g", "min_impact_ratio": None}
    nothing = audit_decisions(frame, **kw)
    assert nothing.outcome is None and not nothing.passed  # no verdict is not a PASS
    res = audit_decisions(frame, min_fpr_ratio=0.8, **kw).to_dict()
    # B (600 people) is the reference; A's wrongful blacklisting rate 40/240 over B's 120/300
    [_, _, [low], [high]] = exact_mover(40, 240, 120, 300, 0.95)
    assert high < 0.8  # so the verdict must FAIL, decided by the upper bound
    [v] = res["verdict"]["violations"]
    assert v["criterion"] == "fpr_ratio" and v["group"] == "A" and v["against"] == "B"
    assert v["value"] == pytest.approx((40 / 240) / (120 / 300))
    assert v["bound"] == pytest.approx(high, abs=1e-6) and v["direction"] == "below"
    assert res["verdict"]["outcome"] == "fail"
    text = audit_decisions(frame, min_fpr_ratio=0.8, **kw).summary()
    assert "Verdict: FAIL" in text and "FAIL fpr_ratio: g=A vs B" in text
    assert "four_fifths" not in text  # not judged, so not blamed


def test_result_is_plain_data_and_immutable():
    frame = frame_from_cells({"A": (200, 40, 60, 100), "B": (180, 120, 60, 240)})
    res = audit_decisions(frame, label="y", decision="d", protected="g")
    d = res.to_dict()
    d["meta"]["n"] = -1
    assert res.to_dict()["meta"]["n"] == 1000
    assert json.loads(res.to_json()) == res.to_dict()
    more = res.with_section("explain", {"x": np.float64(0.5), "y": [np.int64(2), float("nan")]})
    assert more.to_dict()["explain"] == {"x": 0.5, "y": [2, None]}
    assert "explain" not in res.to_dict()
    with pytest.raises(InvalidInputError):
        res.with_section("schema_version", 2)
    with pytest.raises(InvalidInputError, match="plain data"):
        res.with_section("cases", {"x": object()})
    assert isinstance(more, AuditResult)
    text = res.summary()
    assert "Verdict: FAIL" in text and "B" in text
    frame_view = res.to_frame()
    assert list(frame_view["group"]) == ["A", "B"]


def test_excess_wrongful_blacklistings_signed_with_newcombe_interval():
    """excess = not_adverse x (fpr - fpr_ref); its interval is not_adverse x Newcombe's; the total
    pools the other groups (statsmodels' Newcombe interval as the independent oracle)."""
    frame = frame_from_cells({"A": (200, 40, 60, 100), "B": (180, 120, 60, 240),
                              "C": (100, 20, 10, 30)})  # fmt: skip
    res = audit_decisions(frame, label="y", decision="d", protected="g").to_dict()
    sec = res["attributes"]["g"]
    assert sec["reference"] == "B"  # 600 people
    fpr_b = 120 / 300
    a = sec["groups"]["A"]["excess_wrongful"]
    assert a["value"] == pytest.approx(40 - fpr_b * 240)  # -56: fewer than at B's rate
    low, high = confint_proportions_2indep(40, 240, 120, 300, compare="diff", method="newcomb")
    assert a["ci"] == pytest.approx([240 * low, 240 * high], abs=1e-4)
    assert sec["groups"]["B"]["excess_wrongful"] == {"value": 0.0, "ci": [0.0, 0.0]}
    total = sec["excess_wrongful_total"]
    assert total["value"] == pytest.approx(40 + 20 - fpr_b * 360) and total["groups"] == 2
    low, high = confint_proportions_2indep(60, 360, 120, 300, compare="diff", method="newcomb")
    assert total["ci"] == pytest.approx([360 * low, 360 * high], abs=1e-4)


def test_excess_totals_simultaneous_over_the_attributes():
    """With three attributes, each attribute's total also gets its interval at the Bonferroni
    level 1 - 0.05 / 3 (statsmodels' Newcombe interval at alpha 0.05 / 3 as the oracle); the
    intersections' totals, which the headline does not read, do not."""
    frame = frame_from_cells({"A": (200, 40, 60, 100), "B": (180, 120, 60, 240),
                              "C": (100, 20, 10, 30)})  # fmt: skip
    frame["h"] = np.where(np.arange(len(frame)) % 2 == 0, "x", "z")
    frame["k"] = np.where(np.arange(len(frame)) % 3 == 0, "u", "v")
    res = audit_decisions(frame, label="y", decision="d", protected=["g", "h", "k"]).to_dict()
    total = res["attributes"]["g"]["excess_wrongful_total"]
    assert total["simultaneous_over"] == 3
    low, high = confint_proportions_2indep(
        60, 360, 120, 300, compare="diff", method="newcomb", alpha=0.05 / 3
    )
    assert total["ci_simultaneous"] == pytest.approx([360 * low, 360 * high], abs=1e-4)
    assert (
        total["ci_simultaneous"][0] < total["ci"][0] < total["ci"][1] < total["ci_simultaneous"][1]
    )
    for name in ("h", "k"):
        assert res["attributes"][name]["excess_wrongful_total"]["simultaneous_over"] == 3
    inter = next(iter(res["intersections"].values()))["excess_wrongful_total"]
    assert "ci_simultaneous" not in inter
