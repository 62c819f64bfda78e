"""A section that exists only in the tests: the registry's proof that adding a section is one build
function, one `Section` entry and one template, and that nothing else names it."""

from __future__ import annotations

from audit.report import SECTIONS, Inputs, Section


def _build(inputs: Inputs) -> dict:
    n = inputs.data.get("meta", {}).get("n")
    if n is None:
        return {"available": False, "reason": "the audit result records no number of people"}
    return {"available": True, "people": f"{n:,}", "before": list(inputs.view)}


EXTRA = Section(
    "extra",
    "A section added by a test",
    _build,
    template='<p class="extra">People audited: <strong>{{ extra.people }}</strong>.</p>\n',
)


def with_extra() -> tuple[Section, ...]:
    """The registry with the test section just before the limitations."""
    return (*SECTIONS[:-1], EXTRA, SECTIONS[-1])
