"""The view dict, apart from the HTML. Expected numbers are worked out by hand from the fixture's
confusion counts (tests/report/fixtures.py), not copied from the code's output."""

import copy
import json

from audit.report import summarize
from tests.report.fixtures import SECTIONS


def rows_of(table):
    return [[c["text"] for c in row] for row in table["rows"]]


def row_for(table, first):
    return next(r for r in rows_of(table) if r[0] == first)


def test_sections_and_toc(realistic):
    data, tables = realistic
    view = summarize(data, tables)
    ids = [s["id"] for s in view["toc"]]
    assert ids == SECTIONS
    for sid in ids[:-1]:
        assert view[sid]["available"], sid


def test_summarize_does_not_change_its_input(realistic):
    data, tables = realistic
    before = copy.deepcopy(data)
    summarize(data, tables)
    assert data == before


def test_verdict_and_criteria(realistic):
    data, tables = realistic
    summary = summarize(data, tables)["summary"]
    # fpr ratio fails in ethnicity (0.28), age_band, registration, region, ethnicity & sex; no impact ratio fails
    assert (
        summary["headline"]
        == "FAIL: 1 of 2 criteria violated — Wrongful blacklisting ratio (5 violations)."
    )
    assert summary["verdict_cls"] == "fail"
    crit = {r[0]: r for r in rows_of(summary["criteria"])}
    assert crit["Wrongful blacklisting ratio"][2:4] == ["FAIL", "5"]
    four_fifths = crit["Four-fifths rule (impact ratio) (primary)"]
    assert four_fifths[2:4] == ["pass", "0"]
    # lowest impact ratio: Tibetan & male, (260 + 4760) / 7000 over Han & male (15100 + 334100) / 400000
    assert four_fifths[4] == "ethnicity & sex: Tibetan & male = 0.82"
    groups = {r[1]: r[2] for r in rows_of(summary["violations"])}
    assert groups["ethnicity"] == "between groups"


def test_harm_in_people(realistic):
    data, tables = realistic
    harm = summarize(data, tables)["summary"]["harm"]
    # overall: 52,751 wrongful blacklistings of 52,751 + 723,601 people with a non-adverse label
    assert harm[0] == (
        "52,751 people were blacklisted although they in truth would not have defaulted or violated, "
        "a wrongful blacklisting rate of 6.8%."
    )
    # ethnicity has the smallest FPR ratio; Tibetan 2440 / 12150 = 20.1%, Han 38300 / 689000 = 5.6%
    assert (
        "Highest wrongful blacklisting rate by ethnicity: Tibetan, 20.1%, against 5.6% for the reference group (Han)."
        in harm
    )
    # truth 2440 / 12150 = 20.1% against records 1370 / 11040 = 12.4% (the largest gap: 7.7 pp)
    assert (
        "Records understate the harm: for ethnicity = Tibetan the records show a wrongful blacklisting rate "
        "of 12.4%; the truth is 20.1%." in harm
    )
    assert any(h.startswith("registration = rural-migrant: about ") for h in harm)
    cases = tables["cases"]
    n = int((cases["ethnicity"] != "Han").sum())
    cleared = int((cases["twin_ethnicity_blacklisted"] == False).sum())  # noqa: E712 (nullable booleans)
    assert harm[-1] == (
        "Counterfactual twins (the same wrongly blacklisted people scored again, only the protected attribute "
        f"set to the reference group's) would not have been blacklisted: {cleared} of {n} as Han (ethnicity)."
    )


def test_impact_table_numbers(realistic):
    data, tables = realistic
    part = summarize(data, tables)["impact"]["parts"][0]
    assert part["title"] == "ethnicity" and part["reference"] == "Han"
    han = row_for(part["table"], "Han (reference)")
    # n = 61200 + 38300 + 29800 + 650700; adverse = 99500 / 780000
    assert han[1:3] == ["780,000", "12.8%"]
    assert han[4] == "1.00"
    uyghur = row_for(part["table"], "Uyghur")
    assert uyghur[1:3] == ["57,000", "24.2%"]  # (4880 + 8920) / 57000
    zhuang = row_for(part["table"], "Zhuang")
    assert zhuang[2] == "—" and zhuang[6] == "too small"
    chart = part["chart"]
    assert "Zhuang" not in chart["categories"]  # suppressed groups are not drawn
    assert chart["marks"][0] == "ref"


def test_errors_truth_beside_records(realistic):
    data, tables = realistic
    errors = summarize(data, tables)["errors"]
    assert errors["both"]
    table = errors["parts"][0]["table"]
    assert [c["label"] for c in table["columns"]][2:6] == [
        "Wrongful rate (truth)",
        "95% CI",
        "Wrongful rate (records)",
        "Gap",
    ]
    uyghur = row_for(table, "Uyghur")
    # truth 8920 / 50220 = 17.8%, records 5300 / 46400 = 11.4%, gap 6.3 pp
    assert uyghur[1:3] == ["8,920", "17.8%"]
    assert uyghur[4:6] == ["11.4%", "+6.3 pp"]
    assert [s["label"] for s in errors["parts"][0]["chart"]["series"]] == ["truth", "records"]


def test_real_decisions_say_what_is_missing(csv_data):
    view = summarize(csv_data)
    assert view["scorer"] == {
        "available": False,
        "reason": "this audit has only the recorded decisions; nothing is known here of the scorer that made them",
    }
    assert (
        view["why"]["reason"]
        == "no scorer was available to query, so the scores cannot be explained"
    )
    assert (
        view["cases"]["reason"]
        == "case files need a scorer to explain each decision, and this audit has none"
    )
    assert (
        view["scores"]["reason"] == "no score column was given: only yes/no decisions were audited"
    )
    assert not view["errors"]["both"] and "no ground truth" in view["errors"]["intro"]
    assert view["summary"]["harm"][0].startswith(
        "52,751 people were blacklisted although they have no adverse"
    )
    assert view["data"]["population"] is None
    assert view["limitations"][0].startswith("No ground truth")


def test_empty_and_null_sections_render_as_unavailable():
    view = summarize(
        {"schema_version": 1, "observed": None, "explain": None, "cases": None, "scorer": None}
    )
    for sid in ("data", "scorer", "impact", "errors", "scores", "why", "cases"):
        assert view[sid]["available"] is False and view[sid]["reason"], sid
    assert view["summary"]["headline"].startswith("No verdict")


def test_order_follows_meta_protected_and_reference_first(realistic):
    data, tables = realistic
    data = json.loads(json.dumps(data, sort_keys=True))  # audit.json order: alphabetical
    view = summarize(data, tables)
    assert [p["title"] for p in view["impact"]["parts"]] == [
        "ethnicity",
        "sex",
        "age_band",
        "registration",
        "region",
    ]
    first_rows = [rows_of(p["table"])[0][0] for p in view["impact"]["parts"]]
    assert first_rows == [
        "Han (reference)",
        "male (reference)",
        "45-59 (reference)",
        "urban (reference)",
        "east (reference)",
    ]


def test_case_files_capped_in_the_html(realistic):
    data, tables = realistic
    cases = summarize(data, tables)["cases"]
    files = cases["files"]
    assert len(files["rows"]) == 50
    assert files["note"].startswith("Showing 50 of 120 case files; all are in cases.csv")
    first = tables["cases"].iloc[0]
    row = rows_of(files)[0]
    assert row[0] == first["case_id"]
    assert row[1] == f"{first['ethnicity']} · {first['sex']}"
    assert row[3] == first["reasons"]


def test_threshold_sweep_island(realistic):
    data, tables = realistic
    view = summarize(data, tables)
    sweeps = view["island"]["sweeps"]
    assert len(sweeps) == 5
    eth = sweeps[0]
    assert [g["label"] for g in eth["groups"]] == [
        "Han",
        "Hui",
        "Uyghur",
        "Tibetan",
        "unknown",
    ]  # Zhuang is null
    # thresholds 350, 370, ...: the scorer's threshold 600 is the 13th (index 12.5 → nearest, first of ties)
    assert eth["thresholds"][eth["start"]] in (590.0, 610.0)
    assert eth["metrics"] == ["adverse_rate", "fpr", "impact_ratio"]


def test_mechanisms_are_listed_for_grading(realistic):
    data, tables = realistic
    mech = summarize(data, tables)["data"]["population"]["mechanisms"]
    names = [r[0] for r in rows_of(mech)]
    assert names == ["Label bias", "Surveillance", "Association", "Political speech"]
    assert row_for(mech, "Political speech")[1] == "off"
    assert row_for(mech, "Surveillance")[3] == "93,080"
