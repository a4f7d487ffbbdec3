"""Prometheus queries as watched series, over real HTTP to a local Prometheus stand-in: a
level shift in a query's value is an anomaly; a PromQL error, a query with no data or with
too many series is a clear finding of its own; NaN is a gap; the host series go on."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.monitors.anomaly import AnomalyMonitor
from bot.monitors.samples import SampleStore
from tests.emulators.prometheus import PrometheusEmulator, prometheus_emulator
from tools.anomaly.detector import DetectorConfig
from tools.anomaly.states import DetectorStates
from tools.infra.prometheus import query as prometheus_query

VALUES: list[float] = []  # what `latency` answers next, one per request


def _next_latency(_: float) -> float:
    return VALUES.pop(0) if VALUES else 100.0


@pytest.fixture
def prometheus() -> Iterator[str]:
    emulator = PrometheusEmulator(
        series={
            "latency": [({}, _next_latency)],
            "per_pod": [({"pod": f"p{i}"}, lambda t: 1.0) for i in range(2)],
            "everything": [({"pod": f"p{i}"}, lambda t: 1.0) for i in range(25)],
        },
        errors={"sum(rate(x[5m]": "parse error at char 4"},
    )
    with prometheus_emulator(emulator) as prom:
        yield prom.url


def test_query_series_are_watched_and_bad_queries_are_findings(
    engine: Any, prometheus: str
) -> None:
    rng = random.Random(5)
    VALUES[:] = [100 + rng.uniform(-4, 4) for _ in range(60)] + [float("nan"), 310.0]
    queries = {"latency": "latency", "pods": "per_pod", "typo": "sum(rate(x[5m]", "idle": "nothing",
               "wide": "everything"}  # fmt: skip
    monitor = AnomalyMonitor(
        SampleStore(engine),
        DetectorStates(engine, DetectorConfig(learning_points=50)),
        (),
        queries=queries,
        query=lambda promql: prometheus_query(prometheus, promql),
    )
    now = datetime.now(UTC) - timedelta(minutes=30)
    findings = []
    for _ in range(62):
        now += timedelta(seconds=10)
        findings = monitor.run(now)
    failing = {f.labels["query"]: f.title for f in findings if f.alertname == "AnomalyQueryFailing"}
    assert set(failing) == {"typo", "idle", "wide"}
    assert "Prometheus rejected the query (bad_data): parse error at char 4" in failing["typo"]
    assert "returned no series" in failing["idle"]
    assert "returned 25 series; at most 20" in failing["wide"]
    [anomaly] = [f for f in findings if f.alertname == "MetricAnomaly"]
    assert anomaly.labels == {"series": "latency"} and anomaly.title.startswith(
        "latency is anomalous: 310.0"
    )
    names = {s.series for s in DetectorStates(engine, DetectorConfig()).all()}
    assert names == {"latency", 'pods{pod="p0"}', 'pods{pod="p1"}'}
    # the NaN was a gap: not learned from
    [latency] = [s for s in DetectorStates(engine, DetectorConfig()).all() if s.series == "latency"]
    assert latency.detector.seen == 61


def test_queries_without_prometheus_are_a_finding_each(engine: Any) -> None:
    monitor = AnomalyMonitor(
        SampleStore(engine), DetectorStates(engine, DetectorConfig()), (), queries={"q": "up"}
    )
    [finding] = monitor.run(datetime.now(UTC))
    assert (
        finding.alertname == "AnomalyQueryFailing" and "PROMETHEUS_URL is not set" in finding.title
    )
