"""The examples in the docstrings of audit.metrics run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["_counts", "_engine", "_intervals", "_io", "_named", "_plan", "_rates", "_scores",
           "_stats"]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"audit.metrics.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
