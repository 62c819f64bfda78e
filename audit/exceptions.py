"""Errors and warnings of `audit`: one tree, so callers can catch everything with ``AuditError``.

Each error also subclasses the builtin a caller would expect, so ``except ValueError`` keeps working::

    AuditError(Exception)                      base of everything raised on purpose
    ├── InvalidInputError(AuditError, ValueError)   bad data or argument: names field, expected, got
    │   ├── SpecError                               a scenario TOML is invalid (file + key path)
    │   └── SchemaError                             a table lacks columns / has wrong dtypes or values
    ├── ScorerError(AuditError, TypeError)          a scorer breaks the Scorer contract
    │   └── NotFittedError(ScorerError, RuntimeError)  scorer used before ``fit``
    └── UnsafeModelFileError(AuditError, ValueError)   a model file that could run code (pickle, joblib)

    AuditWarning(UserWarning)
    └── SmallGroupWarning                           a group below ``min_group_size``; metrics suppressed

Messages follow one template: subject, requirement, what was received, and the fix when known.
This module must not import anything from the rest of the package.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "AuditWarning",
    "InvalidInputError",
    "NotFittedError",
    "SchemaError",
    "ScorerError",
    "SmallGroupWarning",
    "SpecError",
    "UnsafeModelFileError",
]


class AuditError(Exception):
    """Base class of every error `audit` raises on purpose."""


class InvalidInputError(AuditError, ValueError):
    """Input data or an argument is not what the function needs."""


class SpecError(InvalidInputError):
    """A scenario specification is invalid.

    Attributes
    ----------
    path : str or None
        The file the spec came from, if any.
    key : str or None
        Dotted key path of the offending entry, e.g. ``features.gaming_hours.parents``.
    """

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None):
        self.path = path
        self.key = key
        where = ": ".join(p for p in (path, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class SchemaError(InvalidInputError):
    """A table lacks a required column, or a column has the wrong dtype or values."""


class ScorerError(AuditError, TypeError):
    """A scorer does not satisfy the Scorer contract."""


class NotFittedError(ScorerError, RuntimeError):
    """A scorer was used before it was fitted."""


class UnsafeModelFileError(AuditError, ValueError):
    """A model file whose loading could execute arbitrary code was refused."""


class AuditWarning(UserWarning):
    """Base class of warnings `audit` emits."""


class SmallGroupWarning(AuditWarning):
    """A group is smaller than ``min_group_size``; its metrics are reported as suppressed."""
