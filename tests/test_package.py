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


def test_public_api_resolves_every_name():
    for name in audit.__all__:
        assert getattr(audit, name) is not None, name
    assert audit.make_population.__module__.startswith("audit.population")


def test_importing_the_cli_does_not_import_shap():
    code = "import sys, audit.cli; print('shap' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_all_lists_exactly_the_lazy_exports():
    assert set(audit.__all__) == {"AuditError", "InvalidInputError", "__version__", *audit._EXPORTS}
