"""The examples in the docstrings of audit.scoring run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

# Modules with runnable examples. _io's only example is skipped (it needs a model file on disk),
# and _pipeline and _validation have none yet, so testing them here would pass vacuously.
MODULES = ["_check", "_mapping", "_protocol", "_rules", "_scorer"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"audit.scoring.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
