"""The examples in the report package's docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["_compare", "_html", "_summarize", "_summary", "_write"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"audit.report.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
