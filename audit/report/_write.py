"""The front of the report package: an audit result in, a report directory out.

`write_report` writes ``index.html``, ``audit.json``, ``summary.md`` and, when a ``"cases"`` table is
given, ``cases.csv``. Every file is first written in full to a temporary directory inside the output
directory, then moved into place with ``os.replace``: an error leaves the previous report untouched and
no file is ever half-written.

audit.json is written by ``audit.core.dump_json``, the one serializer (byte for byte what
``AuditResult.to_json`` gives). What it must not do: compute statistics, or import fairlearn or
shap. It duck-types the result (``to_dict()`` and ``tables``) so it never imports the metrics stage.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from audit.core import dump_json
from audit.exceptions import InvalidInputError
from audit.report._html import render_html
from audit.report._markdown import render_markdown
from audit.report._summarize import summarize


def as_audit_dict(result: Any) -> tuple[dict, dict]:
    """(audit.json dict, tables) from an `AuditResult`-like object or a plain dict."""
    if isinstance(result, Mapping):
        return dict(result), {}
    to_dict = getattr(result, "to_dict", None)
    if not callable(to_dict):
        raise InvalidInputError(
            "The 'result' parameter of write_report must be an AuditResult (with .to_dict()) or the "
            f"audit.json dict. Got {type(result).__name__} instead."
        )
    data = to_dict()
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            f"result.to_dict() must return a dict. Got {type(data).__name__} instead."
        )
    tables = getattr(result, "tables", None)
    return dict(data), dict(tables) if isinstance(tables, Mapping) else {}


def _atomic_dir_write(
    out_dir: Path, files: Mapping[str, str | bytes], stale: tuple[str, ...] = ()
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report-", dir=out_dir))
    try:
        for name, content in files.items():
            mode = "wb" if isinstance(content, bytes) else "w"
            kwargs = {} if isinstance(content, bytes) else {"encoding": "utf-8", "newline": "\n"}
            with open(tmp / name, mode, **kwargs) as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        for name in files:
            os.replace(tmp / name, out_dir / name)
        for name in stale:
            if name not in files and (out_dir / name).exists():
                (out_dir / name).unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_report(result: Any, *, tables: Mapping | None = None) -> dict[str, str]:
    """The report's files as text, keyed by file name, without writing anything.

    Parameters
    ----------
    result : AuditResult or dict
        The audit (``AuditResult``) or its audit.json dict.
    tables : Mapping of str to DataFrame, optional
        Tables written beside audit.json; overrides ``result.tables`` entry by entry.

    Returns
    -------
    dict of str to str
        ``index.html``, ``audit.json``, ``summary.md`` and, with a ``"cases"`` table, ``cases.csv``.

    Examples
    --------
    >>> sorted(build_report({"schema_version": 1}))
    ['audit.json', 'index.html', 'summary.md']
    """
    data, own_tables = as_audit_dict(result)
    all_tables = {**own_tables, **dict(tables or {})}
    files = {"audit.json": dump_json(data)}
    view = summarize(data, all_tables)
    files["index.html"] = render_html(view)
    files["summary.md"] = render_markdown(view)
    cases = all_tables.get("cases")
    if cases is not None:
        to_csv = getattr(cases, "to_csv", None)
        if not callable(to_csv):
            raise InvalidInputError(
                f"The 'cases' table must be a pandas DataFrame. Got {type(cases).__name__} instead."
            )
        files["cases.csv"] = to_csv(index=False, lineterminator="\n")
    return files


def write_report(result: Any, out_dir: str | os.PathLike, *, tables: Mapping | None = None) -> Path:
    """Write the HTML audit report and its companion files into `out_dir`.

    Parameters
    ----------
    result : AuditResult or dict
        The audit: an ``AuditResult`` (``to_dict()`` and ``tables`` are used) or its audit.json dict.
        Sections whose data is absent say so in the report ("not available: ...").
    out_dir : str or path
        Directory to write to; created if missing. Other files in it are left alone, except a stale
        ``cases.csv`` from an earlier report, removed when this report has no case table.
    tables : Mapping of str to DataFrame, optional
        Big tables beside audit.json (overrides ``result.tables``): ``"cases"`` becomes ``cases.csv``,
        and its first 50 rows appear in the HTML.

    Returns
    -------
    Path
        The path of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> out = write_report({"schema_version": 1, "meta": {"n": 0}}, tempfile.mkdtemp())
    >>> out.name
    'index.html'
    """
    files = build_report(result, tables=tables)
    out = Path(out_dir)
    _atomic_dir_write(out, files, stale=("cases.csv",))
    return out / "index.html"
