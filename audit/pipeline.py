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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit.cases import build_case_files, select_cases
from audit.core import AuditResult, adverse_mask, resolve_reference, verdict_lines
from audit.exceptions import InvalidInputError, SchemaError
from audit.explain import (
    RecordTwins,
    check_direction,
    explain_scores,
    flip_test,
)
from audit.metrics import AuditOptions, audit_decisions, audit_file
from audit.population import Population, make_population
from audit.report import harm_findings, write_report
from audit.scoring import (
    as_scorer,
    check_scorer,
    describe_model,
    score_population,
    train_scorer,
)

__all__ = ["RunOutcome", "run_on_data", "run_on_decisions", "run_synthetic"]

STAGES_SYNTHETIC = ("population", "train", "score", "audit", "explain", "cases", "report")
STAGES_DATA = ("check", "score", "audit", "explain", "cases", "report")


@dataclass
class RunOutcome:
    """What a run produced: the result, where the report is, and how long each stage took (s)."""

    result: AuditResult
    report: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """The direction guard's warnings (empty when the scorer points the right way); the CLI
        prints them on stderr and the report shows them at the top."""
        found = (self.result.data.get("direction") or {}).get("warnings") or []
        return [w["message"] for w in found]

    def headline(self) -> str:
        """The finding in people, and the verdict, for the terminal."""
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
        lines += verdict_lines(d)
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
    reference: Mapping[str, str] | None = None,
    progress: bool = True,
    **options: Any,
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
    reference : mapping of str to str, optional
        Reference groups; by default the scenario's declared ones (``[protected]``).
    progress : bool
        Progress bars on stderr.
    **options
        Audit options (:class:`audit.metrics.AuditOptions`). By default a synthetic run judges three
        criteria at 0.8: the four-fifths rule on favourable rates, the blacklisting (adverse-rate)
        ratio and the wrongful-blacklisting (FPR) ratio.

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
        opts = _options(options, seed=seed, source=f"synthetic:{pop.spec.name}", label_kind="truth")
        refs = _references(pop.frame, pop.protected, {**pop.reference, **(reference or {})}, opts)
        with stages.stage("train"):
            scorer = train_scorer(pop, sample=min(train_size, n), seed=seed)
        with stages.stage("score"):
            decisions = score_population(scorer, pop.frame, progress=progress)
        people = _people(pop.frame, pop.protected, ["truth", "observed"], decisions)
        with stages.stage("audit"):
            result = audit_decisions(
                people,
                label="truth",
                observed_label="observed",
                decision="blacklisted",
                score="score",
                protected=pop.protected,
                options=replace(opts, reference=refs),
            )
        direct = list(describe_model(scorer, protected=pop.protected)["direct_use"])
        job = _Job(scorer, pop.frame, people, pop.protected, refs, "truth", 1, pop, direct)
        extra = {
            "population": _population_section(pop),
            "scorer": _scorer_section(scorer, queried="score(X) on all people"),
        }
        return _finish(result, stages, job, out, per_group, cases_per_group, seed, progress, extra)


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
    reference: Mapping[str, str] | None = None,
    seed: int = 0,
    progress: bool = True,
    strict: bool = False,
    **options: Any,
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
        The label value meaning the adverse outcome (kept as given in ``meta.positive``).
    threshold : float, optional
        Blacklist threshold, if the scorer does not carry one.
    reference : mapping of str to str, optional
        Reference groups (default: each attribute's largest group).
    strict : bool
        Refuse (``InvalidInputError``, nothing written) when the direction guard warns: the scores
        rank the label backwards, or the scorer blacklists nearly everyone or no one
        (:func:`audit.explain.check_direction`). Otherwise the warnings are in
        ``RunOutcome.warnings``, at the top of the report and in ``audit.json`` (``direction``).
    **options
        Audit options (:class:`audit.metrics.AuditOptions`); by default the three criteria of
        :func:`run_synthetic` are judged.
    """
    out = _check_out(out)
    frame = _read_people(data)
    scorer = as_scorer(scorer, **({} if threshold is None else {"threshold": threshold}))
    protected = list(protected)
    _require(frame, [label, *protected, *scorer.feature_names])
    frame = frame.reset_index(drop=True)
    adverse, other = adverse_mask(frame[label], positive, column=label, role="label")
    if other is None:
        raise SchemaError(
            f"The label column {label!r} holds only the adverse value {positive!r}; auditing "
            "wrongful blacklisting needs people whose label is not adverse."
        )
    if "person_id" not in frame.columns:
        frame = frame.assign(person_id=np.arange(len(frame), dtype=np.int64))
    source = Path(data).name if isinstance(data, str | Path) else "DataFrame"  # no local paths
    opts = _options(options, seed=seed, source=source, positive=positive)
    refs = _references(frame, protected, reference or {}, opts)
    with _Stages(STAGES_DATA, progress) as stages:
        with stages.stage("check"):
            sample = frame.sample(n=min(len(frame), 2_000), random_state=seed)
            # with the protected columns present, so a scorer that secretly reads them fails
            columns = list(dict.fromkeys([*scorer.feature_names, *protected]))
            check_scorer(scorer, sample[columns], protected=protected)
        with stages.stage("score"):
            decisions = score_population(scorer, frame, progress=progress)
        direction = check_direction(
            decisions["score"].to_numpy(),
            adverse,
            decisions["blacklisted"].to_numpy(),
            label=label,
            confidence=opts.confidence,
        )
        if strict and direction["warnings"]:
            found = " ".join(w["message"] for w in direction["warnings"])
            raise InvalidInputError(f"Refusing to audit (strict): {found}")
        people = _people(frame, protected, [label], decisions)
        # the decision in the label's own coding, so one `positive` matches both columns
        adverse_value = frame[label].to_numpy()[np.argmax(adverse)]
        people["blacklisted"] = np.where(people["blacklisted"], adverse_value, other)
        with stages.stage("audit"):
            result = audit_decisions(
                people,
                label=label,
                decision="blacklisted",
                score="score",
                protected=protected,
                positive=positive,
                options=replace(opts, reference=refs),
            )
        people["blacklisted"] = decisions["blacklisted"].to_numpy()
        described = describe_model(scorer, protected=protected)
        job = _Job(
            scorer,
            frame,
            people,
            protected,
            refs,
            label,
            positive,
            None,
            list(described["direct_use"]),
        )
        extra = {
            "scorer": {**_scorer_section(scorer, queried="score(X) on all rows"), **described},
            "direction": direction,
        }
        return _finish(result, stages, job, out, per_group, cases_per_group, seed, progress, extra)


def run_on_decisions(
    path: str | Path,
    *,
    label: str,
    decision: str,
    protected: Sequence[str],
    out: str | Path,
    positive: Any = 1,
    score: str | None = None,
    observed_label: str | None = None,
    cases_per_group: int = 20,
    max_rows_for_cases: int = 5_000_000,
    chunk_size: int = 1_000_000,
    progress: bool = True,
    options: AuditOptions | None = None,
) -> AuditResult:
    """Audit a CSV / Parquet file of decisions and write the report (what ``audit csv`` runs).

    The disparity audit reads the file in chunks (any size). Case files need the rows themselves,
    so they are built only when the file has at most ``max_rows_for_cases`` rows; otherwise the
    ``cases`` section says why they are missing. There is no scorer here, so case files carry no
    reason codes and no counterfactual twins, and "wrongful" is judged against the recorded label.

    Parameters
    ----------
    path : str or path
        The decisions file. The column arguments and ``options`` are those of
        :func:`audit.metrics.audit_file`.
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
        positive=positive,
        score=score,
        observed_label=observed_label,
        chunk_size=chunk_size,
        progress=progress,
        on_chunk=keep,
        options=options,
        # the file's name, not its local path: reports get shared
        **(
            {}
            if options is not None and options.source is not None
            else {"source": Path(path).name}
        ),
    )
    n = result.data["meta"]["n"]
    if n > max_rows_for_cases:
        result = result.with_section(
            "cases",
            {"note": f"Case files not built: {n:,} rows exceed max_rows_for_cases="
             f"{max_rows_for_cases:,}; counts and rates above cover every row."},
        )  # fmt: skip
    else:
        frame = pd.concat(kept, ignore_index=True)
        blacklisted = adverse_mask(frame[decision], positive, column=decision, role="decision")[0]
        selection = select_cases(
            frame,
            blacklisted,
            protected=protected,
            reference={a: result.references[a] for a in protected},
            label=label,
            label_kind="observed",
            positive=positive,
            per_group=cases_per_group,
            seed=result.data["meta"]["seed"],
        )
        scores = frame[score].to_numpy() if score else None
        files = build_case_files(selection, frame, scorer=None, explanation=None, scores=scores)
        result = result.with_section("cases", files.to_dict(), tables={"cases": files.table})
    write_report(result, out)
    return result


@dataclass(frozen=True)
class _Job:
    """What the explain and case-file stages need of a run, resolved once."""

    scorer: Any
    frame: pd.DataFrame
    people: pd.DataFrame
    protected: list[str]
    reference: dict[str, str]
    label: str
    positive: Any
    population: Population | None
    direct: list[str]  # protected attributes the scorer reads directly (describe_model)


def _finish(
    result: AuditResult,
    stages: _Stages,
    job: _Job,
    out: Path,
    per_group: int,
    cases_per_group: int,
    seed: int,
    progress: bool,
    extra_sections: dict[str, Any],
) -> RunOutcome:
    """Explain and build case files against the run's reference groups, then write the report."""
    with stages.stage("explain"):
        selection = select_cases(
            job.people,
            "blacklisted",
            protected=job.protected,
            reference=job.reference,
            label=job.label,
            positive=job.positive,
            per_group=cases_per_group,
            seed=seed,
            mechanism_info=job.population.mechanisms if job.population is not None else None,
        )
        explanation = explain_scores(
            job.scorer,
            job.frame,
            protected=job.protected,
            reference=job.reference,
            per_group=per_group,
            extra_rows=selection.rows,
            scores=job.people["score"].to_numpy(),
            seed=seed,
            progress=progress,
        )
        flips = flip_test(
            job.scorer,
            job.frame,
            job.people["blacklisted"].to_numpy(),
            attributes=job.direct,
            reference=job.reference,
            confidence=result.data["meta"]["confidence"],
        )
    with stages.stage("cases"):
        pop = job.population
        files = build_case_files(
            selection,
            job.people.join(job.frame.drop(columns=job.people.columns, errors="ignore")),
            scorer=job.scorer,
            explanation=explanation,
            # twins: the generator's, else the flip test's record twins of a scorer reading them
            population=pop if pop is not None or not job.direct else RecordTwins(job.frame),
            twin_attributes=None if pop is not None else job.direct,
            mechanism_info=pop.mechanisms if pop is not None else None,
        )
    if flips is not None:
        result = result.with_section("flip_test", flips)
    result = result.with_section("explain", explanation.to_dict())
    result = result.with_section("cases", files.to_dict(), tables={"cases": files.table})
    for key, value in extra_sections.items():
        result = result.with_section(key, value)
    with stages.stage("report"):
        report = write_report(result, out)
    return RunOutcome(result, report, stages.timings)


#: What `audit demo` and `audit run` judge unless told otherwise.
RUN_CRITERIA = {"min_impact_ratio": 0.8, "min_adverse_ratio": 0.8, "min_fpr_ratio": 0.8}


def _options(options: dict[str, Any], **fixed: Any) -> AuditOptions:
    """The run's audit options: the run criteria, the caller's options, then what the run fixes."""
    return AuditOptions.make(**{**RUN_CRITERIA, **options, **fixed})


def _references(
    frame: pd.DataFrame, protected: list[str], requested: Mapping[str, str], opts: AuditOptions
) -> dict[str, str]:
    """The reference group of every protected attribute, resolved ONCE by the one rule
    (:func:`audit.core.choose_reference`) and handed to metrics, explanations and case files."""
    unknown = [a for a in requested if a not in protected and " & " not in a]
    if unknown:
        raise InvalidInputError(
            f"--reference names {unknown[0]!r}, which is not a protected attribute; protected "
            f"attributes: {protected}."
        )
    resolved = resolve_reference(frame, protected, requested, min_size=opts.min_group_size)
    refs = {a: names[ref] for a, (_, names, ref) in resolved.items()}
    return {**refs, **{k: v for k, v in requested.items() if " & " in k}}


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


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"The data lacks column(s) {missing}, needed as label, protected attribute or scorer "
            f"feature. Columns present: {list(frame.columns)[:30]}."
        )
