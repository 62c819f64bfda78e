"""From counts to the ``audit.json`` blocks of one label: groups, groupings, references, spread.

What it is for: for every grouping (each attribute, then the intersections) of a
:class:`GroupCounts`, the group blocks (n, counts, every rate with its Wilson interval, AUC), the
reference group chosen by the one rule of :func:`audit.core.choose_reference`, each group's
comparison with it (``_compare``), the between-groups spread, the homogeneity tests, the NYC LL144
table and the score sections. Holm's correction runs over every test of the block together.
What it must not do: judge a verdict (``_verdict``), read files, or loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from audit.core import METRICS, UNKNOWN, choose_reference
from audit.metrics._compare import (
    between_groups,
    exact_ratio,
    excess_wrongful,
    homogeneity,
    interval,
    sufficient,
    tests_against_reference,
    to_reference,
)
from audit.metrics._counts import CELLS, GroupCounts, GroupTable
from audit.metrics._options import AuditOptions
from audit.metrics._rates import rates
from audit.metrics._scores import auc_from_histograms, band_counts, sweep_cells
from audit.metrics._stats import holm, wilson_interval
from audit.metrics._verdict import JudgedSection

__all__ = ["INTERVALS", "LabelBlock", "build_block", "overall_block"]

#: Rates given a Wilson interval in ``ci`` (the others are complements: favourable_rate = 1 -
#: adverse_rate, tpr = 1 - fnr, tnr = 1 - fpr, fdr = 1 - ppv, for = 1 - npv).
INTERVALS = ("adverse_rate", "fpr", "fnr", "ppv", "npv", "accuracy", "base_rate")
#: Metrics of the threshold sweep (plus the impact ratio at each threshold).
SWEPT = ("adverse_rate", "fpr", "fnr", "ppv")
#: Decimal places kept in the threshold sweep (it is the bulk of audit.json).
SWEEP_DECIMALS = 4


@dataclass
class LabelBlock:
    """Everything built for one label (the primary label, or the observed label)."""

    sections: list[JudgedSection] = field(default_factory=list)
    references: dict[str, str | None] = field(default_factory=dict)
    small: list[str] = field(default_factory=list)

    def to_dict(self, overall: dict, missing: dict[str, int]) -> dict:
        """``{"overall", "attributes", "intersections"}`` of audit.json."""
        out: dict = {"overall": overall, "attributes": {}, "intersections": {}}
        for sec in self.sections:
            body = sec.section
            if sec.kind == "attributes":
                body["unknown"] = int(missing.get(sec.name, body["unknown"]))
            out[sec.kind][sec.name] = body
        return out


def _num(x: object) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _is_unknown(label: tuple[str, ...]) -> bool:
    return UNKNOWN in label


# --- groups ----------------------------------------------------------------------------------------


def _group_blocks(
    cells: np.ndarray, ok: dict[str, np.ndarray], hist: np.ndarray | None, opts: AuditOptions
) -> list[dict]:
    """n, counts, rates (null where insufficient), Wilson intervals and AUC of each group."""
    n = cells.sum(axis=1)
    small = n < opts.min_group_size
    r = rates(cells)
    for name, v in r.items():
        v[~ok[name]] = np.nan
    auc = np.full(len(cells), np.nan)
    if hist is not None:
        auc = auc_from_histograms(hist, low_is_adverse=opts.low_score_is_adverse)
        auc[small] = np.nan
    cis = {}
    for name in INTERVALS:
        metric = METRICS[name]
        cis[name] = wilson_interval(metric.successes(cells), metric.trials(cells), opts.confidence)
    blocks = []
    for i, c in enumerate(cells):
        block = {
            "n": int(n[i]),
            "small": bool(small[i]),
            "insufficient": [] if small[i] else [m for m in METRICS if not ok[m][i]],
            "counts": dict(zip(CELLS, (int(v) for v in c), strict=True)),
        }
        for name in METRICS:
            block[name] = _num(r[name][i])
        block["auc"] = _num(auc[i])
        block["ci"] = {
            name: interval(lo[i], hi[i]) if ok[name][i] else None for name, (lo, hi) in cis.items()
        }
        blocks.append(block)
    return blocks


def overall_block(counts: GroupCounts, opts: AuditOptions) -> dict:
    """The whole population as one group."""
    cells = counts.overall[None, :]
    hist = counts.overall_hist
    ok = sufficient(cells, opts.min_group_size)
    [block] = _group_blocks(cells, ok, None if hist is None else hist[None], opts)
    block.update(impact_ratio=None, four_fifths=None, tests={})
    block["ci"]["impact_ratio"] = None
    return block


# --- one grouping ----------------------------------------------------------------------------------


def _reference(table: GroupTable, opts: AuditOptions, block: LabelBlock, fixed: dict | None):
    """(index, rule) of the grouping's reference: the primary block's, or by the one rule."""
    names = table.group_names
    if fixed is not None:  # the observed block reuses the primary block's references
        ref, rule = fixed[table.name]
        return (None if ref is None else names.index(ref)), rule
    combined = None
    if len(table.attributes) > 1 and all(block.references.get(a) for a in table.attributes):
        combined = " & ".join(block.references[a] for a in table.attributes)
    return choose_reference(
        names,
        table.n,
        requested=opts.reference.get(table.name),
        combined=combined,
        min_size=opts.min_group_size,
        grouping=table.name,
    )


def _section(
    table: GroupTable,
    counts: GroupCounts,
    block: LabelBlock,
    opts: AuditOptions,
    rng: np.random.Generator,
    fixed: dict | None,
) -> JudgedSection:
    cells, names = table.cells, table.group_names
    ok = sufficient(cells, opts.min_group_size)
    small = table.n < opts.min_group_size
    blocks = _group_blocks(cells, ok, table.hist, opts)
    ref, rule = _reference(table, opts, block, fixed)
    against = None if ref is None else names[ref]
    block.references[table.name] = against
    compared = to_reference(cells, ref, ok, opts.confidence)
    # The single attributes' totals are read together (the headline): simultaneous over them.
    attributes = sum(len(t.attributes) == 1 for t in counts.tables.values())
    family = attributes if len(table.attributes) == 1 else None
    excess, excess_total = excess_wrongful(cells, ref, ok, opts.confidence, family)
    tests = tests_against_reference(cells, ref, ok, against)
    impact = exact_ratio(METRICS["favourable_rate"], cells, ref)
    total = int(table.n.sum())
    for i, b in enumerate(blocks):
        comparable = ref is not None and ok["favourable_rate"][i] and ok["favourable_rate"][ref]
        b["share"] = float(table.n[i] / total)
        b["impact_ratio"] = _num(impact[i]) if comparable else None
        b["four_fifths"] = None
        b["tests"] = tests[i]
        for key, per_metric in compared.items():
            b[key] = {m: values[i] for m, values in per_metric.items()}
        b["ci"]["impact_ratio"] = b["ci_ratio"]["favourable_rate"]
        b["excess_wrongful"] = excess[i]
        if len(table.attributes) > 1:
            b["levels"] = dict(zip(table.attributes, table.labels[i], strict=True))
        if small[i]:
            block.small.append(f"{table.name}={names[i]} (n={int(table.n[i])})")
    differences, ratios = between_groups(cells, ok, opts.confidence)
    section = {
        "attributes": list(table.attributes),
        "reference": against,
        "reference_rule": rule,
        "unknown": sum(int(table.n[i]) for i, lab in enumerate(table.labels) if _is_unknown(lab)),
        "groups": dict(zip(names, blocks, strict=True)),
        "differences": differences,
        "ratios": ratios,
        "excess_wrongful_total": excess_total,
        "homogeneity": homogeneity(cells, ok, rng),
        "ll144": None if fixed is not None else _ll144(table, small, rates(cells), opts),
        "score_histogram": None,
        "threshold_sweep": None,
        "calibration": None,
    }
    if len(table.attributes) == 1 and table.hist is not None:
        section.update(_score_sections(table, small, ref, counts, opts, full=fixed is None))
    kind = "attributes" if len(table.attributes) == 1 else "intersections"
    del section["attributes"]
    return JudgedSection(kind, table.name, names, cells, ref, ok, section)


def build_block(
    counts: GroupCounts, opts: AuditOptions, *, stream: int, fixed: dict | None = None
) -> LabelBlock:
    """Every grouping of one label; ``fixed``: (reference, rule) per grouping to reuse."""
    block = LabelBlock()
    for k, table in enumerate(counts.tables.values()):
        rng = np.random.default_rng(np.random.SeedSequence([opts.seed, stream, k]))
        block.sections.append(_section(table, counts, block, opts, rng, fixed))
    _holm(block)
    return block


def _holm(block: LabelBlock) -> None:
    """Holm's correction over every test of the block: all groups' tests against their reference
    and all homogeneity tests, of every tested rate, in one family."""
    family = []
    for sec in block.sections:
        for g in sec.section["groups"].values():
            family.extend(g["tests"].values())
        family.extend(t for t in sec.section["homogeneity"].values() if t is not None)
    adjusted = holm(np.array([t["p_value"] for t in family], dtype=np.float64))
    for t, p in zip(family, adjusted, strict=True):
        t["p_holm"] = float(p)


# --- descriptive tables ----------------------------------------------------------------------------


def _most_favoured(fav: np.ndarray, eligible: np.ndarray) -> int | None:
    if not eligible.any():
        return None
    return int(np.argmax(np.where(eligible, fav, -np.inf)))  # ties: first in label order


def _ll144(
    table: GroupTable, small: np.ndarray, r: dict[str, np.ndarray], opts: AuditOptions
) -> dict:
    """NYC Local Law 144 impact-ratio table, with and without categories under ``min_share``.

    LL144 divides by the most favoured group (highest favourable rate): a description chosen after
    seeing the outcome, so it is never the reference of a test or a verdict.
    """
    n, names = table.n, table.group_names
    unknown = np.array([_is_unknown(lab) for lab in table.labels])
    known_total = int(n[~unknown].sum())
    share = n / known_total if known_total else np.zeros(len(n))
    excluded = ~unknown & (share < opts.ll144_min_share)
    fav = r["favourable_rate"]
    ref_all = _most_favoured(fav, ~unknown & ~small)
    ref_kept = _most_favoured(fav, ~unknown & ~small & ~excluded)
    ir_all = exact_ratio(METRICS["favourable_rate"], table.cells, ref_all)
    ir_kept = exact_ratio(METRICS["favourable_rate"], table.cells, ref_kept)
    rows = {}
    for i, name in enumerate(names):
        if unknown[i]:
            continue
        rows[name] = {
            "n": int(n[i]),
            "share": float(share[i]),
            "small": bool(small[i]),
            "excluded": bool(excluded[i]),
            "favourable_rate": None if small[i] else _num(fav[i]),
            "adverse_rate": None if small[i] else _num(r["adverse_rate"][i]),
            "impact_ratio": None if small[i] else _num(ir_all[i]),
            "impact_ratio_excluding_small_categories": (
                None if small[i] or excluded[i] else _num(ir_kept[i])
            ),
        }
    return {
        "min_share": float(opts.ll144_min_share),
        "unknown": int(n[unknown].sum()),
        "reference": None if ref_all is None else names[ref_all],
        "reference_excluding_small_categories": (None if ref_kept is None else names[ref_kept]),
        "changes_reference": ref_all != ref_kept,
        "excluded": [names[i] for i in np.flatnonzero(excluded)],
        "rows": rows,
    }


def _rounded(values: np.ndarray) -> list:
    return [None if np.isnan(v) else round(float(v), SWEEP_DECIMALS) for v in values]


def _histogram(table: GroupTable, small: np.ndarray, grid) -> dict:
    coarse = band_counts(table.hist, grid.sweep_every)
    edges = [float(e) for e in grid.edges()[:: grid.sweep_every]]
    if len(edges) < coarse.shape[-1] + 1:
        edges.append(float(grid.high))
    groups = {
        name: None
        if small[i]
        else {"not_adverse": coarse[i, 0].tolist(), "adverse": coarse[i, 1].tolist()}  # fmt: skip
        for i, name in enumerate(table.group_names)
    }
    return {"edges": edges, "groups": groups}


def _sweep(table: GroupTable, small: np.ndarray, ref: int | None, grid, opts: AuditOptions) -> dict:
    """The confusion rates at every ``sweep_every``-th edge (top edge excluded), per group."""
    low = opts.low_score_is_adverse
    at = np.arange(0, grid.bins, grid.sweep_every)
    sweep = sweep_cells(table.hist, at, low_is_adverse=low)
    sweep_overall = sweep_cells(table.hist.sum(axis=0)[None], at, low_is_adverse=low)
    fav = METRICS["favourable_rate"](sweep)
    impact = np.full(fav.shape, np.nan)
    if ref is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            impact = np.where(fav[[ref]] > 0, fav / fav[[ref]], np.nan)
    groups = {}
    for i, name in enumerate(table.group_names):
        entry = None
        if not small[i]:
            entry = {m: _rounded(METRICS[m](sweep[i])) for m in SWEPT}
            entry["impact_ratio"] = _rounded(impact[i])
        groups[name] = entry
    return {
        "thresholds": [float(grid.edges()[k]) for k in at],
        "rule": "score < threshold" if low else "score >= threshold",
        "overall": {m: _rounded(METRICS[m](sweep_overall[0])) for m in SWEPT},
        "groups": groups,
    }


def _calibration(table: GroupTable, small: np.ndarray, grid, opts: AuditOptions) -> dict:
    """The adverse-label rate by score band, per group (bands below ``min_group_size``: null)."""
    bands = band_counts(table.hist, grid.band_every)
    edges = list(grid.edges()[:: grid.band_every]) + [grid.high]

    def calib(b: np.ndarray) -> dict:
        n_band = b.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(n_band >= max(opts.min_group_size, 1), b[1] / n_band, np.nan)
        return {"n": n_band.tolist(), "adverse_label_rate": [_num(v) for v in rate]}

    return {
        "bands": [[float(edges[k]), float(edges[k + 1])] for k in range(bands.shape[-1])],
        "overall": calib(bands.sum(axis=0)),
        "groups": {
            name: None if small[i] else calib(bands[i]) for i, name in enumerate(table.group_names)
        },
    }


def _score_sections(
    table: GroupTable,
    small: np.ndarray,
    ref: int | None,
    counts: GroupCounts,
    opts: AuditOptions,
    *,
    full: bool,
) -> dict:
    """Score histogram, threshold sweep and calibration of an attribute (calibration only when
    ``full`` is False: the observed block keeps audit.json small)."""
    grid = counts.grid
    return {
        "score_histogram": _histogram(table, small, grid) if full else None,
        "threshold_sweep": _sweep(table, small, ref, grid, opts) if full else None,
        "calibration": _calibration(table, small, grid, opts),
    }
