"""What `query_metrics` shows for each shape of Prometheus answer: a vector as a table of
series and values, a matrix (a range query, or a range selector such as `up[5m]`) as a
table of series with their last, lowest and highest values and a sparkline, a scalar or a
string as itself."""

from __future__ import annotations

import math
from typing import Any

from tools.base import ToolResult
from tools.format import sparkline, text_table
from tools.infra.prometheus import QueryResult, Sample, Series

MAX_ROWS = 30
MAX_DATA_POINTS = 500  # points per series kept in the result's data (evenly spaced)


def series_name(labels: dict[str, str]) -> str:
    """`__name__{a="1", b="2"}` as people read it: `name a=1, b=2`."""
    name = labels.get("__name__", "")
    rest = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__")
    return " ".join(part for part in (name, rest) if part) or "(no labels)"


def number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:g}"


def _more(total: int) -> str:
    return f"\n… and {total - MAX_ROWS:,} more series" if total > MAX_ROWS else ""


def vector_result(query: str, samples: list[Sample]) -> ToolResult:
    if not samples:
        return ToolResult(text=f"`{query}` returned no series.", data=[])
    rows = [[series_name(s.labels), number(s.value)] for s in samples[:MAX_ROWS]]
    text = (
        f"`{query}` ({len(samples)} series):\n"
        + text_table(["series", "value"], rows)
        + _more(len(samples))
    )
    return ToolResult(text=text, data=[{"labels": s.labels, "value": s.value} for s in samples])


def matrix_result(query: str, series: list[Series], window: str = "") -> ToolResult:
    over = f" over the last {window}" if window else ""
    if not series:
        return ToolResult(text=f"`{query}` returned no series{over}.", data=[])
    rows = []
    for item in series[:MAX_ROWS]:
        values = [v for _, v in item.points]
        finite = [v for v in values if math.isfinite(v)]
        low = number(min(finite)) if finite else "-"
        high = number(max(finite)) if finite else "-"
        last = number(values[-1]) if values else "-"
        rows.append([series_name(item.labels), last, low, high, sparkline(values, 24)])
    text = (
        f"`{query}`{over} ({len(series)} series):\n"
        + text_table(["series", "last", "min", "max", "trend"], rows)
        + _more(len(series))
    )
    data: list[dict[str, Any]] = [
        {"labels": s.labels, "points": [[t, v] for t, v in _thinned(s.points)]}
        for s in series[:MAX_ROWS]
    ]
    return ToolResult(text=text, data=data)


def _thinned(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """At most MAX_DATA_POINTS of `points`, evenly spaced, the last one always kept: the
    result stays small in the conversation's state however long the range."""
    if len(points) <= MAX_DATA_POINTS:
        return points
    every = len(points) / MAX_DATA_POINTS
    kept = [points[int(i * every)] for i in range(MAX_DATA_POINTS - 1)]
    return [*kept, points[-1]]


def instant_result(query: str, result: QueryResult) -> ToolResult:
    if result.kind == "matrix":
        return matrix_result(query, result.series)
    if result.kind == "string":
        return ToolResult(text=f"`{query}` = {result.text!r} (a string)", data=result.text)
    if result.kind == "scalar":
        value = result.samples[0].value
        return ToolResult(text=f"`{query}` = {number(value)} (a scalar)", data=value)
    return vector_result(query, result.samples)
