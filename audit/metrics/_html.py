"""A plain, minimal HTML page of an audit, and writing ``audit.json`` + ``index.html`` atomically.

What it is for: the stop-gap page ``audit csv`` writes until it switches to the full report of
``audit.report``; every string from the data goes through ``html.escape``; the page makes no
network request (a Content-Security-Policy forbids it) and needs no JavaScript.
What it must not do: compute anything (it only reads the ``audit.json`` dict), or grow into the
real report.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from pathlib import Path

from audit.metrics._result import AuditResult

__all__ = ["render_plain_html", "write_plain_report"]

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def render_plain_html(doc: dict) -> str:
    """A minimal, self-contained, escaped HTML page of ``audit.json`` (as a dict)."""
    meta = doc.get("meta", {})
    verdict = doc.get("verdict", {})
    passed = verdict.get("passed", True)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Bias audit: {_e(meta.get('source') or 'decisions')}</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}th,td{padding:.2em .6em;"
        "border-bottom:1px solid #ccc;text-align:right}th:first-child,td:first-child"
        "{text-align:left}.fail{color:#a00;font-weight:bold}</style></head><body>",
        f"<h1>Bias audit of {meta.get('n', 0):,} decisions</h1>",
        f"<p>Source: {_e(meta.get('source') or '–')}. Label column {_e(meta.get('label'))}, "
        f"decision column {_e(meta.get('decision'))}, adverse value "
        f"{_e(meta.get('positive'))}. Data SHA-256: <code>{_e(meta.get('data_sha256'))}</code>.</p>",
        f"<p><strong>Verdict: {'pass' if passed else 'fail'}</strong> — four-fifths rule "
        f"(impact ratio below {_e(doc.get('thresholds', {}).get('impact_ratio'))} is a "
        f"violation); {len(verdict.get('violations', []))} violation(s).</p>",
        "<p>This is the plain page; the full report is produced by <code>audit.report</code>.</p>",
    ]
    for kind, title in (("attributes", "Protected attributes"), ("intersections", "Intersections")):
        sections = doc.get(kind) or {}
        if not sections:
            continue
        parts.append(f"<h2>{title}</h2>")
        for name, sec in sections.items():
            parts.append(
                f"<h3>{_e(name)}</h3><p>Reference group: {_e(sec.get('reference'))} "
                f"({_e(sec.get('reference_rule'))}); unknown: {_e(sec.get('unknown'))}.</p>"
            )
            parts.append(
                "<table><thead><tr><th scope='col'>Group</th><th scope='col'>n</th>"
                "<th scope='col'>Blacklisted</th><th scope='col'>Wrongful blacklisting rate</th>"
                "<th scope='col'>Impact ratio</th><th scope='col'>Four-fifths</th></tr></thead>"
                "<tbody>"
            )
            for group, g in sec.get("groups", {}).items():
                verdict_text = "too small" if g.get("small") else (g.get("four_fifths") or "–")
                cls = ' class="fail"' if g.get("four_fifths") == "fail" else ""
                parts.append(
                    f"<tr><th scope='row'>{_e(group)}</th><td>{g.get('n', 0):,}</td>"
                    f"<td>{_pct(g.get('adverse_rate'))}</td><td>{_pct(g.get('fpr'))}</td>"
                    f"<td>{_num(g.get('impact_ratio'))}</td><td{cls}>{_e(verdict_text)}</td></tr>"
                )
            parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_plain_report(result: AuditResult, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write ``audit.json`` and a plain ``index.html`` into ``out_dir``, nothing half-way.

    Both files are first written into a temporary directory beside ``out_dir`` and then moved in
    with ``os.replace``; ``out_dir`` is created only then.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        (tmp / "audit.json").write_text(result.to_json(), encoding="utf-8")
        (tmp / "index.html").write_text(render_plain_html(result.data), encoding="utf-8")
        out.mkdir(exist_ok=True)
        written = {}
        for name in ("audit.json", "index.html"):
            os.replace(tmp / name, out / name)
            written[name] = out / name
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
