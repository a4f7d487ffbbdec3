"""Tables of typed numpy columns, read from CSV, Parquet, SQL or in-memory data.

Why not pandas: the drift core must stay light (numpy and scipy only). The type rules
below follow what pandas does when it reads the same data, because Evidently decides
"numerical" vs "categorical" from pandas dtypes; matching them keeps our per-column tests
identical to Evidently's when no explicit column mapping is given:

- CSV: a column is numeric when every non-missing cell parses as a number (pandas'
  default NA tokens count as missing), boolean when every cell is True/False, else text.
- Parquet: by Arrow type (integers, floats, decimals -> numeric; bool; timestamps and
  dates -> datetime; everything else -> text).
- SQL rows and in-memory lists: by Python value type (int/float/Decimal -> numeric).
- pandas-like frames (duck-typed, pandas is never imported): by dtype, exactly as
  Evidently's `select_dtypes(np.number)`; an object column is always text.

Storage: numeric and datetime columns are float64 with NaN for missing (datetimes as
seconds since the epoch); text and bool columns are int32 codes into `categories`, with
-1 for missing. Factorising once at load time makes per-category counts a `bincount`.

This module holds `Table` and the readers; the columns and their typing are in `columns.py`.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from tools.registry.drift.columns import (
    BOOL,
    BOOL_CATEGORIES,
    NUMERIC,
    Column,
    bool_column,
    column_from_strings,
    column_from_values,
    datetime_column,
    frame_text_column,
    text_column,
)
from tools.registry.drift.errors import DriftInputError
from tools.registry.drift.source import DataSource
from tools.registry.drift.source import file_kind as _file_kind
from tools.registry.drift.source import safe_url as _safe_url
from tools.registry.drift.source import unsupported as _unsupported


@dataclass(frozen=True, eq=False)
class Table:
    """Named columns of equal length plus a short description of where they came from."""

    columns: dict[str, Column]
    n_rows: int
    source: str = "in-memory data"

    def __post_init__(self) -> None:
        for name, column in self.columns.items():
            if len(column) != self.n_rows:
                raise DriftInputError(
                    f"{self.source}: column {name!r} has {len(column)} values, "
                    f"expected {self.n_rows} like the other columns"
                )

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> Column:
        try:
            return self.columns[name]
        except KeyError:
            raise DriftInputError(
                f"{self.source} has no column {name!r}; it has: {', '.join(self.names) or '(none)'}"
            ) from None

    @classmethod
    def from_columns(cls, data: Mapping[str, Any], source: str = "in-memory data") -> Table:
        """Build from {name: sequence or numpy array}; types are inferred per column."""
        columns = {
            str(name): column_from_values(str(name), values) for name, values in data.items()
        }
        return cls._build(columns, source)

    @classmethod
    def from_frame(cls, frame: Any, source: str = "data frame") -> Table:
        """Build from a pandas-like frame without importing pandas, typing columns by dtype."""
        columns: dict[str, Column] = {}
        names = [str(name) for name in frame.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DriftInputError(f"{source}: duplicate column name(s): {', '.join(dupes)}")
        for name in list(frame.columns):
            series = frame[name]
            kind = getattr(series.dtype, "kind", "O")
            key = str(name)
            if kind in "iuf":
                values = np.asarray(series.to_numpy(dtype="float64", na_value=np.nan))
                integer = kind in "iu" and not np.isnan(values).any()
                columns[key] = Column(key, NUMERIC, values, integer=integer)
            elif kind == "b":
                raw = series.to_numpy()
                if raw.dtype == np.bool_:
                    columns[key] = Column(key, BOOL, raw.astype(np.int32), BOOL_CATEGORIES)
                else:  # nullable boolean with missing values
                    columns[key] = bool_column(key, series.to_numpy(dtype=object).tolist())
            elif kind in "mM":
                columns[key] = datetime_column(key, series.to_numpy(dtype=object))
            else:
                columns[key] = frame_text_column(key, series)
        return cls._build(columns, source)

    @classmethod
    def _build(cls, columns: dict[str, Column], source: str) -> Table:
        lengths = {len(c) for c in columns.values()}
        if len(lengths) > 1:
            sizes = ", ".join(f"{n}={len(c)}" for n, c in columns.items())
            raise DriftInputError(f"{source}: columns have different lengths ({sizes})")
        return cls(columns=columns, n_rows=lengths.pop() if lengths else 0, source=source)

    def describe(self) -> str:
        return f"{self.source} ({self.n_rows} rows, {len(self.columns)} columns)"


# ---------------------------------------------------------------------------------------
# readers


def _require_file(path: Path) -> None:
    if not path.exists():
        raise DriftInputError(f"data file not found: {path}")
    if not path.is_file():
        raise DriftInputError(f"data path is not a file: {path}")


_V = TypeVar("_V")


def _select(columns: dict[str, _V], wanted: Sequence[str] | None, source: str) -> dict[str, _V]:
    if wanted is None:
        return columns
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise DriftInputError(
            f"{source} has no column(s) {', '.join(map(repr, missing))}; "
            f"it has: {', '.join(columns) or '(none)'}"
        )
    return {c: columns[c] for c in wanted}


def load_csv(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8-sig",
) -> Table:
    """Read a CSV (or .tsv, or gzip-compressed .csv.gz) file with a header row."""
    p = Path(path)
    _require_file(p)
    if delimiter is None:
        delimiter = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        if p.name.lower().endswith(".gz"):
            with gzip.open(p, "rb") as fh:
                raw = fh.read()
        else:
            raw = p.read_bytes()
        text = raw.decode(encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise DriftInputError(f"cannot read {p} as {encoding} text: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise DriftInputError(f"{p} is empty: expected a header row with column names")
        header = [h.strip() for h in header]
        blank = [i + 1 for i, h in enumerate(header) if not h]
        if blank:
            raise DriftInputError(f"{p}: header has empty column name(s) at position(s) {blank}")
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise DriftInputError(f"{p}: duplicate column name(s) in header: {', '.join(dupes)}")
        width = len(header)
        rows = [row for row in reader if row]  # blank lines are skipped, as pandas does
    except csv.Error as exc:
        raise DriftInputError(f"{p}, line {reader.line_num}: malformed CSV: {exc}") from exc
    if set(map(len, rows)) - {width}:
        _raise_ragged(p, text, delimiter, header)
    cells = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    source = str(p)
    wanted = set(columns) if columns is not None else None
    parsed = {
        name: column_from_strings(name, col)
        for name, col in zip(header, cells, strict=True)
        if wanted is None or name in wanted
    }
    return Table(columns=_select(parsed, columns, source), n_rows=len(rows), source=source)


def _raise_ragged(path: Path, text: str, delimiter: str, header: list[str]) -> None:
    """Find the first row with the wrong number of fields again, to name its line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    for row in reader:
        if row and len(row) != len(header):
            raise DriftInputError(
                f"{path}, line {reader.line_num}: {len(row)} fields, expected {len(header)} "
                f"(header: {', '.join(header)})"
            )
    raise AssertionError("a ragged row was seen but not found again")


def _arrow_column(name: str, chunked: Any) -> Column:
    import pyarrow as pa
    import pyarrow.types as pat

    kind = chunked.type
    if pat.is_dictionary(kind):
        chunked = chunked.cast(kind.value_type)
        kind = kind.value_type
    if pat.is_integer(kind) or pat.is_floating(kind) or pat.is_decimal(kind):
        values = chunked.cast(pa.float64()).to_numpy()
        integer = pat.is_integer(kind) and chunked.null_count == 0
        return Column(name, NUMERIC, np.asarray(values, dtype=np.float64), integer=integer)
    if pat.is_boolean(kind):
        return bool_column(name, chunked.to_pylist())
    if pat.is_timestamp(kind) or pat.is_date(kind):
        return datetime_column(name, chunked.to_pylist())
    return text_column(name, chunked.to_pylist())


def load_parquet(path: str | Path, *, columns: Sequence[str] | None = None) -> Table:
    """Read a Parquet file (needs pyarrow, which the core does not require)."""
    p = Path(path)
    _require_file(p)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DriftInputError(
            f"cannot read Parquet file {p}: reading Parquet needs the 'pyarrow' package, "
            "which is not installed; install it with `pip install pyarrow`, or convert the "
            "file to CSV"
        ) from None
    try:
        schema_names = pq.read_schema(p).names
        if columns is not None:
            _select(dict.fromkeys(schema_names), columns, str(p))  # clear error on unknown names
        table = pq.read_table(p, columns=list(columns) if columns is not None else None)
    except DriftInputError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError subclasses for bad files
        raise DriftInputError(f"cannot read Parquet file {p}: {exc}") from exc
    parsed = {
        name: _arrow_column(name, col)
        for name, col in zip(table.column_names, table.columns, strict=True)
    }
    return Table(columns=parsed, n_rows=table.num_rows, source=str(p))


def load_sql(
    query: str,
    *,
    url: str | None = None,
    engine: Any = None,
    params: Mapping[str, Any] | None = None,
) -> Table:
    """Run a SELECT through SQLAlchemy (a URL or an existing Engine) and type its columns."""
    if not isinstance(query, str) or not query.strip():
        raise DriftInputError("SQL source needs a non-empty query (a SELECT statement)")
    if (url is None) == (engine is None):
        raise DriftInputError("SQL source needs exactly one of url= (a SQLAlchemy URL) or engine=")
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    owned = engine is None
    if owned:
        assert url is not None  # exactly one of url and engine (checked above)
        try:
            engine = create_engine(url)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise DriftInputError(f"bad database URL {_safe_url(url)}: {exc}") from exc
    where = _safe_url(engine.url)
    try:
        with engine.connect() as conn:
            result = conn.execute(text(query), dict(params or {}))
            if not result.returns_rows:
                raise DriftInputError(
                    f"SQL query on {where} returned no result set; expected a SELECT"
                )
            names = list(map(str, result.keys()))
            rows = result.fetchall()
    except SQLAlchemyError as exc:
        detail = getattr(exc, "orig", None) or exc
        raise DriftInputError(f"SQL query on {where} failed: {detail}") from exc
    finally:
        if owned:
            engine.dispose()
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DriftInputError(f"SQL query returns duplicate column name(s): {', '.join(dupes)}")
    cells = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    parsed = {n: column_from_values(n, list(c)) for n, c in zip(names, cells, strict=True)}
    return Table(columns=parsed, n_rows=len(rows), source=f"SQL on {where}")


def load_file(path: str | Path, *, columns: Sequence[str] | None = None) -> Table:
    """Read a data file, choosing the reader from its suffix."""
    p = Path(path)
    kind = _file_kind(p)
    if kind is None:
        _require_file(p)  # a missing file is the clearer error
        raise _unsupported(p)
    return (load_csv if kind == "csv" else load_parquet)(p, columns=columns)


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "dtypes") and hasattr(obj, "__getitem__")


def as_table(data: Any, role: str = "data", engine: Any = None) -> Table:
    """Accept a Table, a path, a DataSource, a {name: values} mapping or a pandas-like frame."""
    if isinstance(data, Table):
        return data
    if isinstance(data, DataSource):
        return data.load(engine=engine)
    if isinstance(data, str | Path):
        return load_file(data)
    if _is_frame(data):
        return Table.from_frame(data, source=f"{role} data frame")
    if isinstance(data, Mapping):
        return Table.from_columns(data, source=f"{role} (in-memory)")
    raise DriftInputError(
        f"{role} data must be a file path (CSV/Parquet), a DataSource, a Table, a mapping of "
        f"column name to values, or a data frame; got {type(data).__name__}"
    )
