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

# --- stage 1: population (audit population) ------------------------------------------------------


@cli.command("population")
@click.option("--spec", default="sesame", show_default=True, help="Built-in name or TOML path.")
@click.option("--n", "n", default=1_000_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="A .parquet file.")
@click.option("--chunk-size", type=click.IntRange(min=1), help="People per step (same result).")
@click.option("--progress/--no-progress", default=True, show_default=True)
def population_command(
    spec: str, n: int, seed: int, out: str, chunk_size: int | None, progress: bool
) -> None:
    """Generate a synthetic population from a scenario; write Parquet; print its summary."""
    from audit.population import load_spec, make_population, validate_output

    scenario = load_spec(spec)
    validate_output(out)
    population = make_population(scenario, n=n, seed=seed, chunk_size=chunk_size, progress=progress)
    population.save(out)
    click.echo(population.summary())
    click.echo(f"wrote {out}")


# --- stage 2: scoring (audit train, audit score) -------------------------------------------------


@cli.command("train")
@click.option(
    "--population", "population_path", required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="A .skops file.")
@click.option("--sample", default=200_000, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int, help="Seeds sample and model.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def train_command(population_path: str, out: str, sample: int, seed: int, progress: bool) -> None:
    """Train the social-credit scorer on a population's observed records; write a skops file."""
    from tqdm import tqdm

    from audit.population import load_population
    from audit.scoring import train_scorer, validate_output_path

    validate_output_path(out, suffixes=(".skops",))
    with tqdm(total=3, desc="loading population", disable=not progress, file=sys.stderr) as bar:
        population = load_population(population_path)
        bar.set_description(f"training on {min(sample, len(population.frame)):,} people")
        bar.update()
        scorer = train_scorer(population, sample=sample, seed=seed)
        bar.set_description("saving")
        bar.update()
        scorer.save(out)
        bar.update()
    click.echo(f"wrote {out} (threshold {scorer.threshold:g}, {len(scorer.rules or [])} rules)")


@cli.command("score")
@click.option(
    "--scorer", "scorer_path", required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--population", "population_path", required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="A .parquet file.")
@click.option("--chunk-size", default=250_000, show_default=True, type=click.IntRange(min=1))
@click.option("--progress/--no-progress", default=True, show_default=True)
def score_command(
    scorer_path: str, population_path: str, out: str, chunk_size: int, progress: bool
) -> None:
    """Score a population: write person_id, score and blacklisted to a Parquet file."""
    from audit.population import load_population
    from audit.scoring import load_scorer, score_population, validate_output_path, write_decisions

    validate_output_path(out, suffixes=(".parquet",))
    scorer = load_scorer(scorer_path)
    population = load_population(population_path)
    decisions = score_population(scorer, population.frame, chunk_size=chunk_size, progress=progress)
    write_decisions(decisions, out)
    n, k = len(decisions), int(decisions["blacklisted"].sum())
    click.echo(f"wrote {out}: {n:,} people scored, {k:,} blacklisted ({k / max(n, 1):.2%})")


# --- stage 3a: metrics (audit csv) ---------------------------------------------------------------


@cli.command("csv")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--label", required=True, help="Column of the adverse label (defaulted).")
@click.option("--decision", required=True, help="Column of the decision (blacklisted).")
@click.option("--protected", required=True, help="Protected attribute columns, comma-separated.")
@click.option("--positive", default="1", show_default=True, help="The adverse value in both.")
@click.option("--score", help="Optional score column (higher = more trustworthy).")
@click.option("--observed-label", help="Optional second label column (the recorded label).")
@click.option(
    "--missing", type=click.Choice(["error", "unknown"]), default="error", show_default=True
)
@click.option(
    "--reference", multiple=True, metavar="ATTR=GROUP", help="Reference group; repeatable."
)
@click.option("--min-group-size", default=30, show_default=True, type=click.IntRange(min=0))
@click.option("--min-impact-ratio", default=0.8, show_default=True, type=click.FloatRange(0, 1))
@click.option("--min-fpr-ratio", type=click.FloatRange(0, 1), help="Also judge FPR parity.")
@click.option("--intersections", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--score-range", nargs=2, type=float, metavar="LOW HIGH")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--chunk-size", default=1_000_000, show_default=True, type=click.IntRange(min=1))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def csv_command(path: str, protected: str, reference: tuple[str, ...], out: str, **kw) -> None:
    """Audit a CSV or Parquet file of decisions; write OUT/audit.json and OUT/index.html.

    Exit code 0 when no threshold is violated, 1 when one is, 2 on bad input (nothing written).
    """
    import warnings

    from audit.metrics import parse_reference
    from audit.pipeline import run_on_decisions

    kw["score_range"] = kw["score_range"] or None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_on_decisions(
            path,
            protected=[p.strip() for p in protected.split(",") if p.strip()],
            reference=parse_reference(reference),
            out=out,
            **kw,
        )
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    click.echo(result.summary())
    click.echo(f"wrote {out}/index.html, audit.json, summary.md (and cases.csv)")
    sys.exit(EXIT_OK if result.passed else EXIT_VIOLATION)


# --- stage 4: report (audit compare) -------------------------------------------------------------


@cli.command("compare")
@click.argument("first", metavar="A/audit.json", type=click.Path(dir_okay=False))
@click.argument("second", metavar="B/audit.json", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output directory.")
def compare_command(first: str, second: str, out: str) -> None:
    """Compare two audits: write OUT/index.html, OUT/compare.json and OUT/summary.md.

    Flags a changed methodology (label, adverse value, minimum group size, criterion, schema,
    protected attributes, reference groups): the numbers are then not like for like.
    Exit code 0, or 2 when an input is not an audit.json (nothing written).
    """
    from audit.report import compare_audits, read_audit_json, write_comparison

    a, b = read_audit_json(first), read_audit_json(second)
    changed = [m["label"] for m in compare_audits(a, b)["methodology"] if m["changed"]]
    path = write_comparison(a, b, out, labels=(first, second))
    if changed:
        click.echo(f"warning: methodology changed ({', '.join(changed)})", err=True)
    click.echo(f"wrote {path}")


# --- the main job: audit demo / audit run (audit.pipeline) ---------------------------------------


def _print_outcome(outcome) -> None:
    click.echo(outcome.headline())
    total = sum(outcome.timings.values())
    click.echo(
        "time: "
        + ", ".join(f"{k} {v:.1f}s" for k, v in outcome.timings.items())
        + f"; total {total:.1f}s"
    )


@cli.command("demo")
@click.option("--n", "n", default=1_000_000, show_default=True, type=click.IntRange(min=100))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--spec", default="sesame", show_default=True, help="Built-in scenario or TOML path.")
@click.option("--out", default="reports/demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--progress/--no-progress", default=True, show_default=True)
def demo_command(n: int, seed: int, spec: str, out: str, progress: bool) -> None:
    """The main job: generate, train the stand-in scorer, score, audit, explain, report.

    Exits 0 whenever the report was written (the demo exists to show a biased system); use
    `audit run` for an exit code that reflects the verdict.
    """
    from audit.pipeline import run_synthetic

    _print_outcome(run_synthetic(spec, n=n, seed=seed, out=out, progress=progress))


@cli.command("run")
@click.option("--spec", help="Scenario (built-in name or TOML path): a synthetic run.")
@click.option("--n", "n", default=1_000_000, show_default=True, type=click.IntRange(min=100))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--scorer", "scorer_path", type=click.Path(dir_okay=False), help="Your .skops scorer."
)
@click.option("--data", type=click.Path(dir_okay=False), help="Your people (.csv or .parquet).")
@click.option("--label", help="With --data: column of the recorded adverse label.")
@click.option("--protected", help="With --data: protected attribute columns, comma-separated.")
@click.option("--positive", default="1", show_default=True, help="With --data: the adverse value.")
@click.option("--threshold", type=float, help="With --scorer: blacklist below this score.")
@click.option("--out", default="reports/run", show_default=True, type=click.Path(file_okay=False))
@click.option("--progress/--no-progress", default=True, show_default=True)
def run_command(
    spec, n, seed, scorer_path, data, label, protected, positive, threshold, out, progress
):
    """Audit a scenario (--spec), or your own scorer on your own data (--scorer --data --label
    --protected). Exit 0 when no threshold is violated, 1 when one is, 2 on bad input."""
    from audit.pipeline import run_on_data, run_synthetic

    if spec and (scorer_path or data):
        raise click.UsageError("Give either --spec, or --scorer with --data; not both.")
    if spec:
        outcome = run_synthetic(spec, n=n, seed=seed, out=out, progress=progress)
    else:
        needed = {
            "--scorer": scorer_path,
            "--data": data,
            "--label": label,
            "--protected": protected,
        }
        missing = [k for k, v in needed.items() if not v]
        if missing:
            raise click.UsageError(
                f"Missing {', '.join(missing)} (or give --spec for a synthetic run)."
            )
        outcome = run_on_data(
            scorer_path,
            data,
            label=label,
            protected=[c.strip() for c in protected.split(",") if c.strip()],
            positive=positive,  # matched to the column type as in `audit csv`: "1" matches 1
            threshold=threshold,
            seed=seed,
            out=out,
            progress=progress,
        )
    _print_outcome(outcome)
    sys.exit(EXIT_OK if outcome.result.passed else EXIT_VIOLATION)


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
    except (AuditError, OSError) as e:  # an unwritable --out must not exit 1 ("violated")
        fail(e)
