"""Counting chunks of decisions one after another, and hashing what was counted.

What it is for: :class:`Accumulator` encodes and checks each chunk (``_inputs``), adds its counts
(``_counts``) and feeds the data hash (:class:`DataHash`), so a table of any size is audited in
one pass with one chunk in memory. The hash identifies the audited values whatever the chunking,
file format or dtypes.
What it must not do: compute rates or build the result (``_build``, ``_engine``).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from audit.core import Roles
from audit.exceptions import InvalidInputError, SchemaError
from audit.metrics._counts import GroupCounts, ScoreGrid, check_inside, count_encoded
from audit.metrics._inputs import EncodedChunk, encode_chunk
from audit.metrics._options import AuditOptions

__all__ = ["Accumulator", "DataHash"]


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


class DataHash:
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


class Accumulator:
    """Encodes, checks, counts and hashes chunks one after another.

    The data hash of a chunk runs on a worker thread while the chunk is counted (hashlib and
    numpy release the GIL); at most one chunk is in flight, hashed in order. Use as a context
    manager so the worker is shut down on errors too.
    """

    def __init__(self, roles: Roles, opts: AuditOptions):
        self.roles, self.opts = roles, opts
        rng = opts.score_range
        self.grid = rng if isinstance(rng, ScoreGrid) or rng is None else ScoreGrid(*rng)
        self.counts: GroupCounts | None = None
        self.observed: GroupCounts | None = None
        self.hash = DataHash(roles)
        self.rows = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-hash")
        self._hashing: Future | None = None

    def __enter__(self) -> Accumulator:
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
