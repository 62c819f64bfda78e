"""The report on a real `audit_decisions` result (not a hand-built dict): every shape the metrics stage
writes renders, numbers on the page match the result's own, and a missing section says so."""

import json

import numpy as np
import pandas as pd
import pytest

from audit.metrics import audit_decisions
from audit.report import summarize, write_report
from tests.report.htmlcheck import structural_problems


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(11)
    n = 6_000
    group = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    sex = rng.choice(["f", "m"], size=n)
    truth = (rng.random(n) < np.where(group == "a", 0.10, 0.18)).astype(int)
    observed = np.where((group == "b") & (rng.random(n) < 0.05), 1, truth)
    score = np.clip(650 - 120 * truth - 40 * (group == "c") + rng.normal(0, 60, n), 350, 950)
    frame = pd.DataFrame(
        {
            "group": group,
            "sex": sex,
            "truth": truth,
            "observed": observed,
            "score": score,
            "blacklisted": (score < 560).astype(int),
        }
    )
    return audit_decisions(
        frame,
        label="truth",
        decision="blacklisted",
        protected=["group", "sex"],
        score="score",
        observed_label="observed",
        reference={"group": "a"},
        min_fpr_ratio=0.8,
        source="test frame",
    )


def test_real_result_renders(tmp_path, result):
    index = write_report(result, tmp_path)
    html = index.read_text(encoding="utf-8")
    assert structural_problems(html) == []
    view = summarize(result.to_dict())
    for sid in ("data", "impact", "errors", "scores"):
        assert view[sid]["available"], sid
    for sid in ("scorer", "why", "cases"):
        assert not view[sid]["available"], sid
    assert json.loads((tmp_path / "audit.json").read_text()) == result.to_dict()


def test_page_numbers_are_the_results(result):
    data = result.to_dict()
    view = summarize(data)
    c = data["attributes"]["group"]["groups"]["c"]
    row = next(r for r in view["impact"]["parts"][0]["table"]["rows"] if r[0]["text"] == "c")
    assert row[1]["text"] == f"{c['n']:,}"
    assert row[2]["text"] == f"{100 * c['adverse_rate']:.1f}%"
    assert view["errors"]["both"]  # an observed label was given: truth beside records
    assert len(view["island"]["sweeps"]) == 2
    assert view["impact"]["parts"][0]["reference"] == "a, named by the user or the scenario"
    assert view["impact"]["parts"][1]["reference"].endswith("the largest group (most people)")


def test_the_verdict_on_the_page_is_the_results(result):
    data = result.to_dict()
    summary = summarize(data)["summary"]
    verdict = data["verdict"]
    assert summary["verdict_cls"] == verdict["outcome"]
    assert summary["headline"].startswith(verdict["outcome"].upper() + ":")
    assert f"over {verdict['family_size']} comparisons" in summary["method"]
    criteria = {r[0]["text"]: r[2]["text"] for r in summary["criteria"]["rows"]}
    for name, c in verdict["criteria"].items():
        title = {
            "four_fifths": "Four-fifths rule (impact ratio)",
            "adverse_ratio": "Blacklisting ratio (adverse-rate ratio)",
            "fpr_ratio": "Wrongful blacklisting ratio",
        }[name]
        assert criteria[title] == c["outcome"].upper()
    c = data["attributes"]["group"]["groups"]["c"]
    row = next(
        r for r in summarize(data)["errors"]["parts"][0]["table"]["rows"] if r[0]["text"] == "c"
    )
    judged = c["judged"]["fpr_ratio"]
    assert row[-2]["text"] == judged["outcome"].upper()
    assert row[-4]["text"] == f"{judged['value']:.2f}"
