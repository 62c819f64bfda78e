"""The section registry: every section is declared once (id, title, build function, template);
the page's order, its table of contents, each ``<section>`` and heading derive from it."""

import re
from importlib import resources

import pytest

from audit.exceptions import InvalidInputError
from audit.report import SECTIONS, Section, render_html, summarize
from tests.report.extra import EXTRA, with_extra
from tests.report.htmlcheck import Page, structural_problems

IDS = [s.id for s in SECTIONS]


def test_a_registered_section_is_built_rendered_and_listed(small):
    data, tables = small
    view = summarize(data, tables, sections=with_extra())
    assert [s["id"] for s in view["sections"]] == [*IDS[:-1], "extra", "limitations"]
    # a section sees the parts built before it, in registry order
    assert view["extra"]["before"] == ["cover", *IDS[:-1]]
    html = render_html(view)
    assert structural_problems(html) == []
    page = Page(html)
    assert [a.get("id") for t, a in page.tags if t == "section"] == [
        *IDS[:-1],
        "extra",
        "limitations",
    ]
    assert '<li><a href="#extra">A section added by a test</a></li>' in html
    assert '<h2 id="extra-h">A section added by a test</h2>' in html
    assert f"People audited: <strong>{data['meta']['n']:,}</strong>." in html


def test_a_section_without_data_says_why():
    view = summarize({"schema_version": 1}, sections=(EXTRA,))
    assert view["extra"] == {
        "available": False,
        "reason": "the audit result records no number of people",
    }
    html = render_html(view)
    assert "Not available: the audit result records no number of people." in html


def test_a_section_template_escapes_what_it_prints():
    hostile = Section(
        "hostile",
        "Hostile",
        lambda s: {"available": True, "name": '<img src=x onerror=alert(1)>"'},
        template="<p>{{ hostile.name }}</p>",
    )
    html = render_html(summarize({"schema_version": 1}, sections=(hostile,)))
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;&#34;" in html
    assert structural_problems(html) == []


@pytest.mark.parametrize("bad", ["cover", "sections", "island", "summary", "not an id"])
def test_section_ids_are_unique_identifiers(bad):
    sections = (*SECTIONS, Section(bad, "x", lambda s: {"available": True}, template=""))
    with pytest.raises(InvalidInputError, match="must be a unique Python identifier"):
        summarize({"schema_version": 1}, sections=sections)


def test_ids_are_written_once():
    """No template names a section: the page derives each id and title from the registry, and each
    section's body is the template file named after its id."""
    templates = resources.files("audit.report").joinpath("templates")
    page = templates.joinpath("report.html.j2").read_text(encoding="utf-8")
    for sid in IDS:
        assert not re.search(rf'id="{sid}(-h)?"', page), sid
        assert templates.joinpath("sections", f"{sid}.html.j2").is_file(), sid
    bodies = [p.name for p in templates.joinpath("sections").iterdir()]
    assert sorted(bodies) == sorted(f"{sid}.html.j2" for sid in IDS)
    for body in templates.joinpath("sections").iterdir():
        text = body.read_text(encoding="utf-8")
        assert "<section" not in text and "<h2" not in text, body.name
