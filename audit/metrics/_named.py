"""Named disparity metrics in fairlearn's grammar, ``<rate>_<aggregation>``, for arrays.

What it is for: five-line functions with fairlearn's calling convention
(``f(y_true, y_pred, *, sensitive_features, method=...)``) over the count engine, whose docstrings
state the definition and the ideal value; :data:`DISPARITY_FUNCTIONS` registers them for the
common tests. Like fairlearn they suppress nothing: no ``min_group_size`` here (use
:func:`audit_decisions` for an audit with honest small-group handling).
What it must not do: anything :func:`audit_decisions` does beyond a single number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from audit.core import METRICS, choose_reference
from audit.exceptions import InvalidInputError
from audit.metrics._counts import GroupTable, count_groups
from audit.metrics._rates import aggregate

__all__ = [
    "DISPARITY_FUNCTIONS",
    "adverse_rate_difference",
    "adverse_rate_ratio",
    "false_negative_rate_difference",
    "false_negative_rate_ratio",
    "impact_ratios",
    "wrongful_blacklisting_rate_difference",
    "wrongful_blacklisting_rate_ratio",
]

Method = Literal["between_groups", "to_overall"]


def _table(y_true, y_pred, sensitive_features, positive) -> GroupTable:
    """Counts of the full intersection of ``sensitive_features`` (fairlearn's grouping)."""
    if isinstance(sensitive_features, pd.DataFrame):
        features = {f"sf:{c}": sensitive_features[c].to_numpy() for c in sensitive_features}
    elif isinstance(sensitive_features, Mapping):
        features = {f"sf:{k}": np.asarray(v) for k, v in sensitive_features.items()}
    else:
        arr = np.asarray(sensitive_features)
        cols = [arr] if arr.ndim == 1 else list(arr.T)
        features = {f"sf:{i}": c for i, c in enumerate(cols)}
    lengths = {len(y_true), len(y_pred), *(len(v) for v in features.values())}
    if len(lengths) > 1:
        raise InvalidInputError(
            "y_true, y_pred and sensitive_features must have the same length; got lengths "
            f"{len(y_true)}, {len(y_pred)} and {[len(v) for v in features.values()]}."
        )
    frame = pd.DataFrame({"y_true": np.asarray(y_true), "y_pred": np.asarray(y_pred), **features})
    counts = count_groups(
        frame,
        label="y_true",
        decision="y_pred",
        protected=list(features),
        positive=positive,
        intersections=len(features),
    )
    return list(counts.tables.values())[-1]


def _aggregate(metric: str, kind: str, y_true, y_pred, sensitive_features, method, positive):
    cells = _table(y_true, y_pred, sensitive_features, positive).cells
    m = METRICS[metric]
    return float(aggregate(m(cells), m(cells.sum(axis=0)), kind=kind, method=method))


def adverse_rate_difference(
    y_true, y_pred, *, sensitive_features, method: Method = "between_groups", positive=1
) -> float:
    """Largest gap in adverse (blacklisting) rates between groups.

    ``adverse_rate = (fp + tp) / n``, the share blacklisted (fairlearn's ``selection_rate``;
    this is ``selection_rate_difference`` / ``demographic_parity_difference``).
    ``between_groups``: max - min over groups; ``to_overall``: largest ``|group - overall|``.
    Ideal value: 0. ``y_true`` is only checked, as in fairlearn.

    Examples
    --------
    >>> adverse_rate_difference([0, 0, 0, 0], [1, 0, 1, 1], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return _aggregate("adverse_rate", "difference", y_true, y_pred, sensitive_features, method,
                      positive)  # fmt: skip


def adverse_rate_ratio(
    y_true, y_pred, *, sensitive_features, method: Method = "between_groups", positive=1
) -> float:
    """Smallest ratio of adverse (blacklisting) rates between groups.

    ``between_groups``: min / max of ``(fp + tp) / n`` over groups (fairlearn's
    ``selection_rate_ratio`` / ``demographic_parity_ratio``); ``to_overall``: smallest
    ``min(group / overall, overall / group)``. Ideal value: 1. Note that the four-fifths rule uses
    the ratio of *favourable* rates instead (:func:`impact_ratios`).
    """
    return _aggregate("adverse_rate", "ratio", y_true, y_pred, sensitive_features, method,
                      positive)  # fmt: skip


def wrongful_blacklisting_rate_difference(
    y_true, y_pred, *, sensitive_features, method: Method = "between_groups", positive=1
) -> float:
    """Largest gap in wrongful blacklisting rates between groups.

    Wrongful blacklisting rate = ``fp / (fp + tn)``: the share blacklisted among people whose label
    is not adverse (fairlearn's ``false_positive_rate``; this is
    ``false_positive_rate_difference``). Groups without such people are left out (fairlearn
    counts them as 0). Ideal value: 0.
    """
    return _aggregate("fpr", "difference", y_true, y_pred, sensitive_features, method, positive)


def wrongful_blacklisting_rate_ratio(
    y_true, y_pred, *, sensitive_features, method: Method = "between_groups", positive=1
) -> float:
    """Smallest ratio of wrongful blacklisting rates ``fp / (fp + tn)`` between groups.

    fairlearn's ``false_positive_rate_ratio``: min / max over groups (``between_groups``) or the
    smallest ``min(group / overall, overall / group)`` (``to_overall``). Ideal value: 1.
    """
    return _aggregate("fpr", "ratio", y_true, y_pred, sensitive_features, method, positive)


def false_negative_rate_difference(
    y_true, y_pred, *, sensitive_features, method: Method = "between_groups", positive=1
) -> float:
    """Largest gap in false negative rates ``fn / (fn + tp)`` between groups.

    The share *not* blacklisted among people whose label is adverse (fairlearn's
    ``false_negative_rate_difference``). Ideal value: 0.
    """
    return _aggregate("fnr", "difference", y_true, y_pred, sensitive_features, method, positive)


def false_negative_rate_ratio(
    y_true, y_pred, *, sensitive_features, method: Method = "between_groups", positive=1
) -> float:
    """Smallest ratio of false negative rates ``fn / (fn + tp)`` between groups.

    fairlearn's ``false_negative_rate_ratio``. Ideal value: 1.
    """
    return _aggregate("fnr", "ratio", y_true, y_pred, sensitive_features, method, positive)


def impact_ratios(
    y_pred, *, sensitive_features, reference: str | None = None, positive=1
) -> dict[str, float]:
    """Impact ratio of each group: its favourable rate over the reference group's.

    Favourable rate = ``(tn + fn) / n``, the share *not* blacklisted. The reference is the group
    named, else the one rule of the audit (:func:`audit.core.choose_reference`: the largest group),
    never a group chosen by its outcome. Ideal value: 1; outside 0.8–1.25 fails the four-fifths rule.
    (The EEOC's own comparison with the most favoured group is ``adverse_rate_ratio``'s
    ``between_groups`` on favourable rates, or the LL144 table of :func:`audit_decisions`.)

    Examples
    --------
    >>> impact_ratios([1, 0, 0, 0, 1, 1, 0, 0], sensitive_features=list("aaaabbbb"), reference="a")
    {'a': 1.0, 'b': 0.6666666666666666}
    """
    y_pred = np.asarray(y_pred)
    table = _table(y_pred, y_pred, sensitive_features, positive)
    names = table.group_names
    ref, _ = choose_reference(names, table.n, requested=reference, grouping="sensitive_features")
    fav = METRICS["favourable_rate"](table.cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = fav / fav[ref]
    return {name: float(r) for name, r in zip(names, ratio, strict=True)}


#: name -> (function, metric key in METRICS, aggregation, fairlearn function name).
DISPARITY_FUNCTIONS = {
    "adverse_rate_difference": (adverse_rate_difference, "adverse_rate", "difference",
                                "selection_rate_difference"),
    "adverse_rate_ratio": (adverse_rate_ratio, "adverse_rate", "ratio", "selection_rate_ratio"),
    "wrongful_blacklisting_rate_difference": (wrongful_blacklisting_rate_difference, "fpr",
                                              "difference", "false_positive_rate_difference"),
    "wrongful_blacklisting_rate_ratio": (wrongful_blacklisting_rate_ratio, "fpr", "ratio",
                                         "false_positive_rate_ratio"),
    "false_negative_rate_difference": (false_negative_rate_difference, "fnr", "difference",
                                       "false_negative_rate_difference"),
    "false_negative_rate_ratio": (false_negative_rate_ratio, "fnr", "ratio",
                                  "false_negative_rate_ratio"),
}  # fmt: skip
