"""View dict → one self-contained HTML page, through Jinja2 with autoescape and StrictUndefined.

Templates, CSS and the one script ship as package data and are inlined. The Content-Security-Policy
allows no network at all and runs only our script, named by its SHA-256 hash computed here.

Only three things are marked safe: our own CSS and script (package files), and chart SVG made by
`_charts.render_chart` (which escapes its text and refuses active content). Every string from data
goes through autoescape; data for the script goes in a JSON island escaped for `<script>`.

What it must not do: compute statistics, or read anything but the view dict and its own package data.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from audit.report._charts import chart_css, render_chart

_CHART_CSS_MARK = "/* chart styles */"


@cache
def _asset(name: str) -> str:
    return resources.files("audit.report").joinpath("templates", name).read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP source expression allowing exactly this inline script: ``sha256-<base64>``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def json_island(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<>&'`` or U+2028/9 raw.

    The escapes are JSON's own ``\\uXXXX`` forms, so ``JSON.parse`` returns the original strings.
    """
    text = json.dumps(
        value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    for raw, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, esc)
    return Markup(text)  # safe: escaped above for the script-data context


def _svg(spec: Mapping | None) -> Markup:
    if not spec:
        return Markup("")
    return Markup(render_chart(spec))  # safe: our own cleaned SVG (see _charts)


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment: package templates, autoescape on for every template, strict undefined."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["svg"] = _svg
    return env


def _section_templates(view: Mapping) -> list[tuple[Mapping, jinja2.Template]]:
    """Each section of the view with its body template: the package's ``sections/<id>.html.j2``,
    or the section's own template text (e.g. a section added by a test)."""
    env = environment()
    return [
        (
            s,
            env.from_string(s["template"])
            if s.get("template")
            else env.get_template(f"sections/{s['id']}.html.j2"),
        )
        for s in view.get("sections", [])
    ]


def render_page(template: str, view: Mapping) -> str:
    """Render one of the package's page templates with `view`, inlining CSS, script and data island."""
    script = _asset("report.js")
    if "</script" in script.lower() or "<!--" in script:
        raise RuntimeError("report.js must not contain '</script' or '<!--'")
    context = dict(view)
    context.update(
        css=Markup(_asset("report.css") + "\n" + _CHART_CSS_MARK),  # safe: package file
        script=Markup(script),  # safe: package file, allowed by its hash
        script_hash=script_hash(script),
        island=json_island(view.get("island", {})),
        blocks=_section_templates(view),
        view=view,
    )
    html = environment().get_template(template).render(**context)
    # chart styles were turned into classes while rendering; their rules join the page's CSS
    css = chart_css(html)
    if "</style" in css.lower():
        raise RuntimeError("chart CSS must not close the style element")
    return html.replace(_CHART_CSS_MARK, css, 1)


def render_html(view: Mapping) -> str:
    """The audit report page for a view dict made by `summarize`.

    Parameters
    ----------
    view : Mapping
        From ``summarize(audit_dict)``.

    Returns
    -------
    str
        One self-contained HTML document: inline CSS, SVG charts and one script allowed by hash.

    Examples
    --------
    >>> from audit.report import summarize
    >>> html = render_html(summarize({"schema_version": 1}))
    >>> html.startswith("<!DOCTYPE html>"), "default-src 'none'" in html
    (True, True)
    """
    return render_page("report.html.j2", view)
