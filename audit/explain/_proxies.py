"""Proxy detection: features that identify a protected group *and* carry that group's score deficit.

What this is for: a scorer that never sees ethnicity can still score by it through a feature that
stands in for it (region, household registration, friends' listings). A feature is a proxy for a group
when both hold:

- **predictiveness**: the feature tells the group apart from the reference group. We use the AUC of
  the feature for "member of the group vs member of the reference group" (Mann-Whitney: probability
  that a random member of the group has a higher value than a random reference member, ties counted
  half), folded to ``max(AUC, 1 - AUC)`` in [0.5, 1] so the direction does not matter (0.5 = the
  feature says nothing about membership; 1 = it separates them perfectly). Pairwise against the
  reference, not one-vs-rest, because the gap it is combined with is also measured against the
  reference. Computed on everyone, exactly, from per-group histograms of the feature's values.
- **gap carried**: the feature's term in the score-gap decomposition (``gap_points``, points of the
  gap between the group's and the reference's mean score attributed to this feature) and its share of
  the gap, ``gap_share = gap_points / score_gap``.

Ranking: ``proxy_points = (2 * predictiveness - 1) * max(0, -gap_points)``, the points of the group's
deficit carried by the feature, weighted by how well the feature identifies the group (0 for a feature
that does not identify the group or does not lower its score). Candidates with ``proxy_points > 0``
are listed, largest first.

Must not import the metrics, report, population or scoring stages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["group_auc", "rank_proxies", "value_ranks"]


def value_ranks(values: pd.Series | np.ndarray) -> tuple[np.ndarray, int, bool]:
    """Dense codes (0..U-1) of a feature's distinct values, U, and whether the feature is nominal.

    Numeric features: codes follow the values (missing values rank lowest). Non-numeric features
    (categorical, strings, e.g. a protected attribute a scorer uses as a feature) are nominal: their
    categories have no order. Pass the result as ``values`` to ``group_auc`` to rank a feature once
    for several attributes.
    """
    if isinstance(values, tuple):
        return values
    if isinstance(values, pd.Series):
        numeric = values.dtype.kind in "biuf"  # categorical/str/object are nominal
        v = values.to_numpy(dtype=np.float64, na_value=np.nan) if numeric else None
    else:
        v = np.asarray(values)
        numeric = v.dtype.kind in "biuf"
    if not numeric:
        codes, _ = pd.factorize(pd.Series(values), use_na_sentinel=False)
        codes = codes.astype(np.int64)
        return codes, (int(codes.max()) + 1 if len(codes) else 1), True
    if v.dtype.kind == "f" and np.isnan(v).any():
        v = np.where(np.isnan(v), -np.inf, v)
    _, inv = np.unique(v, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64)
    return inv, (int(inv.max()) + 1 if len(inv) else 1), False


def group_auc(
    values: pd.Series | np.ndarray | tuple[np.ndarray, int, bool],
    codes: np.ndarray,
    ref_code: int,
) -> np.ndarray:
    """AUC of a feature for "group g vs the reference group", for every group g at once.

    For a numeric feature: ``P(value_g > value_ref) + 0.5 * P(value_g == value_ref)`` (Mann-Whitney).
    For a nominal feature the categories are first ordered by the likelihood ratio
    ``share in g / share in the reference`` — the ordering with the largest AUC, i.e. how well the
    best reading of the categories tells the two groups apart (never below 0.5).

    Parameters
    ----------
    values : array-like of shape (n,), or the triple from ``value_ranks``
        The feature.
    codes : ndarray of int of shape (n,)
        Group code of each person.
    ref_code : int
        Code of the reference group.

    Returns
    -------
    ndarray of shape (n_groups,)
        The AUC; NaN for the reference group itself and for empty groups.

    Examples
    --------
    >>> group_auc(np.array([1, 2, 3, 4]), np.array([0, 0, 1, 1]), 0).round(3).tolist()
    [nan, 1.0]
    >>> group_auc(np.array(["x", "y", "x", "y"]), np.array([0, 0, 1, 1]), 0).tolist()
    [nan, 0.5]
    """
    inv, U, nominal = value_ranks(values)
    G = int(codes.max()) + 1 if len(codes) else 1
    hist = np.bincount(codes * U + inv, minlength=G * U).reshape(G, U).astype(np.float64)
    n = hist.sum(axis=1)
    ref = hist[ref_code]
    auc = np.full(G, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not nominal:
            below = np.cumsum(ref) - ref  # reference members strictly below each value
            auc = hist @ (below + 0.5 * ref) / (n * n[ref_code])
        else:
            for g in range(G):  # a loop over groups, not people
                if n[g] == 0 or n[ref_code] == 0:
                    continue
                ratio = (hist[g] / n[g]) / (ref / n[ref_code])  # inf where the reference is absent
                order = np.argsort(np.nan_to_num(ratio, nan=0.0), kind="stable")
                hg, hr = hist[g][order], ref[order]
                auc[g] = hg @ (np.cumsum(hr) - hr + 0.5 * hr) / (n[g] * n[ref_code])
    auc[ref_code] = np.nan
    return auc


def rank_proxies(candidates: list[dict], *, top: int | None = 30) -> list[dict]:
    """Rank proxy candidates by ``proxy_points`` (largest first), keeping those above zero.

    Each candidate is a dict with at least ``feature``, ``attribute``, ``group``, ``predictiveness``
    and ``gap_points``; ``proxy_points`` and ``rank`` are added.
    """
    rows = []
    for c in candidates:
        pred = c["predictiveness"]
        if pred is None or not np.isfinite(pred):
            continue
        pts = (2.0 * pred - 1.0) * max(0.0, -c["gap_points"])
        if pts > 0:
            rows.append({**c, "proxy_points": float(pts)})
    rows.sort(key=lambda r: (-r["proxy_points"], r["attribute"], r["group"], r["feature"]))
    if top is not None:
        rows = rows[:top]
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return rows
