"""Planning an audit: how many people per group it needs to see a given disparity.

What it is for: :func:`plan_audit` answers "how large must each group be?" before any data is
collected, for the two questions an audit asks of a group whose rate is ``ratio`` × the reference
group's ``rate``: would a test of equality *detect* the difference (two-proportion test on the
arcsine scale, Cohen 1988), and would the verdict *FAIL* it (its simultaneous interval wholly
outside the band ``[threshold, 1/threshold]``; the verdict's MOVER-R Clopper–Pearson half-width
at the expected counts)? Both at the Bonferroni level over ``groups − 1`` comparisons with the
reference (``alpha / (groups − 1)``).
What it must not do: see data (``audit_decisions`` reports what a finished audit could detect).
"""

from __future__ import annotations

from audit.core import band, check_fraction, check_int
from audit.exceptions import InvalidInputError
from audit.metrics._intervals import n_to_detect, n_to_fail

__all__ = ["plan_audit"]


def plan_audit(
    rate: float,
    ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    groups: int = 2,
    threshold: float = 0.8,
) -> dict:
    """People per group an audit needs to detect, and to FAIL, a rate ratio.

    Parameters
    ----------
    rate : float
        The reference group's rate (e.g. its wrongful blacklisting rate), in (0, 1).
    ratio : float
        The other group's rate ÷ ``rate`` (e.g. 1.5); ``ratio × rate`` must be below 1.
    alpha : float, default 0.05
        Family-wise error rate; split by Bonferroni over ``groups − 1`` comparisons.
    power : float, default 0.8
        Chance of detecting (or failing) the disparity when it is real.
    groups : int, default 2
        Groups of the attribute, the reference included.
    threshold : float, default 0.8
        The criterion's band ``[threshold, 1/threshold]``.

    Returns
    -------
    dict
        ``n_detect`` and ``n_fail`` (people per group, equal sizes; ``n_fail`` is None when the
        ratio lies inside the band: such a group never fails), the inputs, and ``method``.

    Examples
    --------
    >>> plan = plan_audit(0.05, 1.5, groups=2)
    >>> plan["n_detect"] < plan["n_fail"]
    True
    """
    check_fraction(rate, "rate", open_low=True, open_high=True, caller="plan_audit")
    check_fraction(alpha, "alpha", open_low=True, open_high=True, caller="plan_audit")
    check_fraction(power, "power", open_low=True, open_high=True, caller="plan_audit")
    check_fraction(threshold, "threshold", open_low=True, caller="plan_audit")
    check_int(groups, "groups", minimum=2, caller="plan_audit")
    if not isinstance(ratio, int | float) or ratio <= 0 or ratio * rate >= 1 or ratio == 1:
        msg = (
            "The 'ratio' parameter of plan_audit must be a positive number other than 1 with "
            f"ratio × rate < 1; got ratio={ratio!r} with rate={rate!r} instead."
        )
        raise InvalidInputError(msg)
    comparisons = groups - 1
    low, high = band(threshold)
    inside = low <= ratio <= high
    kw = {"alpha": alpha, "power": power, "comparisons": comparisons}
    return {
        "rate": float(rate),
        "ratio": float(ratio),
        "alpha": float(alpha),
        "power": float(power),
        "groups": int(groups),
        "comparisons": comparisons,
        "threshold": float(threshold),
        "band": [low, high],
        "n_detect": int(n_to_detect(rate, ratio, **kw)),
        "n_fail": None if inside else int(n_to_fail(rate, ratio, threshold=threshold, **kw)),
        "method": {
            "detect": "two-sided two-proportion test on the arcsine scale (Cohen's h), "
            f"Bonferroni over {comparisons} comparison(s)",
            "fail": "simultaneous MOVER-R Clopper-Pearson interval of the ratio wholly outside the "
            f"band, normal approximation at the expected counts, Bonferroni over {comparisons} "
            "comparison(s)",
        },
    }
