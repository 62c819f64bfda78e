"""Stage 4, the report: an audit result becomes one self-contained HTML file and its companions.

Data → view dict (`summarize`, section by section from the registry `SECTIONS`) → HTML through
Jinja2 with autoescape (`render_html`), charts as inline matplotlib SVG. `write_report` writes
index.html, audit.json, summary.md and cases.csv atomically; `compare_audits` / `write_comparison`
report the differences between two audits and flag a changed methodology. This stage computes no
statistics and imports only `audit.core` and `audit.exceptions` of the package (neither fairlearn
nor shap).
"""

from audit.report._compare import compare_audits, read_audit_json, write_comparison
from audit.report._html import render_html
from audit.report._summarize import SECTIONS, Inputs, Section, summarize
from audit.report._summary import harm_findings
from audit.report._write import build_report, write_report

__all__ = [
    "SECTIONS",
    "Inputs",
    "Section",
    "build_report",
    "compare_audits",
    "harm_findings",
    "read_audit_json",
    "render_html",
    "summarize",
    "write_comparison",
    "write_report",
]
