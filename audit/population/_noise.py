"""Exogenous noise: every random number of a population comes from here, per block and per stream.

People are generated in fixed-size blocks. Block ``b`` is seeded by the ``b``-th child of
``SeedSequence(seed)`` (``SeedSequence(seed).spawn(...)[b]``, i.e. spawn key ``(b,)``), and inside a
block every node and every mechanism draws its own fixed-size array from the stream keyed
``(b, crc32(stream name))``. So a person's noise depends only on (seed, block, position in block,
stream): not on the chunk size, not on ``n``, not on the order in which streams are read, and not on
which other nodes a scenario declares. Counterfactual twins re-read exactly the same arrays.

This module must not know anything about scenarios, nodes or mechanisms.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

__all__ = ["BLOCK_SIZE", "BlockNoise", "categorical_ppf", "poisson_ppf"]

#: People per block (2**16). Part of the generator's definition: changing it changes populations.
BLOCK_SIZE = 1 << 16

_TINY = 1e-300  # below this a Poisson term is recomputed from logs (see poisson_ppf)


class BlockNoise:
    """The noise arrays of one block of `BLOCK_SIZE` people.

    Parameters
    ----------
    seed : int
        The population seed (non-negative).
    block : int
        Block index: people ``block * BLOCK_SIZE`` to ``(block + 1) * BLOCK_SIZE - 1``.
    """

    def __init__(self, seed: int, block: int):
        self.seed = int(seed)
        self.block = int(block)

    def _generator(self, stream: str) -> np.random.Generator:
        key = (self.block, zlib.crc32(stream.encode()))
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key))
        )

    def uniform(self, stream: str, rows: int = 1) -> np.ndarray:
        """Uniforms in [0, 1), shape ``(BLOCK_SIZE,)`` or ``(rows, BLOCK_SIZE)`` if ``rows > 1``."""
        shape = BLOCK_SIZE if rows == 1 else (rows, BLOCK_SIZE)
        return self._generator(stream).random(shape)

    def normal(self, stream: str) -> np.ndarray:
        """Standard normals, shape ``(BLOCK_SIZE,)``."""
        return self._generator(stream).standard_normal(BLOCK_SIZE)


# ------------------------------------------------------------------------------------------
# Inverse-CDF transforms: noise -> values. Pure functions, vectorised over people.
# ------------------------------------------------------------------------------------------


def categorical_ppf(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Category code of each uniform ``u`` given cumulative shares ``cum``.

    ``cum`` has shape ``(len(u), K)`` (one row per person) or ``(1, K)``; the code is the number of
    cumulative shares (before the last) that are ``<= u``, so zero-share categories never occur.
    """
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def poisson_ppf(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Inverse CDF of the Poisson distribution: smallest k with ``P(X <= k) > u`` (exact search).

    Vectorised over people; the loop runs over count values k (a few dozen for small rates, about
    ``rate + 6 sqrt(rate)`` at most), shrinking to the people whose count is still undecided. Monotone in ``rate`` for a fixed ``u``, so a
    count drawn at a higher rate from the same noise is never smaller.
    """
    k = np.zeros(u.shape, dtype=np.int64)
    p = np.exp(-rate)
    cdf = p.copy()
    idx = np.flatnonzero(u >= cdf)
    step = 0
    while idx.size:
        step += 1
        p_i = p[idx] * rate[idx] / step
        # exp(-rate) underflows (or is subnormal) for rates above ~700: before the mode, take
        # the probability from logs instead, so the recurrence resumes from an exact value
        tiny = p_i < _TINY
        if tiny.any():
            r = rate[idx[tiny]]
            p_i[tiny] = np.exp(step * np.log(r) - r - math.lgamma(step + 1))
        p[idx] = p_i
        cdf[idx] += p_i
        k[idx] = step
        # stop in the far tail only: before the mode (step < rate) the terms are still growing
        idx = idx[(u[idx] >= cdf[idx]) & ((p_i > 1e-17) | (step < rate[idx]))]
    return k
