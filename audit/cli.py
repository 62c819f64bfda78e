"""Command-line interface: thin. Parse arguments, call the library, map errors to exit codes.

Exit codes: 0 PASS (or done), 1 FAIL (a criterion violated on its confidence bounds), 2 usage or
input error, 3 INCONCLUSIVE (the data cannot tell PASS from FAIL).
No statistics and no file formats are handled here; each command is a few lines over a library call.
"""

from __future__ import annotations

import sys

import click

from audit.exceptions import AuditError

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


def exit_code(outcome: str | None) -> int:
    """The exit code of a verdict: 0 pass, 1 fail, 3 inconclusive (or no verdict)."""
    return {"pass": EXIT_OK, "fail": EXIT_VIOLATION}.get(outcome or "", EXIT_INCONCLUSIVE)


def _protected(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _reference_option(fn):
    return click.option(
        "--reference", multiple=True, metavar="ATTR=GROUP",
        help="Reference group, fixed before the audit; repeatable (default: the scenario's, "
        "else the largest group).",
    )(fn)  # fmt: skip


def _criteria_options(fn):
    """--min-impact-ratio / --min-adverse-ratio / --min-fpr-ratio (0 = not judged)."""
    for flag, text in (
        ("--min-fpr-ratio", "wrongful blacklisting ratio"),
        ("--min-adverse-ratio", "blacklisting (adverse-rate) ratio"),
        ("--min-impact-ratio", "impact ratio (four-fifths rule)"),
    ):
        fn = click.option(flag, type=click.FloatRange(0, 1), help=f"Band [t, 1/t] of the {text}; "
                          "0 = not judged.")(fn)  # fmt: skip
    return fn


def _criteria(kw: dict, defaults: dict[str, float | None]) -> dict[str, float | None]:
    """The criteria options of a command: given values (0 = off), else the command's defaults."""
    out = {}
    for name, default in defaults.items():
        value = kw.pop(name)
        out[name] = default if value is None else (value or None)
    return out


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
@_reference_option
@click.option("--min-group-size", default=30, show_default=True, type=click.IntRange(min=0))
@_criteria_options
@click.option("--confidence", default=0.95, show_default=True, type=click.FloatRange(0.5, 0.999))
@click.option("--intersections", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--score-range", nargs=2, type=float, metavar="LOW HIGH")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--chunk-size", default=1_000_000, show_default=True, type=click.IntRange(min=1))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def csv_command(path, label, decision, protected, positive, score, observed_label, reference,
                chunk_size, out, progress, **kw) -> None:  # fmt: skip
    """Audit a CSV or Parquet file of decisions; write OUT/audit.json and OUT/index.html.

    Judges the four-fifths rule by default (add --min-adverse-ratio 0.8 and --min-fpr-ratio 0.8 to
    judge blacklisting and wrongful-blacklisting parity). Exit code 0 PASS, 1 FAIL, 3
    INCONCLUSIVE, 2 on bad input (nothing written).
    """
    import warnings

    from audit.metrics import AuditOptions, parse_reference
    from audit.pipeline import run_on_decisions

    kw.update(_criteria(kw, {"min_impact_ratio": 0.8, "min_adverse_ratio": None,
                             "min_fpr_ratio": None}))  # fmt: skip
    kw["score_range"] = kw["score_range"] or None
    options = AuditOptions(positive=positive, reference=parse_reference(reference), **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_on_decisions(
            path, label=label, decision=decision, protected=_protected(protected),
            positive=positive, score=score, observed_label=observed_label, out=out,
            chunk_size=chunk_size, progress=progress, options=options,
        )  # fmt: skip
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    click.echo(result.summary())
    click.echo(f"wrote {out}/index.html, audit.json, summary.md (and cases.csv)")
    sys.exit(exit_code(result.outcome))


@cli.command("plan")
@click.option("--rate", required=True, type=float, help="The reference group's rate, e.g. 0.05.")
@click.option(
    "--ratio", required=True, type=float, help="The other group's rate ÷ the reference's."
)
@click.option("--alpha", default=0.05, show_default=True, type=float, help="Family-wise error.")
@click.option("--power", default=0.8, show_default=True, type=float)
@click.option(
    "--groups", default=2, show_default=True, type=int, help="Groups, reference included."
)
@click.option("--threshold", default=0.8, show_default=True, type=float, help="Band [t, 1/t].")
def plan_command(rate, ratio, alpha, power, groups, threshold) -> None:
    """How many people per group an audit needs to detect, and to FAIL, a rate ratio."""
    from audit.metrics import plan_audit

    p = plan_audit(rate, ratio, alpha=alpha, power=power, groups=groups, threshold=threshold)
    click.echo(
        f"Reference rate {p['rate']:g}, other group {p['ratio']:g} × that "
        f"({p['rate'] * p['ratio']:g}); {p['groups']} groups, family-wise alpha {p['alpha']:g}, "
        f"power {p['power']:g}."
    )
    click.echo(
        f"To detect the difference: {p['n_detect']:,} people per group ({p['method']['detect']})."
    )
    if p["n_fail"] is None:
        click.echo(
            f"To FAIL it: never — a ratio inside the band {p['band'][0]:g}–{p['band'][1]:.4g} is "
            "not a violation."
        )
    else:
        click.echo(
            f"To FAIL it (band {p['band'][0]:g}–{p['band'][1]:.4g}): {p['n_fail']:,} people "
            f"per group ({p['method']['fail']})."
        )
    click.echo(
        "People per group means in the rate's denominator (for the wrongful blacklisting "
        "rate: people whose label is not adverse)."
    )


# --- stage 4: report (audit compare) -------------------------------------------------------------


@cli.command("compare")
@click.argument("first", metavar="A/audit.json", type=click.Path(dir_okay=False))
@click.argument("second", metavar="B/audit.json", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output directory.")
def compare_command(first: str, second: str, out: str) -> None:
    """Compare two audits: write OUT/index.html, OUT/compare.json and OUT/summary.md.

    Compares the verdicts (PASS / FAIL / INCONCLUSIVE, overall, per criterion and per group) and
    flags a changed methodology (label, adverse value, minimum group size, criteria, thresholds,
    methods, schema, protected attributes, reference groups and their rules): the numbers are then
    not like for like. Exit code 0, or 2 when an input is not an audit.json (nothing written).
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
    for warning in outcome.warnings:  # the direction guard: loud, on stderr
        click.echo(f"WARNING: {warning}", err=True)
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
@_reference_option
@click.option("--out", default="reports/demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--progress/--no-progress", default=True, show_default=True)
def demo_command(n: int, seed: int, spec: str, reference, out: str, progress: bool) -> None:
    """The main job: generate, train the stand-in scorer, score, audit, explain, report.

    Exits 0 whenever the report was written (the demo exists to show a biased system); use
    `audit run` for an exit code that reflects the verdict.
    """
    from audit.metrics import parse_reference
    from audit.pipeline import run_synthetic

    refs = parse_reference(reference)
    _print_outcome(run_synthetic(spec, n=n, seed=seed, out=out, reference=refs, progress=progress))


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
@_reference_option
@click.option("--min-group-size", default=30, show_default=True, type=click.IntRange(min=0))
@_criteria_options
@click.option("--confidence", default=0.95, show_default=True, type=click.FloatRange(0.5, 0.999))
@click.option("--out", default="reports/run", show_default=True, type=click.Path(file_okay=False))
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option(
    "--strict",
    is_flag=True,
    help="With --scorer: exit 2, writing nothing, when the "
    "scores rank the label backwards or blacklist nearly everyone or no one.",
)
def run_command(spec, n, seed, scorer_path, data, label, protected, positive, threshold, reference,
                out, progress, strict, **kw):  # fmt: skip
    """Audit a scenario (--spec), or your own scorer on your own data (--scorer --data --label
    --protected). Judges the four-fifths rule, the blacklisting ratio and the wrongful-blacklisting
    ratio (band 0.8-1.25) on simultaneous confidence bounds. Exit 0 PASS, 1 FAIL, 3 INCONCLUSIVE,
    2 on bad input."""
    from audit.metrics import parse_reference
    from audit.pipeline import RUN_CRITERIA, run_on_data, run_synthetic

    if spec and (scorer_path or data):
        raise click.UsageError("Give either --spec, or --scorer with --data; not both.")
    kw.update(_criteria(kw, dict(RUN_CRITERIA)))
    refs = parse_reference(reference)
    if spec:
        outcome = run_synthetic(
            spec, n=n, seed=seed, out=out, reference=refs, progress=progress, **kw
        )
    else:
        needed = {"--scorer": scorer_path, "--data": data, "--label": label,
                  "--protected": protected}  # fmt: skip
        missing = [k for k, v in needed.items() if not v]
        if missing:
            raise click.UsageError(
                f"Missing {', '.join(missing)} (or give --spec for a synthetic run)."
            )
        outcome = run_on_data(
            scorer_path, data, label=label, protected=_protected(protected),
            positive=positive,  # matched to the column type as in `audit csv`: "1" matches 1
            threshold=threshold, reference=refs, seed=seed, out=out, progress=progress,
            strict=strict, **kw,
        )  # fmt: skip
    _print_outcome(outcome)
    sys.exit(exit_code(outcome.result.outcome))


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
