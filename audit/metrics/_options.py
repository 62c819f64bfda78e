"""The options of a decision audit, as one typed value checked once.

What it is for: :class:`AuditOptions` carries every setting of :func:`audit_decisions`,
:func:`audit_chunks`, :func:`audit_file` and :func:`audit_counts` from the caller (library or
command line) to the engine, validated when it is made, so no layer threads keywords by hand.
What it must not do: read data or compute anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from audit.core import CRITERIA, check_choice, check_fraction, check_int
from audit.exceptions import InvalidInputError
from audit.metrics._counts import ScoreGrid, groupings

__all__ = ["AuditOptions"]


@dataclass(frozen=True)
class AuditOptions:
    """Settings of a decision audit (every field has a default).

    Parameters
    ----------
    positive : object, default 1
        The adverse value in the label and decision columns (see :func:`audit.core.adverse_mask`).
    reference : mapping of str to str
        Reference group per attribute, e.g. ``{"ethnicity": "Han"}``; an intersection takes a key
        such as ``"ethnicity & sex": "Han & male"``. Unnamed groupings follow the one reference rule
        of :func:`audit.core.choose_reference` (combination of the attributes' references, else the
        largest group) — never a choice that depends on the outcome.
    min_group_size : int, default 30
        Smallest denominator a rate is reported for: a group with fewer people is ``small`` (all
        rates null); a rate whose own denominator (non-adverse people for ``fpr``, adverse people for
        ``fnr``, blacklisted people for ``ppv`` …) is smaller is null and listed in the group's
        ``insufficient``. Such a cell never decides a verdict.
    missing : {"error", "unknown"}, default "error"
        Missing protected values are an error, or counted as the group ``"unknown"``.
    intersections : int, default 2
        Highest order of intersections (1 = none, 2 = pairs, 3 = triples too).
    confidence : float, default 0.95
        Level of every interval, and 1 − the family-wise error rate of the verdict and the tests.
    seed : int, default 0
        Seed of the Monte Carlo exact homogeneity test (the only random step).
    min_impact_ratio : float or None, default 0.8
        The four-fifths rule: each group's favourable rate over the reference's must lie in
        ``[t, 1/t]`` (None: not judged).
    min_adverse_ratio : float or None, default None
        The same band for blacklisting (adverse) rates.
    min_fpr_ratio : float or None, default None
        The same band for wrongful blacklisting rates.
    low_score_is_adverse : bool, default True
        Low scores are the adverse end (blacklisted when ``score < threshold``).
    ll144_min_share : float, default 0.02
        Categories under this share are left out of the second LL144 impact-ratio column.
    score_range : (float, float) or ScoreGrid, optional
        Range of the score histogram grid; scores outside an explicit range are an error.
    source : str, optional
        Where the data came from (recorded in ``meta.source``).
    label_kind : {"observed", "truth"}, default "observed"
        Whether the label is a recorded label or the ground truth (synthetic runs).
    """

    positive: object = 1
    reference: Mapping[str, str] = field(default_factory=dict)
    min_group_size: int = 30
    missing: str = "error"
    intersections: int = 2
    confidence: float = 0.95
    seed: int = 0
    min_impact_ratio: float | None = 0.8
    min_adverse_ratio: float | None = None
    min_fpr_ratio: float | None = None
    low_score_is_adverse: bool = True
    ll144_min_share: float = 0.02
    score_range: tuple[float, float] | ScoreGrid | None = None
    source: str | None = None
    label_kind: str = "observed"

    def __post_init__(self) -> None:
        where = "AuditOptions"
        check_int(self.min_group_size, "min_group_size", minimum=0, caller=where)
        check_int(self.intersections, "intersections", minimum=1, caller=where)
        check_int(self.seed, "seed", minimum=0, caller=where)
        check_choice(self.missing, "missing", ("error", "unknown"), caller=where)
        check_choice(self.label_kind, "label_kind", ("observed", "truth"), caller=where)
        check_fraction(self.confidence, "confidence", open_low=True, open_high=True, caller=where)
        check_fraction(self.ll144_min_share, "ll144_min_share", open_high=True, caller=where)
        for crit in CRITERIA.values():
            value = getattr(self, crit.option)
            check_fraction(value, crit.option, open_low=True, optional=True, caller=where)
        if not isinstance(self.reference, Mapping):
            msg = (
                "The 'reference' parameter must be a mapping of attribute to group, e.g. "
                f"{{'ethnicity': 'Han'}}; got {self.reference!r} instead."
            )
            raise InvalidInputError(msg)
        object.__setattr__(self, "reference", dict(self.reference))
        object.__setattr__(self, "score_range", _score_range(self.score_range))

    @classmethod
    def make(cls, options: AuditOptions | None = None, **kw: object) -> AuditOptions:
        """Options from keywords (``audit_decisions(..., min_group_size=10)``) or a ready value.

        Unknown keywords are an error listing the known ones.
        """
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in kw if k not in known]
        if unknown:
            msg = f"Unknown audit option(s) {unknown}; the options are: {known}."
            raise InvalidInputError(msg)
        if options is None:
            return cls(**kw)
        if not isinstance(options, AuditOptions):
            msg = f"The 'options' parameter must be an AuditOptions; got {options!r} instead."
            raise InvalidInputError(msg)
        return dataclasses.replace(options, **kw) if kw else options

    @property
    def thresholds(self) -> dict[str, float | None]:
        """Threshold of every criterion (None: not judged), keyed as in ``audit.json``."""
        return {c.threshold: getattr(self, c.option) for c in CRITERIA.values()}

    @property
    def judged(self) -> list[str]:
        """Names of the criteria this audit judges."""
        return [c.name for c in CRITERIA.values() if getattr(self, c.option) is not None]

    def check_reference(self, protected: Sequence[str]) -> None:
        """Every key of ``reference`` names a protected attribute or an intersection of them."""
        known = {" & ".join(g) for g in groupings(protected, len(protected))}
        for key, value in self.reference.items():
            if key not in known:
                msg = (
                    f"reference names {key!r}, which is not a protected attribute or an "
                    f"intersection of them; protected attributes: {list(protected)}."
                )
                raise InvalidInputError(msg)
            if not isinstance(value, str):
                msg = f"reference[{key!r}] must be a group label (str); got {value!r} instead."
                raise InvalidInputError(msg)


def _score_range(rng: object) -> tuple[float, float] | ScoreGrid | None:
    if rng is None or isinstance(rng, ScoreGrid):
        return rng
    try:
        lo, hi = (float(v) for v in rng)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        msg = f"The 'score_range' parameter must be (low, high); got {rng!r} instead."
        raise InvalidInputError(msg) from None
    ScoreGrid(lo, hi)  # checks low < high
    return (lo, hi)
