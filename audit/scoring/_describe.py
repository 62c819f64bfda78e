"""What is known of a scorer's model, in words: its steps, its inputs, and the protected attributes
it reads directly.

What this is for: the report's scorer section names the user's model ("Pipeline:
ColumnTransformer(OneHotEncoder, StandardScaler) -> LogisticRegression") instead of the wrapper's
class, lists the columns it reads, and flags a protected attribute that is an input — or whose
one-hot columns are — as DIRECT USE (a proxy is something else: a *different* feature that stands in
for the attribute). Read from the fitted estimator's structure (``steps``, ``transformers_``), never
by fitting or scoring. Imports scikit-learn only; nothing of ``audit`` but the exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["describe_model"]


def _name(est: Any) -> str:
    """A compact name of an estimator: ``Pipeline: A -> B``, ``ColumnTransformer(X, Y)``, or the
    class name (wrappers such as CalibratedClassifierCV name what they wrap)."""
    if isinstance(est, str):  # "passthrough" / "drop" inside a ColumnTransformer
        return est
    if type(est).__name__ == "FunctionTransformer" and getattr(est, "func", None) is None:
        return "passthrough"  # what a fitted ColumnTransformer makes of "passthrough"
    steps = getattr(est, "steps", None)
    if isinstance(steps, list) and steps:
        return "Pipeline: " + " -> ".join(_name(s) for _, s in steps)
    parts = getattr(est, "transformers_", None) or getattr(est, "transformers", None)
    if isinstance(parts, list) and parts:
        inner = [_name(t) for n, t, _ in parts if n != "remainder" and not _dropped(t)]
        return f"{type(est).__name__}({', '.join(dict.fromkeys(inner))})"
    wrapped = getattr(est, "estimator", None)
    if wrapped is not None and hasattr(wrapped, "fit"):
        return f"{type(est).__name__}({_name(wrapped)})"
    return type(est).__name__


def _dropped(t: Any) -> bool:
    return isinstance(t, str) and t == "drop"


def _transformers(est: Any) -> list[Any]:
    """Every fitted ColumnTransformer in ``est`` (itself, or a step of a Pipeline)."""
    if getattr(est, "transformers_", None) is not None:
        return [est]
    steps = getattr(est, "steps", None) or []
    return [t for _, s in steps for t in _transformers(s)]


def _derived(ct: Any, attr: str) -> tuple[bool, list[str]]:
    """Whether ColumnTransformer ``ct`` keeps ``attr``, and the output columns made from it."""
    kept, derived = False, []
    for name, trans, cols in ct.transformers_:
        names = [cols] if isinstance(cols, str) else list(cols) if _is_list(cols) else []
        if attr not in names or _dropped(trans):
            continue
        kept = True
        out = [attr] if trans == "passthrough" else _names_out(trans, names)
        prefix = f"{name}__" if getattr(ct, "verbose_feature_names_out", True) else ""
        derived += [prefix + c for c in out if c == attr or c.startswith(f"{attr}_")]
    remainder = getattr(ct, "remainder", "drop")
    if not kept and not _dropped(remainder) and attr in _remainder_columns(ct):
        kept, derived = True, [f"remainder__{attr}"]
    return kept, derived


def _names_out(trans: Any, columns: list[str]) -> list[str]:
    """A fitted transformer's output column names ([] when it cannot name them)."""
    try:
        return [str(c) for c in trans.get_feature_names_out(columns)]
    except (ValueError, TypeError, AttributeError):
        return []


def _is_list(cols: Any) -> bool:
    return isinstance(cols, list | tuple) or type(cols).__name__ in {"ndarray", "Index"}


def _remainder_columns(ct: Any) -> list[str]:
    names = list(getattr(ct, "feature_names_in_", []))
    for n, _, cols in ct.transformers_:
        if n == "remainder":
            return [names[c] if isinstance(c, int) else str(c) for c in cols]
    return []


def describe_model(scorer: Any, *, protected: Sequence[str] = ()) -> dict:
    """The ``scorer`` section's description of the model behind a scorer.

    Parameters
    ----------
    scorer : object
        A Scorer; its fitted scikit-learn model is read from ``estimator_`` when it has one (the
        wrapper of ``as_scorer``), else the object itself is described.
    protected : list of str
        Protected attribute columns.

    Returns
    -------
    dict
        ``model`` (e.g. ``"Pipeline: ColumnTransformer(OneHotEncoder, StandardScaler) ->
        LogisticRegression"``) and ``direct_use``: per protected attribute among the columns the
        scorer reads (``feature_names``) that the model keeps, the model columns made from it
        (one-hot columns, or the attribute itself); empty when none is read.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> X = pd.DataFrame({"sex": ["f", "m", "f", "m"], "x": [0.0, 1, 2, 3]})
    >>> ct = ColumnTransformer([("cat", OneHotEncoder(), ["sex"]), ("num", StandardScaler(), ["x"])])
    >>> model = Pipeline([("pre", ct), ("lr", LogisticRegression())]).fit(X, [0, 1, 0, 1])
    >>> d = describe_model(model, protected=["sex"])
    >>> d["model"], d["direct_use"]
    ('Pipeline: ColumnTransformer(OneHotEncoder, StandardScaler) -> LogisticRegression', {'sex': ['cat__sex_f', 'cat__sex_m']})
    """
    model = getattr(scorer, "estimator_", None)
    model = scorer if model is None else model
    inputs = getattr(scorer, "feature_names", None)
    if inputs is None:
        inputs = getattr(model, "feature_names_in_", [])
    inputs = [str(c) for c in inputs]
    cts = _transformers(model)
    direct = {}
    for attr in (a for a in protected if a in inputs):
        if not cts:
            direct[attr] = [attr]
            continue
        kept, cols = _derived(cts[0], attr)  # the first one sees the raw columns
        if kept:
            direct[attr] = cols or [attr]
    return {"model": _name(model), "direct_use": direct}
