"""Reading a CSV or Parquet file of decisions in chunks, and auditing it.

What it is for: :func:`read_chunks` yields DataFrame chunks of the needed columns only
(``pyarrow.csv.open_csv`` for CSV, ``pyarrow.parquet.ParquetFile.iter_batches`` for Parquet) with
errors that name the file, the column and, for CSV parse errors, the line; :func:`audit_file` feeds
them to :func:`audit_chunks` behind a tqdm progress bar.
What it must not do: compute anything, or hold more than one chunk in memory.

CSV rules: every row must have as many fields as the header (pandas would silently accept extra
or missing fields when reading a subset of columns; arrow does not). Protected columns are read as
text (``01`` stays ``"01"``); only an empty field is a missing value (so a group called ``NA`` stays
a group). Other columns get arrow's type inference on the first block (ints, floats, booleans
``true``/``false``, text); a later value that does not fit that type is a parse error naming the
line. Floats are parsed exactly, so a CSV and a Parquet copy of the same data hash alike (tested).
``chunk_size`` sets the CSV reader's block size at about 64 bytes per row.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit.core import AuditResult, make_roles
from audit.exceptions import InvalidInputError, SchemaError
from audit.metrics._counts import ScoreGrid
from audit.metrics._engine import audit_chunks
from audit.metrics._options import AuditOptions

__all__ = ["audit_file", "parse_reference", "read_chunks"]

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
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        with open(path, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh))
    except StopIteration:
        raise InvalidInputError(
            f"{path} is empty; expected a CSV file with a header row."
        ) from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise InvalidInputError(f"Cannot parse {path} as CSV: {e}") from None
    _missing_columns(path, columns, header)
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(
                use_threads=False,  # so that parse errors carry their row number
                block_size=int(min(max(size * 64, 1 << 16), 1 << 28)),
            ),
            convert_options=pcsv.ConvertOptions(
                include_columns=columns,
                column_types={c: pa.string() for c in text},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as e:
        raise InvalidInputError(f"Cannot parse {path} as CSV: {_lines(e)}") from None

    def chunks() -> Iterator[pd.DataFrame]:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError) as e:
                raise InvalidInputError(f"Cannot parse {path} as CSV: {_lines(e)}") from None
            yield batch.to_pandas()[columns]

    return chunks()


def _lines(error: Exception) -> str:
    """Arrow's "Row #4" (counting the header as row 1) is line 4 of the file."""
    return re.sub(r"Row #(\d+)", r"line \1", str(error))


def _parquet_chunks(path: Path, columns: list[str], size: int):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, pre_buffer=False)  # pre-buffering keeps every row group read
    except (pa.ArrowInvalid, OSError) as e:
        raise InvalidInputError(f"Cannot read {path} as Parquet: {e}") from None
    _missing_columns(path, columns, pf.schema_arrow.names)

    def chunks() -> Iterator[pd.DataFrame]:
        for batch in pf.iter_batches(batch_size=size, columns=columns):
            yield batch.to_pandas()

    return chunks(), pf.metadata.num_rows


def parse_reference(items: Sequence[str]) -> dict[str, str]:
    """``["ethnicity=Han", "ethnicity & sex=Han & male"]`` -> a ``reference`` mapping.

    Examples
    --------
    >>> parse_reference(["ethnicity=Han"])
    {'ethnicity': 'Han'}
    """
    out: dict[str, str] = {}
    for item in items:
        attr, sep, group = item.partition("=")
        if not sep or not attr.strip() or not group.strip():
            raise InvalidInputError(f"--reference must look like ATTR=GROUP; got {item!r}.")
        if attr.strip() in out:
            raise InvalidInputError(f"--reference names {attr.strip()!r} twice.")
        out[attr.strip()] = group.strip()
    return out


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
    observed_label: str | None = None,
    chunk_size: int = 1_000_000,
    progress: bool = False,
    on_chunk: Callable[[pd.DataFrame], None] | None = None,
    options: AuditOptions | None = None,
    **kw: object,
) -> AuditResult:
    """Audit a CSV or Parquet file of decisions one chunk at a time.

    Memory holds one chunk (``chunk_size`` rows of the needed columns) plus the counts. For Parquet
    the score grid comes from the column statistics; for CSV, without ``score_range``, from the
    first chunk (see :func:`audit_chunks`). Options: see :class:`AuditOptions` (``extra_metrics``
    needs all rows in memory: use :func:`audit_decisions`). ``on_chunk``, if given, is called with
    every chunk as it is read, so a caller that also needs the rows reads the file only once.

    Examples
    --------
    >>> res = audit_file("decisions.csv", label="defaulted", decision="blacklisted",
    ...                  protected=["ethnicity", "sex"])  # doctest: +SKIP
    >>> print(res.summary())  # doctest: +SKIP
    """
    if "extra_metrics" in kw:
        msg = "extra_metrics needs every row in memory; load the file and use audit_decisions."
        raise InvalidInputError(msg)
    opts = AuditOptions.make(options, positive=positive, **kw)
    roles = make_roles(label, decision, protected, score, observed_label)
    chunks = read_chunks(path, roles.columns(), chunk_size=chunk_size, text_columns=roles.protected)
    changes: dict = {}
    if score is not None and opts.score_range is None:
        changes["score_range"] = chunks.score_grid(score)
    if opts.source is None:
        changes["source"] = str(path)
    opts = dataclasses.replace(opts, **changes) if changes else opts
    bar = tqdm(
        total=chunks.n_rows, unit="rows", unit_scale=True, disable=not progress, file=sys.stderr,
        desc=Path(path).name,
    )  # fmt: skip

    def counted() -> Iterator[pd.DataFrame]:
        for chunk in chunks:
            if on_chunk is not None:
                on_chunk(chunk)
            yield chunk
            bar.update(len(chunk))

    try:
        return audit_chunks(
            counted(),
            label=label,
            decision=decision,
            protected=protected,
            positive=opts.positive,
            score=score,
            observed_label=observed_label,
            options=opts,
        )
    finally:
        bar.close()
