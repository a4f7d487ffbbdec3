"""Prometheus series for the anomaly detector: each configured query is read once per check
(an instant query) and its value stored beside the host samples, under the query's name (one
series per label set when it returns several, at most `MAX_SERIES`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tools.infra.prometheus import PrometheusError, Sample

MAX_SERIES = 20
Query = Callable[[str], list[Sample]]  # promql -> samples (tools.infra.prometheus.query)


@dataclass(frozen=True)
class QueryFailure:
    name: str
    query: str
    error: str


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
