"""The disparity engine: from counts to the ``audit.json`` sections of a decision audit.

What it is for: :func:`audit_decisions` (a table in memory), :func:`audit_chunks` (an iterable of
chunks, e.g. a big file) and :func:`audit_counts` (counts already merged, e.g. from a distributed
engine) all reduce the data to :class:`GroupCounts` and build the same result from them: rates,
Wilson intervals, bootstrap intervals of disparities, tests against the reference group with Holm's
correction, four-fifths verdicts, the NYC LL144 impact-ratio table, and, with a score, AUC,
calibration and a threshold sweep.
What it must not do: read files (``_io``), render HTML, or loop over rows in Python (loops here run
over groups and groupings, never over people).
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError, SchemaError, SmallGroupWarning
from audit.metrics._counts import (
    CELLS,
    GroupCounts,
    GroupTable,
    ScoreGrid,
    _check_missing,
    check_inside,
    count_encoded,
    groupings,
)
from audit.metrics._inputs import UNKNOWN, EncodedChunk, Roles, as_frame, encode_chunk, make_roles
from audit.metrics._rates import METRICS, aggregate, rate_matrix, rates
from audit.metrics._result import AuditResult, json_ready
from audit.metrics._scores import auc_from_histograms, band_counts, sweep_cells
from audit.metrics._stats import (
    compare_proportions,
    holm,
    percentile_interval,
    resample_cells,
    wilson_interval,
)

__all__ = ["SCHEMA_VERSION", "audit_chunks", "audit_counts", "audit_decisions"]

SCHEMA_VERSION = 1

#: Metrics compared with the reference group by a significance test (Holm-corrected per metric).
TESTED = ("adverse_rate", "fpr")
#: Rates given a Wilson interval in ``ci`` (the others are complements: favourable_rate = 1 -
#: adverse_rate, tpr = 1 - fnr, tnr = 1 - fpr, fdr = 1 - ppv, for = 1 - npv; their intervals are
#: the mirrored ones).
INTERVALS = ("adverse_rate", "fpr", "fnr", "ppv", "npv", "accuracy", "base_rate")
#: Metrics whose between-group differences and ratios are reported with bootstrap intervals.
DISPARITIES = ("adverse_rate", "favourable_rate", "fpr", "fnr", "ppv", "for", "accuracy")
#: Metrics of the threshold sweep (plus the impact ratio at each threshold).
SWEPT = ("adverse_rate", "fpr", "fnr", "ppv")
#: Decimal places kept in the threshold sweep (it is the bulk of audit.json).
SWEEP_DECIMALS = 4
#: Decimal places kept for interval bounds (Wilson and bootstrap); point estimates keep all.
CI_DECIMALS = 6


# --- options ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    positive: object = 1
    reference: Mapping[str, str] = field(default_factory=dict)
    min_group_size: int = 30
    missing: str = "error"
    intersections: int = 2
    confidence: float = 0.95
    n_bootstrap: int = 1000
    seed: int = 0
    min_impact_ratio: float | None = 0.8
    min_fpr_ratio: float | None = None
    low_score_is_adverse: bool = True
    ll144_min_share: float = 0.02
    score_range: tuple[float, float] | ScoreGrid | None = None
    source: str | None = None

    def check(self, protected: Sequence[str]) -> None:
        _check_missing(self.missing)
        if not isinstance(self.min_group_size, int | np.integer) or self.min_group_size < 0:
            raise InvalidInputError(
                "The 'min_group_size' parameter must be a non-negative integer; "
                f"got {self.min_group_size!r}."
            )
        if not isinstance(self.intersections, int | np.integer) or self.intersections < 1:
            raise InvalidInputError(
                "The 'intersections' parameter must be an integer >= 1 (1 = none, 2 = pairs); "
                f"got {self.intersections!r}."
            )
        if not 0 < self.confidence < 1:
            raise InvalidInputError(
                f"The 'confidence' parameter must lie in (0, 1); got {self.confidence!r}."
            )
        if not isinstance(self.n_bootstrap, int | np.integer) or self.n_bootstrap < 0:
            raise InvalidInputError(
                f"The 'n_bootstrap' parameter must be an integer >= 0; got {self.n_bootstrap!r}."
            )
        for name in ("min_impact_ratio", "min_fpr_ratio"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and 0 <= value <= 1):
                raise InvalidInputError(
                    f"The '{name}' parameter must be a number in [0, 1] or None; got {value!r}."
                )
        if not 0 <= self.ll144_min_share < 1:
            raise InvalidInputError(
                f"The 'll144_min_share' parameter must lie in [0, 1); got {self.ll144_min_share!r}."
            )
        known = {" & ".join(g) for g in groupings(protected, len(protected))}
        for key, value in self.reference.items():
            if key not in known:
                raise InvalidInputError(
                    f"reference names {key!r}, which is not a protected attribute or an "
                    f"intersection of them; protected attributes: {list(protected)}."
                )
            if not isinstance(value, str):
                raise InvalidInputError(
                    f"reference[{key!r}] must be a group label (str); got {value!r}."
                )


# --- chunk accumulation and the data hash ----------------------------------------------------------


def _first_appearance(codes: np.ndarray, wanted: set[int]) -> list[int]:
    """The codes in ``wanted`` in order of first appearance (scanning growing prefixes)."""
    order: list[int] = []
    start, size = 0, 1024
    while wanted and start < len(codes):
        for c in pd.unique(codes[start : start + size]):
            if int(c) in wanted:
                order.append(int(c))
                wanted.discard(int(c))
        start, size = start + size, size * 16
    return order


class _DataHash:
    """SHA-256 of the audited values, the same whatever the chunk size, file format or dtype.

    Values are hashed in row order on one stream per column group, in a canonical form: label,
    decision and observed label packed into one byte per row (bit 0 label, bit 1 decision, bit 2
    observed label; 1 = adverse), the score as little-endian float64, each protected attribute as
    little-endian uint16 codes numbered in order of first appearance in the data. The digest is
    the SHA-256 of a JSON document holding these stream digests and the group labels in order of
    first appearance. It changes when any audited value or the row order changes, not when column
    names, chunking, dtypes or storage format change.
    """

    MAX_GROUPS = 65_535

    def __init__(self, roles: Roles):
        self.roles = roles
        self.streams = {"binary": hashlib.sha256()}
        if roles.score is not None:
            self.streams["score"] = hashlib.sha256()
        self.seen: dict[str, dict[str, int]] = {}
        for attr in roles.protected:
            self.streams[f"protected:{attr}"] = hashlib.sha256()
            self.seen[attr] = {}

    def update(self, enc: EncodedChunk) -> None:
        packed = enc.binary["label"] | (enc.binary["decision"] << np.uint8(1))
        if "observed_label" in enc.binary:
            packed |= enc.binary["observed_label"] << np.uint8(2)
        self.streams["binary"].update(memoryview(np.ascontiguousarray(packed, dtype=np.uint8)))
        if enc.score is not None:
            score = np.ascontiguousarray(enc.score, dtype="<f8")
            self.streams["score"].update(memoryview(score).cast("B"))
        for attr in self.roles.protected:
            codes, labels, seen = enc.codes[attr], enc.labels[attr], self.seen[attr]
            new = [c for c, lab in enumerate(labels) if lab not in seen]
            if new:  # those present in this chunk are numbered in order of first appearance
                present = np.bincount(codes, minlength=len(labels)) > 0
                new = [c for c in new if present[c]]
                for c in _first_appearance(codes, set(new)):
                    seen[labels[c]] = len(seen)
                if len(seen) > self.MAX_GROUPS:
                    raise SchemaError(
                        f"Column {attr!r} has more than {self.MAX_GROUPS:,} distinct values; a "
                        "protected attribute is a small set of groups (is it an identifier?)."
                    )
            lookup = np.array([seen.get(lab, 0) for lab in labels], dtype="<u2")
            stream = self.streams[f"protected:{attr}"]
            stream.update(memoryview(np.take(lookup, codes)).cast("B"))

    def hexdigest(self) -> str:
        doc = {
            "columns": {k: h.hexdigest() for k, h in self.streams.items()},
            "labels": {a: list(s) for a, s in self.seen.items()},
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


class _Accumulator:
    """Encodes, checks, counts and hashes chunks one after another.

    The data hash of a chunk runs on a worker thread while the chunk is counted (hashlib and
    numpy release the GIL); at most one chunk is in flight, hashed in order. Use as a context
    manager so the worker is shut down on errors too.
    """

    def __init__(self, roles: Roles, opts: _Options):
        self.roles, self.opts = roles, opts
        rng = opts.score_range
        self.grid = rng if isinstance(rng, ScoreGrid) or rng is None else ScoreGrid(*rng)
        self.counts: GroupCounts | None = None
        self.observed: GroupCounts | None = None
        self.hash = _DataHash(roles)
        self.rows = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-hash")
        self._hashing: Future | None = None

    def __enter__(self) -> _Accumulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, frame: pd.DataFrame) -> EncodedChunk:
        enc = encode_chunk(
            frame,
            self.roles,
            positive=self.opts.positive,
            missing=self.opts.missing,
            row_offset=self.rows,
        )
        if enc.n == 0:
            return enc
        if enc.score is not None:
            if self.grid is None:
                self.grid = ScoreGrid.for_scores(enc.score)
            else:
                check_inside(
                    enc.score,
                    self.grid,
                    explicit=self.opts.score_range is not None,
                    column=self.roles.score,
                    row_offset=self.rows,
                )
        kw = {
            "protected": self.roles.protected,
            "positive": self.opts.positive,
            "grid": self.grid,
            "intersections": self.opts.intersections,
        }
        if self._hashing is not None:
            self._hashing.result()  # the previous chunk first: hashed in row order
        self._hashing = self._pool.submit(self.hash.update, enc)
        counts = count_encoded(enc, label_role="label", **kw)
        self.counts = counts if self.counts is None else self.counts + counts
        if self.roles.observed_label is not None:
            obs = count_encoded(enc, label_role="observed_label", **kw)
            self.observed = obs if self.observed is None else self.observed + obs
        self.rows += enc.n
        return enc

    def finish(self) -> tuple[GroupCounts, GroupCounts | None, str]:
        if self._hashing is not None:
            self._hashing.result()
        if self.counts is None:
            raise InvalidInputError("The data has 0 rows; an audit needs at least one row.")
        tn, fp, fn, tp = self.counts.overall.tolist()
        if fp + fn + tp == 0:
            label_other = self.counts.values["label"][1]
            decision_other = self.counts.values["decision"][1]
            raise SchemaError(
                f"The positive (adverse) value {self.opts.positive!r} occurs in neither the label "
                f"column {self.roles.label!r} (values: {[label_other]}) nor the decision column "
                f"{self.roles.decision!r} (values: {[decision_other]}); pass the adverse value as "
                "positive=..."
            )
        if self.counts.score_outside:
            warnings.warn(
                f"{self.counts.score_outside} score(s) fell outside the score grid "
                f"[{self.grid.low}, {self.grid.high}] derived from the first chunk and were counted "
                "in its end bins; pass score_range=(low, high) to avoid this.",
                stacklevel=4,
            )
        return self.counts, self.observed, self.hash.hexdigest()


# --- building the result ---------------------------------------------------------------------------


def _num(x: object) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _interval(low: float, high: float) -> list[float]:
    return [round(float(low), CI_DECIMALS), round(float(high), CI_DECIMALS)]


def _is_unknown(label: tuple[str, ...]) -> bool:
    return UNKNOWN in label


def _impact_ratios(cells: np.ndarray, ref: int | None) -> np.ndarray:
    """Favourable rate of each group over the reference's, as one correctly rounded division."""
    out = np.full(len(cells), np.nan)
    if ref is None:
        return out
    fav = [int(c[0] + c[2]) for c in cells]  # tn + fn: not blacklisted
    n = [int(c.sum()) for c in cells]
    if fav[ref] == 0:
        return out
    for i in range(len(cells)):
        if n[i] > 0:
            out[i] = (fav[i] * n[ref]) / (n[i] * fav[ref])  # Python ints: exact until /
    return out


def _most_favoured(fav: np.ndarray, eligible: np.ndarray) -> int | None:
    if not eligible.any():
        return None
    return int(np.argmax(np.where(eligible, fav, -np.inf)))  # ties: first in label order


@dataclass
class _Block:
    """Everything built for one label (the primary label, or the observed label)."""

    sections: dict[str, dict] = field(default_factory=dict)
    tests: list[tuple[str, dict]] = field(default_factory=list)
    references: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    small: list[str] = field(default_factory=list)
    observed: bool = False


class _Builder:
    def __init__(self, opts: _Options):
        self.opts = opts

    # group-level pieces ------------------------------------------------------------------------

    def group_blocks(
        self, cells: np.ndarray, small: np.ndarray, hist: np.ndarray | None
    ) -> tuple[list[dict], dict[str, np.ndarray]]:
        """Rate, count and interval entries of each row of ``cells`` (without reference parts)."""
        r = rates(cells)
        for v in r.values():
            v[small] = np.nan
        auc = (
            auc_from_histograms(hist, low_is_adverse=self.opts.low_score_is_adverse)
            if hist is not None
            else np.full(len(cells), np.nan)
        )
        auc[small] = np.nan
        cis = {}
        for name in INTERVALS:
            metric = METRICS[name]
            low, high = wilson_interval(
                metric.successes(cells), metric.trials(cells), self.opts.confidence
            )
            cis[name] = (low, high)
        blocks = []
        for i, c in enumerate(cells):
            block = {
                "n": int(c.sum()),
                "small": bool(small[i]),
                "counts": dict(zip(CELLS, (int(v) for v in c), strict=True)),
            }
            for name in METRICS:
                block[name] = _num(r[name][i])
            block["auc"] = _num(auc[i])
            block["ci"] = {
                name: None if small[i] or np.isnan(lo[i]) else _interval(lo[i], hi[i])
                for name, (lo, hi) in cis.items()
            }
            blocks.append(block)
        return blocks, r

    def overall(self, counts: GroupCounts) -> dict:
        cells = counts.overall[None, :]
        hist = counts.overall_hist
        small = np.array([cells.sum() < self.opts.min_group_size])
        [block], _ = self.group_blocks(cells, small, None if hist is None else hist[None])
        block.update(impact_ratio=None, four_fifths=None, tests={})
        block["ci"]["impact_ratio"] = None
        return block

    # one grouping ------------------------------------------------------------------------------

    def resolve_reference(
        self, table: GroupTable, small: np.ndarray, fav: np.ndarray, block: _Block
    ) -> tuple[int | None, str]:
        names = table.group_names
        if table.name in block.references:  # the observed block reuses the primary's reference
            ref, rule = block.references[table.name]
            return (None if ref is None else names.index(ref)), rule
        wanted = self.opts.reference.get(table.name)
        explicit = wanted is not None
        if wanted is None and all(a in self.opts.reference for a in table.attributes):
            wanted = " & ".join(self.opts.reference[a] for a in table.attributes)
        if wanted is not None:
            if wanted in names and not small[names.index(wanted)]:
                return names.index(wanted), "user"
            if explicit or len(table.attributes) == 1:
                if wanted not in names:
                    raise InvalidInputError(
                        f"The reference group {wanted!r} does not exist in {table.name!r}; "
                        f"its groups are: {names}."
                    )
                i = names.index(wanted)
                raise InvalidInputError(
                    f"The reference group {wanted!r} of {table.name!r} has n={int(table.n[i])}, "
                    f"below min_group_size={self.opts.min_group_size}; name a larger group or "
                    "lower min_group_size."
                )
        eligible = ~small & ~np.array([_is_unknown(lab) for lab in table.labels])
        return _most_favoured(fav, eligible), "most_favoured"

    def section(
        self, table: GroupTable, counts: GroupCounts, block: _Block, rng: np.random.Generator
    ) -> dict:
        opts = self.opts
        cells, names, n = table.cells, table.group_names, table.n
        small = n < opts.min_group_size
        is_attribute = len(table.attributes) == 1
        blocks, r = self.group_blocks(cells, small, table.hist)
        ref, rule = self.resolve_reference(table, small, r["favourable_rate"], block)
        block.references[table.name] = (None if ref is None else names[ref], rule)
        impact = _impact_ratios(cells, ref)
        impact[small] = np.nan
        total = int(n.sum())
        for i, b in enumerate(blocks):
            b["share"] = float(n[i] / total)
            b["impact_ratio"] = _num(impact[i])
            if np.isnan(impact[i]) or opts.min_impact_ratio is None:
                b["four_fifths"] = None
            else:
                b["four_fifths"] = "pass" if impact[i] >= opts.min_impact_ratio else "fail"
            b["tests"] = {}
            if not is_attribute:
                b["levels"] = dict(zip(table.attributes, table.labels[i], strict=True))
            if small[i]:
                block.small.append(f"{table.name}={names[i]} (n={int(n[i])})")
        # tests against the reference group
        if ref is not None:
            for name in TESTED:
                metric = METRICS[name]
                x, t = metric.successes(cells), metric.trials(cells)
                stat, p, method = compare_proportions(x, t, x[ref], t[ref])
                for i, b in enumerate(blocks):
                    if i == ref or small[i] or not method[i]:
                        continue
                    test = {
                        "statistic": _num(stat[i]),
                        "p_value": float(p[i]),
                        "p_holm": None,
                        "method": str(method[i]),
                        "against": names[ref],
                    }
                    b["tests"][name] = test
                    block.tests.append((name, test))
        differences, ratios, impact_ci = self.disparities(cells, small, r, ref, rng)
        for i, b in enumerate(blocks):
            b["ci"]["impact_ratio"] = None if small[i] else impact_ci[i]
        unknown = sum(int(n[i]) for i, lab in enumerate(table.labels) if _is_unknown(lab))
        sec = {
            "attributes": list(table.attributes),
            "reference": None if ref is None else names[ref],
            "reference_rule": rule,
            "unknown": unknown,
            "groups": dict(zip(names, blocks, strict=True)),
            "differences": differences,
            "ratios": ratios,
            "ll144": None if block.observed else self.ll144(table, small, r),
            "score_histogram": None,
            "threshold_sweep": None,
            "calibration": None,
        }
        if is_attribute and table.hist is not None:
            sec.update(self.score_sections(table, small, ref, counts, full=not block.observed))
        return sec

    def disparities(
        self,
        cells: np.ndarray,
        small: np.ndarray,
        r: dict[str, np.ndarray],
        ref: int | None,
        rng: np.random.Generator,
    ) -> tuple[dict, dict, list]:
        opts = self.opts
        overall_cells = cells.sum(axis=0)
        point = np.stack([METRICS[m](cells) for m in DISPARITIES])  # (metrics, groups)
        point[:, small] = np.nan
        point_overall = np.stack([METRICS[m](overall_cells) for m in DISPARITIES])
        reps = rep_groups = rep_overall = None
        if opts.n_bootstrap > 0:
            reps = resample_cells(cells, opts.n_bootstrap, rng)
            rep_groups = rate_matrix(reps, DISPARITIES).transpose(0, 2, 1)  # (R, M, G)
            rep_groups[:, :, small] = np.nan
            rep_overall = rate_matrix(reps.sum(axis=1), DISPARITIES)  # (R, M)
        differences: dict = {m: {"ci": {}} for m in DISPARITIES}
        ratios: dict = {m: {"ci": {}} for m in DISPARITIES}
        for kind, out in (("difference", differences), ("ratio", ratios)):
            for method in ("between_groups", "to_overall"):
                values = aggregate(point, point_overall, kind=kind, method=method)
                if rep_groups is not None:
                    lo, hi = percentile_interval(
                        aggregate(rep_groups, rep_overall, kind=kind, method=method),
                        opts.confidence,
                    )
                for j, name in enumerate(DISPARITIES):
                    out[name][method] = _num(values[j])
                    ok = rep_groups is not None and out[name][method] is not None
                    ok = ok and not np.isnan(lo[j])
                    out[name]["ci"][method] = _interval(lo[j], hi[j]) if ok else None
        impact_ci: list = [None] * len(cells)
        if reps is not None and ref is not None:
            fav = rate_matrix(reps, ("favourable_rate",))[..., 0]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(fav[:, [ref]] > 0, fav / fav[:, [ref]], np.nan)
            lo, hi = percentile_interval(ratio, opts.confidence)
            impact_ci = [
                None if np.isnan(a) else _interval(a, b) for a, b in zip(lo, hi, strict=True)
            ]
            impact_ci[ref] = [1.0, 1.0]
        return differences, ratios, impact_ci

    def ll144(self, table: GroupTable, small: np.ndarray, r: dict[str, np.ndarray]) -> dict:
        """NYC Local Law 144 impact-ratio table, with and without categories under min_share."""
        n = table.n
        names = table.group_names
        unknown = np.array([_is_unknown(lab) for lab in table.labels])
        known_total = int(n[~unknown].sum())
        share = n / known_total if known_total else np.zeros(len(n))
        excluded = ~unknown & (share < self.opts.ll144_min_share)
        fav = r["favourable_rate"]
        ref_all = _most_favoured(fav, ~unknown & ~small)
        ref_kept = _most_favoured(fav, ~unknown & ~small & ~excluded)
        ir_all = _impact_ratios(table.cells, ref_all)
        ir_kept = _impact_ratios(table.cells, ref_kept)
        rows = {}
        for i, name in enumerate(names):
            if unknown[i]:
                continue
            rows[name] = {
                "n": int(n[i]),
                "share": float(share[i]),
                "small": bool(small[i]),
                "excluded": bool(excluded[i]),
                "favourable_rate": _num(fav[i]),
                "adverse_rate": _num(r["adverse_rate"][i]),
                "impact_ratio": None if small[i] else _num(ir_all[i]),
                "impact_ratio_excluding_small_categories": (
                    None if small[i] or excluded[i] else _num(ir_kept[i])
                ),
            }
        return {
            "min_share": float(self.opts.ll144_min_share),
            "unknown": int(n[unknown].sum()),
            "reference": None if ref_all is None else names[ref_all],
            "reference_excluding_small_categories": (None if ref_kept is None else names[ref_kept]),
            "changes_reference": ref_all != ref_kept,
            "excluded": [names[i] for i in np.flatnonzero(excluded)],
            "rows": rows,
        }

    def score_sections(
        self,
        table: GroupTable,
        small: np.ndarray,
        ref: int | None,
        counts: GroupCounts,
        *,
        full: bool = True,
    ) -> dict:
        """Score histogram, threshold sweep and calibration of an attribute (calibration only
        when ``full`` is False: the observed block keeps audit.json small)."""
        opts, grid = self.opts, counts.grid
        names = table.group_names
        edges = grid.edges()
        hist = table.hist
        overall_hist = hist.sum(axis=0)
        # coarse histogram
        coarse = band_counts(hist, grid.sweep_every)
        coarse_edges = [float(e) for e in edges[:: grid.sweep_every]]
        if len(coarse_edges) < coarse.shape[-1] + 1:
            coarse_edges.append(float(grid.high))
        histogram = {
            "edges": coarse_edges,
            "groups": {
                names[i]: None
                if small[i]
                else {"not_adverse": coarse[i, 0].tolist(), "adverse": coarse[i, 1].tolist()}
                for i in range(len(names))
            },
        }
        # threshold sweep (thresholds at every sweep_every-th edge, top edge excluded)
        at = np.arange(0, grid.bins, grid.sweep_every)
        sweep = sweep_cells(hist, at, low_is_adverse=opts.low_score_is_adverse)
        sweep_overall = sweep_cells(
            overall_hist[None], at, low_is_adverse=opts.low_score_is_adverse
        )

        def rounded(values: np.ndarray) -> list:
            return [None if np.isnan(v) else round(float(v), SWEEP_DECIMALS) for v in values]

        fav = METRICS["favourable_rate"](sweep)
        with np.errstate(divide="ignore", invalid="ignore"):
            impact = (
                np.where(fav[[ref]] > 0, fav / fav[[ref]], np.nan)
                if ref is not None
                else np.full(fav.shape, np.nan)
            )
        sweep_groups = {}
        for i, name in enumerate(names):
            if small[i]:
                sweep_groups[name] = None
                continue
            entry = {m: rounded(METRICS[m](sweep[i])) for m in SWEPT}
            entry["impact_ratio"] = rounded(impact[i])
            sweep_groups[name] = entry
        threshold_sweep = {
            "thresholds": [float(edges[k]) for k in at],
            "rule": "score < threshold" if opts.low_score_is_adverse else "score >= threshold",
            "overall": {m: rounded(METRICS[m](sweep_overall[0])) for m in SWEPT},
            "groups": sweep_groups,
        }
        # calibration by score band
        bands = band_counts(hist, grid.band_every)
        bands_overall = bands.sum(axis=0)
        band_edges = list(edges[:: grid.band_every]) + [grid.high]

        def calib(b: np.ndarray) -> dict:
            n_band = b.sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(n_band >= max(opts.min_group_size, 1), b[1] / n_band, np.nan)
            return {"n": n_band.tolist(), "adverse_label_rate": [_num(v) for v in rate]}

        calibration = {
            "bands": [
                [float(band_edges[k]), float(band_edges[k + 1])] for k in range(bands.shape[-1])
            ],
            "overall": calib(bands_overall),
            "groups": {names[i]: None if small[i] else calib(bands[i]) for i in range(len(names))},
        }
        return {
            "score_histogram": histogram if full else None,
            "threshold_sweep": threshold_sweep if full else None,
            "calibration": calibration,
        }

    # a whole label -----------------------------------------------------------------------------

    def block(self, counts: GroupCounts, *, stream: int, references: dict | None) -> _Block:
        block = _Block(references=dict(references or {}), observed=stream > 0)
        for k, (name, table) in enumerate(counts.tables.items()):
            rng = np.random.default_rng([self.opts.seed, stream, k])
            block.sections[name] = self.section(table, counts, block, rng)
        for name in TESTED:  # Holm across every group and intersection tested, per metric
            family = [t for m, t in block.tests if m == name]
            adjusted = holm(np.array([t["p_value"] for t in family], dtype=np.float64))
            for t, p in zip(family, adjusted, strict=True):
                t["p_holm"] = float(p)
        return block


def _versions() -> dict[str, str]:
    import fairlearn
    import scipy

    from audit import __version__

    return {
        "audit": __version__,
        "fairlearn": fairlearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "scipy": scipy.__version__,
    }


def _label_section(builder: _Builder, counts: GroupCounts, block: _Block) -> dict:
    attrs = {k: v for k, v in block.sections.items() if len(v["attributes"]) == 1}
    inter = {k: v for k, v in block.sections.items() if len(v["attributes"]) > 1}
    for sec in (*attrs.values(), *inter.values()):
        del sec["attributes"]
    for name, sec in attrs.items():
        sec["unknown"] = int(counts.missing.get(name, sec["unknown"]))
    return {"overall": builder.overall(counts), "attributes": attrs, "intersections": inter}


def _verdict(main: dict, opts: _Options) -> dict:
    violations = []
    for kind in ("attributes", "intersections"):
        for attr, sec in main[kind].items():
            for group, b in sec["groups"].items():
                if b["four_fifths"] == "fail":
                    violations.append(
                        {
                            "criterion": "four_fifths",
                            "attribute": attr,
                            "group": group,
                            "value": b["impact_ratio"],
                            "threshold": opts.min_impact_ratio,
                            "p_holm": b["tests"].get("adverse_rate", {}).get("p_holm"),
                        }
                    )
            fpr_ratio = sec["ratios"]["fpr"]["between_groups"]
            limit = opts.min_fpr_ratio
            if limit is not None and fpr_ratio is not None and fpr_ratio < limit:
                violations.append(
                    {
                        "criterion": "fpr_ratio",
                        "attribute": attr,
                        "group": None,
                        "value": fpr_ratio,
                        "threshold": limit,
                        "p_holm": None,
                    }
                )
    return {"passed": not violations, "violations": violations}


def _build(
    counts: GroupCounts,
    observed: GroupCounts | None,
    opts: _Options,
    roles: Roles,
    data_sha256: str | None,
) -> dict:
    builder = _Builder(opts)
    main_block = builder.block(counts, stream=0, references=None)
    main = _label_section(builder, counts, main_block)
    if main_block.small:
        shown = ", ".join(main_block.small[:8])
        more = len(main_block.small) - 8
        warnings.warn(
            f"{len(main_block.small)} group(s) are smaller than min_group_size="
            f"{opts.min_group_size}; their rates are reported as null: {shown}"
            + (f", ... ({more} more)" if more > 0 else ""),
            SmallGroupWarning,
            stacklevel=3,
        )
    out = {
        "schema_version": SCHEMA_VERSION,
        "meta": {
            "n": counts.n,
            "seed": opts.seed,
            "versions": _versions(),
            "data_sha256": data_sha256,
            "source": opts.source,
            "label": roles.label,
            "decision": roles.decision,
            "observed_label": roles.observed_label,
            "positive": opts.positive
            if isinstance(opts.positive, bool | int | float | str)
            else repr(opts.positive),
            "values": {
                role: {
                    "adverse": pos if isinstance(pos, bool | int | float | str) else repr(pos),
                    "other": other,
                }
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
            "reference_requested": dict(opts.reference),
            "bootstrap_replicates": int(opts.n_bootstrap),
            "tests": {"metrics": list(TESTED), "correction": "holm"},
            "ll144_min_share": float(opts.ll144_min_share),
        },
        "thresholds": {"impact_ratio": opts.min_impact_ratio, "fpr_ratio": opts.min_fpr_ratio},
        "overall": main["overall"],
        "attributes": main["attributes"],
        "intersections": main["intersections"],
        "observed": None,
        "verdict": _verdict(main, opts),
    }
    if observed is not None:
        obs_block = builder.block(observed, stream=1, references=main_block.references)
        out["observed"] = _label_section(builder, observed, obs_block)
    return json_ready(out)


# --- public entry points ---------------------------------------------------------------------------


def _options(**kw: object) -> _Options:
    reference = kw.pop("reference") or {}
    if not isinstance(reference, Mapping):
        raise InvalidInputError(
            "The 'reference' parameter must be a mapping of attribute to group, e.g. "
            f"{{'ethnicity': 'Han'}}; got {reference!r}."
        )
    rng = kw.pop("score_range")
    if rng is not None and not isinstance(rng, ScoreGrid):
        try:
            lo, hi = (float(v) for v in rng)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"The 'score_range' parameter must be (low, high); got {rng!r}."
            ) from None
        ScoreGrid(lo, hi)
        rng = (lo, hi)
    return _Options(reference=dict(reference), score_range=rng, **kw)


def audit_counts(
    counts: GroupCounts,
    *,
    observed: GroupCounts | None = None,
    label: str = "label",
    decision: str = "decision",
    score: str | None = None,
    observed_label: str | None = None,
    data_sha256: str | None = None,
    reference: Mapping[str, str] | None = None,
    min_group_size: int = 30,
    missing: str = "error",
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    seed: int = 0,
    min_impact_ratio: float | None = 0.8,
    min_fpr_ratio: float | None = None,
    low_score_is_adverse: bool = True,
    ll144_min_share: float = 0.02,
    source: str | None = None,
) -> AuditResult:
    """Audit counts that were already gathered (e.g. merged from the partitions of a cluster).

    Same result as :func:`audit_decisions` on the rows the counts came from; the column names are
    only recorded in ``meta``. See :func:`audit_decisions` for the parameters.

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
    opts = _options(
        positive=counts.values["label"][0],
        reference=reference,
        min_group_size=min_group_size,
        missing=missing,
        intersections=max(len(t.attributes) for t in counts.tables.values()),
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        seed=seed,
        min_impact_ratio=min_impact_ratio,
        min_fpr_ratio=min_fpr_ratio,
        low_score_is_adverse=low_score_is_adverse,
        ll144_min_share=ll144_min_share,
        score_range=None,
        source=source,
    )
    opts.check(counts.protected)
    return AuditResult(_build(counts, observed, opts, roles, data_sha256), {})


def audit_chunks(
    chunks: Iterable[pd.DataFrame],
    *,
    label: str,
    decision: str,
    protected: str | Sequence[str],
    positive: object = 1,
    score: str | None = None,
    reference: Mapping[str, str] | None = None,
    min_group_size: int = 30,
    missing: str = "error",
    observed_label: str | None = None,
    intersections: int = 2,
    score_range: tuple[float, float] | None = None,
    low_score_is_adverse: bool = True,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    seed: int = 0,
    min_impact_ratio: float | None = 0.8,
    min_fpr_ratio: float | None = None,
    ll144_min_share: float = 0.02,
    source: str | None = None,
) -> AuditResult:
    """Audit a table given as an iterable of DataFrame chunks, counting one chunk at a time.

    Memory holds one chunk plus the counts. The result does not depend on how the rows are split
    into chunks (``audit.json`` is byte-identical). Without ``score_range`` the score grid is taken
    from the first chunk (:meth:`ScoreGrid.for_scores`); later scores outside it are counted in the
    end bins and reported in ``meta.score_outside_grid`` with a warning. See
    :func:`audit_decisions` for the parameters.
    """
    roles = make_roles(label, decision, protected, score, observed_label)
    opts = _options(
        positive=positive,
        reference=reference,
        min_group_size=min_group_size,
        missing=missing,
        intersections=intersections,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        seed=seed,
        min_impact_ratio=min_impact_ratio,
        min_fpr_ratio=min_fpr_ratio,
        low_score_is_adverse=low_score_is_adverse,
        ll144_min_share=ll144_min_share,
        score_range=score_range,
        source=source,
    )
    opts.check(roles.protected)
    columns = roles.columns()
    with _Accumulator(roles, opts) as acc:
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
    reference: Mapping[str, str] | None = None,
    min_group_size: int = 30,
    missing: str = "error",
    observed_label: str | None = None,
    intersections: int = 2,
    score_range: tuple[float, float] | None = None,
    low_score_is_adverse: bool = True,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    seed: int = 0,
    min_impact_ratio: float | None = 0.8,
    min_fpr_ratio: float | None = None,
    ll144_min_share: float = 0.02,
    extra_metrics: Mapping[str, Callable] | None = None,
    source: str | None = None,
) -> AuditResult:
    """Audit a table of decisions for disparities between protected groups.

    Counts each group of every protected attribute and of their pairwise intersections in one
    vectorised pass, then reports, per group: n, confusion counts, adverse (blacklisting) rate,
    favourable rate, impact ratio and four-fifths verdict, wrongful blacklisting rate (``fpr``),
    ``fnr``, ``tpr``, ``tnr``, ``ppv``, ``fdr``, ``for``, ``npv``, accuracy, base rate and AUC, with
    Wilson intervals; per grouping: fairlearn-style differences and ratios with bootstrap
    intervals, z / Fisher tests against the reference group (Holm-corrected), and the NYC LL144
    impact-ratio table.

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
        The adverse value, in both ``label`` and ``decision``. Matched by the column's dtype: a
        number (or a numeric string such as ``"1"``) for numeric columns, ``True``/``False`` (or
        ``1``/``0``, ``"true"``/``"false"``) for boolean columns, text (``str(positive)``) for text
        and categorical columns. Each column may hold ``positive`` and one other value; anything
        else is an error, never a guess.
    score : str, optional
        Score column (the social-credit scale: 350-950, higher = more trustworthy). Adds AUC per
        group and, per attribute, a score histogram, calibration by score band and a threshold
        sweep.
    reference : mapping of str to str, optional
        Reference group per attribute, e.g. ``{"ethnicity": "Han"}``. An intersection takes a key
        such as ``"ethnicity & sex": "Han & male"``, else the combination of its attributes'
        references when that group exists and is not small, else the most favoured group. By
        default the most favoured group (highest favourable rate among groups of at least
        ``min_group_size``, ``"unknown"`` excluded), as the EEOC and NYC LL144 define it.
    min_group_size : int, default 30
        Smaller groups get ``"small": true`` and null rates (never 0 or 1), and a
        :class:`~audit.exceptions.SmallGroupWarning`.
    missing : {"error", "unknown"}, default "error"
        Missing protected values are an error, or counted as the group ``"unknown"`` (the count is
        reported as ``unknown``; LL144 asks for it).
    observed_label : str, optional
        A second label column (synthetic runs: the recorded label). Everything is also computed
        against it, in the ``"observed"`` block.
    intersections : int, default 2
        Highest order of intersections (1 = none, 2 = pairs, 3 = triples too).
    score_range : (float, float), optional
        Range of the score histogram grid (default: :meth:`ScoreGrid.for_scores`). Scores outside
        an explicit range are an error.
    low_score_is_adverse : bool, default True
        Low scores are the adverse end (blacklisted when ``score < threshold``).
    confidence : float, default 0.95
        Level of every interval.
    n_bootstrap : int, default 1000
        Bootstrap replicates (resampled counts) for the intervals of differences, ratios and
        impact ratios; 0 disables them.
    seed : int, default 0
        Seed of the bootstrap: the same input and seed give a byte-identical ``audit.json``.
    min_impact_ratio : float or None, default 0.8
        The four-fifths rule: an impact ratio below it is a violation (``None``: not judged).
    min_fpr_ratio : float or None, default None
        Optional second criterion: a between-groups ratio of wrongful blacklisting rates below it
        is a violation.
    ll144_min_share : float, default 0.02
        Categories under this share are left out of the second LL144 impact-ratio column.
    extra_metrics : mapping of str to callable, optional
        Further metrics ``metric(y_true, y_pred)`` (0/1 arrays, 1 = adverse) computed per group by
        ``fairlearn.metrics.MetricFrame``. This is the slow path: it needs the rows and calls the
        metric once per group; results go under ``"extra"`` in each group block.
    source : str, optional
        Where the data came from (recorded in ``meta.source``).

    Returns
    -------
    AuditResult
        ``result.to_dict()`` is ``audit.json``; ``result.summary()`` a plain-text table.

    Raises
    ------
    InvalidInputError
        Bad arguments, empty data, a reference group that does not exist.
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
    ...                       protected=["ethnicity"])
    >>> g = res.to_dict()["attributes"]["ethnicity"]["groups"]["Uyghur"]
    >>> g["adverse_rate"], g["impact_ratio"], g["fpr"], g["four_fifths"]
    (0.75, 0.3333333333333333, 0.5, 'fail')
    """
    roles = make_roles(label, decision, protected, score, observed_label)
    opts = _options(
        positive=positive,
        reference=reference,
        min_group_size=min_group_size,
        missing=missing,
        intersections=intersections,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        seed=seed,
        min_impact_ratio=min_impact_ratio,
        min_fpr_ratio=min_fpr_ratio,
        low_score_is_adverse=low_score_is_adverse,
        ll144_min_share=ll144_min_share,
        score_range=score_range,
        source=source,
    )
    opts.check(roles.protected)
    frame = as_frame(data, roles.columns())
    with _Accumulator(roles, opts) as acc:
        enc = acc.add(frame)
        counts, observed, sha = acc.finish()
    result = _build(counts, observed, opts, roles, sha)
    if extra_metrics:
        from audit.metrics._extra import add_extra_metrics

        add_extra_metrics(result, enc, counts, extra_metrics)
    return AuditResult(result, {})
