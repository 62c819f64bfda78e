"""`check_scorer`: the Scorer contract as runnable checks (like scikit-learn's ``check_estimator``).

Each rule has a name; the first rule broken raises ``ScorerError`` naming it and what was seen.
This module must not modify the scorer or fit anything; it only queries ``score``/``decide``.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from audit.exceptions import AuditError, NotFittedError, ScorerError
from audit.scoring._mapping import SCORE_MAX, SCORE_MIN
from audit.scoring._protocol import scorer_members_missing
from audit.scoring._scorer import PROTECTED
from audit.scoring._validation import require_columns, require_frame

__all__ = ["RULES", "check_scorer"]

RULES = (
    "protocol",
    "threshold",
    "feature_names",
    "score_type",
    "score_shape",
    "score_dtype",
    "score_finite",
    "score_range",
    "deterministic",
    "decide_type",
    "decide_shape",
    "decide_consistent",
    "protected_absent",
    "feature_names_sufficient",
    "row_order",
    "chunking",
    "no_mutation",
)
"""The contract's rules, in the order ``check_scorer`` runs them."""

_ATOL = 1e-6  # tolerance where floating results may legitimately differ in the last bits


class _Broken(Exception):
    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)


def _require(ok: bool, rule: str, message: str) -> None:
    if not ok:
        raise _Broken(rule, message)


def _call(scorer: Any, method: str, X: pd.DataFrame, rule: str, *, first: bool = False) -> Any:
    """Call ``scorer.method(X)``; an exception breaks ``rule``.

    On the first call an ``AuditError`` (bad data, unfitted scorer) propagates as it is; on later
    calls, on frames derived from ``X``, only ``NotFittedError`` does.
    """
    try:
        return getattr(scorer, method)(X)
    except NotFittedError:
        raise
    except Exception as e:
        if first and isinstance(e, AuditError):
            raise
        raise _Broken(
            rule,
            f"{method}(X) raised {type(e).__name__}: {e} ({len(X)} rows, {X.shape[1]} columns)",
        ) from e


def _same(a: np.ndarray, b: Any, *, exact: bool = False) -> tuple[bool, str]:
    b = np.asarray(b, dtype=np.float64)
    if b.shape != a.shape:
        return False, f"shape {b.shape} instead of {a.shape}"
    diff = np.abs(a - b)
    tol = 0.0 if exact else _ATOL
    bad = ~(diff <= tol)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        return False, (
            f"{int(bad.sum())} of {len(a)} scores differ, e.g. row {i}: {a[i]!r} then {b[i]!r}"
        )
    return True, ""


def check_scorer(
    scorer: Any,
    X: pd.DataFrame,
    *,
    protected: Sequence[str] = PROTECTED,
    max_rows: int | None = 10_000,
    random_state: int = 0,
) -> dict[str, str]:
    """Check that ``scorer`` keeps the Scorer contract on the data ``X``.

    Rules (in order; names as in ``RULES``):

    ``protocol``
        has ``score``, ``decide``, ``feature_names`` and ``threshold``.
    ``threshold``
        ``threshold`` is a number in [350, 950].
    ``feature_names``
        ``feature_names`` is a list of str.
    ``score_type``, ``score_shape``, ``score_dtype``, ``score_finite``, ``score_range``
        ``score(X)`` is a numpy array of shape ``(len(X),)``, floating dtype, no NaN or inf,
        every value in [350, 950].
    ``deterministic``
        two calls of ``score(X)`` give identical arrays.
    ``decide_type``, ``decide_shape``
        ``decide(X)`` is a bool numpy array of shape ``(len(X),)``.
    ``decide_consistent``
        ``decide(X) == (score(X) < threshold)`` on every row.
    ``protected_absent``
        dropping the protected columns the scorer does not declare in ``feature_names`` leaves
        the scores unchanged (skipped if ``X`` holds none).
    ``feature_names_sufficient``
        ``score(X[feature_names])`` equals ``score(X)``: no undeclared column is read.
    ``row_order``
        scores of shuffled rows are the shuffled scores (row-order equivariance).
    ``chunking``
        scoring two halves separately gives the same scores as scoring all rows at once.
    ``no_mutation``
        ``X`` is unchanged after all calls.

    Results are compared exactly for ``deterministic`` and to 1e-6 points otherwise.

    Parameters
    ----------
    scorer : Scorer
    X : pandas.DataFrame
        Rows to score; must hold every column in ``scorer.feature_names``.
    protected : sequence of str
        Protected column names (for ``protected_absent``).
    max_rows : int or None, default 10000
        Check on a random sample of this many rows (seeded) when ``X`` is larger.
    random_state : int
        Seed of the sample and of the row shuffle.

    Returns
    -------
    dict
        Rule name → ``"ok"`` or ``"skipped: <why>"``.

    Raises
    ------
    ScorerError
        The first broken rule: ``"check_scorer: rule 'score_range' broken: ..."``; the exception
        has a ``rule`` attribute with the rule's name.
    SchemaError
        ``X`` lacks columns in ``feature_names`` (a problem of the data, not of the scorer).

    Examples
    --------
    >>> import pandas as pd
    >>> from audit.scoring import as_scorer
    >>> s = as_scorer(lambda X: 900 - 100 * X["missed"], feature_names=["missed"], threshold=700)
    >>> check_scorer(s, pd.DataFrame({"missed": [0, 1, 2, 3, 4, 5]}))["score_range"]
    'ok'
    """
    try:
        return _run(scorer, X, protected, max_rows, random_state)
    except _Broken as broken:
        err = ScorerError(f"check_scorer: rule '{broken.rule}' broken: {broken}")
        err.rule = broken.rule
        raise err from broken.__cause__


def _run(
    scorer: Any,
    X: pd.DataFrame,
    protected: Sequence[str],
    max_rows: int | None,
    random_state: int,
) -> dict[str, str]:
    X = require_frame(X, who="check_scorer")
    results: dict[str, str] = {}
    threshold, names = _check_members(scorer, results)
    require_columns(X, list(names), who="the scorer")
    X = _sample(X, max_rows, random_state)
    before = X.copy(deep=True)
    s1 = _check_scores(scorer, X, results)
    _check_decisions(scorer, X, s1, float(threshold), results)
    _check_columns_read(scorer, X, s1, names, protected, results)
    _check_row_independence(scorer, X, s1, random_state, results)
    same_cols = list(X.columns) == list(before.columns)
    _require(
        same_cols and X.equals(before),
        "no_mutation",
        "X was modified by the scorer"
        + ("" if same_cols else f" (columns now {list(X.columns)[:10]})"),
    )
    results["no_mutation"] = "ok"
    return results


def _check_members(scorer: Any, results: dict[str, str]) -> tuple[Real, list[str]]:
    """Rules ``protocol``, ``threshold`` and ``feature_names``: the threshold and the names."""
    missing = scorer_members_missing(scorer)
    _require(
        not missing,
        "protocol",
        f"{type(scorer).__name__} lacks {missing}; a Scorer has score, decide, feature_names "
        "and threshold",
    )
    results["protocol"] = "ok"

    threshold = scorer.threshold
    _require(
        isinstance(threshold, Real)
        and not isinstance(threshold, bool)
        and SCORE_MIN <= float(threshold) <= SCORE_MAX,
        "threshold",
        f"threshold must be a number in [{SCORE_MIN:g}, {SCORE_MAX:g}]; got {threshold!r}",
    )
    results["threshold"] = "ok"

    names = scorer.feature_names
    _require(
        isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names),
        "feature_names",
        f"feature_names must be a list of str; got {names!r}",
    )
    results["feature_names"] = "ok"
    return threshold, names


def _sample(X: pd.DataFrame, max_rows: int | None, random_state: int) -> pd.DataFrame:
    """At most ``max_rows`` rows of ``X`` (a seeded random sample, in order); at least 2."""
    if max_rows is not None and len(X) > max_rows:
        rows = np.sort(np.random.default_rng(random_state).choice(len(X), max_rows, replace=False))
        X = X.iloc[rows]
    n = len(X)
    _require(n >= 2, "score_shape", f"check_scorer needs at least 2 rows of X; got {n}")
    return X


def _check_scores(scorer: Any, X: pd.DataFrame, results: dict[str, str]) -> np.ndarray:
    """Rules ``score_type`` to ``score_range``, then ``deterministic``: the scores, as float64."""
    n = len(X)
    s1 = _call(scorer, "score", X, "score_type", first=True)
    _require(
        isinstance(s1, np.ndarray),
        "score_type",
        f"score(X) must return a numpy array; got {type(s1).__name__}",
    )
    results["score_type"] = "ok"
    _require(
        s1.shape == (n,),
        "score_shape",
        f"score(X) must have shape ({n},), one score per row; got {s1.shape}",
    )
    results["score_shape"] = "ok"
    _require(
        np.issubdtype(s1.dtype, np.floating),
        "score_dtype",
        f"score(X) must have a floating dtype; got {s1.dtype}",
    )
    results["score_dtype"] = "ok"
    finite = np.isfinite(s1)
    _require(
        bool(finite.all()),
        "score_finite",
        f"score(X) must not hold NaN or inf; got {int((~finite).sum())} of {n} "
        f"(e.g. row {int(np.flatnonzero(~finite)[0]) if not finite.all() else -1})",
    )
    results["score_finite"] = "ok"
    outside = (s1 < SCORE_MIN) | (s1 > SCORE_MAX)
    _require(
        not outside.any(),
        "score_range",
        f"score(X) must lie in [{SCORE_MIN:g}, {SCORE_MAX:g}]; got min {s1.min():g}, max "
        f"{s1.max():g} ({int(outside.sum())} of {n} rows outside)",
    )
    results["score_range"] = "ok"
    s1 = s1.astype(np.float64)

    ok, seen = _same(s1, _call(scorer, "score", X, "deterministic"), exact=True)
    _require(ok, "deterministic", f"two calls of score(X) on the same rows differ: {seen}")
    results["deterministic"] = "ok"
    return s1


def _check_decisions(
    scorer: Any, X: pd.DataFrame, s1: np.ndarray, threshold: float, results: dict[str, str]
) -> None:
    """Rules ``decide_type``, ``decide_shape`` and ``decide_consistent``."""
    n = len(X)
    d = _call(scorer, "decide", X, "decide_type", first=True)
    _require(
        isinstance(d, np.ndarray) and d.dtype == np.bool_,
        "decide_type",
        "decide(X) must return a numpy bool array; got "
        f"{type(d).__name__} of dtype {getattr(d, 'dtype', None)}",
    )
    results["decide_type"] = "ok"
    _require(
        d.shape == (n,),
        "decide_shape",
        f"decide(X) must have shape ({n},), one decision per row; got {d.shape}",
    )
    results["decide_shape"] = "ok"
    wrong = d != (s1 < threshold)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        _require(
            False,
            "decide_consistent",
            f"decide(X) must equal score(X) < threshold ({threshold:g}); "
            f"{int(wrong.sum())} of {n} rows differ, e.g. row {i}: score {s1[i]:g}, "
            f"decide {bool(d[i])}",
        )
    results["decide_consistent"] = "ok"


def _check_columns_read(
    scorer: Any,
    X: pd.DataFrame,
    s1: np.ndarray,
    names: list[str],
    protected: Sequence[str],
    results: dict[str, str],
) -> None:
    """Rules ``protected_absent`` and ``feature_names_sufficient``: only declared columns count."""
    drop = [c for c in protected if c in X.columns and c not in names]
    if drop:
        ok, seen = _same(s1, _call(scorer, "score", X.drop(columns=drop), "protected_absent"))
        _require(
            ok,
            "protected_absent",
            f"scores change when the protected columns {drop} (not in feature_names) are "
            f"dropped: {seen}",
        )
        results["protected_absent"] = "ok"
    else:
        results["protected_absent"] = "skipped: X holds no undeclared protected columns"

    ok, seen = _same(s1, _call(scorer, "score", X[list(names)], "feature_names_sufficient"))
    _require(
        ok,
        "feature_names_sufficient",
        f"score(X[feature_names]) differs from score(X), so the scorer reads columns it does "
        f"not declare: {seen}",
    )
    results["feature_names_sufficient"] = "ok"


def _check_row_independence(
    scorer: Any, X: pd.DataFrame, s1: np.ndarray, random_state: int, results: dict[str, str]
) -> None:
    """Rules ``row_order`` and ``chunking``: a row's score depends on that row alone."""
    n = len(X)
    perm = np.random.default_rng(random_state).permutation(n)
    shuffled = _call(scorer, "score", X.iloc[perm], "row_order")
    ok, seen = _same(s1[perm], shuffled)
    _require(ok, "row_order", f"scores of shuffled rows are not the shuffled scores: {seen}")
    results["row_order"] = "ok"

    half = n // 2
    parts = [_call(scorer, "score", X.iloc[:half], "chunking")]
    parts.append(_call(scorer, "score", X.iloc[half:], "chunking"))
    try:
        joined = np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])
    except (TypeError, ValueError) as e:
        raise _Broken("chunking", f"scores of the two halves cannot be joined: {e}") from e
    ok, seen = _same(s1, joined)
    _require(ok, "chunking", f"scoring two halves separately differs from scoring all: {seen}")
    results["chunking"] = "ok"
