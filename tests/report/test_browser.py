"""The report in a real browser: Debian Chromium driven by Playwright, opened from file://.

No dialog, no page or console error, no request other than file:/data:, every section visible, light and
dark screenshots, no serious or critical axe violation; the script's sorting, threshold explorer and
print expansion work; the page reads with JavaScript off; hostile names run nothing.
One browser per module (the `chromium` fixture); skips only when chromium is absent and
REQUIRE_BROWSER is unset.
"""

import json

import pytest

from audit.report import render_html, summarize, write_comparison, write_report
from tests.report.conftest import open_page
from tests.report.extra import with_extra
from tests.report.fixtures import (
    SECTIONS,
    csv_result,
    inconclusive_result,
    pass_result,
    realistic_result,
    small_result,
)
from tests.report.hostile import hostile_result

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    data, tables = realistic_result()
    hostile, hostile_tables, names = hostile_result("combined")
    extra = root / "extra" / "index.html"
    extra.parent.mkdir()
    small, small_tables = small_result()
    extra.write_text(render_html(summarize(small, small_tables, sections=with_extra())), "utf-8")
    paths = {
        "realistic": write_report(data, root / "realistic", tables=tables),
        "inconclusive": write_report(inconclusive_result(), root / "inconclusive"),
        "pass": write_report(pass_result(), root / "pass"),
        "extra": extra,
        "csv": write_report(csv_result(), root / "csv"),
        "hostile": write_report(hostile, root / "hostile", tables=hostile_tables),
        "compare": write_comparison(
            csv_result(), data, root / "compare", labels=("csv", "synthetic")
        ),
    }
    return paths, names


def serious_axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_report_is_clean_visible_and_accessible(chromium, reports, tmp_path, scheme):
    page, log = open_page(chromium, reports[0]["realistic"], color_scheme=scheme)
    for sid in SECTIONS:
        assert page.locator(f"section#{sid} > h2").is_visible(), sid
    assert page.locator("figure.chart").count() > 20
    assert page.locator("p.na").count() == 0  # every section has data in a full synthetic run
    shot = tmp_path / f"report-{scheme}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == "light dark"
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(21, 23, 27)")
    assert serious_axe_violations(page) == []
    log.assert_clean()
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("state", ["inconclusive", "pass"])
def test_every_verdict_state_is_visible_and_accessible(chromium, reports, tmp_path, state, scheme):
    page, log = open_page(chromium, reports[0][state], color_scheme=scheme)
    verdict = page.locator(f"p.verdict.{state}")
    assert verdict.is_visible()
    assert verdict.text_content().startswith(state.upper() + ":")
    outcome = page.locator(f"#summary td.{state}").first
    assert outcome.is_visible() and outcome.text_content() == state.upper()
    page.locator("section#summary").screenshot(path=str(tmp_path / f"{state}-{scheme}.png"))
    assert serious_axe_violations(page) == []
    log.assert_clean()
    page.context.close()


def test_a_section_registered_in_a_test_is_on_the_page(chromium, reports):
    page, log = open_page(chromium, reports[0]["extra"])
    assert page.locator("section#extra > h2").text_content() == "A section added by a test"
    assert page.locator("section#extra p.extra").is_visible()
    link = page.locator("nav.toc a[href='#extra']")
    assert link.is_visible()
    link.click()
    assert page.evaluate("location.hash") == "#extra"
    ids = page.evaluate("Array.from(document.querySelectorAll('main > section')).map(s => s.id)")
    assert ids == [*SECTIONS[:-1], "extra", SECTIONS[-1]]
    log.assert_clean()
    page.context.close()


def test_sorting_and_threshold_explorer(chromium, reports):
    page, log = open_page(chromium, reports[0]["realistic"])
    table = page.locator("#impact table.sortable").first
    people = table.locator("thead th").nth(1)
    firsts = table.locator("tbody tr th")
    before = firsts.all_text_contents()
    people.locator("button").click()
    assert people.get_attribute("aria-sort") == "ascending"
    ascending = firsts.all_text_contents()
    assert ascending[0] == "Zhuang" and sorted(ascending) == sorted(
        before
    )  # 21 people: the smallest
    people.locator("button").click()
    assert people.get_attribute("aria-sort") == "descending"
    assert firsts.all_text_contents()[0] == "Han (reference)"

    explorer = page.locator("[data-sweep='0']")
    assert explorer.is_visible()
    output = explorer.locator("output")
    start = output.text_content()
    first_row = explorer.locator("tbody tr").first
    assert first_row.locator("th").text_content() == "Han"
    rate_at_start = first_row.locator("td").first.text_content()
    explorer.locator("input[type=range]").fill("25")
    assert output.text_content() == "850" and start != "850"
    assert first_row.locator("td").first.text_content() != rate_at_start
    log.assert_clean()
    page.context.close()


def test_print_opens_every_collapsed_part(chromium, reports):
    page, log = open_page(chromium, reports[0]["realistic"])
    hidden = page.locator("#scores details:not([open]) table").first
    assert not hidden.is_visible()
    page.emulate_media(media="print")
    assert hidden.is_visible()
    assert not page.locator("nav.toc").is_visible()
    page.pdf(
        path=str(reports[0]["realistic"].parent / "print.pdf")
    )  # printing itself must not fail
    log.assert_clean()
    page.context.close()


def test_reads_without_javascript(chromium, reports):
    page, log = open_page(chromium, reports[0]["realistic"], javascript=False)
    for sid in SECTIONS:
        assert page.locator(f"section#{sid} > h2").is_visible(), sid
    assert page.locator("[data-sweep]").first.is_hidden()  # the explorer needs the script
    assert page.locator("button.sort").count() == 0
    assert page.locator("#impact table tbody tr").count() > 10
    log.assert_clean()
    page.context.close()


def test_hostile_names_run_nothing(chromium, reports):
    paths, names = reports
    page, log = open_page(chromium, paths["hostile"])
    bad = page.evaluate(
        """() => Array.from(document.querySelectorAll('*')).filter(e =>
              Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"""
    )
    assert bad == 0
    assert page.locator("img, iframe, object, embed").count() == 0
    assert page.evaluate("document.scripts.length") == 2
    # text from the JSON island arrives intact, as text
    label = page.locator("[data-sweep='0'] tbody tr th").first.text_content()
    assert label == names["Han"]
    page.locator(
        "#impact table.sortable thead th button"
    ).first.click()  # sorting moves hostile cells
    assert serious_axe_violations(page) == []
    log.assert_clean()
    page.context.close()


def test_real_decisions_and_compare_pages(chromium, reports):
    paths, _ = reports
    page, log = open_page(chromium, paths["csv"])
    notes = page.locator("p.na")
    assert notes.count() == 4 and all(
        t.startswith("Not available: ") for t in notes.all_text_contents()
    )
    assert serious_axe_violations(page) == []
    log.assert_clean()
    page.context.close()

    page, log = open_page(chromium, paths["compare"])
    assert page.locator("p.verdict.fail").is_visible()  # csv vs synthetic: the methodology changed
    deltas = json.loads((paths["compare"].parent / "compare.json").read_text())
    assert deltas["methodology_changed"]
    assert serious_axe_violations(page) == []
    log.assert_clean()
    page.context.close()


@pytest.fixture(scope="module")
def own_model_report(tmp_path_factory):
    """A real model's report: an LR pipeline that reads sex, audited against a label coded the
    other way round (1 = good), so the direction warning is on."""
    from audit import as_scorer
    from audit.pipeline import run_on_data
    from tests.own_model import THRESHOLD, lr_pipeline, make_people

    people = make_people(1_500)
    out = tmp_path_factory.mktemp("own") / "report"
    run_on_data(
        as_scorer(lr_pipeline(people), threshold=THRESHOLD),
        people.assign(defaulted=1 - people["defaulted"]),
        label="defaulted", protected=["sex"], out=out, per_group=30, cases_per_group=5,
        progress=False,
    )  # fmt: skip
    return out / "index.html"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_own_model_report_shows_the_warning_and_is_clean(chromium, own_model_report, scheme):
    page, log = open_page(chromium, own_model_report, color_scheme=scheme)
    box = page.locator("#warnings")
    assert box.is_visible() and "rank the label 'defaulted' backwards" in box.inner_text()
    assert page.get_by_role("alert").count() == 1
    # near the top: above the executive summary
    assert box.bounding_box()["y"] < page.locator("section#summary").bounding_box()["y"]
    for sid in SECTIONS:
        assert page.locator(f"section#{sid} > h2").is_visible(), sid
    scorer = page.locator("section#scorer")
    assert "DIRECT USE" in scorer.locator("p.direct-use").inner_text()
    assert scorer.locator("caption", has_text="Flip test").is_visible()
    assert page.locator("section#cases caption", has_text="failure mode").count() == 0
    assert serious_axe_violations(page) == []
    log.assert_clean()
    page.context.close()
