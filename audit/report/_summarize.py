"""Turn an audit (its audit.json dict) into the *view dict* the templates render, section by
section, from ONE registry of sections.

The view dict is plain data: per section a title, sentences, tables of display strings (each cell
with a sort key) and chart specs (the numbers a chart draws). It is tested on its own, apart from
the HTML.

The registry (:data:`SECTIONS`)
-------------------------------
Every section of the page is declared once, here, as a :class:`Section`: its element id, its title,
and the function that builds its part of the view dict (``view[id]``). The table of contents, the
page's order, the ``<section id>`` and its heading all derive from this list; the section's body
is the template ``templates/sections/<id>.html.j2`` (or the section's own ``template`` text).
Adding a section is one build function, one entry here and one template file.

What this module must not do: compute statistics, import fairlearn or shap, or emit HTML. Every
number shown is taken from the dict; the only arithmetic is for display. A section whose data is
absent says so plainly: ``available: False`` and a ``reason``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.exceptions import InvalidInputError
from audit.report._about import cover, data_section, scope_section
from audit.report._cases import cases_section
from audit.report._errors import errors_section
from audit.report._impact import impact_section
from audit.report._limits import limitations_section
from audit.report._scorer import scorer_section
from audit.report._scores import scores_section
from audit.report._summary import summary_section
from audit.report._view import get
from audit.report._why import why_section

__all__ = ["SECTIONS", "Inputs", "Section", "summarize"]


@dataclass(frozen=True)
class Inputs:
    """What a section's build function reads: audit.json (groupings in report order), the side
    tables, and the view parts built so far (every section before it, in registry order)."""

    data: Mapping
    tables: Mapping = field(default_factory=dict)
    view: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """One section of the report page.

    Attributes
    ----------
    id : str
        Element id, key of its part in the view dict, and the name of its template
        (``templates/sections/<id>.html.j2``).
    title : str
        Heading and table-of-contents entry.
    build : callable
        ``build(inputs: Inputs) -> dict``: the section's part of the view dict. A dict with
        ``available: False`` and a ``reason`` prints "Not available: <reason>." instead of the
        template.
    template : str, optional
        The body's Jinja2 text, for a section whose template is not a package file (e.g. one
        added by a test). Rendered with the report's environment (autoescape, strict undefined).
    """

    id: str
    title: str
    build: Callable[[Inputs], dict]
    template: str | None = None


#: The report's sections, in page order: the ONE place a section's id and title are written.
SECTIONS: tuple[Section, ...] = (
    Section("summary", "Executive summary", lambda s: summary_section(s.data)),
    Section("scope", "Scope and definitions", lambda s: scope_section(s.data)),
    Section("data", "Data", lambda s: data_section(s.data)),
    Section("scorer", "The scorer", lambda s: scorer_section(s.data)),
    Section("impact", "Disparate impact", lambda s: impact_section(s.data)),
    Section("errors", "Error rates by group", lambda s: errors_section(s.data)),
    Section("scores", "Score distributions and the threshold", lambda s: scores_section(s.data)),
    Section("why", "Why: what drives the gaps", lambda s: why_section(s.data)),
    Section("cases", "Case files", lambda s: cases_section(s.data, s.tables)),
    Section(
        "limitations",
        "Limitations, and what would change the conclusions",
        lambda s: limitations_section(s.data, s.view),
    ),
)

#: view-dict keys that are not sections (a section may not take one of these ids)
RESERVED = {"cover", "sections", "island", "css", "script", "script_hash", "title"}


def _ordered(data: Mapping) -> dict:
    """A shallow copy with groupings in the order of ``meta.protected`` and each reference group first.

    audit.json is written with sorted keys, so its own order is alphabetical; readers expect the
    attributes in the order the audit named them, and the reference group at the top of every table.
    """
    protected = [str(a) for a in get(data, "meta", "protected", default=None) or []]
    rank = {a: i for i, a in enumerate(protected)}

    def key(name: str) -> tuple:
        parts = str(name).split(" & ")
        return (len(parts), [rank.get(p, len(rank)) for p in parts], str(name))

    def order_sections(sections: Any) -> Any:
        if not isinstance(sections, Mapping):
            return sections
        out = {}
        for name in sorted(sections, key=key):
            sec = sections[name]
            groups = get(sec, "groups")
            ref = get(sec, "reference")
            if isinstance(groups, Mapping) and ref in groups:
                sec = {
                    **sec,
                    "groups": {ref: groups[ref], **{g: v for g, v in groups.items() if g != ref}},
                }
            out[name] = sec
        return out

    out = dict(data)
    for k in ("attributes", "intersections"):
        out[k] = order_sections(data.get(k))
    if isinstance(data.get("observed"), Mapping):
        out["observed"] = {
            **data["observed"],
            **{k: order_sections(data["observed"].get(k)) for k in ("attributes", "intersections")},
        }
    explain = data.get("explain")
    if isinstance(explain, Mapping) and isinstance(explain.get("attributes"), Mapping):
        out["explain"] = {**explain, "attributes": order_sections(explain["attributes"])}
    return out


def _check(sections: Sequence[Section]) -> None:
    seen = set()
    for s in sections:
        if not isinstance(s, Section):
            msg = f"Every report section must be a Section; got {type(s).__name__} instead."
            raise InvalidInputError(msg)
        if not s.id.isidentifier() or s.id in RESERVED or s.id in seen:
            msg = (
                f"Section id {s.id!r} must be a unique Python identifier other than "
                f"{sorted(RESERVED)}."
            )
            raise InvalidInputError(msg)
        seen.add(s.id)


def summarize(
    data: Mapping, tables: Mapping | None = None, *, sections: Sequence[Section] = SECTIONS
) -> dict:
    """Build the report's view dict from an audit.json dict.

    Parameters
    ----------
    data : Mapping
        The audit.json dict (``AuditResult.to_dict()``). Any section may be missing or null.
    tables : Mapping of str to DataFrame, optional
        Big tables written beside audit.json; ``"cases"`` fills the case-file table (first 50 rows).
    sections : sequence of Section, default SECTIONS
        The sections of the page, in order (the registry; a test may add one).

    Returns
    -------
    dict
        Plain data for the templates: ``cover``; one part per section, keyed by its id (each with
        ``available`` and, when False, a ``reason``); ``sections`` (id, title and template of each,
        in page order: the table of contents); and ``island`` (the JSON handed to the page's
        script).

    Examples
    --------
    >>> view = summarize({"schema_version": 1, "meta": {"n": 10}})
    >>> view["impact"]["available"], view["impact"]["reason"]
    (False, 'the audit result has no attributes block')
    >>> [s["id"] for s in view["sections"]][:3]
    ['summary', 'scope', 'data']
    """
    if not isinstance(data, Mapping):
        msg = f"The audit result must be the audit.json dict. Got {type(data).__name__} instead."
        raise InvalidInputError(msg)
    _check(sections)
    data = _ordered(data)
    view: dict[str, Any] = {"cover": cover(data)}
    for s in sections:
        view[s.id] = s.build(Inputs(data, tables or {}, view))
    view["sections"] = [{"id": s.id, "title": s.title, "template": s.template} for s in sections]
    view["island"] = {"sweeps": get(view, "scores", "sweeps", default=None) or []}
    return view
