"""User metrics through ``fairlearn.metrics.MetricFrame``: the slow path that needs the rows.

What it is for: any ``metric(y_true, y_pred)`` a user passes as ``extra_metrics`` is computed per
group of every grouping by fairlearn's ``MetricFrame`` and written under ``"extra"`` in each group
block (and in ``overall``).
What it must not do: replace the count-based metrics (those never need the rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from audit.exceptions import InvalidInputError
from audit.metrics._counts import GroupCounts
from audit.metrics._inputs import EncodedChunk

__all__ = ["add_extra_metrics"]


def _scalar(name: str, value: object) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"Extra metric {name!r} must return a number; got {type(value).__name__}."
        ) from None
    return x if math.isfinite(x) else None


def add_extra_metrics(
    result: dict,
    enc: EncodedChunk,
    counts: GroupCounts,
    metrics: Mapping[str, Callable],
) -> None:
    """Add ``"extra"`` entries to ``result`` (``audit.json`` as a dict) in place.

    ``y_true`` and ``y_pred`` are 0/1 arrays with 1 = adverse (the label and the decision after
    matching ``positive``); with an observed label the ``"observed"`` block gets its own. Groups
    marked ``small`` in ``result`` get ``None``.
    """
    if not isinstance(metrics, Mapping) or not all(callable(f) for f in metrics.values()):
        raise InvalidInputError(
            "The 'extra_metrics' parameter must map names to callables metric(y_true, y_pred)."
        )
    clash = [k for k in metrics if k in result["overall"]]
    if clash:
        raise InvalidInputError(f"Extra metric name {clash[0]!r} clashes with a built-in metric.")
    text = {a: np.asarray(enc.labels[a], dtype=object)[enc.codes[a]] for a in counts.protected}
    blocks = [("label", result)]
    if result.get("observed") is not None:
        blocks.append(("observed_label", result["observed"]))
    for role, block in blocks:
        y_true = enc.binary[role].astype(np.int64)
        y_pred = enc.binary["decision"].astype(np.int64)
        for name, table in counts.tables.items():
            kind = "attributes" if len(table.attributes) == 1 else "intersections"
            features = pd.DataFrame({a: text[a] for a in table.attributes})
            mf = MetricFrame(
                metrics=dict(metrics),
                y_true=y_true,
                y_pred=y_pred,
                sensitive_features=features,
            )
            by_group = mf.by_group
            for key, row in by_group.iterrows():
                group = " & ".join(key) if isinstance(key, tuple) else str(key)
                entry = block[kind][name]["groups"].get(group)
                if entry is None:  # MetricFrame lists empty level combinations too
                    continue
                entry["extra"] = {
                    m: None if entry["small"] else _scalar(m, row[m]) for m in metrics
                }
        overall = MetricFrame(
            metrics=dict(metrics),
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=np.zeros(len(y_true)),
        ).overall
        block["overall"]["extra"] = {
            m: None if block["overall"]["small"] else _scalar(m, overall[m]) for m in metrics
        }
