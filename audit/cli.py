"""Command-line interface: thin. Parse arguments, call the library, map errors to exit codes.

Exit codes: 0 ok, 1 a fairness threshold was violated, 2 usage or input error.
No statistics and no file formats are handled here; each command is a few lines over a library call.
"""

from __future__ import annotations

import sys

import click

from audit.exceptions import AuditError

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2


def fail(error: Exception) -> None:
    """Print an input error the way every command does, and exit with code 2."""
    click.echo(f"error: {error}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="social-credit-audit")
def cli() -> None:
    """Audit social-credit-style scoring systems for bias and wrongful blacklisting."""


# --- commands are added below, one block per pipeline stage -------------------------------------


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_USAGE)
    except AuditError as e:
        fail(e)
