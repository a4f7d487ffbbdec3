"""Prometheus series for the anomaly detector: each configured query is read once per check
(an instant query) and its value stored beside the host samples, under the query's name (one
series per label set when it returns several, at most `MAX_SERIES`).

A series the detector has not seen lately (a new query, or opsbot was down) is back-filled
first: `backfill` reads the query's history since the detector's last point with one range
query at the check interval (at most a week, and within Prometheus's 11,000 points), so a new
query learns from the past instead of waiting hundreds of checks, and a restart leaves no
hole in what the detector saw."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.errors import Invalid
from tools.infra.prometheus import MAX_POINTS, PrometheusError, Sample, Series

MAX_SERIES = 20
MAX_BACKFILL = timedelta(days=7)  # a weekly season, at most
Query = Callable[[str], list[Sample]]  # promql -> samples (tools.infra.prometheus.query)
# (promql, end, window, step) -> series (tools.infra.prometheus.query_range)
RangeQuery = Callable[[str, datetime, timedelta, timedelta], list[Series]]
Points = list[tuple[datetime, float]]


@dataclass(frozen=True)
class QueryFailure:
    name: str
    query: str
    error: str


def load_queries_file(path: Path) -> dict[str, str]:
    """ANOMALY_QUERIES_FILE: a YAML mapping of series name to PromQL, e.g.
    `checkout_errors: sum(rate(http_errors_total{job="checkout"}[5m]))`."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Invalid(
            f"ANOMALY_QUERIES_FILE {path} cannot be read: {exc.strerror or exc}"
        ) from None
    except yaml.YAMLError as exc:
        raise Invalid(f"ANOMALY_QUERIES_FILE {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Invalid(
            f"ANOMALY_QUERIES_FILE {path} must map names to PromQL, not a {type(data).__name__}"
        )
    bad = [
        str(k)
        for k, v in data.items()
        if not isinstance(v, str) or not v.strip() or not str(k).strip()
    ]
    if bad:
        raise Invalid(
            f"ANOMALY_QUERIES_FILE {path}: {', '.join(bad[:5])} must each be a name with a PromQL string"
        )
    return {str(k): v.strip() for k, v in data.items()}


def series_name(name: str, sample: Sample, many: bool) -> str:
    """`name`, or `name{label="value",...}` when the query returns several series."""
    if not many:
        return name
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()) if k != "__name__")
    return f"{name}{{{labels}}}"


def read_queries(
    queries: dict[str, str], query: Query
) -> tuple[dict[str, float], list[QueryFailure]]:
    """The values of every query now, by series name, and the queries that failed (a PromQL
    error, Prometheus unreachable, no data, too many series), each with its reason."""
    values: dict[str, float] = {}
    failures: list[QueryFailure] = []
    for name, promql in sorted(queries.items()):
        try:
            samples = query(promql)
        except PrometheusError as exc:
            failures.append(QueryFailure(name, promql, str(exc)))
            continue
        if not samples:
            failures.append(QueryFailure(name, promql, "the query returned no series"))
            continue
        if len(samples) > MAX_SERIES:
            error = (
                f"the query returned {len(samples)} series; at most {MAX_SERIES} are "
                "watched: aggregate it (sum by (...))"
            )
            failures.append(QueryFailure(name, promql, error))
            continue
        for sample in samples:
            values[series_name(name, sample, len(samples) > 1)] = sample.value
    return values, failures


def backfill(
    name: str,
    promql: str,
    last_seen: dict[str, datetime | None],
    range_query: RangeQuery,
    now: datetime,
    step: timedelta,
) -> dict[str, Points]:
    """The history of each series of one query (keyed as `read_queries` names them) after the
    detector's last point of it (`last_seen`, None: never) and before `now`, at `step`.
    Raises PrometheusError when the range query fails (the caller logs it and goes on)."""
    oldest = min((at or now - MAX_BACKFILL for at in last_seen.values()), default=now)
    window = min(now - oldest, MAX_BACKFILL, step * (MAX_POINTS - 1))
    if window < step:
        return {}
    series = range_query(promql, now - step, window, step)
    many = name not in last_seen  # as the instant read named them: one series, or labelled
    found: dict[str, Points] = {}
    for item in series[:MAX_SERIES]:
        key = series_name(name, Sample(item.labels, 0.0), many)
        if key not in last_seen:
            continue  # not a series the instant read watches now
        after = last_seen[key]
        points = [(datetime.fromtimestamp(t, UTC), v) for t, v in item.points if math.isfinite(v)]
        found[key] = [(at, v) for at, v in points if after is None or at > after]
    return found
