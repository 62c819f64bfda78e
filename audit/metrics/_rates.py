"""Rates from confusion counts, and their disparities, with fairlearn's definitions.

What it is for: evaluating the registry of group metrics (:data:`audit.core.METRICS`, each a
proportion ``numerator / denominator`` of confusion cells) on count arrays of any leading shape
(groups, groups x thresholds), and fairlearn's two ways of
aggregating a metric over groups (``difference`` / ``ratio`` with ``between_groups`` or
``to_overall``).
What it must not do: see rows, draw random numbers, or decide what is reported.

"Positive" is the adverse outcome (blacklisted; defaulted): fairlearn's ``selection_rate`` is our
``adverse_rate`` and a false positive is a *wrongful blacklisting*. Undefined rates (a zero
denominator) are NaN here and ``null`` in ``audit.json``; fairlearn reports some of them as 0.
"""

from __future__ import annotations

import numpy as np

from audit.core import CELLS, METRICS

__all__ = ["aggregate", "rate_matrix", "rates"]


def rates(cells: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` for each row of ``cells`` (last axis tn, fp, fn, tp)."""
    return {name: metric(cells) for name, metric in METRICS.items()}


def rate_matrix(cells: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The metrics ``names`` for each row of ``cells`` at once: shape ``cells.shape[:-1] + (M,)``.

    Numerators and denominators are matrix products with 0/1 weights, so thousands of bootstrap
    replicates cost one pass. NaN where a denominator is 0.
    """
    num_w = np.array([[c in METRICS[n].numerator for c in CELLS] for n in names], float).T
    den_w = np.array([[c in METRICS[n].denominator for c in CELLS] for n in names], float).T
    x = np.asarray(cells, dtype=np.float64)
    num, den = x @ num_w, x @ den_w
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def aggregate(by_group: np.ndarray, overall: np.ndarray, *, kind: str, method: str) -> np.ndarray:
    """fairlearn's ``MetricFrame.difference`` / ``ratio`` over the last axis of ``by_group``.

    Parameters
    ----------
    by_group : numpy.ndarray
        Metric per group along the last axis (leading axes, e.g. bootstrap replicates, are kept).
        NaN marks a group left out (undefined or too small).
    overall : numpy.ndarray
        The metric over all rows, shape ``by_group.shape[:-1]``.
    kind : {"difference", "ratio"}
    method : {"between_groups", "to_overall"}
        ``between_groups``: max - min (difference) or min / max (ratio) over groups.
        ``to_overall``: the largest ``|group - overall|`` (difference), or the smallest of
        ``min(group / overall, overall / group)`` (ratio).

    Returns
    -------
    numpy.ndarray
        Shape ``by_group.shape[:-1]``; NaN where no group is defined or the ratio is 0 / 0.
    """
    if method not in ("between_groups", "to_overall") or kind not in ("difference", "ratio"):
        raise ValueError(f"unknown aggregation {kind!r} / {method!r}")
    if by_group.shape[-1] == 0:
        return np.full(by_group.shape[:-1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "between_groups":
            hi = np.fmax.reduce(by_group, axis=-1)
            lo = np.fmin.reduce(by_group, axis=-1)
            if kind == "difference":
                return hi - lo
            return np.where(hi > 0, lo / hi, np.nan)
        o = np.asarray(overall)[..., None]
        if kind == "difference":
            return np.fmax.reduce(np.abs(by_group - o), axis=-1)
        up, down = by_group / o, o / by_group
        r = np.where(up > 1, down, up)
        r = np.where((by_group == 0) & (o == 0), np.nan, r)
        return np.fmin.reduce(r, axis=-1)
