"""The package imports, exposes its version and error tree, and the CLI answers --help."""

import subprocess
import sys

import audit
from audit.exceptions import AuditError, InvalidInputError, SpecError


def test_error_tree_subclasses_builtins():
    err = SpecError("shares must sum to 1 (got 0.9)", path="x.toml", key="protected.sex.shares")
    assert isinstance(err, InvalidInputError)
    assert isinstance(err, ValueError)
    assert isinstance(err, AuditError)
    assert str(err) == "x.toml: protected.sex.shares: shares must sum to 1 (got 0.9)"


def test_cli_help_runs():
    out = subprocess.run(
        [sys.executable, "-m", "audit", "--help"], capture_output=True, text=True, check=True
    )
    assert "Audit social-credit-style scoring systems" in out.stdout
    assert audit.__version__
