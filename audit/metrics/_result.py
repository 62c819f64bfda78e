"""`AuditResult`: the plain-data result of an audit, which is exactly ``audit.json``.

What it is for: holding the JSON-ready dict (and big side tables), letting later stages add their
sections without mutating it (:meth:`AuditResult.with_section`), writing it deterministically, and
printing a plain-text summary for the command line.
What it must not do: compute statistics or render HTML (``audit.report`` does that).
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError

__all__ = ["AuditResult", "json_ready"]

_CORE = ("schema_version",)
_PLAIN = {str, int, bool, type(None)}
_NUMBERS = {float, int, type(None)}


def json_ready(obj: object) -> object:
    """A JSON-ready copy of ``obj``: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    t = type(obj)
    if t is float:
        return obj if math.isfinite(obj) else None
    if t in _PLAIN:
        return obj
    if t is list:  # fast path for long lists of numbers (sweeps, histograms)
        kinds = set(map(type, obj))
        if kinds <= _PLAIN:
            return list(obj)
        if kinds <= _NUMBERS:
            return [v if type(v) is not float or math.isfinite(v) else None for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [json_ready(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        return json_ready(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, bool | int | str):
        return obj
    raise InvalidInputError(
        f"audit.json sections must hold plain data (dict, list, str, number, None); "
        f"got {type(obj).__name__}."
    )


@dataclass(frozen=True)
class AuditResult:
    """The result of an audit: ``data`` is ``audit.json``; ``tables`` are written beside it.

    Attributes
    ----------
    data : dict
        JSON-ready (plain dict/list/str/int/float/None). See ``audit/audit.schema.json``.
    tables : dict of str to pandas.DataFrame
        Big tables (e.g. ``"cases"``) written beside ``audit.json``.
    """

    data: dict
    tables: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """``audit.json`` as a dict (a deep copy: changing it does not change the result)."""
        return copy.deepcopy(self.data)

    def to_json(self) -> str:
        """``audit.json`` as text: compact, sorted keys, so equal results give identical bytes.

        Compact because a five-attribute audit with intersections, a score and an observed label
        is several hundred kB; pretty-print with ``python -m json.tool audit.json``.
        """
        text = json.dumps(self.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text + "\n"

    def write_json(self, path: str | os.PathLike) -> Path:
        """Write ``audit.json`` atomically (a temporary file, then ``os.replace``)."""
        path = Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.to_json())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def with_section(
        self, key: str, value: object, *, tables: Mapping[str, pd.DataFrame] | None = None
    ) -> AuditResult:
        """A new result with ``data[key] = value`` (and extra side tables); this one is unchanged.

        Parameters
        ----------
        key : str
            Top-level key, e.g. ``"explain"``, ``"cases"``, ``"population"``, ``"scorer"``.
        value : object
            Plain data (converted with :func:`json_ready`; anything else is an error).
        tables : mapping of str to pandas.DataFrame, optional
            Side tables to add to :attr:`tables`.
        """
        if not isinstance(key, str) or key in _CORE:
            raise InvalidInputError(
                f"with_section needs a new top-level key (str, not {list(_CORE)}); got {key!r}."
            )
        data = dict(self.data)
        data[key] = json_ready(value)
        return AuditResult(data, {**self.tables, **dict(tables or {})})

    @property
    def passed(self) -> bool:
        """True when no fairness threshold is violated."""
        return bool(self.data.get("verdict", {}).get("passed", True))

    def to_frame(self, block: str | None = None) -> pd.DataFrame:
        """One row per group of every attribute and intersection (``block="observed"``: observed).

        Columns: ``grouping``, ``group``, ``n``, ``small``, every rate, ``impact_ratio``,
        ``four_fifths`` and the Holm-corrected p-value of the adverse-rate test.
        """
        src = self.data if block is None else (self.data.get(block) or {})
        rows = []
        for kind in ("attributes", "intersections"):
            for grouping, sec in (src.get(kind) or {}).items():
                for group, g in sec["groups"].items():
                    row = {"grouping": grouping, "group": group}
                    row.update({k: v for k, v in g.items() if not isinstance(v, dict | list)})
                    row["p_holm_adverse_rate"] = (
                        (g.get("tests") or {}).get("adverse_rate", {}).get("p_holm")
                    )
                    rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A plain-text table of the headline numbers, for the command line."""
        d = self.data
        meta = d.get("meta", {})
        lines = [
            f"Audit of {meta.get('n', 0):,} decisions"
            + (f" from {meta['source']}" if meta.get("source") else "")
            + f" (label {meta.get('label')!r}, decision {meta.get('decision')!r}, "
            f"adverse value {meta.get('positive')!r})"
        ]
        verdict = d.get("verdict", {})
        violations = verdict.get("violations", [])
        thr = d.get("thresholds", {}).get("impact_ratio")
        if verdict.get("passed", True):
            lines.append(f"Verdict: PASS (no impact ratio below {thr})")
        else:
            lines.append(f"Verdict: FAIL ({len(violations)} violation(s); impact ratio < {thr})")
        o = d.get("overall", {})
        lines.append(
            f"Overall: blacklisted {_pct(o.get('adverse_rate'))}, wrongful blacklisting rate "
            f"{_pct(o.get('fpr'))}, base rate {_pct(o.get('base_rate'))}"
        )
        header = (
            f"  {'group':<28}{'n':>10}{'blacklisted':>13}{'wrongful':>10}"
            f"{'impact':>8}  {'4/5':<5}{'p (Holm)':>9}"
        )
        for kind in ("attributes", "intersections"):
            for grouping, sec in (d.get(kind) or {}).items():
                rule = "most favoured" if sec.get("reference_rule") == "most_favoured" else "named"
                lines += ["", f"{grouping} (reference: {sec.get('reference')}, {rule})", header]
                for group, g in sec["groups"].items():
                    p = (g.get("tests") or {}).get("adverse_rate", {}).get("p_holm")
                    flag = "small" if g.get("small") else (g.get("four_fifths") or "-")
                    lines.append(
                        f"  {_cut(group, 27):<28}{g['n']:>10,}{_pct(g.get('adverse_rate')):>13}"
                        f"{_pct(g.get('fpr')):>10}{_ratio(g.get('impact_ratio')):>8}  "
                        f"{flag:<5}{_p(p):>9}"
                    )
        lines += [
            "",
            "wrongful = wrongful blacklisting rate (false positive rate, adverse = positive)",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        meta = self.data.get("meta", {})
        return (
            f"AuditResult(n={meta.get('n')}, protected={meta.get('protected')}, "
            f"passed={self.passed}, sections={sorted(self.data)})"
        )


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _p(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if x >= 1e-4 else "<1e-4"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
