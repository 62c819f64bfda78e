"""The rules layer: score adjustments applied after the model, configured as data.

A rule is a plain mapping, as it appears in a scenario TOML's ``[[scorer.rules]]``::

    {"name": "political_speech_penalty", "when": "speech_flag", "points": -200}   # add points
    {"name": "court_list_floor", "when": "court_listed", "set": 350}              # set the score
    {"name": "repeat_defaulter", "when": "missed_repayments >= 3", "points": -50}

``when`` is either a boolean column (values 0/1 or bool; 1 fires the rule) or one comparison
``<column> <op> <number>`` with ``op`` one of ``== != >= <= > <``. It is parsed by a regular
expression, never evaluated as code. Rules apply in the order listed; the caller clips afterwards.

This module must not know about estimators or files; it turns rule data into masks and arithmetic.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from audit.exceptions import SchemaError, SpecError
from audit.scoring._mapping import SCORE_MAX, SCORE_MIN

__all__ = ["Rule", "apply_rules", "parse_rules"]

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_WHEN = re.compile(
    rf"^\s*(?P<column>[A-Za-z_][A-Za-z0-9_]*)\s*"
    rf"(?:(?P<op>==|!=|>=|<=|>|<)\s*(?P<value>{_NUMBER})\s*)?$"
)
_KEYS = ("name", "when", "points", "set")


@dataclass(frozen=True)
class Rule:
    """One parsed rule (internal; the public form is the plain mapping)."""

    name: str
    column: str
    op: str | None  # None: ``column`` is a boolean column
    value: float | None
    action: str  # "points" or "set"
    amount: float

    def mask(self, X: pd.DataFrame) -> np.ndarray:
        """Boolean array: rows where the rule fires. Raises SchemaError on unusable columns."""
        series = X[self.column]
        where = f"rule '{self.name}' (when = {self._when()!r})"
        dtype = series.dtype
        if not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
            raise SchemaError(
                f"Column '{self.column}' used by {where} has dtype {dtype}; "
                "rule columns must be numeric or bool."
            )
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        n_nan = int(np.isnan(values).sum())
        if n_nan:
            raise SchemaError(
                f"Column '{self.column}' used by {where} has {n_nan} missing values; "
                "a rule cannot decide for them. Fill them before scoring."
            )
        if self.op is None:
            bad = (values != 0.0) & (values != 1.0)
            if bad.any():
                example = values[bad][0]
                raise SchemaError(
                    f"Column '{self.column}' used by {where} must be boolean (0/1 or bool); "
                    f"got {int(bad.sum())} other values, e.g. {example:g}. Write a comparison "
                    f"such as '{self.column} >= 1' instead."
                )
            return values == 1.0
        return _OPS[self.op](values, self.value)

    def _when(self) -> str:
        return self.column if self.op is None else f"{self.column} {self.op} {self.value:g}"


def _fail(message: str, key: str, prefix: str) -> SpecError:
    return SpecError(message, key=f"{prefix}{key}")


def _number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))


def parse_rules(rules: Sequence[Mapping[str, Any]] | None, *, prefix: str = "") -> list[Rule]:
    """Validate rule mappings and return them parsed, in order.

    Parameters
    ----------
    rules : sequence of mappings, or None
        Each with keys ``name`` (str), ``when`` (str) and exactly one of ``points`` (number added)
        or ``set`` (number in [350, 950] that replaces the score).
    prefix : str
        Key path prefix for error messages, e.g. ``"scorer."`` when the rules come from a spec.

    Raises
    ------
    SpecError
        Naming the rule index and key, what was expected and what was received, e.g.
        ``rules[1].points: must be a finite number; got 'abc' (str)``.

    Examples
    --------
    >>> [r.column for r in parse_rules([{"name": "x", "when": "a >= 3", "points": -10}])]
    ['a']
    """
    if rules is None:
        return []
    if isinstance(rules, (str, bytes, Mapping)) or not isinstance(rules, Sequence):
        raise _fail(
            f"must be a list of rule tables; got {rules!r} ({type(rules).__name__})",
            "rules",
            prefix,
        )
    parsed: list[Rule] = []
    for i, rule in enumerate(rules):
        parsed.append(_parse_rule(rule, f"rules[{i}]", {r.name for r in parsed}, prefix))
    return parsed


def _parse_rule(rule: Any, at: str, seen: set[str], prefix: str) -> Rule:
    """One rule mapping, checked key by key (``at`` is its place, e.g. ``rules[1]``)."""
    if not isinstance(rule, Mapping):
        raise _fail(
            "must be a table with keys name, when and points or set; "
            f"got {rule!r} ({type(rule).__name__})",
            at,
            prefix,
        )
    unknown = sorted(str(k) for k in rule if k not in _KEYS)
    if unknown:
        raise _fail(
            f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(_KEYS)}",
            at,
            prefix,
        )
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(f"must be a non-empty string; got {name!r}", f"{at}.name", prefix)
    if name in seen:
        raise _fail(f"duplicate rule name {name!r}; names must be unique", f"{at}.name", prefix)
    when = rule.get("when")
    match = _WHEN.match(when) if isinstance(when, str) else None
    if match is None:
        raise _fail(
            "must be a boolean column name (e.g. 'speech_flag') or one comparison "
            f"'<column> <op> <number>' with op in {' '.join(_OPS)}; got {when!r}",
            f"{at}.when",
            prefix,
        )
    action, amount = _action(rule, at, prefix)
    value = match.group("value")
    return Rule(
        name=name,
        column=match.group("column"),
        op=match.group("op"),
        value=None if value is None else float(value),
        action=action,
        amount=amount,
    )


def _action(rule: Mapping[str, Any], at: str, prefix: str) -> tuple[str, float]:
    """The rule's one action (``points`` or ``set``) and its amount."""
    actions = [k for k in ("points", "set") if k in rule]
    if len(actions) != 1:
        raise _fail(
            "needs exactly one of 'points' (added to the score) or 'set' (replaces it); "
            f"got {actions or 'neither'}",
            at,
            prefix,
        )
    action = actions[0]
    amount = rule[action]
    if not _number(amount):
        raise _fail(
            f"must be a finite number; got {amount!r} ({type(amount).__name__})",
            f"{at}.{action}",
            prefix,
        )
    if action == "set" and not SCORE_MIN <= float(amount) <= SCORE_MAX:
        raise _fail(
            f"must be in [{SCORE_MIN:g}, {SCORE_MAX:g}] (the score range); got {amount!r}",
            f"{at}.set",
            prefix,
        )
    return action, float(amount)


def apply_rules(score: np.ndarray, X: pd.DataFrame, rules: Sequence[Rule]) -> np.ndarray:
    """Apply ``rules`` in order to a copy of ``score`` (unclipped); return the new array."""
    out = np.array(score, dtype=np.float64, copy=True)
    for rule in rules:
        mask = rule.mask(X)
        if rule.action == "points":
            out[mask] += rule.amount
        else:
            out[mask] = rule.amount
    return out
