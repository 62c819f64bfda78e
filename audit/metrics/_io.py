"""Reading a CSV or Parquet file of decisions in chunks, and auditing it.

What it is for: :func:`read_chunks` yields DataFrame chunks of the needed columns only (pandas
``read_csv(chunksize=...)`` for CSV, ``pyarrow.parquet.ParquetFile.iter_batches`` for Parquet) with
errors that name the file, the column and, for CSV parse errors, the line; :func:`audit_file` feeds
them to :func:`audit_chunks` behind a tqdm progress bar.
What it must not do: compute anything, or hold more than one chunk in memory.

In CSV files protected columns are read as text (so ``01`` stays ``"01"`` and a chunk with a
missing value does not turn ``1`` into ``"1.0"``); other columns are parsed by pandas, floats with
``float_precision="round_trip"`` so a CSV and a Parquet copy of the same data hash alike.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit.exceptions import InvalidInputError, SchemaError
from audit.metrics._counts import ScoreGrid
from audit.metrics._engine import audit_chunks
from audit.metrics._inputs import make_roles
from audit.metrics._result import AuditResult

__all__ = ["audit_file", "read_chunks"]

_PARQUET = (".parquet", ".pq", ".parq")


@dataclass
class FileChunks:
    """Chunks of one file: iterate for DataFrames; ``n_rows`` is known for Parquet only."""

    path: Path
    kind: str
    columns: list[str]
    n_rows: int | None
    _iter: Iterator[pd.DataFrame]

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self._iter

    def score_grid(self, column: str) -> ScoreGrid | None:
        """Score grid from Parquet column statistics (exact min / max without reading data)."""
        if self.kind != "parquet":
            return None
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(self.path).metadata
        names = [meta.schema.column(j).name for j in range(meta.num_columns)]
        if column not in names:
            return None
        j = names.index(column)
        lows, highs = [], []
        for i in range(meta.num_row_groups):
            st = meta.row_group(i).column(j).statistics
            if st is None or not st.has_min_max:
                return None
            lows.append(st.min)
            highs.append(st.max)
        if not lows:
            return None
        try:
            bounds = np.array([min(lows), max(highs)], dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if not np.isfinite(bounds).all():
            return None  # reading will report the non-finite score with its row
        return ScoreGrid.for_scores(bounds)


def _missing_columns(path: Path, wanted: Sequence[str], available: Sequence[str]) -> None:
    missing = [c for c in wanted if c not in available]
    if missing:
        shown = ", ".join(repr(c) for c in list(available)[:12])
        raise SchemaError(
            f"Column {missing[0]!r} is required but not in {path}"
            + (f" (also missing: {missing[1:]})" if len(missing) > 1 else "")
            + f"; its columns are: {shown}"
            + (" ..." if len(available) > 12 else "")
            + "."
        )


def _csv_chunks(path: Path, columns: list[str], text: Sequence[str], size: int):
    try:
        header = pd.read_csv(path, nrows=0).columns.tolist()
    except pd.errors.EmptyDataError:
        raise InvalidInputError(
            f"{path} is empty; expected a CSV file with a header row."
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"Cannot parse {path} as CSV: {e}") from None
    _missing_columns(path, columns, header)
    reader = pd.read_csv(
        path,
        usecols=columns,
        chunksize=size,
        dtype={c: "str" for c in text},
        float_precision="round_trip",
    )

    def chunks() -> Iterator[pd.DataFrame]:
        with reader:
            while True:
                try:
                    chunk = next(reader)
                except StopIteration:
                    return
                except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
                    raise InvalidInputError(f"Cannot parse {path} as CSV: {e}") from None
                yield chunk[columns]

    return chunks()


def _parquet_chunks(path: Path, columns: list[str], size: int):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise InvalidInputError(f"Cannot read {path} as Parquet: {e}") from None
    _missing_columns(path, columns, pf.schema_arrow.names)

    def chunks() -> Iterator[pd.DataFrame]:
        for batch in pf.iter_batches(batch_size=size, columns=columns):
            yield batch.to_pandas()

    return chunks(), pf.metadata.num_rows


def read_chunks(
    path: str | Path,
    columns: Sequence[str],
    *,
    chunk_size: int = 1_000_000,
    text_columns: Sequence[str] = (),
) -> FileChunks:
    """Open a CSV or Parquet file for reading ``columns`` in chunks of ``chunk_size`` rows.

    Parameters
    ----------
    path : str or Path
        ``.parquet`` / ``.pq`` / ``.parq`` files are read as Parquet, anything else as CSV.
    columns : sequence of str
        Columns to read (checked against the header / schema first).
    chunk_size : int, default 1,000,000
    text_columns : sequence of str
        CSV columns to read as text (protected attributes).

    Raises
    ------
    InvalidInputError
        A missing, empty or unreadable file; a CSV parse error (with its line, while iterating).
    SchemaError
        A required column is not in the file.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist or is not a file.")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInputError(f"chunk_size must be a positive integer; got {chunk_size!r}.")
    columns = list(columns)
    if path.suffix.lower() in _PARQUET:
        it, n_rows = _parquet_chunks(path, columns, chunk_size)
        return FileChunks(path, "parquet", columns, n_rows, it)
    it = _csv_chunks(path, columns, text_columns, chunk_size)
    return FileChunks(path, "csv", columns, None, it)


def audit_file(
    path: str | Path,
    *,
    label: str,
    decision: str,
    protected: str | Sequence[str],
    positive: object = 1,
    score: str | None = None,
    reference: Mapping[str, str] | None = None,
    chunk_size: int = 1_000_000,
    progress: bool = False,
    **options: object,
) -> AuditResult:
    """Audit a CSV or Parquet file of decisions one chunk at a time.

    Memory holds one chunk (``chunk_size`` rows of the needed columns) plus the counts. For Parquet
    the score grid comes from the column statistics; for CSV, without ``score_range``, from the
    first chunk (see :func:`audit_chunks`). ``options`` are those of :func:`audit_decisions`
    (except ``extra_metrics``, which needs all rows in memory).

    Examples
    --------
    >>> res = audit_file("decisions.csv", label="defaulted", decision="blacklisted",
    ...                  protected=["ethnicity", "sex"])  # doctest: +SKIP
    >>> print(res.summary())  # doctest: +SKIP
    """
    if "extra_metrics" in options:
        raise InvalidInputError(
            "extra_metrics needs every row in memory; load the file and use audit_decisions."
        )
    roles = make_roles(label, decision, protected, score, options.get("observed_label"))
    chunks = read_chunks(path, roles.columns(), chunk_size=chunk_size, text_columns=roles.protected)
    if score is not None and options.get("score_range") is None:
        grid = chunks.score_grid(score)
        if grid is not None:
            options["score_range"] = grid
    options.setdefault("source", str(path))
    bar = tqdm(
        total=chunks.n_rows, unit="rows", unit_scale=True, disable=not progress, file=sys.stderr,
        desc=Path(path).name,
    )  # fmt: skip

    def counted() -> Iterator[pd.DataFrame]:
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))

    try:
        return audit_chunks(
            counted(),
            label=label,
            decision=decision,
            protected=protected,
            positive=positive,
            score=score,
            reference=reference,
            **options,
        )
    finally:
        bar.close()
