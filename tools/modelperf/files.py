"""Prediction and outcome rows from a CSV or Parquet file, each with its line number.

CSV: a header line, then one row a line; the columns `id`, `timestamp`, `prediction`,
`score`, `version` (predictions) or `id`, `actual` (outcomes) are the row's fields, every other
column is a feature (an empty cell is missing; a cell that reads as a number is one). Line
numbers are the file's: the header is line 1. Parquet (`.parquet`, `.pq`): the same columns,
numbered from 1 like the rows of a table; read with pyarrow, which opsbot's base install does
not carry (it comes with the `mlflow` extra): without it a Parquet file is refused with the
reason, CSV always works.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import Invalid, NotFound, Unavailable

PROBLEM = "_problem"  # a row the file itself spoiled: the reason, for tools/modelperf/rows.py
ROW_FIELDS = {"id", "timestamp", "prediction", "score", "version", "actual"}
PARQUET = (".parquet", ".pq")


def _cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _shaped(raw: dict[str, Any], parse_features: bool) -> dict[str, Any]:
    row = {k: v for k, v in raw.items() if k in ROW_FIELDS}
    features = {
        k: (_cell(v) if parse_features else v) for k, v in raw.items() if k not in ROW_FIELDS
    }
    if features:
        row["features"] = features
    return row


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of each data row of `path`; NotFound, Invalid or Unavailable with
    the reason when the file cannot be read as a whole."""
    if not path.is_file():
        raise NotFound(f"no file {path}")
    if path.suffix.lower() in PARQUET:
        yield from _parquet(path)
        return
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "id" not in reader.fieldnames:
                raise Invalid(f"{path}: the first line must be a header with an `id` column")
            line = reader.line_num + 1
            for raw in reader:
                if None in raw:
                    yield line, {"id": raw.get("id"), PROBLEM: "more cells than the header has"}
                else:
                    yield line, _shaped({k: v for k, v in raw.items()}, parse_features=True)
                line = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise Invalid(f"{path} is not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise Invalid(f"{path}: not CSV: {exc}") from None


def _parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise Unavailable(
            "reading Parquet needs pyarrow, which this install does not have "
            "(pip install pyarrow, or the opsbot[mlflow] extra); CSV works without it"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own errors for a bad file
        raise Invalid(f"{path}: not a Parquet file pyarrow can read: {exc}") from None
    for number, raw in enumerate(table.to_pylist(), start=1):
        yield number, _shaped(raw, parse_features=False)
