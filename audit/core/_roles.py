"""Column roles and the one rule for matching ``positive`` (the adverse value) in a column.

What it is for: :class:`Roles` says which column plays which part in an audit (label, decision,
protected attributes, score, observed label), checked once by :func:`make_roles`; and
:func:`adverse_mask` is the only place where ``positive`` is compared with a column, used by every
stage (metrics, cases, pipeline) so that a value matches the same way everywhere.
What it must not do: count, compute metrics, read files, or loop over rows in Python.

How ``positive`` is matched (never guessed, never inverted)
---------------------------------------------------------
``positive`` is the value meaning the adverse outcome (blacklisted / defaulted) in *both* the label
and the decision column. It is compared with each column according to that column's dtype:

* boolean column: ``True``/``False``, ``1``/``0`` or the strings ``"true"``/``"false"``/``"1"``/``"0"``
  (any case) name the adverse value;
* numeric column: a number, or a string that parses as one (``"1"`` matches ``1`` and ``1.0``);
* text, object or categorical column: compared as text, ``str(positive)`` (``1`` matches ``"1"``).

A column may hold the positive value and at most one other value. A column with two distinct values
neither of which is ``positive`` is an error (so a misspelt ``positive`` cannot silently invert the
audit); so is a ``positive`` that occurs in neither column (checked once all chunks are counted).
The user's ``positive`` is recorded as given (``meta.positive``); the value found in each column is
recorded beside it (``meta.values``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError, SchemaError

__all__ = ["Roles", "adverse_mask", "make_roles", "first_row", "plain", "show_values"]

_MAX_SHOWN = 6


def show_values(values: Sequence[object]) -> str:
    """A short, readable list of values for an error message."""
    shown = ", ".join(repr(plain(v)) for v in list(values)[:_MAX_SHOWN])
    more = len(values) - _MAX_SHOWN
    return shown + (f", ... ({more} more)" if more > 0 else "")


def plain(value: object) -> object:
    """A numpy scalar as the Python scalar it stands for."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Roles:
    """Which column plays which part in an audit.

    Parameters
    ----------
    label, decision : str
        Columns of the adverse label (defaulted / violated) and of the decision (blacklisted).
    protected : tuple of str
        Protected attribute columns.
    score : str or None
        Optional score column (higher = more trustworthy unless told otherwise).
    observed_label : str or None
        Optional second label column (synthetic runs: the recorded label beside the ground truth).
    """

    label: str
    decision: str
    protected: tuple[str, ...]
    score: str | None = None
    observed_label: str | None = None

    def columns(self) -> list[str]:
        """All columns the audit reads, each once, in a fixed order."""
        cols = [self.label, self.decision, *self.protected, self.score, self.observed_label]
        out: list[str] = []
        for c in cols:
            if c is not None and c not in out:
                out.append(c)
        return out

    def binary(self) -> dict[str, str]:
        """Role name -> column for the columns that must be binary."""
        out = {"label": self.label, "decision": self.decision}
        if self.observed_label is not None:
            out["observed_label"] = self.observed_label
        return out


def make_roles(
    label: str,
    decision: str,
    protected: str | Sequence[str],
    score: str | None,
    observed_label: str | None,
) -> Roles:
    """Check the column-name arguments and bundle them into :class:`Roles`."""
    if isinstance(protected, str):
        protected = [protected]
    protected = tuple(protected)
    if not protected:
        raise InvalidInputError(
            "The 'protected' parameter must name at least one column (got an empty list)."
        )
    for role, name in (("label", label), ("decision", decision)):
        if not isinstance(name, str):
            raise InvalidInputError(
                f"The '{role}' parameter must be a column name (str); got {type(name).__name__}."
            )
    for role, name in (("score", score), ("observed_label", observed_label)):
        if name is not None and not isinstance(name, str):
            raise InvalidInputError(
                f"The '{role}' parameter must be a column name (str) or None; "
                f"got {type(name).__name__}."
            )
    for p in protected:
        if not isinstance(p, str):
            raise InvalidInputError(
                f"The 'protected' parameter must list column names (str); got {p!r}."
            )
    if len(set(protected)) != len(protected):
        raise InvalidInputError(f"The 'protected' columns must be distinct; got {list(protected)}.")
    clash = {label, decision, score, observed_label} & set(protected)
    if clash:
        raise InvalidInputError(
            f"Column {sorted(clash)[0]!r} cannot be both a protected attribute and the label, "
            "decision, score or observed label."
        )
    return Roles(label, decision, protected, score, observed_label)


def _positive_as_bool(positive: object, column: str, role: str) -> bool:
    if isinstance(positive, bool | np.bool_):
        return bool(positive)
    if isinstance(positive, numbers.Number) and positive in (0, 1):
        return bool(positive)
    if isinstance(positive, str) and positive.strip().lower() in ("true", "1", "false", "0"):
        return positive.strip().lower() in ("true", "1")
    raise SchemaError(
        f"positive={positive!r} cannot be matched with boolean column {column!r} ({role}); "
        "expected True/False, 1/0 or 'true'/'false'."
    )


def _positive_as_number(positive: object, column: str, role: str) -> float | int:
    if isinstance(positive, bool | np.bool_):
        return int(positive)
    if isinstance(positive, numbers.Number):
        return positive  # type: ignore[return-value]
    if isinstance(positive, str):
        try:
            value = float(positive.strip())
        except ValueError:
            pass
        else:
            return int(value) if value.is_integer() else value
    raise SchemaError(
        f"positive={positive!r} cannot be matched with numeric column {column!r} ({role}); "
        "expected a number (or a string holding one, e.g. '1')."
    )


def first_row(mask: np.ndarray, row_offset: int) -> int:
    return int(np.flatnonzero(mask)[0]) + row_offset


def adverse_mask(
    values: pd.Series, positive: object, *, column: str, role: str, row_offset: int = 0
) -> tuple[np.ndarray, object | None]:
    """Which rows hold the adverse (``positive``) value, and the one other value seen.

    Parameters
    ----------
    values : pandas.Series
        The label or decision column (or a chunk of it).
    positive : object
        The value meaning the adverse outcome; matched by dtype as the module docstring describes.
    column, role : str
        Column name and its part ("label", "decision", "observed_label"), for error messages.
    row_offset : int
        Position of the chunk's first row in the whole data (for error messages).

    Returns
    -------
    mask : numpy.ndarray of bool
        True where the value is the adverse one.
    other : object or None
        The single non-adverse value present (a Python scalar), or None if every row is adverse.

    Raises
    ------
    SchemaError
        Missing values, more than one non-adverse value, or a ``positive`` that cannot be compared.
    """
    numpy_int = isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub"
    na = None if numpy_int else values.isna().to_numpy()  # numpy ints and bools have no NaN
    if na is not None and na.any():
        raise SchemaError(
            f"Column {column!r} ({role}) has {int(na.sum())} missing value(s) (first at row "
            f"{first_row(na, row_offset)}); it must hold the positive value {positive!r} or one "
            "other value in every row."
        )
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = pd.Series(np.asarray(dtype.categories))
        cat_mask, _ = adverse_mask(categories, positive, column=column, role=role)
        codes = values.cat.codes.to_numpy()
        present = np.bincount(codes, minlength=len(categories)) > 0
        others = categories[present & ~cat_mask].tolist()
        mask = cat_mask[codes]
    elif pd.api.types.is_bool_dtype(dtype):
        pos = _positive_as_bool(positive, column, role)
        arr = values.to_numpy(dtype=bool)
        mask = arr if pos else ~arr
        others = [not pos] if not mask.all() else []
    elif pd.api.types.is_numeric_dtype(dtype):
        pos = _positive_as_number(positive, column, role)
        arr = values.to_numpy()
        if arr.dtype == object:
            arr = arr.astype(np.float64)
        mask = arr == pos
        if mask.all():
            others = []
        else:
            candidate = arr[np.argmin(mask)]  # the first non-adverse value
            fine = mask | (arr == candidate)
            others = [candidate.item()]
            if not fine.all():
                others += np.unique(arr[~fine]).tolist()
    else:
        text = values.astype("str")
        mask = (text == str(positive)).to_numpy(dtype=bool)
        others = pd.unique(text[~mask]).tolist()
    if len(others) > 1:
        raise SchemaError(
            f"Column {column!r} ({role}) must hold the positive (adverse) value {positive!r} and at "
            f"most one other value; got {len(others)} other values: {show_values(others)}. Recode the "
            "column to two values, or pass the adverse value as positive=..."
        )
    return mask, (plain(others[0]) if others else None)
