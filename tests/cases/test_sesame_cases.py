"""Case files on the real sesame generator and scorer: twins, counts and tags checked independently."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from audit.cases import FAILURE_MODES, NO_CAUSE, build_case_files, select_cases
from audit.explain import explain_scores
from audit.population import make_population
from audit.scoring import SocialCreditScorer


@pytest.fixture(scope="module")
def audit_run():
    pop = make_population("sesame", n=20_000, seed=2)
    f = pop.frame
    est = HistGradientBoostingClassifier(max_iter=40, random_state=0)
    scorer = SocialCreditScorer.from_spec(pop.spec.scorer, estimator=est).fit(f, f["observed"])
    scores = scorer.score(f)
    dec = scorer.decide(f)
    sel = select_cases(f, dec, protected=pop.protected, reference=pop.reference, per_group=5)
    ex = explain_scores(
        scorer,
        f,
        protected=pop.protected,
        reference=pop.reference,
        per_group=30,
        background=20,
        extra_rows=sel.rows,
        scores=scores,
    )
    cf = build_case_files(
        sel, f, scorer=scorer, explanation=ex, population=pop, mechanism_info=pop.mechanisms
    )
    return pop, scorer, dec, sel, cf


def test_counts_match_an_independent_count(audit_run):
    pop, _, dec, _, cf = audit_run
    f = pop.frame
    d = cf.to_dict()
    t = pd.DataFrame(
        {"g": f["ethnicity"].astype(str), "w": dec & (f["truth"] == 0), "n": f["truth"] == 0}
    )
    agg = t.groupby("g")[["w", "n"]].sum()
    for g in agg.index:
        assert d["count"]["ethnicity"][g] == agg.loc[g, "w"]
        assert d["groups"]["ethnicity"][g]["rate"] == pytest.approx(
            agg.loc[g, "w"] / agg.loc[g, "n"]
        )
    rates = d["groups"]["ethnicity"]
    assert rates["Uyghur"]["rate"] > 1.5 * rates["Han"]["rate"]  # the scenario harms this group
    assert sum(d["by_cause_total"].values()) == d["n_wrongful"]
    allowed = {*FAILURE_MODES.values(), NO_CAUSE}
    assert set(d["by_cause_total"]) <= allowed
    assert set(cf.table["failure_mode"]) <= allowed
    json.dumps(d)


def test_twin_outcome_matches_the_generator(audit_run):
    pop, scorer, _, sel, cf = audit_run
    table = cf.table
    assert table["blacklisted"].all() and (table["label"] == 0).all()
    non_han = np.flatnonzero((table["ethnicity"] != "Han").to_numpy())[:5]
    positions = pop.frame.index.get_indexer(sel.rows[non_han])
    twins = pop.counterfactual(rows=positions, ethnicity="Han").frame
    np.testing.assert_array_equal(
        table["twin_ethnicity_blacklisted"].iloc[non_han].to_numpy(dtype=bool),
        scorer.decide(twins),
    )
    np.testing.assert_allclose(table["twin_ethnicity_score"].iloc[non_han], scorer.score(twins))
    assert table.loc[table["ethnicity"] == "Han", "twin_ethnicity_blacklisted"].isna().all()
    assert "person_id" not in table.columns and table["case_id"].is_unique


def test_mechanism_links_come_from_the_population(audit_run):
    *_, cf = audit_run
    links = cf.to_dict()["case_files"]["linked_features"]
    assert set(links["surveillance"]) == {"late_bike_returns", "drunk_driving"}
    assert "speech_flag" in links["political_speech"]
    assert "missed_repayments" in links["record_linkage"]


def test_cases_section_matches_the_schema(audit_run):
    from pathlib import Path

    import jsonschema

    *_, cf = audit_run
    schema = json.loads(
        (Path(__file__).parents[2] / "audit" / "core" / "audit.schema.json").read_text()
    )
    doc = json.loads(json.dumps(cf.to_dict(), allow_nan=False))
    jsonschema.Draft202012Validator(schema["properties"]["cases"]).validate(doc)
    assert {"label_kind", "n_wrongful", "count", "groups", "by_cause", "case_files"} <= set(doc)
