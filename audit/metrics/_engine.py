"""The disparity engine's entry points: a table, chunks or counts in; an ``AuditResult`` out.

What it is for: :func:`audit_decisions` (a table in memory), :func:`audit_chunks` (an iterable of
chunks, e.g. a big file) and :func:`audit_counts` (counts already merged, e.g. from a distributed
engine) all reduce the data to :class:`GroupCounts` (``_accumulate``) and build the same result
from them: the blocks of each label (``_build``), the verdict (``_verdict``) and ``meta``.
What it must not do: read files (``_io``), render HTML, or loop over rows in Python.
"""

from __future__ import annotations

import platform
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata

import numpy as np
import pandas as pd

from audit.core import AuditResult, Roles, json_ready, make_roles
from audit.exceptions import SmallGroupWarning
from audit.metrics._accumulate import Accumulator
from audit.metrics._build import build_block, overall_block
from audit.metrics._compare import COMPARED, TESTED
from audit.metrics._counts import GroupCounts
from audit.metrics._inputs import as_frame
from audit.metrics._options import AuditOptions
from audit.metrics._verdict import judge

__all__ = ["SCHEMA_VERSION", "audit_chunks", "audit_counts", "audit_decisions"]

SCHEMA_VERSION = 1

#: How every number was reached, recorded in ``meta.methods`` (and stated in the report).
METHODS = {
    "rate_interval": "wilson",
    "difference_interval": "newcombe_hybrid_score",
    "ratio_interval": "miettinen_nurminen_score",
    "range_interval": "pairwise_bonferroni_mover_clopper_pearson",
    "tests": "z (pooled) / fisher_exact against the reference; k x 2 chi2 / monte_carlo_exact",
    "correction": "holm over every test of the primary label",
    "verdict": "simultaneous mover_r_clopper_pearson ratio intervals, bonferroni over all judged",
    "reference_rule": "named (user or scenario), else combination of the attributes' "
    "references for an intersection, else the largest group; never outcome-dependent",
}


def _versions() -> dict[str, str]:
    import fairlearn
    import scipy

    return {
        "audit": metadata.version("social-credit-audit"),
        "fairlearn": fairlearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "scipy": scipy.__version__,
    }


def _shown(value: object) -> object:
    return value if isinstance(value, bool | int | float | str) else repr(value)


def _meta(counts: GroupCounts, opts: AuditOptions, roles: Roles, data_sha256: str | None) -> dict:
    return {
        "n": counts.n,
        "seed": opts.seed,
        "versions": _versions(),
        "data_sha256": data_sha256,
        "source": opts.source,
        "label": roles.label,
        "label_kind": opts.label_kind,
        "decision": roles.decision,
        "observed_label": roles.observed_label,
        "positive": _shown(opts.positive),
        "values": {
            role: {"adverse": _shown(pos), "other": other}
            for role, (pos, other) in counts.values.items()
        },
        "score": roles.score,
        "score_grid": None if counts.grid is None else counts.grid.to_dict(),
        "score_outside_grid": counts.score_outside,
        "low_score_is_adverse": opts.low_score_is_adverse,
        "protected": list(roles.protected),
        "intersection_order": int(min(opts.intersections, len(roles.protected))),
        "min_group_size": int(opts.min_group_size),
        "missing": opts.missing,
        "confidence": float(opts.confidence),
        "criterion": "four_fifths",
        "criteria": opts.judged,
        "reference_requested": dict(opts.reference),
        "compared": list(COMPARED),
        "tests": {"metrics": list(TESTED), "correction": "holm"},
        "methods": dict(METHODS),
        "ll144_min_share": float(opts.ll144_min_share),
    }


def _warn_small(small: list[str], min_group_size: int) -> None:
    if small:
        shown = ", ".join(small[:8])
        more = len(small) - 8
        warnings.warn(
            f"{len(small)} group(s) are smaller than min_group_size={min_group_size}; their rates "
            f"are reported as null: {shown}" + (f", ... ({more} more)" if more > 0 else ""),
            SmallGroupWarning,
            stacklevel=4,
        )


def _build(
    counts: GroupCounts,
    observed: GroupCounts | None,
    opts: AuditOptions,
    roles: Roles,
    data_sha256: str | None,
) -> dict:
    main = build_block(counts, opts, stream=0)
    _warn_small(main.small, opts.min_group_size)
    verdict = judge(main.sections, opts.thresholds, opts.confidence)
    body = main.to_dict(overall_block(counts, opts), counts.missing)
    out = {
        "schema_version": SCHEMA_VERSION,
        "meta": _meta(counts, opts, roles, data_sha256),
        "thresholds": opts.thresholds,
        **body,
        "observed": None,
        "verdict": verdict,
    }
    if observed is not None:
        fixed = {s.name: (s.names[s.ref] if s.ref is not None else None, s.section["reference_rule"])
                 for s in main.sections}  # fmt: skip
        obs = build_block(observed, opts, stream=1, fixed=fixed)
        out["observed"] = obs.to_dict(overall_block(observed, opts), observed.missing)
    return json_ready(out)


# --- public entry points ---------------------------------------------------------------------------


def audit_counts(
    counts: GroupCounts,
    *,
    observed: GroupCounts | None = None,
    label: str = "label",
    decision: str = "decision",
    score: str | None = None,
    observed_label: str | None = None,
    data_sha256: str | None = None,
    options: AuditOptions | None = None,
    **kw: object,
) -> AuditResult:
    """Audit counts that were already gathered (e.g. merged from the partitions of a cluster).

    Same result as :func:`audit_decisions` on the rows the counts came from; the column names are
    only recorded in ``meta``. Options: see :class:`AuditOptions` (``positive`` and
    ``intersections`` come from the counts).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 0] * 50, "d": [1, 0, 0, 0] * 25, "g": ["a"] * 60 + ["b"] * 40})
    >>> from audit.metrics import count_groups
    >>> parts = [count_groups(df[:30], label="y", decision="d", protected="g"),
    ...          count_groups(df[30:], label="y", decision="d", protected="g")]
    >>> audit_counts(sum(parts), label="y", decision="d").to_dict()["meta"]["n"]
    100
    """
    roles = Roles(label, decision, counts.protected, score, observed_label)
    order = max(len(t.attributes) for t in counts.tables.values())
    kw.update(positive=counts.values["label"][0], intersections=order)
    opts = AuditOptions.make(options, **kw)
    opts.check_reference(counts.protected)
    return AuditResult(_build(counts, observed, opts, roles, data_sha256), {})


def audit_chunks(
    chunks: Iterable[pd.DataFrame],
    *,
    label: str,
    decision: str,
    protected: str | Sequence[str],
    positive: object = 1,
    score: str | None = None,
    observed_label: str | None = None,
    options: AuditOptions | None = None,
    **kw: object,
) -> AuditResult:
    """Audit a table given as an iterable of DataFrame chunks, counting one chunk at a time.

    Memory holds one chunk plus the counts. The result does not depend on how the rows are split
    into chunks (``audit.json`` is byte-identical). Without ``score_range`` the score grid is taken
    from the first chunk (:meth:`ScoreGrid.for_scores`); later scores outside it are counted in the
    end bins and reported in ``meta.score_outside_grid`` with a warning. See
    :func:`audit_decisions` for the parameters and :class:`AuditOptions` for the options.
    """
    roles = make_roles(label, decision, protected, score, observed_label)
    opts = AuditOptions.make(options, positive=positive, **kw)
    opts.check_reference(roles.protected)
    columns = roles.columns()
    with Accumulator(roles, opts) as acc:
        for chunk in chunks:
            if len(chunk):
                acc.add(as_frame(chunk, columns))
        counts, observed, sha = acc.finish()
    return AuditResult(_build(counts, observed, opts, roles, sha), {})


def audit_decisions(
    data: pd.DataFrame | Mapping[str, Sequence],
    *,
    label: str,
    decision: str,
    protected: str | Sequence[str],
    positive: object = 1,
    score: str | None = None,
    observed_label: str | None = None,
    extra_metrics: Mapping[str, Callable] | None = None,
    options: AuditOptions | None = None,
    **kw: object,
) -> AuditResult:
    """Audit a table of decisions for disparities between protected groups.

    Counts each group of every protected attribute and of their pairwise intersections in one
    vectorised pass, then reports, per group: n, confusion counts, every rate (adverse, favourable,
    wrongful blacklisting ``fpr``, ``fnr``, ``tpr``, ``tnr``, ``ppv``, ``fdr``, ``for``, ``npv``,
    accuracy, base rate, AUC) with Wilson intervals; its ``difference`` and ``ratio`` to the
    reference group with Newcombe / Miettinen–Nurminen intervals (the impact ratio is the ratio of
    favourable rates), the signed excess of wrongful blacklistings with its interval, and z / Fisher
    tests; per grouping: fairlearn's between-groups differences and ratios with simultaneous
    intervals, k×2 homogeneity tests (all tests Holm-corrected together) and the NYC LL144 table.
    The verdict (PASS / FAIL / INCONCLUSIVE) judges each criterion on simultaneous intervals
    (``audit.metrics._verdict``).

    Parameters
    ----------
    data : pandas.DataFrame or mapping of column name to array-like
        One row per person.
    label : str
        Column of the adverse label (defaulted / violated); the ground truth in synthetic runs.
    decision : str
        Column of the decision (blacklisted or not).
    protected : str or sequence of str
        Protected attribute columns. Group labels are the values as text.
    positive : object, default 1
        The adverse value, in both ``label`` and ``decision``, matched by each column's dtype
        (:func:`audit.core.adverse_mask`: ``"1"`` matches ``1``); a column with two values neither
        of which is ``positive`` is an error, never a guess.
    score : str, optional
        Score column (350-950, higher = more trustworthy). Adds AUC per group and, per attribute,
        a score histogram, calibration by score band and a threshold sweep.
    observed_label : str, optional
        A second label column (synthetic runs: the recorded label). Everything but the verdict is
        also computed against it, in the ``"observed"`` block, with the same reference groups.
    extra_metrics : mapping of str to callable, optional
        Further metrics ``metric(y_true, y_pred)`` (0/1 arrays, 1 = adverse) computed per group by
        ``fairlearn.metrics.MetricFrame`` (the slow path: it needs the rows); under ``"extra"``.
    options : AuditOptions, optional
        The settings (``positive`` above takes precedence over ``options.positive``); or give
        them as keywords (``reference={"ethnicity": "Han"}``,
        ``min_group_size=30``, ``min_adverse_ratio=0.8``, ``confidence=0.95`` …): see
        :class:`AuditOptions` for every option and its default.

    Returns
    -------
    AuditResult
        ``result.to_dict()`` is ``audit.json``; ``result.summary()`` a plain-text table;
        ``result.outcome`` the verdict.

    Raises
    ------
    InvalidInputError
        Bad arguments or options, empty data, a reference group that does not exist.
    SchemaError
        Missing columns, NaN or extra values in label/decision, non-finite scores, missing
        protected values with ``missing="error"``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "defaulted": [1, 0, 0, 0] * 25 + [1, 1, 0, 0] * 25,
    ...     "blacklisted": [1, 0, 0, 0] * 25 + [1, 1, 1, 0] * 25,
    ...     "ethnicity": ["Han"] * 100 + ["Uyghur"] * 100,
    ... })
    >>> res = audit_decisions(df, label="defaulted", decision="blacklisted",
    ...                       protected=["ethnicity"], reference={"ethnicity": "Han"})
    >>> g = res.to_dict()["attributes"]["ethnicity"]["groups"]["Uyghur"]
    >>> g["adverse_rate"], g["impact_ratio"], g["fpr"], g["four_fifths"]
    (0.75, 0.3333333333333333, 0.5, 'fail')
    """
    roles = make_roles(label, decision, protected, score, observed_label)
    opts = AuditOptions.make(options, positive=positive, **kw)
    opts.check_reference(roles.protected)
    frame = as_frame(data, roles.columns())
    with Accumulator(roles, opts) as acc:
        enc = acc.add(frame)
        counts, observed, sha = acc.finish()
    result = _build(counts, observed, opts, roles, sha)
    if extra_metrics:
        from audit.metrics._extra import add_extra_metrics

        add_extra_metrics(result, enc, counts, extra_metrics)
    return AuditResult(result, {})
