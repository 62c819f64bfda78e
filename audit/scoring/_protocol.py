"""The `Scorer` contract and the adapters that turn other things into Scorers.

The audit only ever calls ``score(X)``, ``decide(X)``, ``feature_names`` and ``threshold``: a regulator
querying a deployed system (DESIGN principle 1). ``as_scorer`` makes a Scorer from a fitted
scikit-learn classifier, a Python callable returning scores, or a model file (``load_scorer``, which
reads it through ``_io``'s allow-list); an existing Scorer is returned unchanged. This module must not
train anything or compute fairness metrics.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError, ScorerError
from audit.scoring._io import read_model
from audit.scoring._mapping import SCORE_MAX, SCORE_MIN, check_threshold
from audit.scoring._scorer import DEFAULT_THRESHOLD, SocialCreditScorer, _as_name_list
from audit.scoring._validation import require_columns, require_frame

__all__ = ["CallableScorer", "Scorer", "as_scorer", "is_scorer", "load_scorer"]

_MEMBERS = ("score", "decide", "feature_names", "threshold")


class _ScorerMeta(type(Protocol)):
    """``isinstance(obj, Scorer)`` looks members up statically: no property runs, so an unfitted
    scorer whose ``feature_names`` raises ``NotFittedError`` is still recognised (on Python 3.11
    the default check calls ``hasattr``, which runs properties)."""

    def __instancecheck__(cls, obj: Any) -> bool:
        if cls.__name__ == "Scorer" and cls.__module__ == __name__:
            return is_scorer(obj)
        return super().__instancecheck__(obj)


@runtime_checkable
class Scorer(Protocol, metaclass=_ScorerMeta):
    """What the audit needs from a scorer: query access only.

    ``score(X)``
        float64 array of shape ``(len(X),)`` in [350, 950]; higher = more trustworthy. Must be
        deterministic, depend on each row alone (row order and chunking do not matter), read only
        the columns in ``feature_names`` and never require the protected columns unless it names
        them there.
    ``decide(X)``
        bool array of shape ``(len(X),)``: True = blacklisted, equal to ``score(X) < threshold``.
    ``feature_names``
        list of the column names ``score`` reads.
    ``threshold``
        the blacklist threshold, a number in [350, 950].

    ``audit.check_scorer(scorer, X)`` runs these rules. ``isinstance(obj, Scorer)`` checks only
    that the four members exist.
    """

    @property
    def feature_names(self) -> list[str]: ...

    @property
    def threshold(self) -> float: ...

    def score(self, X: pd.DataFrame) -> np.ndarray: ...

    def decide(self, X: pd.DataFrame) -> np.ndarray: ...


def scorer_members_missing(obj: Any) -> list[str]:
    """The Scorer members ``obj`` lacks (looked up without running properties)."""
    missing = object()
    return [m for m in _MEMBERS if inspect.getattr_static(obj, m, missing) is missing]


def is_scorer(obj: Any) -> bool:
    """True if ``obj`` has the four Scorer members (looked up without running properties)."""
    return not scorer_members_missing(obj)


class CallableScorer:
    """A Scorer over a Python callable ``fn(X[feature_names]) -> scores in [350, 950]``.

    Each call checks the output: one finite float per row, within [350, 950]; anything else raises
    ``ScorerError``. To wrap a function returning probabilities of default, compose it with
    ``audit.scoring.proba_to_score``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = CallableScorer(lambda X: 900 - 100 * X["missed"], feature_names=["missed"], threshold=700)
    >>> s.decide(pd.DataFrame({"missed": [0, 3]})).tolist()
    [False, True]
    """

    def __init__(
        self,
        fn: Callable[[pd.DataFrame], Any],
        *,
        feature_names: Sequence[str],
        threshold: float = DEFAULT_THRESHOLD,
    ):
        if not callable(fn):
            raise InvalidInputError(f"CallableScorer needs a callable. Got {type(fn).__name__}.")
        self.fn = fn
        self._feature_names = _as_name_list(feature_names, "feature_names")
        self._threshold = check_threshold(threshold, owner="CallableScorer")

    @property
    def feature_names(self) -> list[str]:
        """Columns passed to the callable."""
        return list(self._feature_names)

    @property
    def threshold(self) -> float:
        """Blacklist threshold: ``decide(X) = score(X) < threshold``."""
        return self._threshold

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Call the function on ``X[feature_names]`` and check its output."""
        X = require_frame(X, who="CallableScorer.score")
        require_columns(X, self._feature_names, who="the scorer")
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        out = self.fn(X[self._feature_names])
        try:
            scores = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ScorerError(
                f"The scoring function {name!r} must return numbers; got {type(out).__name__}."
            ) from e
        if scores.shape != (len(X),):
            raise ScorerError(
                f"The scoring function {name!r} must return one score per row, shape "
                f"({len(X)},); got shape {scores.shape}."
            )
        bad = ~np.isfinite(scores) | (scores < SCORE_MIN) | (scores > SCORE_MAX)
        if bad.any():
            raise ScorerError(
                f"The scoring function {name!r} must return finite scores in "
                f"[{SCORE_MIN:g}, {SCORE_MAX:g}]; {int(bad.sum())} of {len(X)} are not "
                f"(e.g. {scores[bad][0]!r}). Map probabilities with "
                "audit.scoring.proba_to_score."
            )
        return scores

    def decide(self, X: pd.DataFrame) -> np.ndarray:
        """Blacklist decisions: True where ``score(X) < threshold``."""
        return self.score(X) < self._threshold

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        return f"CallableScorer({name}, feature_names={self._feature_names}, threshold={self._threshold:g})"


def as_scorer(
    obj: Any,
    *,
    threshold: float | None = None,
    feature_names: Sequence[str] | None = None,
) -> Scorer:
    """Make a Scorer of ``obj``.

    Parameters
    ----------
    obj : Scorer, fitted scikit-learn classifier, callable, or path to a skops model file
        - a Scorer (has ``score``, ``decide``, ``feature_names``, ``threshold``): returned unchanged;
        - a fitted classifier with ``predict_proba``: probability of default (class 1) through the
          same points scale as ``SocialCreditScorer`` (``SocialCreditScorer.from_estimator``);
        - a callable ``fn(X) -> scores in [350, 950]``: a ``CallableScorer``
          (``feature_names`` required);
        - a ``str`` or ``os.PathLike``: ``audit.load_scorer(obj)``.
    threshold : float or None
        Blacklist threshold for a classifier or callable (default 500). Not allowed with an
        existing Scorer, whose threshold is its own.
    feature_names : list of str or None
        Columns the classifier or callable reads (classifier default: its ``feature_names_in_``).

    Raises
    ------
    ScorerError
        ``obj`` cannot be made a Scorer (``NotFittedError`` for an unfitted classifier).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5]})
    >>> scorer = as_scorer(LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1]), threshold=600)
    >>> scorer.threshold, scorer.feature_names
    (600, ['a'])
    >>> as_scorer(scorer) is scorer
    True
    """
    if isinstance(obj, (str, os.PathLike)):
        return load_scorer(obj, threshold=threshold, feature_names=feature_names)
    if is_scorer(obj):
        if threshold is not None or feature_names is not None:
            raise InvalidInputError(
                f"{type(obj).__name__} is already a Scorer with its own threshold and "
                "feature_names; as_scorer cannot override them (set them on the scorer itself, "
                "e.g. scorer.set_params(threshold=...))."
            )
        return obj
    if hasattr(obj, "predict_proba") and hasattr(obj, "fit"):
        return SocialCreditScorer.from_estimator(
            obj,
            feature_names=feature_names,
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        )
    if callable(obj):
        if feature_names is None:
            raise InvalidInputError(
                "as_scorer needs feature_names=[...] for a callable: the columns it reads."
            )
        return CallableScorer(
            obj,
            feature_names=feature_names,
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        )
    raise ScorerError(
        f"as_scorer cannot make a Scorer of {type(obj).__name__}: expected a Scorer, a fitted "
        "scikit-learn classifier with predict_proba, a callable returning scores, or a path to "
        "a .skops model file."
    )


def load_scorer(
    path: str | os.PathLike[str],
    *,
    threshold: float | None = None,
    feature_names: list[str] | None = None,
) -> Scorer:
    """Load a scorer from a skops file, constructing only trusted types.

    Parameters
    ----------
    path : str or PathLike
        A file written by ``scorer.save(path)`` (or ``skops.io.dump`` of a fitted scikit-learn
        classifier, which is then wrapped with ``as_scorer``).
    threshold, feature_names
        Only for a file holding a plain classifier (see ``as_scorer``).

    Returns
    -------
    Scorer

    Raises
    ------
    UnsafeModelFileError
        A pickle/joblib file (loading it would run arbitrary code), or a skops file that would
        construct types outside the allow-list (they are named).
    InvalidInputError
        The file is missing, or is not a skops model file, or holds no scorer.

    Examples
    --------
    >>> load_scorer("model.pkl")  # doctest: +SKIP
    Traceback (most recent call last):
    UnsafeModelFileError: Refusing to load 'model.pkl': ...
    """
    path = Path(path)
    obj = read_model(path)
    if isinstance(obj, SocialCreditScorer):
        if threshold is not None or feature_names is not None:
            raise InvalidInputError(
                f"'{path}' holds a SocialCreditScorer with its own threshold and feature_names; "
                "set them on the loaded scorer instead (scorer.set_params(threshold=...))."
            )
        obj._require_fitted("use")
        return obj
    if hasattr(obj, "predict_proba"):
        return as_scorer(obj, threshold=threshold, feature_names=feature_names)
    raise InvalidInputError(
        f"'{path}' holds a {type(obj).__name__}, not a scorer or a classifier with predict_proba."
    )
