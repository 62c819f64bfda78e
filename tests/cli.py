"""Run the command line in this process (fast; the same exit codes as `python -m audit`)."""

from __future__ import annotations

import sys

from audit.cli import main


def run_cli(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    """`audit ARGS...` through `audit.cli.main`; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["audit", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err
