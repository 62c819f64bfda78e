"""explain_scores: additivity of the gap decomposition, agreement of the SHAP paths, proxies, reasons.

Oracles: a linear scorer whose Shapley values are known in closed form (w_j * (x_j - mean background)),
shap.TreeExplainer and shap.explainers.Exact, scipy's Welch interval, sklearn's roc_auc_score, and
pandas group means of the scorer's own scores.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shap
from scipy import stats
from sklearn.metrics import roc_auc_score

from audit.exceptions import AuditError, InvalidInputError, ScorerError
from audit.explain import explain_scores, group_auc
from tests.explain.toy import FEATURES, LinearScorer, fitted_scorer, make_people

REF = {"ethnicity": "A", "sex": "m"}


@pytest.fixture(scope="module")
def people():
    return make_people(3000, seed=0)


@pytest.fixture(scope="module")
def scorer(people):
    return fitted_scorer(people)  # HGB, no rules, clipping wide of the scores seen


@pytest.fixture(scope="module")
def explained(people, scorer):
    return explain_scores(
        scorer,
        people,
        protected=["ethnicity", "sex"],
        reference=REF,
        per_group=80,
        background=40,
        method="black_box",
        seed=1,
    )


def test_every_person_adds_up_to_their_score(explained, people, scorer):
    ex = explained
    total = ex.base_value + ex.values.sum(axis=1)
    np.testing.assert_allclose(total, ex.scores, atol=1e-6)
    # the scores are the scorer's own
    np.testing.assert_allclose(ex.scores, scorer.score(people.loc[ex.scores.index]), atol=1e-9)


def test_gap_decomposition_is_exact(explained, people, scorer):
    d = explained.to_dict()
    for attr, block in d["attributes"].items():
        ref = block["reference"]
        sample = explained.samples[attr]
        s = pd.Series(scorer.score(people.loc[sample.index]), index=sample.index)
        means = s.groupby(sample.to_numpy()).mean()  # independent recomputation of the sampled gap
        for group, g in block["groups"].items():
            assert abs(g["score_gap"] - sum(g["gap_by_feature"].values())) < 1e-6
            assert g["score_gap"] == pytest.approx(means[group] - means[ref], abs=1e-9)
        assert block["groups"][ref]["score_gap"] == 0


def test_population_gap_and_interval(explained, people, scorer):
    d = explained.to_dict()["attributes"]["ethnicity"]
    s = pd.Series(scorer.score(people), index=people.index)
    pop_means = s.groupby(people["ethnicity"], observed=True).mean()
    sample = explained.samples["ethnicity"]
    ss = pd.Series(explained.scores.loc[sample.index].to_numpy(), index=sample.to_numpy())
    for group in ("B", "C"):
        g = d["groups"][group]
        assert g["score_gap_population"] == pytest.approx(pop_means[group] - pop_means["A"])
        assert g["n_population"] == int((people["ethnicity"] == group).sum())
        oracle = stats.ttest_ind(ss[group], ss["A"], equal_var=False).confidence_interval(0.95)
        assert g["score_gap_ci"] == pytest.approx([oracle.low, oracle.high])
        assert g["population_gap_in_ci"] == (oracle.low <= g["score_gap_population"] <= oracle.high)
    assert d["groups"]["A"]["score_gap_ci"] is None


def test_stratified_sample_sizes(explained, people):
    sample = explained.samples["ethnicity"]
    assert (people.loc[sample.index, "ethnicity"].astype(str).to_numpy() == sample.to_numpy()).all()
    counts = sample.value_counts()
    assert counts.to_dict() == {"A": 80, "B": 80, "C": 80}
    assert explained.to_dict()["attributes"]["sex"]["groups"]["f"]["n_explained"] == 80


def test_black_box_agrees_with_tree_shap(people, scorer):
    """Stated tolerance: per-group mean attributions within 1.5 points of exact TreeSHAP, person-level
    mean absolute difference under 1.5 points (background 40, one antithetic pair per background row;
    scores span ~380 points)."""
    kw = {
        "protected": ["ethnicity"],
        "reference": REF,
        "per_group": 60,
        "background": 40,
        "seed": 3,
    }
    bb = explain_scores(scorer, people, method="black_box", **kw)
    gb = explain_scores(scorer, people, method="glass_box", **kw)
    auto = explain_scores(scorer, people, method="auto", **kw)
    assert gb.to_dict()["method"] == "glass_box" == auto.to_dict()["method"]
    # the glass box is TreeSHAP itself: check it against shap.TreeExplainer called directly
    Z = people[FEATURES].iloc[np.sort(np.random.default_rng(0).choice(len(people), 5))]
    te = shap.TreeExplainer(
        scorer.estimator, data=Z, feature_perturbation="interventional", model_output="raw"
    )
    X = people.loc[gb.values.index[:20], FEATURES]
    one = explain_scores(
        scorer,
        people,
        method="glass_box",
        background=Z,
        extra_rows=X.index,
        **{k: v for k, v in kw.items() if k != "background"},
    )
    np.testing.assert_allclose(
        one.values.loc[X.index].to_numpy(), scorer.slope * te.shap_values(X), atol=1e-6
    )
    diff = (bb.values - gb.values).abs()
    assert diff.to_numpy().mean() < 1.5
    for group in ("A", "B", "C"):
        b = bb.to_dict()["attributes"]["ethnicity"]["groups"][group]["mean_shap"]
        g = gb.to_dict()["attributes"]["ethnicity"]["groups"][group]["mean_shap"]
        for f in FEATURES:
            assert abs(b[f] - g[f]) < 1.5, (group, f)


def test_black_box_agrees_with_shap_exact_on_a_scorer_with_rules(people):
    """With a rule (-120 points for the flag) and clipping binding, the glass box is refused and the
    black box is compared with shap.explainers.Exact (exact Shapley values, same background)."""
    sc = fitted_scorer(
        people, kind="hgb", features=FEATURES[:4], rules=[("district_flag", -120)], clip=(350, 700)
    )
    rows = people.index[:6]
    Z = people[FEATURES[:4]].iloc[100:130]
    ex = explain_scores(
        sc, people, protected=["sex"], per_group=1, background=Z, extra_rows=rows, pairs=8, seed=0
    )
    assert ex.to_dict()["method"] == "black_box"
    assert "rules or clipping" in ex.to_dict()["method_note"]
    f = lambda a: sc.score(pd.DataFrame(a, columns=FEATURES[:4]))  # noqa: E731
    exact = shap.explainers.Exact(f, shap.maskers.Independent(Z.to_numpy(float), max_samples=30))
    oracle = exact(people.loc[rows, FEATURES[:4]].to_numpy(float)).values
    np.testing.assert_allclose(ex.values.loc[rows].to_numpy(), oracle, atol=2.5)
    assert np.abs(ex.values.loc[rows].to_numpy() - oracle).mean() < 0.6
    with pytest.raises(InvalidInputError, match="rules or clipping"):
        explain_scores(sc, people, protected=["sex"], per_group=5, background=Z, method="glass_box")


def test_linear_scorer_reason_codes_by_hand():
    people = pd.DataFrame(
        {"g": ["x", "x", "y", "y"], "a": [3, 0, 1, 0], "b": [2, 0, 0, 0], "c": [0, 4, 1, 0]}
    )
    background = pd.DataFrame({"a": [0, 2], "b": [0, 0], "c": [0, 2]})  # mean a=1, b=0, c=1
    ex = explain_scores(
        LinearScorer(), people, protected=["g"], per_group=10, background=background
    )
    assert ex.base_value == 595.0  # (600 + 590) / 2
    # person 0: score 600 - 30 - 40 + 0 = 530 (blacklisted): a -20, b -40, c -5
    np.testing.assert_allclose(ex.values.loc[0].to_numpy(), [-20.0, -40.0, -5.0], atol=1e-9)
    rc = ex.reason_codes()
    assert list(rc.index) == [0]  # the only one blacklisted
    row = rc.loc[0]
    assert (row.reason_1, row.reason_2, row.reason_3, row.reason_4) == ("b", "a", "c", None)
    assert (row.points_1, row.points_2, row.points_3) == (-40.0, -20.0, -5.0)
    assert np.isnan(row.points_4)
    assert row.reasons == "b (-40.0 pts); a (-20.0 pts); c (-5.0 pts)"
    # everyone, not just the blacklisted: person 1 (a=0,b=0,c=4) has a=+10, c=+15: only b? b=0
    rc_all = ex.reason_codes(only_blacklisted=False, k=2)
    assert rc_all.loc[1, "reasons"] == "no feature lowered the score"
    assert rc_all.loc[2, "reason_1"] is None  # a=1,b=0,c=1: all zero
    with pytest.raises(InvalidInputError, match="not explained"):
        ex.reason_codes(rows=[99])


def test_proxy_ranks_first_and_auc_matches_sklearn(explained, people):
    proxies = explained.to_dict()["proxies"]
    top = proxies[0]
    assert (top["feature"], top["attribute"], top["group"]) == ("district_flag", "ethnicity", "B")
    assert top["rank"] == 1 and top["gap_points"] < -50 and top["predictiveness"] > 0.9
    assert [p["proxy_points"] for p in proxies] == sorted(
        (p["proxy_points"] for p in proxies), reverse=True
    )
    sub = people[people.ethnicity.isin(["A", "B"])]
    oracle = roc_auc_score(sub.ethnicity == "B", sub.district_flag)
    assert top["auc"] == pytest.approx(oracle)
    g = explained.to_dict()["attributes"]["ethnicity"]["groups"]["B"]
    assert top["gap_share"] == pytest.approx(top["gap_points"] / g["score_gap"])


def test_group_auc_matches_sklearn_with_ties_and_nan():
    rng = np.random.default_rng(5)
    v = rng.integers(0, 4, 500).astype(float)
    v[::17] = np.nan
    codes = rng.integers(0, 3, 500)
    auc = group_auc(v, codes, 1)
    assert np.isnan(auc[1])
    for g in (0, 2):
        m = np.isin(codes, [g, 1])
        oracle = roc_auc_score(codes[m] == g, np.nan_to_num(v[m], nan=-1.0))
        assert auc[g] == pytest.approx(oracle)


def test_same_seed_same_numbers(people, scorer):
    kw = {"protected": ["sex"], "reference": REF, "per_group": 20, "background": 10, "seed": 7}
    a = explain_scores(scorer, people, method="black_box", **kw).to_dict()
    b = explain_scores(scorer, people, method="black_box", **kw).to_dict()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_scores_argument_is_used_and_checked(people, scorer):
    s = scorer.score(people)
    kw = {"protected": ["ethnicity"], "reference": REF, "per_group": 10, "background": 10}
    ex = explain_scores(scorer, people, scores=s, method="black_box", **kw)
    json.dumps(ex.to_dict())  # JSON-ready
    with pytest.raises(InvalidInputError, match="does not match"):
        explain_scores(scorer, people, scores=s + 5, method="black_box", **kw)
    with pytest.raises(InvalidInputError, match="one value per person"):
        explain_scores(scorer, people, scores=s[:10], method="black_box", **kw)


# --- edge cases ---------------------------------------------------------------------------------


def test_tiny_groups_constant_feature_and_missing_protected():
    people = pd.DataFrame(
        {
            "g": ["x"] * 30 + ["y"] + [None] * 2,
            "a": np.arange(33) % 5,
            "b": np.zeros(33, dtype=np.int8),  # one value only
            "c": np.arange(33) % 3,
        }
    )
    ex = explain_scores(
        LinearScorer(), people, protected=["g"], reference={"g": "x"}, per_group=500, background=8
    )
    d = ex.to_dict()
    groups = d["attributes"]["g"]["groups"]
    assert {k: v["n_explained"] for k, v in groups.items()} == {"x": 30, "y": 1, "unknown": 2}
    assert groups["y"]["score_gap_ci"] is None  # one person: no interval, no crash
    assert d["constant_features"] == ["b"]
    assert (ex.values["b"] == 0).all()
    json.dumps(d)


def test_no_one_blacklisted_gives_empty_reason_codes():
    people = pd.DataFrame({"g": ["x", "y"] * 5, "a": 0, "b": 0, "c": np.arange(10)})
    ex = explain_scores(LinearScorer(), people, protected=["g"], per_group=5, background=4)
    rc = ex.reason_codes()
    assert len(rc) == 0 and "reasons" in rc.columns
    assert ex.to_dict()["n_blacklisted_explained"] == 0


class _Picky(LinearScorer):
    """Rejects rows it has never seen a value like (as a validating production API might)."""

    def score(self, X):
        if (X["a"] > 100).any():
            raise ValueError("a must be at most 100")
        return super().score(X)


class _NaNScorer(LinearScorer):
    def score(self, X):
        out = super().score(X)
        out[0] = np.nan
        return out


def test_scorer_rejecting_background_gives_clear_error():
    people = pd.DataFrame({"g": ["x", "y"] * 5, "a": 1, "b": 0, "c": 1})
    bad = pd.DataFrame({"a": [500], "b": [0], "c": [0]})
    with pytest.raises(ScorerError, match="rejected the background sample.*a must be at most 100"):
        explain_scores(_Picky(), people, protected=["g"], background=bad)
    with pytest.raises(ScorerError, match="finite"):
        explain_scores(_NaNScorer(), people, protected=["g"], background=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reference": {"g": "zzz"}}, "reference group 'zzz' does not exist in 'g'"),
        ({"protected": ["nope"]}, "'nope' is not a column"),
        ({"per_group": 0}, "per_group"),
        ({"background": 0}, "background"),
        ({"method": "magic"}, "The 'method' parameter of explain_scores must be one of"),
        ({"extra_rows": [123]}, "extra_rows"),
        ({"features": ["a", "zz"]}, "missing"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, match):
    people = pd.DataFrame({"g": ["x", "y"] * 5, "a": 1, "b": 0, "c": 1})
    kw = {"protected": ["g"], "per_group": 3, "background": 3, **kwargs}
    with pytest.raises(AuditError, match=match):
        explain_scores(LinearScorer(), people, **kw)


def test_glass_box_refused_for_a_black_box_scorer():
    people = pd.DataFrame({"g": ["x", "y"] * 5, "a": 1, "b": 0, "c": 1})
    with pytest.raises(InvalidInputError, match="glass_box"):
        explain_scores(LinearScorer(), people, protected=["g"], method="glass_box")
    ex = explain_scores(LinearScorer(), people, protected=["g"], per_group=2, background=2)
    assert ex.to_dict()["method"] == "black_box"


def test_nominal_feature_auc_uses_the_best_ordering():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 2, 2000)
    p = np.where(codes[:, None] == 0, [0.5, 0.3, 0.2], [0.2, 0.3, 0.5])
    cats = np.array(["north", "west", "south"])[(rng.random(2000)[:, None] > p.cumsum(1)).sum(1)]
    auc = group_auc(pd.Series(pd.Categorical(cats)), codes, 0)
    # oracle: score each person by the likelihood ratio of their category, then sklearn's AUC
    share = pd.crosstab(cats, codes, normalize="columns")
    ratio = (share[1] / share[0]).reindex(cats).to_numpy()
    assert auc[1] == pytest.approx(roc_auc_score(codes == 1, ratio))
    assert auc[1] > 0.6


def test_categorical_feature_is_explained_by_the_black_box():
    class RegionScorer(LinearScorer):
        feature_names = ["a", "region"]

        def score(self, X):
            return 600.0 - 10.0 * X["a"].to_numpy() - 50.0 * (X["region"] == "nw").to_numpy()

    people = pd.DataFrame(
        {
            "g": ["x", "y"] * 6,
            "a": np.arange(12) % 3,
            "region": pd.Categorical(["e", "nw", "e", "nw", "e", "e"] * 2),
        }
    )
    bg = people[["a", "region"]].iloc[[0, 1]]  # a = 0, 1; region e, nw
    ex = explain_scores(RegionScorer(), people, protected=["g"], per_group=6, background=bg)
    # additive: region's value = -50 * (is nw - 1/2), a's = -10 * (a - 1/2)
    expect = -50.0 * ((people["region"] == "nw").to_numpy() - 0.5)
    np.testing.assert_allclose(ex.values["region"].loc[people.index], expect, atol=1e-9)
    top = ex.to_dict()["proxies"][0]
    assert (top["feature"], top["group"]) == ("region", "y")
