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
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from tools.registry.drift.errors import DriftInputError
from tools.registry.drift.source import DataSource
from tools.registry.drift.source import file_kind as _file_kind
from tools.registry.drift.source import safe_url as _safe_url
from tools.registry.drift.source import unsupported as _unsupported

_V = TypeVar("_V")

NUMERIC, TEXT, BOOL, DATETIME = "numeric", "text", "bool", "datetime"
STORAGE_TYPES = (NUMERIC, TEXT, BOOL, DATETIME)

# pandas.read_csv's default missing-value tokens (pandas 2.x, `STR_NA_VALUES`).
NA_TOKENS = frozenset(
    {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)
_TRUE = frozenset({"True", "TRUE", "true"})
_FALSE = frozenset({"False", "FALSE", "false"})
_BOOL_TOKENS = _TRUE | _FALSE
_BOOL_CATEGORIES = ("False", "True")


def number_label(value: float) -> str:
    """How a number is shown as a category label: 3.0 -> '3', 0.25 -> '0.25'."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclass(frozen=True, eq=False)
class Column:
    """One column: a storage type, a numpy array and (for text/bool) its category labels."""

    name: str
    dtype: str
    values: np.ndarray
    categories: tuple[str, ...] = ()
    # Numbers pandas would hold as int64 (no missing values, integer literals). numpy
    # bins integer data differently (bin width >= 1), and Evidently bins the raw dtype.
    integer: bool = False

    def __post_init__(self) -> None:
        if self.dtype not in STORAGE_TYPES:
            raise ValueError(f"column {self.name!r}: unknown storage type {self.dtype!r}")

    def __len__(self) -> int:
        return len(self.values)

    @property
    def is_categorical_storage(self) -> bool:
        return self.dtype in (TEXT, BOOL)

    def missing_mask(self) -> np.ndarray:
        """True where the value is missing (NaN/None; ±inf counts too, as in Evidently)."""
        if self.is_categorical_storage:
            return self.values < 0
        return ~np.isfinite(self.values)

    def labels(self) -> list[str | None]:
        """Every value as a label (None when missing): used to compare across storage types."""
        if self.is_categorical_storage:
            cats = self.categories
            return [cats[c] if c >= 0 else None for c in self.values.tolist()]
        return [number_label(v) if math.isfinite(v) else None for v in self.values.tolist()]


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
                    columns[key] = Column(key, BOOL, raw.astype(np.int32), _BOOL_CATEGORIES)
                else:  # nullable boolean with missing values
                    columns[key] = _bool_column(key, series.to_numpy(dtype=object).tolist())
            elif kind in "mM":
                columns[key] = _datetime_column(key, series.to_numpy(dtype=object))
            else:
                columns[key] = _frame_text_column(key, series)
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
# column construction


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _coded_text(
    name: str, raw_codes: Any, uniques: Iterable[Any], label: Callable[[Any], str | None]
) -> Column:
    """A text column from codes into `uniques` (-1: missing). Labels are worked out once per
    distinct value: equal labels share one code, and a value labelled None is missing."""
    labels: dict[str, int] = {}
    remap = [
        -1 if (text := label(value)) is None else labels.setdefault(text, len(labels))
        for value in uniques
    ]
    remap.append(-1)  # raw code -1 indexes this last slot and stays missing
    codes = np.asarray(remap, dtype=np.int32)[np.asarray(raw_codes, dtype=np.int64)]
    return Column(name, TEXT, codes, tuple(labels))


def _value_label(value: Any) -> str | None:
    return None if _is_missing(value) else _text_label(value)


def _text_column(name: str, values: list[Any]) -> Column:
    """Factorise raw values first, then label and drop missing per distinct value only:
    one dict lookup per row keeps 100,000-row columns at a few milliseconds."""
    index: dict[Any, int] = {}
    setdefault = index.setdefault
    try:
        raw_codes = [setdefault(v, len(index)) for v in values]
    except TypeError:  # unhashable cells (lists, dicts): compare them by their text
        index.clear()
        raw_codes = [setdefault(v if _is_hashable(v) else str(v), len(index)) for v in values]
    return _coded_text(name, raw_codes, index, _value_label)


def _frame_text_column(name: str, series: Any) -> Column:
    """A frame's text column. A pandas Series factorises itself in C (missing -> -1),
    which is much faster than a Python pass; anything else takes the generic path."""
    factorize = getattr(series, "factorize", None)
    if factorize is None:
        return _text_column(name, series.to_numpy(dtype=object).tolist())
    try:
        raw_codes, uniques = factorize()
    except TypeError:  # unhashable cells
        return _text_column(name, series.to_numpy(dtype=object).tolist())
    return _coded_text(name, raw_codes, list(uniques), _value_label)


def _is_hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _text_label(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if _is_number(value):
        return number_label(float(value))
    return str(value)


def _bool_column(name: str, values: list[Any]) -> Column:
    codes = np.fromiter(
        (-1 if _is_missing(v) else int(bool(v)) for v in values), dtype=np.int32, count=len(values)
    )
    return Column(name, BOOL, codes, _BOOL_CATEGORIES)


def _epoch_seconds(value: Any) -> float:
    if isinstance(value, np.datetime64):
        return float(value.astype("datetime64[ns]").astype(np.int64)) / 1e9
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    if isinstance(value, dt.date):
        return float(value.toordinal() - dt.date(1970, 1, 1).toordinal()) * 86400.0
    if hasattr(value, "timestamp"):  # pandas Timestamp
        return float(value.timestamp())
    raise DriftInputError(f"cannot read {value!r} as a date/time")


def _datetime_column(name: str, values: Sequence[Any]) -> Column:
    out = np.fromiter(
        (math.nan if _is_missing(v) else _epoch_seconds(v) for v in values),
        dtype=np.float64,
        count=len(values),
    )
    return Column(name, DATETIME, out)


def column_from_values(name: str, values: Any) -> Column:
    """Type one column of Python values or a numpy array (in-memory data, SQL rows)."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise DriftInputError(
                f"column {name!r} must be one-dimensional, got shape {values.shape}"
            )
        kind = values.dtype.kind
        if kind in "iuf":
            return Column(name, NUMERIC, values.astype(np.float64, copy=True), integer=kind in "iu")
        if kind == "b":
            return Column(name, BOOL, values.astype(np.int32), _BOOL_CATEGORIES)
        if kind == "M":
            ints = values.astype("datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
            ints[np.isnat(values)] = np.nan
            return Column(name, DATETIME, ints)
        if kind in "US":
            return _text_column(name, values.astype(str).tolist())
        items = values.tolist()
    elif isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise DriftInputError(
            f"column {name!r} must be a sequence of values, got {type(values).__name__}"
        )
    else:
        items = list(values)
    present = [v for v in items if not _is_missing(v)]
    if all(_is_number(v) for v in present):
        integer = len(present) == len(items) and all(
            isinstance(v, int | np.integer) for v in present
        )
        return Column(
            name,
            NUMERIC,
            np.fromiter(
                (math.nan if _is_missing(v) else float(v) for v in items),
                dtype=np.float64,
                count=len(items),
            ),
            integer=integer,
        )
    if all(isinstance(v, bool | np.bool_) for v in present):
        return _bool_column(name, items)
    if all(isinstance(v, dt.date | np.datetime64) for v in present):
        return _datetime_column(name, items)
    return _text_column(name, items)


def column_from_strings(name: str, cells: Sequence[str]) -> Column:
    """Type one CSV column the way pandas.read_csv would (numeric, bool or text).

    Written for speed on 100,000-row columns: membership and character checks run on
    C-level set and string operations, numbers parse with one `map(float, ...)`.
    """
    has_na = not NA_TOKENS.isdisjoint(cells)
    present = [c for c in cells if c not in NA_TOKENS] if has_na else cells
    if not present:  # all missing: pandas makes this a float64 column of NaN
        return Column(name, NUMERIC, np.full(len(cells), np.nan))
    joined = "".join(present)
    # Python's float() also accepts "1_000" and non-ASCII digits; pandas does not, so
    # those stay text.
    if joined.isascii() and "_" not in joined:
        tokens = ["nan" if c in NA_TOKENS else c for c in cells] if has_na else cells
        try:
            values = np.array(list(map(float, tokens)), dtype=np.float64)
        except ValueError:
            pass
        else:
            integer = (
                not has_na
                and "." not in joined
                and "e" not in joined
                and "E" not in joined
                and bool(np.isfinite(values).all())
            )
            return Column(name, NUMERIC, values, integer=integer)
    if _BOOL_TOKENS.issuperset(present):
        codes = np.fromiter(
            (-1 if c in NA_TOKENS else int(c in _TRUE) for c in cells),
            dtype=np.int32,
            count=len(cells),
        )
        return Column(name, BOOL, codes, _BOOL_CATEGORIES)
    index: dict[str, int] = {}
    setdefault = index.setdefault
    raw_codes = [setdefault(c, len(index)) for c in cells]
    return _coded_text(name, raw_codes, index, lambda token: None if token in NA_TOKENS else token)


# ---------------------------------------------------------------------------------------
# readers


def _require_file(path: Path) -> None:
    if not path.exists():
        raise DriftInputError(f"data file not found: {path}")
    if not path.is_file():
        raise DriftInputError(f"data path is not a file: {path}")


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
        return _bool_column(name, chunked.to_pylist())
    if pat.is_timestamp(kind) or pat.is_date(kind):
        return _datetime_column(name, chunked.to_pylist())
    return _text_column(name, chunked.to_pylist())


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
