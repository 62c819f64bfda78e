"""View dict → `summary.md`: a short Markdown summary for a pull request or a ticket.

Every string from data goes through `_format.md` (HTML entities, Markdown punctuation escaped, line
breaks flattened, length capped). What it must not do: compute statistics.
"""

from __future__ import annotations

from collections.abc import Mapping

from audit.report import _format as f


def _cells(row: list) -> list[str]:
    return [f.md(c["text"], 80) for c in row]


def _md_table(t: Mapping, limit: int = 12) -> list[str]:
    head = [f.md(c["label"], 60) for c in t["columns"]]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---:" if c["num"] else "---" for c in t["columns"]) + "|",
    ]
    for row in t["rows"][:limit]:
        lines.append("| " + " | ".join(_cells(row)) + " |")
    if len(t["rows"]) > limit:
        lines.append(f"\n_{len(t['rows']) - limit} more rows in index.html._")
    return lines


def render_markdown(view: Mapping) -> str:
    """The Markdown summary of a report view dict (see `summarize`)."""
    cover, summary = view["cover"], view["summary"]
    lines = [
        f"# {f.md(cover['title'], 120)}",
        "",
        f"An audit of {f.md(cover['subject'], 200)}.",
        "",
    ]
    lines += [f"> **WARNING:** {f.md(w, 1000)}\n" for w in cover.get("warnings") or []]
    lines += [f"**{f.md(summary['headline'], 300)}**", ""]
    if summary["method"]:
        lines += [f.md(summary["method"], 600), ""]
    if summary["inconclusive_why"]:
        lines += [f.md(summary["inconclusive_why"], 600), ""]
    if summary["harm"]:
        lines += ["## The harm in people", ""]
        lines += [f"- {f.md(h, 400)}" for h in summary["harm"]]
        lines.append("")
    if summary["criteria"]:
        lines += ["## Criteria", ""] + _md_table(summary["criteria"]) + [""]
    if summary["violations"]:
        lines += ["## What decided the FAIL", ""] + _md_table(summary["violations"], 10) + [""]
    if summary["described"]:
        lines += [f"_A description, not a finding: {f.md(summary['described']['text'], 600)}_", ""]
    repro = dict(cover["repro"])
    keys = ("Seed", "Data SHA-256", "Tool version", "Source")
    lines += ["## Reproducibility", ""] + [
        f"- {k}: {f.md(repro.get(k, f.DASH), 100)}" for k in keys
    ]
    lines += ["", "Full report: `index.html`; every number: `audit.json`.", ""]
    return "\n".join(lines)
