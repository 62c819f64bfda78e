"""Hypothesis strategies and small builders for the metrics tests (attrs keeps them here too)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st


def frame_from_cells(
    groups: dict[str, tuple[int, int, int, int]], column: str = "g"
) -> pd.DataFrame:
    """Rows realising given confusion cells (tn, fp, fn, tp) per group; label y, decision d."""
    parts = []
    for name, (tn, fp, fn, tp) in groups.items():
        y = np.repeat([0, 0, 1, 1], [tn, fp, fn, tp])
        d = np.repeat([0, 1, 0, 1], [tn, fp, fn, tp])
        parts.append(pd.DataFrame({"y": y, "d": d, column: name}))
    return pd.concat(parts, ignore_index=True)


@st.composite
def decision_tables(draw, max_groups: int = 6, max_size: int = 40, attributes: int = 1):
    """Random decision tables: tiny groups, groups without negatives or positives, one group.

    Returns a DataFrame with columns y, d (0/1, 1 = adverse) and a0 .. a{attributes-1}.
    """
    n_groups = draw(st.integers(1, max_groups))
    sizes = draw(st.lists(st.integers(1, max_size), min_size=n_groups, max_size=n_groups))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    frames = []
    for g, size in enumerate(sizes):
        kind = draw(st.sampled_from(["mixed", "mixed", "all_adverse_label", "no_adverse_label"]))
        p_y = {"mixed": rng.uniform(0.1, 0.9), "all_adverse_label": 1.0, "no_adverse_label": 0.0}[
            kind
        ]
        y = (rng.random(size) < p_y).astype(int)
        d = (rng.random(size) < rng.uniform(0, 1)).astype(int)
        cols = {"y": y, "d": d}
        for a in range(attributes):
            cols[f"a{a}"] = f"g{g % (3 + a)}" if a else f"g{g}"
        frames.append(pd.DataFrame(cols))
    frame = pd.concat(frames, ignore_index=True)
    # rows in random order
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
