"""`AuditResult`: the plain-data result of an audit, which is exactly ``audit.json``.

What it is for: holding the JSON-ready dict (and big side tables), letting later stages add their
sections without mutating it (:meth:`AuditResult.with_section`), reading it through typed
accessors (``references``, ``positive``, ``outcome``, ``violations``, ``label_kind``) so no stage
digs another stage's choice out of the dict by hand, writing it with the ONE serializer
(:func:`dump_json`, also used by the report), and printing a plain-text summary for the command line.
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

from audit.core._vocabulary import CRITERIA
from audit.exceptions import InvalidInputError

__all__ = [
    "AuditResult",
    "check_json_ready",
    "dump_json",
    "json_ready",
    "rank_violations",
    "verdict_lines",
]

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


def check_json_ready(value: object, path: str = "audit") -> None:
    """Raise `InvalidInputError` naming the first key path that JSON cannot hold exactly.

    audit.json holds plain dict/list/str/int/float/bool/None; NaN and infinities must be ``None``.
    """
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"{path} is {value!r}; audit.json needs null for undefined numbers."
            raise InvalidInputError(msg)
        return
    if isinstance(value, Mapping):
        for key, v in value.items():
            if not isinstance(key, str):
                msg = f"{path} has a key {key!r} of type {type(key).__name__}; keys must be str."
                raise InvalidInputError(msg)
            check_json_ready(v, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_json_ready(v, f"{path}[{i}]")
        return
    msg = (
        f"{path} must be a plain JSON value (dict, list, str, int, float, bool or None); "
        f"got {type(value).__name__} instead."
    )
    raise InvalidInputError(msg)


def dump_json(data: Mapping) -> str:
    """``audit.json`` as text: compact, sorted keys, a trailing newline; equal data, equal bytes.

    Compact because a five-attribute audit with intersections, a score and an observed label is
    several hundred kB; pretty-print with ``python -m json.tool audit.json``. A value JSON cannot
    hold exactly (NaN, a numpy array) is an error naming its key path.
    """
    try:
        text = json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError):
        check_json_ready(data)  # names the offending key path
        raise
    return text + "\n"


@dataclass(frozen=True)
class AuditResult:
    """The result of an audit: ``data`` is ``audit.json``; ``tables`` are written beside it.

    Attributes
    ----------
    data : dict
        JSON-ready (plain dict/list/str/int/float/None). See ``audit/core/audit.schema.json``.
    tables : dict of str to pandas.DataFrame
        Big tables (e.g. ``"cases"``) written beside ``audit.json``.
    """

    data: dict
    tables: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """``audit.json`` as a dict (a deep copy: changing it does not change the result)."""
        return copy.deepcopy(self.data)

    def to_json(self) -> str:
        """``audit.json`` as text (:func:`dump_json`: compact, sorted keys, byte-stable)."""
        return dump_json(self.data)

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
    def outcome(self) -> str | None:
        """The verdict: ``"pass"``, ``"fail"`` or ``"inconclusive"`` (None when nothing was judged)."""
        return (self.data.get("verdict") or {}).get("outcome")

    @property
    def passed(self) -> bool:
        """True only when the verdict is PASS (False for FAIL, INCONCLUSIVE or no verdict)."""
        return self.outcome == "pass"

    @property
    def violations(self) -> list[dict]:
        """The violations that decided a FAIL, each with the bound that decided it."""
        return list((self.data.get("verdict") or {}).get("violations") or [])

    @property
    def references(self) -> dict[str, str | None]:
        """Reference group of every attribute and intersection, as the audit used it."""
        out = {}
        for kind in ("attributes", "intersections"):
            for name, sec in (self.data.get(kind) or {}).items():
                out[name] = sec.get("reference")
        return out

    @property
    def positive(self) -> object:
        """The adverse value as the user gave it (``meta.positive``)."""
        return (self.data.get("meta") or {}).get("positive")

    @property
    def label_kind(self) -> str:
        """``"truth"`` when the audited label is the ground truth (synthetic runs), else
        ``"observed"`` (a recorded label, which may itself be biased)."""
        return (self.data.get("meta") or {}).get("label_kind") or "observed"

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
        """A plain-text table of the headline numbers and the verdict, for the command line."""
        d = self.data
        meta = d.get("meta", {})
        lines = [
            f"Audit of {meta.get('n', 0):,} decisions"
            + (f" from {meta['source']}" if meta.get("source") else "")
            + f" (label {meta.get('label')!r}, decision {meta.get('decision')!r}, "
            f"adverse value {meta.get('positive')!r})"
        ]
        lines += verdict_lines(d)
        o = d.get("overall", {})
        lines.append(
            f"Overall: blacklisted {_pct(o.get('adverse_rate'))}, wrongful blacklisting rate "
            f"{_pct(o.get('fpr'))}, base rate {_pct(o.get('base_rate'))}"
        )
        header = (
            f"  {'group':<28}{'n':>10}{'blacklisted':>13}{'wrongful':>10}"
            f"{'impact':>8}  {'4/5':<13}{'p (Holm)':>9}"
        )
        for kind in ("attributes", "intersections"):
            for grouping, sec in (d.get(kind) or {}).items():
                rule = sec.get("reference_rule")
                lines += ["", f"{grouping} (reference: {sec.get('reference')}, {rule})", header]
                for group, g in sec["groups"].items():
                    p = (g.get("tests") or {}).get("adverse_rate", {}).get("p_holm")
                    flag = "small" if g.get("small") else (g.get("four_fifths") or "-")
                    lines.append(
                        f"  {_cut(group, 27):<28}{g['n']:>10,}{_pct(g.get('adverse_rate')):>13}"
                        f"{_pct(g.get('fpr')):>10}{_ratio(g.get('impact_ratio')):>8}  "
                        f"{flag:<13}{_p(p):>9}"
                    )
        lines += [
            "",
            "wrongful = wrongful blacklisting rate (false positive rate, adverse = positive); "
            "4/5 = the four-fifths rule judged on simultaneous bounds",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        meta = self.data.get("meta", {})
        return (
            f"AuditResult(n={meta.get('n')}, protected={meta.get('protected')}, "
            f"passed={self.passed}, sections={sorted(self.data)})"
        )


def verdict_lines(data: Mapping, *, shown: int = 8) -> list[str]:
    """The verdict in plain text: the outcome, how it was reached, and what decided it (the
    ``shown`` clearest violations, attributes before intersections).

    Examples
    --------
    >>> verdict_lines({"verdict": {"outcome": None}})
    ['Verdict: none (no criterion was judged).']
    """
    v = data.get("verdict") or {}
    outcome = v.get("outcome")
    if outcome is None:
        return ["Verdict: none (no criterion was judged)."]
    level = 100 * float(v.get("confidence", 0.95))
    lines = [
        f"Verdict: {outcome.upper()} — judged on simultaneous {level:g} % confidence bounds over "
        f"{v.get('family_size', 0)} comparison(s) with each grouping's reference group "
        "(exact-tailed MOVER-R ratio intervals, Bonferroni)."
    ]
    criteria = v.get("criteria") or {}
    for name in sorted(criteria, key=lambda c: list(CRITERIA).index(c) if c in CRITERIA else 99):
        c = criteria[name]
        lines.append(
            f"  {name} (band {c['band'][0]:g}–{c['band'][1]:.4g}): {c['outcome']} — {c['fail']} "
            f"fail, {c['inconclusive']} inconclusive, {c['pass']} pass, {c['insufficient']} "
            "with insufficient data"
        )
    violations = rank_violations(v.get("violations") or [])
    for item in violations[:shown]:
        low, high = item["interval"] or [None, None]
        side = (
            f"below {item['threshold']:g}"
            if item["direction"] == "below"
            else (f"above {1 / item['threshold']:.4g}")
        )
        upper = "∞" if high is None else f"{high:.3g}"
        lines.append(
            f"  FAIL {item['criterion']}: {item['attribute']}={_cut(str(item['group']), 40)} vs "
            f"{item['against']}: ratio {_ratio(item['value'])}, interval [{low:.3g}, {upper}] "
            f"wholly {side}"
        )
    if len(violations) > shown:
        lines.append(f"  ... and {len(violations) - shown} more violation(s): see the report.")
    return lines


def rank_violations(violations: list) -> list:
    """Violations clearest first: attributes before intersections, then by how far the deciding
    bound lies beyond the band (on the log scale). Used by the terminal and the report alike.

    Examples
    --------
    >>> v = [{"attribute": "a & b", "bound": 3.0, "threshold": 0.8},
    ...      {"attribute": "a", "bound": 1.3, "threshold": 0.8},
    ...      {"attribute": "a", "bound": 2.0, "threshold": 0.8}]
    >>> [x["bound"] for x in rank_violations(v)]
    [2.0, 1.3, 3.0]
    """
    return sorted(violations, key=_severity, reverse=True)


def _severity(item: object) -> tuple[bool, float]:
    if not isinstance(item, Mapping):
        return (False, 0.0)
    bound, t = item.get("bound"), item.get("threshold")
    attribute = " & " not in str(item.get("attribute"))
    if not isinstance(bound, int | float) or not isinstance(t, int | float) or bound <= 0 or t <= 0:
        return (attribute, 0.0)
    return (attribute, abs(math.log(bound)) - abs(math.log(t)))


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
