"""Typed numpy columns (`Column`) and how raw values become one.

The type rules follow what pandas does when it reads the same data (see `data.py` for the
rules per source); storage: numeric and datetime columns are float64 with NaN for missing
(datetimes as seconds since the epoch); text and bool columns are int32 codes into
`categories`, with -1 for missing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from tools.registry.drift.errors import DriftInputError

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
BOOL_CATEGORIES = ("False", "True")


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


def text_column(name: str, values: list[Any]) -> Column:
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


def frame_text_column(name: str, series: Any) -> Column:
    """A frame's text column. A pandas Series factorises itself in C (missing -> -1),
    which is much faster than a Python pass; anything else takes the generic path."""
    factorize = getattr(series, "factorize", None)
    if factorize is None:
        return text_column(name, series.to_numpy(dtype=object).tolist())
    try:
        raw_codes, uniques = factorize()
    except TypeError:  # unhashable cells
        return text_column(name, series.to_numpy(dtype=object).tolist())
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


def bool_column(name: str, values: list[Any]) -> Column:
    codes = np.fromiter(
        (-1 if _is_missing(v) else int(bool(v)) for v in values), dtype=np.int32, count=len(values)
    )
    return Column(name, BOOL, codes, BOOL_CATEGORIES)


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


def datetime_column(name: str, values: Sequence[Any]) -> Column:
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
            return Column(name, BOOL, values.astype(np.int32), BOOL_CATEGORIES)
        if kind == "M":
            ints = values.astype("datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
            ints[np.isnat(values)] = np.nan
            return Column(name, DATETIME, ints)
        if kind in "US":
            return text_column(name, values.astype(str).tolist())
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
        return bool_column(name, items)
    if all(isinstance(v, dt.date | np.datetime64) for v in present):
        return datetime_column(name, items)
    return text_column(name, items)


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
        return Column(name, BOOL, codes, BOOL_CATEGORIES)
    index: dict[str, int] = {}
    setdefault = index.setdefault
    raw_codes = [setdefault(c, len(index)) for c in cells]
    return _coded_text(name, raw_codes, index, lambda token: None if token in NA_TOKENS else token)
