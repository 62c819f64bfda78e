"""Stage 4, the report: an audit result becomes one self-contained HTML file and its companions.

Data → view dict (`summarize`) → HTML through Jinja2 with autoescape (`render_html`), charts as inline
matplotlib SVG. `write_report` writes index.html, audit.json, summary.md and cases.csv atomically;
`compare_audits` / `write_comparison` report the differences between two audits and flag a changed
methodology. This stage computes no statistics and imports neither fairlearn nor shap.
"""

from audit.report._compare import compare_audits, read_audit_json, write_comparison
from audit.report._html import render_html
from audit.report._summarize import harm_findings, summarize
from audit.report._write import build_report, write_report

__all__ = [
    "build_report",
    "compare_audits",
    "harm_findings",
    "read_audit_json",
    "render_html",
    "summarize",
    "write_comparison",
    "write_report",
]
