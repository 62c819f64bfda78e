"""The view dict, apart from the HTML. Expected numbers are worked out by hand from the fixtures'
confusion counts (tests/report/fixtures.py) and the intervals written in them, not copied from the
code's output."""

import copy
import json

import pytest

from audit.report import summarize
from tests.report.fixtures import (
    SECTIONS,
    inconclusive_result,
    pass_result,
    realistic_result,
)


def rows_of(table):
    return [[c["text"] for c in row] for row in table["rows"]]


def row_for(table, first):
    return next(r for r in rows_of(table) if r[0] == first)


def labels(table):
    return [c["label"] for c in table["columns"]]


def text_of(view) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_sections_and_toc(realistic):
    data, tables = realistic
    view = summarize(data, tables)
    ids = [s["id"] for s in view["sections"]]
    assert ids == SECTIONS
    for sid in ids:
        assert view[sid]["available"], sid


def test_summarize_does_not_change_its_input(realistic):
    data, tables = realistic
    before = copy.deepcopy(data)
    summarize(data, tables)
    assert data == before


# --- the verdict ---------------------------------------------------------------------------------


def test_fail_verdict_says_how_it_was_decided(realistic):
    data, tables = realistic
    summary = summarize(data, tables)["summary"]
    # adverse_ratio fails in 13 comparisons, fpr_ratio in 14; the four-fifths rule passes
    assert summary["headline"] == (
        "FAIL: 2 of 3 criteria fail, their simultaneous bounds wholly outside the band — "
        "Blacklisting ratio (adverse-rate ratio) (13 comparisons); Wrongful blacklisting ratio "
        "(14 comparisons)."
    )
    assert summary["verdict_cls"] == "fail" and summary["outcome"] == "fail"
    assert summary["method"].startswith(
        "Decided on simultaneous 95 % confidence bounds over 57 comparisons, each group against "
        "its grouping's reference group"
    )
    crit = {r[0]: r for r in rows_of(summary["criteria"])}
    assert crit["Four-fifths rule (impact ratio)"][1:] == ["0.8–1.25", "PASS", "0", "0", "19", "1"]
    assert crit["Wrongful blacklisting ratio"][1:] == ["0.8–1.25", "FAIL", "14", "3", "2", "1"]
    outcome_cells = [row[2] for row in summary["criteria"]["rows"]]
    assert [c["cls"] for c in outcome_cells] == ["pass", "fail", "fail"]


def test_what_decided_a_fail(realistic):
    data, tables = realistic
    summary = summarize(data, tables)["summary"]
    table = summary["violations"]
    assert labels(table) == [
        "Criterion",
        "Grouping",
        "Group",
        "Reference",
        "Ratio",
        "Simultaneous 95 % bounds",
        "The bound beyond the band",
        "p (Holm)",
    ]
    # Uyghur: (4880 + 8920) / 57000 over (61200 + 38300) / 780000 = 1.898; its simultaneous
    # interval [1.848, 1.949] lies wholly above 1.25
    uyghur = next(r for r in rows_of(table) if r[2] == "Uyghur" and r[0].startswith("Blacklisting"))
    assert uyghur == [
        "Blacklisting ratio (adverse-rate ratio)",
        "ethnicity",
        "Uyghur",
        "Han",
        "1.90",
        "1.85–1.95",
        "lower bound 1.85 above 1.25",
        "<0.001",
    ]
    # clearest first (the bound furthest beyond the band; attributes before intersections), as the
    # terminal lists them: Tibetan's wrongful blacklisting ratio, its lower bound furthest above
    assert summary["decided"].startswith(
        "Decided by: ethnicity = Tibetan against Han: wrongful blacklisting ratio 3.61, "
        "simultaneous 95 % bounds 3.39–3.85, the lower bound 3.39 above 1.25; "
    )
    assert summary["decided"].endswith("(and 24 more, listed below).")


def test_inconclusive_verdict_explains_itself():
    view = summarize(inconclusive_result())
    summary = view["summary"]
    assert summary["verdict_cls"] == "inconclusive"
    assert summary["headline"] == (
        "INCONCLUSIVE: no comparison fails, but for 17 of 23 comparisons the data cannot tell a "
        "ratio inside the band from one outside."
    )
    # 11 of the 17 are in district & sex; 13 in groups whose power block says underpowered
    assert summary["inconclusive_why"].startswith(
        "17 comparisons of 23 are inconclusive (11 of them in intersections; 13 in groups too "
        "small to tell a ratio at the threshold from parity): "
    )
    assert "No verdict" not in text_of(view)
    crit = {r[0]: r[2] for r in rows_of(summary["criteria"])}
    assert crit == {
        "Four-fifths rule (impact ratio)": "INCONCLUSIVE",
        "Blacklisting ratio (adverse-rate ratio)": "INCONCLUSIVE",
        "Wrongful blacklisting ratio": "INCONCLUSIVE",
    }
    assert summary["violations"] is None
    assert len(summary["inconclusive"]["rows"]) == 17


def test_pass_and_no_verdict():
    summary = summarize(pass_result())["summary"]
    assert (
        summary["headline"]
        == "PASS: all 6 comparisons lie inside their bands, on simultaneous bounds."
    )
    assert summary["verdict_cls"] == "pass"
    assert summary["violations"] is None and summary["inconclusive"] is None
    assert summary["described"] is None

    none = summarize({"schema_version": 1, "verdict": {"outcome": None}})["summary"]
    assert none["headline"] == "No criterion was judged, so this audit reaches no verdict."
    assert none["verdict_cls"] == "na" and none["method"] == ""


def test_point_estimates_are_only_a_description(realistic):
    data, tables = realistic
    summary = summarize(data, tables)["summary"]
    described = summary["described"]
    assert described["text"].startswith("Point estimates outside the band: ")
    assert "not a finding on their own" in described["text"]
    assert described["table"]["caption"] == "Point estimates outside the band (a description)"
    assert "point estimate" not in summary["headline"].lower()


def test_confidence_level_reaches_every_header():
    data = inconclusive_result()
    data["meta"]["confidence"] = 0.9
    data["verdict"]["confidence"] = 0.9
    view = summarize(data)
    impact = labels(view["impact"]["parts"][0]["table"])
    assert impact[3] == "90 % CI" and impact[5] == "90 % bounds" and impact[8] == "90 % bounds"
    errors = labels(view["errors"]["parts"][0]["table"])
    assert errors[3] == "90 % CI" and errors[5] == "90 % CI" and errors[7] == "90 % bounds"
    aggregates = labels(view["impact"]["parts"][0]["aggregates"])
    assert aggregates.count("Simultaneous 90 % bounds") == 2
    assert labels(view["summary"]["inconclusive"])[5] == "Simultaneous 90 % bounds"
    assert view["summary"]["method"].startswith("Decided on simultaneous 90 % confidence bounds")
    assert view["impact"]["parts"][0]["chart"]["rate_title"] == "adverse rate (90 % CI)"
    assert "95 %" not in text_of({k: view[k] for k in ("impact", "errors", "summary")})


def test_explanation_intervals_use_their_own_level(realistic):
    data, tables = realistic
    data["explain"]["confidence"] = 0.9  # the explanation's intervals were computed at 90 %
    part = summarize(data, tables)["why"]["parts"][0]
    assert labels(part["table"])[3] == "90 % CI"
    assert part["reference"] == "Han, named by the user or the scenario"


def test_criteria_not_judged_say_so():
    data = pass_result()
    data["thresholds"]["fpr_ratio"] = None
    del data["verdict"]["criteria"]["fpr_ratio"]
    data["meta"]["criteria"] = ["four_fifths", "adverse_ratio"]
    for g in data["attributes"]["region"]["groups"].values():
        g.get("judged", {}).pop("fpr_ratio", None)
    view = summarize(data)
    assert row_for(view["summary"]["criteria"], "Wrongful blacklisting ratio")[1:3] == [
        "—",
        "not judged",
    ]
    errors = view["errors"]["parts"][0]["table"]
    assert labels(errors)[7] == "95 % CI"  # an ordinary interval, not the verdict's bounds
    assert row_for(errors, "west")[8] == "not judged"


# --- the harm in people --------------------------------------------------------------------------


def test_harm_in_people(realistic):
    data, tables = realistic
    harm = summarize(data, tables)["summary"]["harm"]
    # overall: the fp of every ethnicity group, 52,758 of 52,758 + 723,613 with a non-adverse label
    assert harm[0] == (
        "52,758 people were blacklisted although they in truth would not have defaulted or "
        "violated, a wrongful blacklisting rate of 6.8%."
    )
    # Uyghur: 8920 - 38300 / 689000 * 50220 = 6,128, interval 50220 x (Wald interval of the
    # difference) = [5958, 6298]; the total over the other groups excludes 0 too
    assert any(
        h.startswith(
            "ethnicity: about 9,609 more people (95 % CI 9,389 to 9,830) wrongly blacklisted"
        )
        and h.endswith("the most in Uyghur: about 6,128 more people (95 % CI 5,958 to 6,298).")
        for h in harm
    )
    assert (
        "Highest wrongful blacklisting rate by ethnicity: Tibetan, 20.1%, against 5.6% for the "
        "reference group (Han)." in harm
    )
    assert (
        "Records understate the harm: for ethnicity = Tibetan the records show a wrongful "
        "blacklisting rate of 12.4%; the truth is 20.1%." in harm
    )
    cases = tables["cases"]
    n = int((cases["ethnicity"] != "Han").sum())
    cleared = int((cases["twin_ethnicity_blacklisted"] == False).sum())  # noqa: E712 (nullable booleans)
    assert harm[-1].endswith(
        f"would not have been blacklisted: {cleared} of {n} as Han (ethnicity)."
    )


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        (
            [-3.2, 7.9],
            "g: against the reference group's (a) rate, the excess of wrongful "
            "blacklistings in the other groups is not distinguishable from noise.",
        ),
        (
            [2.6, 7.9],
            "g: about 5 more people (95 % CI 3 to 8) wrongly blacklisted in the other "
            "groups than at the reference group's (a) rate.",
        ),
        (
            [-7.9, -2.6],
            "g: about 5 fewer people (95 % CI 3 to 8) wrongly blacklisted in the other "
            "groups than at the reference group's (a) rate.",
        ),
    ],
)
def test_a_number_of_people_only_when_its_interval_excludes_zero(ci, expected):
    value = 5.2 if ci[0] > -5 else -5.2
    sec = {"reference": "a", "excess_wrongful_total": {"value": value, "ci": ci, "groups": 1}}
    data = {"meta": {"confidence": 0.95}, "attributes": {"g": sec}}
    assert summarize(data)["summary"]["harm"] == [expected]


def test_a_number_of_people_is_claimed_on_the_interval_simultaneous_over_attributes():
    """A total whose 95 % interval excludes 0 but whose interval simultaneous over the attributes
    does not is noise: with five attributes read together, one 95 % interval in four excludes 0
    by chance on a fair system."""
    total = {"value": 5.2, "ci": [2.6, 7.9], "groups": 1, "simultaneous_over": 5}
    data = {"meta": {"confidence": 0.95}, "attributes": {"g": {"reference": "a"}}}
    data["attributes"]["g"]["excess_wrongful_total"] = {**total, "ci_simultaneous": [-0.4, 10.8]}
    assert summarize(data)["summary"]["harm"] == [
        "g: against the reference group's (a) rate, the excess of wrongful "
        "blacklistings in the other groups is not distinguishable from noise."
    ]
    data["attributes"]["g"]["excess_wrongful_total"] = {**total, "ci_simultaneous": [0.3, 10.8]}
    assert summarize(data)["summary"]["harm"] == [
        "g: about 5 more people (95 % CI 0.3 to 11, simultaneous over the 5 attributes) wrongly "
        "blacklisted in the other groups than at the reference group's (a) rate."
    ]


def test_harm_never_sums_positive_parts_only():
    data = inconclusive_result()
    harm = summarize(data)["summary"]["harm"]
    assert harm[1] == (
        "district: against the reference group's (north) rate, the excess of wrongful "
        "blacklistings in the other groups is not distinguishable from noise."
    )
    assert not any(ch.isdigit() for ch in harm[1] + harm[2])


# --- disparate impact and error rates ------------------------------------------------------------


def test_impact_table_shows_both_ratios_with_their_outcomes(realistic):
    data, tables = realistic
    impact = summarize(data, tables)["impact"]
    part = impact["parts"][0]
    assert part["title"] == "ethnicity"
    assert part["reference"] == "Han, named by the user or the scenario"
    assert labels(part["table"]) == [
        "Group",
        "People",
        "Adverse rate",
        "95 % CI",
        "Impact ratio",
        "95 % bounds",
        "Outcome",
        "Blacklisting ratio",
        "95 % bounds",
        "Outcome",
        "p (Holm)",
    ]
    han = row_for(part["table"], "Han (reference)")
    # n = 61200 + 38300 + 29800 + 650700; adverse = 99500 / 780000
    assert han[1:3] == ["780,000", "12.8%"]
    assert han[6] == "reference" and han[9] == "reference"
    uyghur = row_for(part["table"], "Uyghur")
    # favourable (1900 + 41300) / 57000 over 680500 / 780000 = 0.869 passes the four-fifths
    # rule while the group is blacklisted 1.90 times as often as Han, and that fails
    assert uyghur[1:3] == ["57,000", "24.2%"]
    assert uyghur[4:10] == ["0.87", "0.86–0.88", "PASS", "1.90", "1.85–1.95", "FAIL"]
    assert "2.5 times as often" in impact["why_both"]
    assert part["chart"]["marks"][0] == "ref" and part["chart"]["line"] == 1.25


def test_small_groups_and_insufficient_cells(realistic):
    data, tables = realistic
    view = summarize(data, tables)
    impact = view["impact"]["parts"][0]["table"]
    zhuang = row_for(impact, "Zhuang")  # 21 people: every rate insufficient, flagged too small
    assert (
        zhuang[2] == "insufficient data" and zhuang[4] == "too small" and zhuang[6] == "too small"
    )
    assert "Zhuang" not in view["impact"]["parts"][0]["chart"]["categories"]
    others = view["errors"]["parts"][0]["others"]
    kazakh = row_for(others, "Kazakh")  # 2 + 3 with an adverse label, 2 + 3 blacklisted: < 30
    assert kazakh[1:5] == ["insufficient data", "insufficient data", "insufficient data", "5.5%"]
    assert not any(c in ("0.0%", "100.0%") for c in kazakh)


def test_errors_truth_beside_records_with_excess_and_ratio(realistic):
    data, tables = realistic
    errors = summarize(data, tables)["errors"]
    assert errors["both"]
    table = errors["parts"][0]["table"]
    assert labels(table) == [
        "Group",
        "Wrongly blacklisted",
        "Rate (truth)",
        "95 % CI",
        "Rate (records)",
        "Gap",
        "Excess (people)",
        "95 % CI",
        "Ratio",
        "95 % bounds",
        "Outcome",
        "p (Holm)",
    ]
    uyghur = row_for(table, "Uyghur")
    # truth 8920 / 50220 = 17.8%, records 5300 / 46400 = 11.4%, gap 6.3 pp
    assert uyghur[1:3] == ["8,920", "17.8%"]
    assert uyghur[4:8] == ["11.4%", "+6.3 pp", "+6,128", "+5,958 to +6,298"]
    assert uyghur[8:11] == ["3.20", "3.08–3.31", "FAIL"]
    kazakh = row_for(table, "Kazakh")  # 3 - 0.0556 x 55 = -0.06, interval [-3.4, 3.2]
    assert kazakh[6:8] == ["indistinguishable from 0", "-3 to +3"]
    assert [s["label"] for s in errors["parts"][0]["chart"]["series"]] == ["truth", "records"]


def test_unbounded_interval_reads_as_infinity():
    errors = summarize(inconclusive_result())["errors"]
    table = errors["intersections"][0]["table"]
    # the named reference north & female has no wrongful blacklisting: ratios are undefined and
    # their intervals unbounded above; hills & female has 29 people with a non-adverse label
    south = row_for(table, "south & female")
    assert south[6:9] == ["undefined", "0.07–∞", "INCONCLUSIVE"]
    hills = row_for(table, "hills & female")
    assert hills[2] == "insufficient data" and hills[8] == "insufficient data"


def test_reference_words_follow_the_rule():
    view = summarize(inconclusive_result())
    refs = {r[0]: r[1:] for r in rows_of(view["scope"]["references"])}
    assert refs == {
        "district": ["north", "named by the user or the scenario"],
        "sex": ["male", "the largest group (most people)"],
        "district & sex": ["north & female", "named by the user or the scenario"],
    }
    data, tables = realistic_result()
    combined = summarize(data, tables)["impact"]["intersections"][0]["reference"]
    assert combined == "Han & male, the combination of its attributes' reference groups"


# --- scope, limitations, what the audit could detect ---------------------------------------------


def test_scope_names_every_method(realistic):
    data, tables = realistic
    methods = dict(summarize(data, tables)["scope"]["methods"])
    text = " ".join(methods.values())
    for words in (
        "Wilson score interval",
        "Newcombe's hybrid score interval (Newcombe 1998)",
        "Miettinen–Nurminen score interval (Miettinen and Nurminen 1985)",
        "Bonferroni level (Dunn 1961)",
        "Clopper–Pearson",
        "MOVER",
        "pooled two-proportion z test",
        "Fisher's exact test",
        "k×2 χ² test of homogeneity",
        "Monte Carlo exact test",
        "Holm's step-down correction",
    ):
        assert words in text, words
    assert list(methods)[0] == "Each group's rates"


def test_nothing_untrue_about_the_method(realistic):
    data, tables = realistic
    view = summarize(data, tables)
    limits = " ".join(view["limitations"]["items"]).lower()
    assert "bootstrap" not in text_of(view).lower()
    assert "most favoured" not in limits and "favoured" not in text_of(view["scope"]).lower()
    assert "how the verdict was reached: " in limits
    assert "at the bonferroni level over all 57 judged comparisons" in limits
    assert "inconclusive means the data cannot separate the two" in limits


def test_what_this_audit_could_detect():
    limits = summarize(inconclusive_result())["limitations"]
    table = limits["power"]
    assert labels(table) == [
        "Grouping",
        "Group",
        "People",
        "Blacklisting ratio that would FAIL",
        "People with a non-adverse label",
        "Wrongful blacklisting ratio that would FAIL",
        "What the audit can tell",
    ]
    south = row_for(table, "district")  # the first non-reference group of district: south
    assert south[1:3] == ["south", "400"] and south[4] == "373"  # 17 + 356 non-adverse
    assert south[3].endswith(" or more")
    assert south[6].startswith("underpowered: cannot tell a ratio at the threshold from parity")
    assert not any("fair" in r[6] and "unfair" not in r[6] for r in rows_of(table))
    assert limits["power_summary"].startswith("8 of 8 compared groups are underpowered")


def test_real_decisions_say_what_is_missing(csv_data):
    view = summarize(csv_data)
    assert view["scorer"] == {
        "available": False,
        "reason": "this audit has only the recorded decisions; nothing is known here of the "
        "scorer that made them",
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
        "52,758 people were blacklisted although they have no adverse"
    )
    assert view["data"]["population"] is None
    assert view["limitations"]["items"][0].startswith("No ground truth")


def test_empty_and_null_sections_render_as_unavailable():
    view = summarize(
        {"schema_version": 1, "observed": None, "explain": None, "cases": None, "scorer": None}
    )
    for sid in ("data", "scorer", "impact", "errors", "scores", "why", "cases"):
        assert view[sid]["available"] is False and view[sid]["reason"], sid
    assert (
        view["summary"]["headline"] == "No criterion was judged, so this audit reaches no verdict."
    )


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
    # Uyghur: 8,920 wrongly blacklisted of 50,220 with a non-adverse label
    uyghur = next(r for r in rows_of(cases["by_group"]) if r[1] == "Uyghur")
    assert uyghur == ["ethnicity", "Uyghur", "8,920", "50,220", "17.8%"]


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
        "Kazakh",
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
