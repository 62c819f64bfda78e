"""Shared helpers for the population tests: scenario dicts to modify, and small cached populations."""

from __future__ import annotations

import copy
import tomllib
from functools import cache
from pathlib import Path

import pytest

from audit.population import make_population

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


@cache
def _toml(name: str) -> dict:
    with (DATASETS / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def scenario(name: str = "fair", **magnitudes: float) -> dict:
    """A fresh copy of a shipped scenario as a dict, with the given mechanism magnitudes."""
    data = copy.deepcopy(_toml(name))
    for mechanism, value in magnitudes.items():
        data["mechanisms"][mechanism]["magnitude"] = value
    return data


@cache
def cached_population(name: str, n: int, seed: int):
    return make_population(name, n=n, seed=seed)


@pytest.fixture
def sesame_small():
    """Sesame, 50k people (one block), seed 7; shared, do not modify its frame."""
    return cached_population("sesame", 50_000, 7)
