"""Case files: counts, causes, failure modes and counterfactual twins, pinned by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.cases import build_case_files, failure_mode_of, primary_cause, select_cases
from audit.exceptions import AuditError, InvalidInputError, SchemaError
from audit.explain import explain_scores
from tests.explain.toy import fitted_scorer, make_people

FLAG_P = {"A": 0.05, "B": 0.9}


class HandScorer:
    """score = 600 - 30 * missed_repayments - 80 * district_flag; blacklisted below 560."""

    feature_names = ["missed_repayments", "district_flag"]
    threshold = 560.0

    def score(self, X):
        return 600.0 - 30.0 * X["missed_repayments"].to_numpy() - 80.0 * X["district_flag"]

    def decide(self, X):
        return np.asarray(self.score(X)) < self.threshold


class HandPopulation:
    """A generator in miniature: district_flag = u_district < P(flag | ethnicity), same u for twins."""

    def __init__(self, frame):
        self.frame = frame

    def counterfactual(self, rows=None, **change):
        ((attr, value),) = change.items()
        f = self.frame.iloc[rows].copy() if rows is not None else self.frame.copy()
        f[attr] = value
        p = f["ethnicity"].map(FLAG_P).to_numpy()
        f["district_flag"] = (f["latent_u_district"].to_numpy() < p).astype(np.int8)
        return HandPopulation(f.reset_index(drop=True))


@pytest.fixture
def hand():
    frame = pd.DataFrame(
        {
            "person_id": [501, 502, 503, 504, 505, 506],
            "ethnicity": ["B", "B", "B", "A", "A", "B"],
            "missed_repayments": [0, 2, 0, 2, 0, 3],
            "latent_u_district": [0.5, 0.5, 0.01, 0.5, 0.5, 0.5],
            "truth": [0, 0, 0, 0, 0, 1],
            "trace_record_linkage": [False, True, False, False, False, False],
        }
    )
    frame["district_flag"] = (frame["latent_u_district"] < frame["ethnicity"].map(FLAG_P)).astype(
        np.int8
    )
    frame["trace_district_proxy"] = frame["district_flag"] == 1
    return frame


def _run(frame, **kw):
    scorer = HandScorer()
    dec = scorer.decide(frame)
    sel = select_cases(frame, dec, protected=["ethnicity"], reference={"ethnicity": "A"})
    ex = explain_scores(
        scorer,
        frame,
        protected=["ethnicity"],
        reference={"ethnicity": "A"},
        background=pd.DataFrame({"missed_repayments": [0, 0], "district_flag": [0, 0]}),
        extra_rows=sel.rows,
    )
    cf = build_case_files(
        sel, frame, scorer=scorer, explanation=ex, population=HandPopulation(frame), **kw
    )
    return sel, cf


def test_counts_by_hand(hand):
    sel, cf = _run(hand)
    d = cf.to_dict()
    # scores: 520, 460, 520, 540, 600, 430 -> blacklisted: all but person 505; wrongful: 501-504
    assert d["count"] == {"ethnicity": {"A": 1, "B": 3}}
    # A: 1 wrongful of 2 non-defaulters (504, 505); B: 3 of 3
    assert d["groups"]["ethnicity"]["A"] == {"wrongful": 1, "not_adverse": 2, "rate": 0.5}
    assert d["groups"]["ethnicity"]["B"] == {"wrongful": 3, "not_adverse": 3, "rate": 1.0}
    assert "excess" not in d  # an estimate with an interval: the metrics stage's excess_wrongful
    assert d["n_wrongful"] == 4 and d["label_kind"] == "truth"
    # causes: 502 touched by record linkage and the proxy -> mistaken identity (precedence)
    assert d["by_cause"]["ethnicity"]["B"] == {"mistaken identity": 1, "proxy": 2}
    assert d["by_cause"]["ethnicity"]["A"] == {"no identifiable cause": 1}
    assert d["touched_by"]["ethnicity"]["B"] == {"record_linkage": 1, "district_proxy": 3}
    json.dumps(d)


def test_counterfactual_twins_by_hand(hand):
    _, cf = _run(hand)
    # 501: flagged only because B (u=0.5 >= 0.05): twin unflagged, 600 -> not blacklisted
    table = cf.table.assign(pid=[501, 502, 503, 504]).set_index("pid")
    assert table.loc[501, "twin_ethnicity_blacklisted"] == False  # noqa: E712
    assert table.loc[501, "twin_ethnicity_score"] == 600.0
    # 502: twin unflagged but two missed repayments: 540 < 560, still blacklisted
    assert table.loc[502, "twin_ethnicity_blacklisted"] == True  # noqa: E712
    assert table.loc[502, "twin_ethnicity_score"] == 540.0
    # 503: u=0.01 < 0.05: flagged even as A, still blacklisted at 520
    assert table.loc[503, "twin_ethnicity_blacklisted"] == True  # noqa: E712
    # 504 is already in the reference group: no twin
    assert pd.isna(table.loc[504, "twin_ethnicity_blacklisted"])
    assert cf.to_dict()["case_files"]["twins"]["ethnicity"] == {
        "reference": "A",
        "n": 3,
        "not_blacklisted": 1,
        "share_not_blacklisted": 1 / 3,
    }
    assert len(cf.table) == 4


def test_reasons_failure_modes_and_no_identifiers(hand):
    _, cf = _run(hand)
    table = cf.table.assign(pid=[501, 502, 503, 504]).set_index("pid")
    # background mean 0: reasons are -30 * missed and -80 * district
    assert table.loc[502, "reasons"] == "district_flag (-80.0 pts); missed_repayments (-60.0 pts)"
    assert table.loc[504, "reasons"] == "missed_repayments (-60.0 pts)"
    assert table.loc[502, "mechanisms"] == "record_linkage; district_proxy"
    # 502's top reasons: linkage acts through missed_repayments (-60); the proxy has no linked
    # feature unless told -> mistaken identity
    assert table.loc[502, "failure_mode"] == "mistaken identity"
    assert table.loc[501, "failure_mode"] == "proxy"  # only the proxy touched 501 (precedence)
    assert table.loc[504, "failure_mode"] == "no identifiable cause"
    # told that the proxy acts through district_flag, the larger cost (-80) wins
    _, cf2 = _run(hand, mechanism_features={"district_proxy": ["district_flag"]})
    t2 = cf2.table.assign(pid=[501, 502, 503, 504]).set_index("pid")
    assert t2.loc[502, "failure_mode"] == "proxy"
    # pseudonymous, never the identifier
    assert cf.table["case_id"].str.fullmatch(r"C-[0-9A-F]{6,}").all()
    assert cf.table["case_id"].is_unique
    assert "person_id" not in cf.table.columns
    flat = cf.table.astype(str).to_numpy().ravel().tolist()
    assert not any(s in ("501", "502", "503", "504") for s in flat)


def test_observed_label_without_population_says_so(hand):
    scorer = HandScorer()
    frame = hand.drop(columns=["trace_record_linkage", "trace_district_proxy"])
    frame["observed"] = [0, 1, 0, 0, 0, 1]
    sel = select_cases(frame, scorer.decide(frame), protected=["ethnicity"], label="observed")
    ex = explain_scores(scorer, frame, protected=["ethnicity"], extra_rows=sel.rows, background=3)
    cf = build_case_files(sel, frame, scorer=scorer, explanation=ex)
    d = cf.to_dict()
    assert d["label_kind"] == "observed" and "No ground truth" in d["label_note"]
    assert d["n_wrongful"] == 3  # 502 is recorded as a defaulter
    assert d["case_files"]["twins"] is None and "real data" in d["case_files"]["twin_note"]
    assert (cf.table["label_kind"] == "observed").all()
    # no traces, no failure modes: the columns are left out rather than all "no identifiable cause"
    assert "failure_mode" not in cf.table.columns and "mechanisms" not in cf.table.columns
    assert d["case_files"]["by_failure_mode"] == {}
    assert not any(c.startswith("twin_") for c in cf.table.columns)


def test_stratified_cap_and_group_with_no_one_blacklisted():
    people = make_people(2500, seed=3)
    scorer = fitted_scorer(people)
    dec = scorer.decide(people)
    dec[people["sex"].to_numpy() == "f"] = False  # nobody of this group blacklisted
    sel = select_cases(
        people, dec, protected=["ethnicity", "sex"], reference={"ethnicity": "A"}, per_group=7
    )
    strata = sel.sampled_for.str.split("; ").explode()
    assert strata.value_counts().max() <= 7
    assert strata.value_counts()["ethnicity=B"] == 7
    assert not strata.str.startswith("sex=f").any()
    d = sel.section
    assert d["count"]["sex"]["f"] == 0 and d["groups"]["sex"]["f"]["rate"] == 0.0
    wrong = dec & (people["truth"] == 0).to_numpy()
    assert d["n_wrongful"] == int(wrong.sum())
    assert sum(d["count"]["ethnicity"].values()) == int(wrong.sum())
    assert sum(d["by_cause_total"].values()) == int(wrong.sum())
    # counts and rates, independently with pandas
    t = pd.DataFrame({"g": people["ethnicity"].astype(str), "w": wrong, "n": people.truth == 0})
    agg = t.groupby("g")[["w", "n"]].sum()
    for g in ("A", "B", "C"):
        group = d["groups"]["ethnicity"][g]
        assert (group["wrongful"], group["not_adverse"]) == tuple(agg.loc[g, ["w", "n"]])
        assert group["rate"] == pytest.approx(agg.loc[g, "w"] / agg.loc[g, "n"])
    # the case files of the B stratum are wrongly blacklisted B people
    ex = explain_scores(
        scorer, people, protected=["ethnicity"], per_group=5, background=10, extra_rows=sel.rows
    )
    cf = build_case_files(sel, people, scorer=scorer, explanation=ex, k=3)
    assert len(cf.table) == len(sel.rows) and cf.table["blacklisted"].all()
    assert (cf.table["label"] == 0).all()
    assert {"reason_3", "points_3"} <= set(cf.table.columns) and "reason_4" not in cf.table
    json.dumps(cf.to_dict())


def test_primary_cause_precedence_and_taxonomy():
    traces = pd.DataFrame(
        {
            "trace_structural": [True, True, False, False],
            "trace_political_speech": [True, False, False, False],
            "trace_court_listing": [True, False, False, False],
            "trace_my_new_thing": [False, False, True, False],
        }
    )
    assert primary_cause(traces).tolist() == [
        "stale data",
        "structural disadvantage",
        "other: my_new_thing",
        "no identifiable cause",
    ]
    assert failure_mode_of("association") == "guilt by association"


def test_errors_are_clear(hand):
    scorer = HandScorer()
    dec = scorer.decide(hand)
    with pytest.raises(AuditError, match="label column 'truth_x'"):
        select_cases(hand, dec, protected=["ethnicity"], label="truth_x")
    with pytest.raises(InvalidInputError, match="one value per person"):
        select_cases(hand, dec[:3], protected=["ethnicity"])
    with pytest.raises(InvalidInputError, match="booleans"):
        select_cases(hand, np.array([0.5] * 6), protected=["ethnicity"])
    sel = select_cases(hand, dec, protected=["ethnicity"])
    ex = explain_scores(scorer, hand, protected=["ethnicity"], per_group=1, background=2)
    with pytest.raises(InvalidInputError, match="extra_rows=selection.rows"):
        build_case_files(sel, hand, scorer=scorer, explanation=ex)


def test_linked_features_from_population_settings():
    from audit.cases._taxonomy import linked_features

    info = {"surveillance": {"settings": {"targets": ["a"]}}, "x": {"settings": {"count": "b"}}}
    links = linked_features(
        ["surveillance", "political_speech", "x"], ["a", "b", "speech_flag"], info
    )
    assert links == {"surveillance": ["a"], "political_speech": ["speech_flag"], "x": ["b"]}
    assert linked_features(["x"], ["a", "b"], info, {"x": ["a"]}) == {"x": ["a"]}


def test_decisions_only_case_files_without_scorer_or_explanation(hand):
    """`audit csv`: recorded decisions and labels only — no scorer, no reasons, no twins."""
    frame = hand.drop(columns=["trace_record_linkage", "trace_district_proxy"])
    frame["observed"] = [0, 1, 0, 0, 0, 1]
    frame["decision"] = [True, True, True, True, False, True]
    sel = select_cases(frame, "decision", protected=["ethnicity"], label="observed")
    s = np.array([520.0, 460, 520, 540, 600, 430])
    cf = build_case_files(sel, frame, scores=s)
    t = cf.table
    assert len(t) == 3 and t["score"].tolist() == [520.0, 520.0, 540.0]
    assert t["reasons"].str.startswith("not available").all()
    assert "failure_mode" not in t.columns
    d = cf.to_dict()
    assert d["case_files"]["twins"] is None and "no reason codes" in d["case_files"]["reasons_note"]
    assert "no scorer" in d["case_files"]["twin_note"]
    json.dumps(d, allow_nan=False)


def test_missing_protected_value_is_the_unknown_group_in_counts_and_case_files(hand):
    frame = hand.drop(columns=["trace_record_linkage", "trace_district_proxy"])
    frame["ethnicity"] = frame["ethnicity"].astype(object)
    frame.loc[1, "ethnicity"] = None  # 502: wrongly blacklisted, ethnicity not recorded
    dec = HandScorer().decide(frame)
    sel = select_cases(frame, dec, protected=["ethnicity"], reference={"ethnicity": "A"})
    assert sel.section["count"]["ethnicity"] == {"A": 1, "B": 2, "unknown": 1}
    cf = build_case_files(sel, frame)
    assert cf.table["ethnicity"].tolist() == ["B", "unknown", "B", "A"]
    assert cf.table["sampled_for"].tolist()[1] == "ethnicity=unknown"


def test_positive_is_matched_to_the_label_dtype_as_in_the_metrics_stage():
    """'1' on an int label means 1 (as in audit csv), never "every label differs, all wrongful"."""
    people = pd.DataFrame({"g": ["a", "a", "b", "b"], "y": [1, 0, 0, 1]})
    decisions = np.array([True, True, True, False])
    as_text = select_cases(people, decisions, protected=["g"], label="y", positive="1")
    # by hand: blacklisted with y == 0 are rows 1 and 2 -> a: 1, b: 1
    assert as_text.section["count"] == {"g": {"a": 1, "b": 1}}
    assert as_text.wrongful.tolist() == [False, True, True, False]


def test_a_label_without_the_positive_value_is_an_error_not_a_count():
    people = pd.DataFrame({"g": ["a", "b"] * 20, "y": ["yes", "no"] * 20})
    with pytest.raises(SchemaError, match="positive"):
        select_cases(people, np.ones(40, bool), protected=["g"], label="y", positive=1)
