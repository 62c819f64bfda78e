"""The main job: population → scorer → audit → explanations → case files → report.

The only module that imports every stage. Each stage hands the next a plain value; this module just
calls them in order, times them, shows one progress line per stage, and puts the sections into one
``AuditResult``. It computes no statistics of its own and must not grow any.

Two entry points:

* ``run_synthetic`` — generate a scenario's population, train the stand-in scorer on the *observed*
  records of a sample, score everyone, audit against truth and observed labels (``audit demo`` /
  ``audit run --spec``);
* ``run_on_data`` — a user's own scorer on their own people (``audit run --scorer --data``); no ground
  truth, so the observed label is the label and case files say so;
* ``run_on_decisions`` — a file of decisions already made (``audit csv``): counted in chunks; case
  files (without reasons: there is no scorer to ask) when the file fits in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit.cases import build_case_files, select_cases
from audit.exceptions import InvalidInputError, SchemaError
from audit.explain import explain_scores
from audit.metrics import AuditResult, adverse_mask, audit_decisions, audit_file
from audit.population import Population, make_population
from audit.report import harm_findings, write_report
from audit.scoring import as_scorer, check_scorer, score_population, train_scorer

__all__ = ["RunOutcome", "run_on_data", "run_on_decisions", "run_synthetic"]

STAGES_SYNTHETIC = ("population", "train", "score", "audit", "explain", "cases", "report")
STAGES_DATA = ("check", "score", "audit", "explain", "cases", "report")


@dataclass
class RunOutcome:
    """What a run produced: the result, where the report is, and how long each stage took (s)."""

    result: AuditResult
    report: Path
    timings: dict[str, float] = field(default_factory=dict)

    def headline(self) -> str:
        """The finding in people, for the terminal."""
        d = self.result.data  # read only: to_dict() would deep-copy the whole audit
        overall = d.get("overall", {})
        counts = overall.get("counts", {})
        label = d.get("meta", {}).get("label", "label")
        lines = [
            f"{overall.get('n', 0):,} people audited; {counts.get('tp', 0) + counts.get('fp', 0):,} "
            f"blacklisted, of whom {counts.get('fp', 0):,} wrongly (blacklisted although "
            f"{label} was not adverse).",
        ]
        lines += harm_findings(d)  # the same sentences as the report's executive summary
        violations = d.get("verdict", {}).get("violations", [])
        if violations:
            worst = min(violations, key=lambda v: v.get("value") or 0)
            where = worst.get("attribute")
            if worst.get("group") is not None:
                where = f"{where}={worst['group']}"
            lines.append(
                f"{len(violations)} threshold violation(s); worst: {worst.get('criterion')} "
                f"for {where} at {worst.get('value'):.3f} (threshold {worst.get('threshold')})."
            )
        else:
            lines.append("No threshold violated.")
        lines.append(f"Report: {self.report}")
        return "\n".join(lines)


class _Stages:
    """One progress bar over the stages, and the time each took."""

    def __init__(self, names: Sequence[str], progress: bool):
        self.timings: dict[str, float] = {}
        self.bar = tqdm(total=len(names), desc="audit", unit="stage", disable=not progress)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.bar.set_postfix_str(name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        self.bar.update(1)

    def __enter__(self) -> _Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


def run_synthetic(
    spec: str | Path = "sesame",
    *,
    n: int = 1_000_000,
    seed: int = 0,
    out: str | Path = "reports/demo",
    train_size: int = 200_000,
    per_group: int = 200,
    cases_per_group: int = 20,
    min_fpr_ratio: float | None = 0.8,
    progress: bool = True,
) -> RunOutcome:
    """Generate a scenario, train and run the stand-in scorer, audit it and write the report.

    Parameters
    ----------
    spec : str or path
        A built-in scenario name (``"sesame"``, ``"fair"``) or a scenario TOML file.
    n, seed : int
        Population size and seed (same seed, same audit.json).
    out : path
        Report folder (``index.html``, ``audit.json``, ``summary.md``, ``cases.csv``).
    train_size : int
        People the scorer is trained on (a random sample; their observed records and labels only).
    per_group, cases_per_group : int
        People explained with SHAP per group; case files per group.
    min_fpr_ratio : float or None
        Besides the four-fifths rule on favourable rates, judge wrongful-blacklisting parity: the
        lowest group FPR over the highest (fairlearn ``between_groups`` ratio) must reach this.
    progress : bool
        Progress bars on stderr.

    Returns
    -------
    RunOutcome

    Examples
    --------
    >>> import tempfile
    >>> run = run_synthetic("sesame", n=5_000, out=tempfile.mkdtemp(), train_size=2_000,
    ...                     per_group=20, progress=False)
    >>> run.report.name
    'index.html'
    """
    out = _check_out(out)
    with _Stages(STAGES_SYNTHETIC, progress) as stages:
        with stages.stage("population"):
            pop = make_population(spec, n=n, seed=seed, progress=progress)
        with stages.stage("train"):
            scorer = train_scorer(pop, sample=min(train_size, n), seed=seed)
        with stages.stage("score"):
            decisions = score_population(scorer, pop.frame, progress=progress)
        people = _people(pop.frame, pop.protected, ["truth", "observed"], decisions)
        source = f"synthetic:{pop.spec.name}"
        with stages.stage("audit"):
            result = audit_decisions(
                people,
                label="truth",
                observed_label="observed",
                decision="blacklisted",
                score="score",
                protected=pop.protected,
                source=source,
                seed=seed,
                min_fpr_ratio=min_fpr_ratio,
            )
        return _finish(
            result,
            stages,
            out=out,
            scorer=scorer,
            frame=pop.frame,
            people=people,
            protected=pop.protected,
            label="truth",
            population=pop,
            per_group=per_group,
            cases_per_group=cases_per_group,
            seed=seed,
            progress=progress,
            extra_sections={
                "population": _population_section(pop),
                "scorer": _scorer_section(scorer, queried="score(X) on all people"),
            },
        )


def run_on_data(
    scorer: Any,
    data: pd.DataFrame | str | Path,
    *,
    label: str,
    protected: Sequence[str],
    positive: Any = 1,
    out: str | Path = "reports/run",
    threshold: float | None = None,
    per_group: int = 200,
    cases_per_group: int = 20,
    min_fpr_ratio: float | None = 0.8,
    seed: int = 0,
    progress: bool = True,
) -> RunOutcome:
    """Audit a user's own scorer on their own people: score, audit, explain, case files, report.

    Everything that can be checked is checked before any long work starts: the data has the label,
    the protected columns and the scorer's features; the scorer passes ``check_scorer`` on a sample.

    Parameters
    ----------
    scorer : Scorer, sklearn classifier, callable or path to a ``.skops`` file
        Adapted with ``audit.scoring.as_scorer``.
    data : pandas.DataFrame or path to a CSV / Parquet file
        One row per person: the scorer's features, the recorded label and the protected columns.
    label : str
        The recorded adverse label (defaulted / violated). There is no ground truth here.
    protected : list of str
        Protected attribute columns.
    positive : object
        The label value meaning the adverse outcome.
    threshold : float, optional
        Blacklist threshold, if the scorer does not carry one.
    """
    out = _check_out(out)
    frame = _read_people(data)
    kwargs = {} if threshold is None else {"threshold": threshold}
    scorer = as_scorer(scorer, **kwargs)
    protected = list(protected)
    _require(frame, [label, *protected, *scorer.feature_names])
    frame = frame.reset_index(drop=True)
    adverse = _adverse(frame[label], positive, label)
    if "person_id" not in frame.columns:
        frame = frame.assign(person_id=np.arange(len(frame), dtype=np.int64))
    with _Stages(STAGES_DATA, progress) as stages:
        with stages.stage("check"):
            sample = frame.sample(n=min(len(frame), 2_000), random_state=seed)
            # with the protected columns present, so a scorer that secretly reads them fails
            columns = list(dict.fromkeys([*scorer.feature_names, *protected]))
            check_scorer(scorer, sample[columns], protected=protected)
        with stages.stage("score"):
            decisions = score_population(scorer, frame, progress=progress)
        people = _people(frame, protected, [label], decisions)
        people[label] = adverse
        with stages.stage("audit"):
            result = audit_decisions(
                people,
                label=label,
                decision="blacklisted",
                score="score",
                protected=protected,
                positive=True,
                source=str(data) if isinstance(data, str | Path) else "DataFrame",
                seed=seed,
                min_fpr_ratio=min_fpr_ratio,
            )
        return _finish(
            result,
            stages,
            out=out,
            scorer=scorer,
            frame=frame,
            people=people,
            protected=protected,
            label=label,
            positive=True,
            population=None,
            per_group=per_group,
            cases_per_group=cases_per_group,
            seed=seed,
            progress=progress,
            extra_sections={"scorer": _scorer_section(scorer, queried="score(X) on all rows")},
        )


def run_on_decisions(
    path: str | Path,
    *,
    label: str,
    decision: str,
    protected: Sequence[str],
    out: str | Path,
    reference: dict[str, str] | None = None,
    cases_per_group: int = 20,
    max_rows_for_cases: int = 5_000_000,
    chunk_size: int = 1_000_000,
    progress: bool = True,
    **options: Any,
) -> AuditResult:
    """Audit a CSV / Parquet file of decisions and write the report (what ``audit csv`` runs).

    The disparity audit reads the file in chunks (any size). Case files need the rows themselves,
    so they are built only when the file has at most ``max_rows_for_cases`` rows; otherwise the
    ``cases`` section says why they are missing. There is no scorer here, so case files carry no
    reason codes and no counterfactual twins, and "wrongful" is judged against the recorded label.

    Parameters
    ----------
    path : str or path
        The decisions file. ``label``, ``decision``, ``protected``, ``reference`` and ``options``
        are those of :func:`audit.metrics.audit_file`.
    out : path
        Report folder.
    """
    protected = list(protected)
    kept: list[pd.DataFrame] = []  # the rows, while they fit, for the case files: one read only
    kept_rows = 0

    def keep(chunk: pd.DataFrame) -> None:
        nonlocal kept_rows
        kept_rows += len(chunk)
        if kept_rows <= max_rows_for_cases:
            kept.append(chunk)
        else:
            kept.clear()

    result = audit_file(
        path,
        label=label,
        decision=decision,
        protected=protected,
        reference=reference,
        chunk_size=chunk_size,
        progress=progress,
        on_chunk=keep,
        **options,
    )
    meta = result.data["meta"]
    if meta["n"] > max_rows_for_cases:
        result = result.with_section(
            "cases",
            {"note": f"Case files not built: {meta['n']:,} rows exceed max_rows_for_cases="
             f"{max_rows_for_cases:,}; counts and rates above cover every row."},
        )  # fmt: skip
    else:
        frame = pd.concat(kept, ignore_index=True)
        blacklisted = _adverse(frame[decision], meta["positive"], decision)
        attributes = result.data["attributes"]
        selection = select_cases(
            frame,
            blacklisted,
            protected=protected,
            reference={a: attributes[a]["reference"] for a in protected},
            label=label,
            label_kind="observed",
            positive=meta["positive"],
            per_group=cases_per_group,
            seed=meta.get("seed") or 0,
        )
        scores = frame[meta["score"]].to_numpy() if meta["score"] else None
        files = build_case_files(selection, frame, scorer=None, explanation=None, scores=scores)
        result = result.with_section("cases", files.to_dict(), tables={"cases": files.table})
    write_report(result, out)
    return result


def _finish(
    result: AuditResult,
    stages: _Stages,
    *,
    out: Path,
    scorer: Any,
    frame: pd.DataFrame,
    people: pd.DataFrame,
    protected: list[str],
    label: str,
    population: Population | None,
    per_group: int,
    cases_per_group: int,
    seed: int,
    progress: bool,
    extra_sections: dict[str, Any],
    positive: Any = 1,
) -> RunOutcome:
    """Explain, build case files (against the reference groups the metrics chose), write the report."""
    attributes = result.data["attributes"]
    reference = {a: attributes[a]["reference"] for a in protected if attributes[a].get("reference")}
    with stages.stage("explain"):
        selection = select_cases(
            people,
            "blacklisted",
            protected=protected,
            reference=reference,
            label=label,
            positive=positive,
            per_group=cases_per_group,
            seed=seed,
        )
        explanation = explain_scores(
            scorer,
            frame,
            protected=protected,
            reference=reference,
            per_group=per_group,
            extra_rows=selection.rows,
            scores=people["score"].to_numpy(),
            seed=seed,
            progress=progress,
        )
    with stages.stage("cases"):
        files = build_case_files(
            selection,
            people.join(frame.drop(columns=people.columns, errors="ignore")),
            scorer=scorer,
            explanation=explanation,
            population=population,
            mechanism_info=population.mechanisms if population is not None else None,
        )
    result = result.with_section("explain", explanation.to_dict())
    result = result.with_section("cases", files.to_dict(), tables={"cases": files.table})
    for key, value in extra_sections.items():
        result = result.with_section(key, value)
    with stages.stage("report"):
        report = write_report(result, out)
    return RunOutcome(result, report, stages.timings)


def _people(
    frame: pd.DataFrame, protected: list[str], labels: list[str], decisions: pd.DataFrame
) -> pd.DataFrame:
    """The audit's table: protected columns, labels, traces, score and decision — nothing else."""
    traces = [c for c in frame.columns if c.startswith("trace_")]
    people = frame[["person_id", *protected, *labels, *traces]].copy()
    people["score"] = decisions["score"].to_numpy()
    people["blacklisted"] = decisions["blacklisted"].to_numpy()
    return people


def _population_section(pop: Population) -> dict:
    return {
        "scenario": pop.spec.name,
        "seed": pop.seed,
        "n": len(pop.frame),
        "features": list(pop.features),
        "reference": dict(pop.reference),
        "mechanisms": pop.mechanisms,
        "base_rate_truth": float(pop.frame["truth"].mean()),
        "base_rate_observed": float(pop.frame["observed"].mean()),
    }


def _scorer_section(scorer: Any, *, queried: str) -> dict:
    section: dict[str, Any] = {
        "kind": type(scorer).__name__,
        "threshold": float(scorer.threshold),
        "features": list(scorer.feature_names),
        "queried": queried,
    }
    describe: Callable[[], dict] | None = getattr(scorer, "describe", None)
    if callable(describe):
        section.update(describe())
    return section


def _check_out(out: str | Path) -> Path:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"The output folder '{out}' exists and is not a folder.")
    return out


def _read_people(data: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    path = Path(data)
    if not path.is_file():
        raise InvalidInputError(f"Data file '{path}' does not exist.")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
    except (ValueError, OSError) as e:
        raise InvalidInputError(f"Could not read data file '{path}': {e}") from e
    raise InvalidInputError(
        f"Data file '{path}' must be .csv or .parquet; got {path.suffix or 'no suffix'!r}."
    )


def _adverse(values: pd.Series, positive: Any, column: str) -> np.ndarray:
    """True where ``column`` holds the adverse value, matched exactly as the metrics stage does."""
    return adverse_mask(values, positive, column=column, role="label")[0]


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"The data lacks column(s) {missing}, needed as label, protected attribute or scorer "
            f"feature. Columns present: {list(frame.columns)[:30]}."
        )
