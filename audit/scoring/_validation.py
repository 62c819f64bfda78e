"""Input checks shared by the scorers: frames, columns, dtypes, missing values, labels.

Every check raises an ``AuditError`` whose message names the column, what was expected and what was
received. This module must not fit, score or read files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError, SchemaError

__all__ = [
    "require_binary_labels",
    "require_columns",
    "require_frame",
    "require_no_missing",
    "require_numeric",
]


def require_frame(X: object, *, who: str) -> pd.DataFrame:
    """Return ``X`` if it is a DataFrame with unique column names, else raise."""
    if not isinstance(X, pd.DataFrame):
        raise InvalidInputError(
            f"The 'X' argument of {who} must be a pandas DataFrame with named columns. "
            f"Got {type(X).__name__} instead."
        )
    if not X.columns.is_unique:
        dup = X.columns[X.columns.duplicated()].unique().tolist()
        raise SchemaError(f"X has duplicated column names {dup}; column names must be unique.")
    return X


def require_columns(X: pd.DataFrame, columns: Sequence[str], *, who: str) -> None:
    """Raise SchemaError naming every column of ``columns`` that ``X`` lacks."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        shown = ", ".join(repr(c) for c in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise SchemaError(
            f"X lacks {len(missing)} column(s) that {who} needs: {shown}{more}. "
            f"X has {X.shape[1]} columns."
        )


def require_numeric(X: pd.DataFrame, columns: Sequence[str], *, who: str) -> None:
    """Raise SchemaError naming columns whose dtype is not numeric or bool."""
    bad = [
        (c, X[c].dtype)
        for c in columns
        if not (pd.api.types.is_numeric_dtype(X[c].dtype) or pd.api.types.is_bool_dtype(X[c].dtype))
    ]
    if bad:
        listed = "; ".join(f"'{c}' has dtype {d}" for c, d in bad)
        raise SchemaError(
            f"{who} needs numeric feature columns (int, float or bool): {listed}. "
            "Convert them, or leave them out of the features."
        )


def require_no_missing(X: pd.DataFrame, columns: Sequence[str], *, who: str, why: str) -> None:
    """Raise SchemaError naming the columns of ``columns`` that hold missing values."""
    if not columns:
        return
    counts = X[list(columns)].isna().sum()
    bad = counts[counts > 0]
    if len(bad):
        listed = ", ".join(f"'{c}' ({int(k)})" for c, k in bad.items())
        raise SchemaError(f"Missing values in column(s) {listed}; {who} cannot take them: {why}.")


def require_binary_labels(y: object, n: int, *, who: str) -> np.ndarray:
    """Return ``y`` as an int8 array of 0/1 (1 = default), checking length and values."""
    if isinstance(y, (pd.DataFrame, str)):
        raise InvalidInputError(
            f"The 'y' argument of {who} must be a 1-D array of 0/1 labels (1 = default). "
            f"Got {type(y).__name__} instead."
        )
    arr = np.asarray(y.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(y, "to_numpy") else y)
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidInputError(
            f"The 'y' argument of {who} must be 1-D with one label per row of X ({n}). "
            f"Got shape {arr.shape} instead."
        )
    try:
        values = arr.astype(np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(
            f"The 'y' argument of {who} must hold 0/1 labels (1 = default). Got dtype {arr.dtype}."
        ) from e
    if np.isnan(values).any():
        raise InvalidInputError(
            f"The 'y' argument of {who} has {int(np.isnan(values).sum())} missing labels; "
            "drop those rows first."
        )
    found = np.unique(values)
    if not np.isin(found, (0.0, 1.0)).all():
        raise InvalidInputError(
            f"The 'y' argument of {who} must hold only 0 and 1 (1 = default). "
            f"Got values {found[:10].tolist()} instead."
        )
    if len(found) < 2:
        raise InvalidInputError(
            f"The 'y' argument of {who} must contain both 0 and 1 to learn from. "
            f"Got only {found.tolist()}."
        )
    return values.astype(np.int8)
