"""GroupCounts: chunked counts equal whole counts; + merges; row order and relabelling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import InvalidInputError, SchemaError
from audit.metrics import count_groups
from audit.metrics._counts import _CUBE_LIMIT


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 5000
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "d": rng.integers(0, 2, n),
            "s": rng.uniform(350, 950, n),
            "eth": pd.Categorical(rng.choice(["Han", "Hui", "Uyghur", "Zhuang"], n)),
            "sex": rng.choice(["f", "m"], n),
            "age": rng.integers(1, 6, n),
        }
    )


KW = {"label": "y", "decision": "d", "protected": ["eth", "sex", "age"], "score": "s",
      "score_range": (350, 950)}  # fmt: skip


def test_counts_by_hand():
    df = pd.DataFrame({"y": [1, 0, 0, 1, 1], "d": [1, 1, 0, 0, 1], "g": ["a", "a", "b", "b", "b"]})
    t = count_groups(df, label="y", decision="d", protected="g").tables["g"]
    assert t.labels == (("a",), ("b",))
    assert t.cells.tolist() == [[0, 1, 0, 1], [1, 0, 1, 1]]  # tn, fp, fn, tp
    assert t.to_frame().loc["b", "n"] == 3


def test_chunked_counts_equal_whole_counts(frame):
    whole = count_groups(frame, **KW)
    parts = [count_groups(frame.iloc[i : i + 333], **KW) for i in range(0, len(frame), 333)]
    assert sum(parts).equals(whole)
    assert (parts[0] + parts[1]).n == 666
    assert list(whole.tables) == ["eth", "sex", "age", "eth & sex", "eth & age", "sex & age"]


def test_row_order_does_not_matter(frame):
    a = count_groups(frame, **KW)
    b = count_groups(frame.sample(frac=1, random_state=1), **KW)
    assert a.equals(b)


def test_relabelling_groups_relabels_counts(frame):
    a = count_groups(frame, **KW).tables["eth & sex"]
    renamed = frame.assign(sex=frame.sex.map({"f": "woman", "m": "man"}))
    b = count_groups(renamed, **KW).tables["eth & sex"]
    names = {"f": "woman", "m": "man"}
    mapped = {(e, names[s]): row for (e, s), row in zip(a.labels, a.cells.tolist(), strict=True)}
    assert {lab: row for lab, row in zip(b.labels, b.cells.tolist(), strict=True)} == mapped


def test_intersections_and_histograms_equal_groupby(frame):
    c = count_groups(frame, **KW)
    t = c.tables["eth & age"]
    expected = frame.groupby(["eth", "age"], observed=True).size()
    for lab, n in zip(t.labels, t.n, strict=True):
        assert expected[(lab[0], int(lab[1]))] == n
    assert t.hist.sum() == len(frame)
    sub = frame[(frame.eth == "Hui") & (frame.age == 3) & (frame.y == 1)]
    i = t.labels.index(("Hui", "3"))
    assert t.hist[i, 1].sum() == len(sub)
    assert t.hist[i, 1, :100].sum() == (sub.s < 450).sum()


def test_groups_missing_from_a_chunk_are_aligned(frame):
    a = count_groups(frame[frame.eth == "Han"], **KW)
    b = count_groups(frame[frame.eth != "Han"], **KW)
    merged = a + b
    assert merged.tables["eth"].labels == (("Han",), ("Hui",), ("Uyghur",), ("Zhuang",))
    assert merged.equals(count_groups(frame, **KW))


def test_big_cubes_fall_back_to_per_grouping_counts(frame, monkeypatch):
    import audit.metrics._counts as counts

    expected = count_groups(frame, **KW)
    monkeypatch.setattr(counts, "_CUBE_LIMIT", 1)
    monkeypatch.setattr(counts, "_DENSE_LIMIT", 4)  # and compressed codes
    assert _CUBE_LIMIT > 1
    assert count_groups(frame, **KW).equals(expected)


def test_adding_incompatible_counts_is_an_error(frame):
    a = count_groups(frame, **KW)
    with pytest.raises(InvalidInputError, match="different score grids"):
        a + count_groups(frame, **{**KW, "score_range": (0, 1000)})
    with pytest.raises(InvalidInputError, match="different groupings"):
        a + count_groups(frame, **{**KW, "protected": ["eth"]})
    recoded = frame.assign(y=np.where(frame.y == 1, 2, 0))
    one = count_groups(recoded.assign(d=np.where(frame.d == 1, 2, 0)), **{**KW, "positive": 2})
    two = count_groups(recoded.assign(d=np.where(frame.d == 1, 2, 3)), **{**KW, "positive": 2})
    with pytest.raises(SchemaError, match="one part of the data has 0, another 3"):
        one + two


def test_missing_values_become_unknown_only_when_asked():
    df = pd.DataFrame({"y": [1, 0, 1], "d": [1, 0, 0], "g": ["a", None, "unknown"]})
    with pytest.raises(SchemaError, match="Column 'g' has 1 missing value"):
        count_groups(df, label="y", decision="d", protected="g")
    c = count_groups(df, label="y", decision="d", protected="g", missing="unknown")
    assert c.tables["g"].labels == (("a",), ("unknown",))  # an existing "unknown" merges
    assert c.missing == {"g": 1}
