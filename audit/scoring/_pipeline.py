"""Train a scorer on a population, score a population, write decisions: what `audit train` and
`audit score` run.

A population here is anything with ``frame`` (DataFrame), ``features`` (list of str) and
``spec.scorer`` (the raw ``[scorer]`` table), as ``audit.population.Population`` has; this module
duck-types it and must not import the generator. Files are written atomically (temp + rename).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit.exceptions import InvalidInputError
from audit.scoring._scorer import SocialCreditScorer
from audit.scoring._validation import require_columns, require_frame

__all__ = ["score_population", "train_scorer", "validate_output_path", "write_decisions"]


def train_scorer(
    population: Any,
    *,
    sample: int | None = 200_000,
    seed: int = 0,
    label: str = "observed",
    **params: Any,
) -> SocialCreditScorer:
    """Fit a ``SocialCreditScorer`` on a random sample of a population's observed records.

    The threshold and rules come from the scenario's ``[scorer]`` table (``population.spec.scorer``);
    the features are ``population.features``; the label is ``observed`` (never ``truth``).

    Parameters
    ----------
    population : audit.population.Population
    sample : int or None, default 200000
        Number of people to train on, drawn without replacement with ``seed``; None = everybody.
    seed : int, default 0
        Seeds the sample and the estimator (``random_state``).
    label : str, default "observed"
        Label column (1 = default).
    **params
        Override ``SocialCreditScorer`` parameters (and the table's values).

    Returns
    -------
    SocialCreditScorer
        Fitted. ``scorer.training_rows_`` holds the sorted row positions it was trained on.
    """
    frame = require_frame(population.frame, who="train_scorer")
    if sample is not None and (not isinstance(sample, int) or sample < 2):
        raise InvalidInputError(
            "The 'sample' parameter of train_scorer must be an int >= 2 or None. "
            f"Got {sample!r} instead."
        )
    require_columns(frame, [label], who="train_scorer")
    n = len(frame)
    if sample is None or sample >= n:
        rows = np.arange(n)
    else:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))
    spec = getattr(population, "spec", None)
    table = getattr(spec, "scorer", None)
    params.setdefault("features", list(population.features))
    params.setdefault("random_state", seed)
    scorer = SocialCreditScorer.from_spec(table, **params)
    train = frame.iloc[rows]
    scorer.fit(train, train[label].to_numpy())
    scorer.training_rows_ = rows
    return scorer


def score_population(
    scorer: Any,
    frame: pd.DataFrame,
    *,
    chunk_size: int = 250_000,
    progress: bool = False,
    id_column: str = "person_id",
) -> pd.DataFrame:
    """Score a frame in chunks: DataFrame with ``person_id``, ``score`` (float64), ``blacklisted``.

    ``blacklisted`` is ``score < scorer.threshold``. Chunks make no difference to the result
    (``check_scorer`` rule ``chunking``); they bound memory and drive the progress bar.
    """
    frame = require_frame(frame, who="score_population")
    require_columns(frame, [id_column], who="score_population")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInputError(
            "The 'chunk_size' parameter of score_population must be a positive int. "
            f"Got {chunk_size!r} instead."
        )
    n = len(frame)
    scores = np.empty(n, dtype=np.float64)
    with tqdm(total=n, desc="scoring", unit="people", disable=not progress, leave=False) as bar:
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            scores[start:stop] = scorer.score(frame.iloc[start:stop])
            bar.update(stop - start)
    return pd.DataFrame(
        {
            id_column: frame[id_column].to_numpy(),
            "score": scores,
            "blacklisted": scores < float(scorer.threshold),
        }
    )


def validate_output_path(path: str | os.PathLike[str], *, suffixes: tuple[str, ...]) -> Path:
    """Check, before any work, that ``path`` can be written: its folder exists, its suffix fits.

    Raises
    ------
    InvalidInputError
        Naming the path, what was expected and what was found.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise InvalidInputError(
            f"Output file '{path}' must end in {' or '.join(suffixes)}; got "
            f"{path.suffix or 'no suffix'!r}."
        )
    if not path.parent.is_dir():
        raise InvalidInputError(f"Cannot write '{path}': folder '{path.parent}' does not exist.")
    if path.is_dir():
        raise InvalidInputError(f"Cannot write '{path}': it is a folder.")
    return path


def write_decisions(decisions: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a decisions table to Parquet atomically (temp file in the same folder, then rename)."""
    path = validate_output_path(path, suffixes=(".parquet",))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        decisions.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path
