"""Independent oracles for the metrics tests (scipy's exact binomial intervals, one pair at a time)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def exact_mover(x1, n1, x2, n2, level):
    """MOVER-D and MOVER-R from scipy's exact (Clopper-Pearson) intervals, one pair at a time:
    an oracle independent of the vectorised beta quantiles (the formulas are pinned below by the
    published MOVER-R Wilson example)."""
    out = []
    for a, b, c, d in zip(*(np.atleast_1d(v) for v in (x1, n1, x2, n2)), strict=True):
        ci1 = stats.binomtest(int(a), int(b)).proportion_ci(level, method="exact")
        ci2 = stats.binomtest(int(c), int(d)).proportion_ci(level, method="exact")
        (l1, u1), (l2, u2), p1, p2 = (ci1.low, ci1.high), (ci2.low, ci2.high), a / b, c / d
        dl = p1 - p2 - math.hypot(p1 - l1, u2 - p2)
        du = p1 - p2 + math.hypot(u1 - p1, p2 - l2)
        rl = (
            0.0
            if a == 0
            else (
                p1 * p2
                - math.sqrt(max((p1 * p2) ** 2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2), 0))
            )
            / (u2 * (2 * p2 - u2))
        )
        ru = (
            math.inf
            if c == 0
            else (
                p1 * p2
                + math.sqrt(max((p1 * p2) ** 2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2), 0))
            )
            / (l2 * (2 * p2 - l2))
        )
        out.append((dl, du, rl, ru))
    return np.array(out).T  # fmt: skip
