"""The examples in the docstrings of audit.scoring run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["_check", "_io", "_mapping", "_pipeline", "_protocol", "_rules", "_scorer"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"audit.scoring.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
