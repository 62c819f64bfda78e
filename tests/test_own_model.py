"""A user's own scikit-learn model, for real: what the audit says about it.

Real Pipelines (ColumnTransformer + OneHotEncoder + LogisticRegression, and HistGradientBoosting)
trained on deterministic generated people, wrapped with ``as_scorer`` and audited with
``run_on_data`` / ``audit run --scorer``. Checked: the model is named and a protected input is
flagged as DIRECT USE (never a proxy of itself); the flip test against decisions recomputed by hand
from ``predict_proba`` and the points scale; the direction guard on an inverted label and on a
threshold that blacklists nearly everyone (``--strict`` exits 2 and writes nothing); and that the
report of a real run has no synthetic-only section and no absolute path in any file.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from audit import as_scorer
from audit.cases import pseudonym
from audit.core import validate_audit_json
from audit.exceptions import InvalidInputError
from audit.pipeline import run_on_data
from audit.report import summarize
from audit.report._cases import NO_CAUSES
from audit.scoring import describe_model
from tests.cli import run_cli
from tests.own_model import (
    FEATURES,
    THRESHOLD,
    blacklisted_by_hand,
    hgb_pipeline,
    lr_pipeline,
    make_people,
)

FILES = ("index.html", "summary.md", "audit.json", "cases.csv")


def audit_run(scorer, data, out, **kw):
    kw = {"label": "defaulted", "protected": ["sex"], "per_group": 40, "cases_per_group": 10,
          "progress": False, **kw}  # fmt: skip
    return run_on_data(scorer, data, out=out, **kw)


@pytest.fixture(scope="module")
def people():
    return make_people()


@pytest.fixture(scope="module")
def lr_run(people, tmp_path_factory):
    """The LR pipeline reading ``sex``, on the people read from a Parquet file."""
    root = tmp_path_factory.mktemp("lr")
    data = root / "people.parquet"
    people.to_parquet(data)
    model = lr_pipeline(people)
    out = root / "report"
    run = audit_run(as_scorer(model, threshold=THRESHOLD), str(data), out)
    return model, run, out, root


def read(out, name):
    return (out / name).read_text("utf-8")


def test_model_is_named_and_sex_is_direct_use_not_a_proxy_of_itself(lr_run):
    _, run, out, _ = lr_run
    doc = json.loads(read(out, "audit.json"))
    validate_audit_json(doc)
    scorer = doc["scorer"]
    assert scorer["model"] == (
        "Pipeline: ColumnTransformer(OneHotEncoder, StandardScaler) -> LogisticRegression"
    )
    assert scorer["direct_use"] == {"sex": ["cat__sex_female", "cat__sex_male"]}
    proxies = doc["explain"]["proxies"]
    assert not [p for p in proxies if p["feature"] == p["attribute"]]
    # the gap it carries is still shown, as direct use
    gap = doc["explain"]["attributes"]["sex"]["groups"]["female"]["gap_by_feature"]
    assert gap["sex"] < 0
    view = summarize(doc, run.result.tables)
    assert "DIRECT USE" in view["scorer"]["direct"] and "DIRECT USE" in view["why"]["direct"]
    assert "sex (DIRECT USE)" in view["scorer"]["features"]
    html = read(out, "index.html")
    assert "Kind</dt>" not in html and "SocialCreditScorer" not in html
    assert "ColumnTransformer(OneHotEncoder, StandardScaler) -&gt; LogisticRegression" in html


def test_flip_test_matches_decisions_recomputed_by_hand(lr_run, people):
    model, run, out, _ = lr_run
    doc = json.loads(read(out, "audit.json"))
    blacklisted = blacklisted_by_hand(model, people[FEATURES], THRESHOLD)
    women = (people["sex"] == "female").to_numpy()
    as_men = people[FEATURES].assign(sex="male")
    flipped = blacklisted & women & ~blacklisted_by_hand(model, as_men, THRESHOLD)
    t = doc["flip_test"]["attributes"]["sex"]
    assert t["reference"] == "male"
    assert t["n_blacklisted"] == int((blacklisted & women).sum()) > 100
    assert t["n_flipped"] == int(flipped.sum()) > 0
    assert t["share_flipped"] == t["n_flipped"] / t["n_blacklisted"]
    assert t["ci"][0] < t["share_flipped"] < t["ci"][1]
    assert any(line.startswith("Flip test (sex") for line in run.headline().splitlines())
    assert "Flip test (sex" in read(out, "summary.md")
    # each woman's case file shows her twin's outcome, the same decision recomputed by hand
    cases = pd.read_csv(out / "cases.csv")
    twins = cases[cases["sex"] == "female"]
    assert len(twins) == 10 and twins["twin_sex_blacklisted"].notna().all()
    assert cases.loc[cases["sex"] == "male", "twin_sex_blacklisted"].isna().all()
    ids = {pseudonym([i], "seed=0")[0]: i for i in range(len(people))}  # case ID -> row
    rows = [ids[c] for c in twins["case_id"]]
    by_hand = blacklisted_by_hand(model, as_men.iloc[rows], THRESHOLD)
    assert twins["twin_sex_blacklisted"].astype(bool).tolist() == by_hand.tolist()
    cf = doc["cases"]["case_files"]
    assert cf["twins"]["sex"]["n"] == 10 and "flip test" in cf["twin_note"]
    assert cf["twins"]["sex"]["not_blacklisted"] == int((~by_hand).sum())


def test_real_report_has_no_synthetic_only_section_and_no_path(lr_run):
    _, run, out, root = lr_run
    for name in FILES:
        text = read(out, name)
        for path in {str(root), str(root.resolve()), str(out)}:
            assert path not in text, (name, path)
    html = read(out, "index.html")
    assert "people.parquet" in html  # the data file's name, not its path
    for synthetic in (
        "by cause",
        "Case files by failure mode",
        "Failure mode",
        "no identifiable cause",
        "Bias mechanisms injected",
        "stand-in scorer",
    ):
        assert synthetic not in html, synthetic
    assert html.count(NO_CAUSES) == 1
    # the decision is the scorer's: no column "blacklisted" the user does not have
    assert "column “blacklisted”" not in html
    assert f"blacklisted when the score is below {THRESHOLD:g}" in html
    assert "failure_mode" not in read(out, "cases.csv").splitlines()[0]
    assert 'class="warning-box"' not in html and run.warnings == []


def test_inverted_label_warns_in_report_json_and_summary(people, tmp_path):
    model = lr_pipeline(people)
    scorer = as_scorer(model, threshold=THRESHOLD)
    flipped = people.assign(defaulted=1 - people["defaulted"])  # the data's own coding: 1 = good
    run = audit_run(scorer, flipped, tmp_path / "r")
    doc = json.loads(read(tmp_path / "r", "audit.json"))
    validate_audit_json(doc)
    d = doc["direction"]
    assert [w["code"] for w in d["warnings"]] == ["inverted"]
    scores = scorer.score(people[FEATURES])
    assert d["auc"]["value"] == pytest.approx(roc_auc_score(flipped["defaulted"], -scores))
    assert d["auc"]["value"] < 0.5 and d["auc"]["ci"][1] < 0.5
    assert run.warnings == [d["warnings"][0]["message"]]
    html = read(tmp_path / "r", "index.html")
    assert html.index('class="warning-box"') < html.index('id="summary"')
    assert "rank the label" in html and "WARNING" in read(tmp_path / "r", "summary.md")


def test_strict_refuses_a_scorer_blacklisting_nearly_everyone(people, tmp_path):
    scorer = as_scorer(lr_pipeline(people), threshold=900)
    with pytest.raises(InvalidInputError, match="blacklists nearly everyone"):
        audit_run(scorer, people, tmp_path / "never", strict=True)
    assert not (tmp_path / "never").exists()
    run = audit_run(scorer, people, tmp_path / "r")
    codes = [w["code"] for w in run.result.data["direction"]["warnings"]]
    assert codes == ["blacklists_nearly_everyone"]


def test_cli_strict_exits_2_on_an_inverted_label_and_writes_nothing(
    people, tmp_path, monkeypatch, capsys
):
    model_path = tmp_path / "model.skops"
    as_scorer(lr_pipeline(people), threshold=THRESHOLD).save(model_path)
    data = tmp_path / "people.csv"
    people.assign(defaulted=1 - people["defaulted"]).to_csv(data, index=False)
    args = ["run", "--scorer", model_path, "--data", data, "--label", "defaulted",
            "--protected", "sex", "--no-progress"]  # fmt: skip
    code, out, err = run_cli(monkeypatch, capsys, *args, "--strict", "--out", tmp_path / "strict")
    assert code == 2 and "backwards" in err and out == ""
    assert not (tmp_path / "strict").exists()
    code, out, err = run_cli(monkeypatch, capsys, *args, "--out", tmp_path / "loose")
    assert code in (0, 1, 3) and err.startswith("WARNING: The scores rank the label")
    assert (tmp_path / "loose" / "index.html").exists()


def test_a_model_that_drops_sex_is_not_direct_use_and_gets_no_flip_test(people, tmp_path):
    model = hgb_pipeline(people)
    scorer = as_scorer(model, threshold=THRESHOLD)
    assert describe_model(scorer, protected=["sex"]) == {
        "model": "Pipeline: ColumnTransformer(OrdinalEncoder, passthrough) -> "
        "HistGradientBoostingClassifier",
        "direct_use": {},
    }
    run = audit_run(scorer, people, tmp_path / "r")
    doc = run.result.data
    assert "flip_test" not in doc and doc["scorer"]["direct_use"] == {}
    assert "real data" in doc["cases"]["case_files"]["twin_note"]
    view = summarize(run.result.to_dict(), run.result.tables)
    assert "No protected attribute (sex)" in view["scorer"]["direct"]
    assert view["why"]["direct"] == ""
