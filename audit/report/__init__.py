"""Stage 4, the report: an audit result (dict) becomes one self-contained HTML file and its companions.

Data → view dict (`summarize`) → HTML through Jinja2 with autoescape (`render_html`), charts as inline
matplotlib SVG; `write_report` writes index.html, audit.json, summary.md and cases.csv atomically;
`compare_audits` / `write_comparison` report the deltas between two audits. This stage computes no
statistics and imports neither fairlearn nor shap.
"""

from audit.report._html import render_html
from audit.report._summarize import summarize
from audit.report._write import build_report, write_report

__all__ = ["build_report", "render_html", "summarize", "write_report"]
