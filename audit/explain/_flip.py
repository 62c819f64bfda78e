"""Flip test: for a scorer that reads a protected attribute directly, would the blacklisted have been
spared with the reference group's value?

What this is for: a scorer that takes ``sex`` as an input can blacklist a person *because* of it.
The direct evidence is a query, not a model of the world: the same record with only that attribute
set to the reference group's value, scored again through ``score()`` (``decide()``). Everything else
stays as recorded, so this measures the attribute's direct effect only — not what changes *through*
other features that depend on it (for that a generator is needed, as synthetic runs have).

Per attribute the scorer reads: of the blacklisted people outside the reference group, how many the
scorer would not blacklist as the reference group, with a Wilson interval (Wilson 1927).
Must not import the metrics, cases, report, population or scoring stages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from audit.core import factorize_groups
from audit.exceptions import InvalidInputError, ScorerError
from audit.explain._direction import wilson

__all__ = ["FLIP_NOTE", "RecordTwins", "flip_test", "with_reference_value"]

FLIP_NOTE = (
    "flip test: the same record with only the protected attribute set to the reference group's "
    "value, scored again by the same scorer (its direct effect only; features that depend on the "
    "attribute keep their recorded values)"
)


def with_reference_value(
    X: pd.DataFrame, people: pd.DataFrame, attr: str, reference: str
) -> pd.DataFrame:
    """``X`` with column ``attr`` set to the raw value of the reference group in ``people`` (its
    first member's, so ``"1"`` maps back to the integer 1 and a categorical keeps its dtype)."""
    codes, names = factorize_groups(people[attr])
    members = np.flatnonzero(codes == names.index(reference))
    value = people[attr].iloc[members[0]]
    out = X.copy()
    out[attr] = pd.Series([value] * len(out), index=out.index, dtype=people[attr].dtype)
    return out


def flip_test(
    scorer: Any,
    people: pd.DataFrame,
    blacklisted: np.ndarray,
    *,
    attributes: Sequence[str],
    reference: Mapping[str, str],
    confidence: float = 0.95,
) -> dict | None:
    """The ``flip_test`` section: per protected attribute the scorer reads directly, the blacklisted
    people outside the reference group whose decision flips when only that attribute is set to the
    reference group's value. None when there is no such attribute.

    Parameters
    ----------
    scorer : object
        ``feature_names`` and ``decide(X)``.
    people : pandas.DataFrame
        Everyone: the scorer's features and the protected columns.
    blacklisted : array of bool
        Everyone's decision (aligned with ``people``).
    attributes : list of str
        The protected attributes the scorer reads directly (``audit.scoring.describe_model``'s
        ``direct_use``).
    reference : mapping of str to str
        Each attribute's reference group.

    Examples
    --------
    >>> class S:
    ...     feature_names, threshold = ["sex", "x"], 600.0
    ...     def decide(self, X):
    ...         return ((X["sex"] == "f") * 100 + X["x"]).to_numpy() > 50
    >>> people = pd.DataFrame({"sex": ["f", "f", "m", "f"], "x": [0, 60, 70, 10]})
    >>> out = flip_test(S(), people, S().decide(people), attributes=["sex"], reference={"sex": "m"})
    >>> out["attributes"]["sex"]["n_blacklisted"], out["attributes"]["sex"]["n_flipped"]
    (3, 2)
    """
    attrs = list(attributes)
    if not attrs:
        return None
    blacklisted = np.asarray(blacklisted, dtype=bool)
    features = list(scorer.feature_names)
    out = {}
    for attr in attrs:
        codes, names = factorize_groups(people[attr])
        rows = blacklisted & (codes != names.index(reference[attr]))
        X = with_reference_value(people.loc[rows, features], people, attr, reference[attr])
        try:
            still = np.asarray(scorer.decide(X), dtype=bool) if len(X) else np.zeros(0, bool)
        except Exception as exc:
            msg = f"The scorer failed on the flip test of {attr!r}: {type(exc).__name__}: {exc}"
            raise ScorerError(msg) from exc
        n, k = int(rows.sum()), int((~still).sum())
        out[attr] = {
            "reference": reference[attr],
            "n_blacklisted": n,
            "n_flipped": k,
            "share_flipped": k / n if n else None,
            "ci": wilson(k, n, confidence),
        }
    return {
        "attributes": out,
        "confidence": float(confidence),
        "method": "Wilson score interval (Wilson 1927) of the share flipped",
        "note": FLIP_NOTE,
    }


class RecordTwins:
    """Counterfactual twins of real records, for ``audit.cases.build_case_files``: the same row
    with one protected attribute set to a group's value (the flip test), through the interface the
    case files take from a population (``frame``, ``counterfactual(rows=..., **{attr: group})``).

    Examples
    --------
    >>> twins = RecordTwins(pd.DataFrame({"sex": ["f", "m"], "x": [1, 2]}))
    >>> twins.counterfactual(rows=[0], sex="m").to_dict("list")
    {'sex': ['m'], 'x': [1]}
    """

    twin_note = "twin = " + FLIP_NOTE

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def counterfactual(self, *, rows: Sequence[int], **change: str) -> pd.DataFrame:
        """The records at positions ``rows`` with the one attribute in ``change`` set to the
        raw value of the named group."""
        if len(change) != 1:
            msg = f"RecordTwins.counterfactual changes one attribute; got {sorted(change)}."
            raise InvalidInputError(msg)
        ((attr, group),) = change.items()
        return with_reference_value(self.frame.iloc[list(rows)], self.frame, attr, group)
