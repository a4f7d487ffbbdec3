"""Prometheus queries as watched series, over real HTTP to a local Prometheus stand-in: a
level shift in a query's value is an anomaly; a PromQL error, a query with no data or with
too many series is a clear finding of its own; NaN is a gap; the host series go on."""

from __future__ import annotations

import math
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


def _range(url: str):  # type: ignore[no-untyped-def]
    from tools.infra.prometheus import query_range

    return lambda promql, end, window, step: query_range(url, promql, end, window, step)


def test_a_new_query_learns_from_its_history_and_a_gap_is_back_filled(engine: Any) -> None:
    """A new query is fed its past (one range query) and leaves its learning period at the
    first check; after two hours of opsbot being down only the missed hours are read; a
    range query that fails is logged and the series goes on from now."""
    shift_at = [float("inf")]  # the time the level shifts, set below

    def latency(t: float) -> float:
        base = 410.0 if t >= shift_at[0] else 120.0
        return base + 5 * math.sin(t / 37.0)

    emulator = PrometheusEmulator(series={"latency": [({}, latency)]})
    with prometheus_emulator(emulator) as prom:
        states = DetectorStates(engine, DetectorConfig(learning_points=300))
        monitor = AnomalyMonitor(
            SampleStore(engine), states, (), queries={"lat": "latency"},
            query=lambda promql: prometheus_query(prom.url, promql),
            range_query=_range(prom.url), step=timedelta(seconds=60),
        )  # fmt: skip
        # the checks' times end now: the emulator answers instant queries at its own clock
        now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2, seconds=60)
        monitor.run(now)
        [state] = states.all()
        assert not state.detector.learning and state.detector.seen > 300
        ranges = [p for path, p in emulator.requests if path == "/api/v1/query_range"]
        assert len(ranges) == 1 and float(ranges[0]["step"]) == 60
        monitor.run(now + timedelta(seconds=60))  # seen lately: no range query
        assert len([1 for path, _ in emulator.requests if path == "/api/v1/query_range"]) == 1

        later = now + timedelta(hours=2, seconds=60)  # opsbot was down for two hours
        shift_at[0] = later.timestamp() - 600  # and the shift began while it was
        findings = monitor.run(later)
        gap = [p for path, p in emulator.requests if path == "/api/v1/query_range"][-1]
        assert float(gap["end"]) - float(gap["start"]) == pytest.approx(2 * 3600, abs=61)
        [anomaly] = [f for f in findings if f.alertname == "MetricAnomaly"]
        assert anomaly.title.startswith("lat is anomalous")
        [state] = states.all()  # the onset is in the gap, found from the back-filled history
        assert state.anomalous_since is not None
        assert (
            later - timedelta(seconds=660)
            <= state.anomalous_since
            <= later - timedelta(seconds=540)
        )

        emulator.range_errors["latency"] = "query timed out in expression evaluation"
        fresh = AnomalyMonitor(
            SampleStore(engine), DetectorStates(engine, DetectorConfig()), (),
            queries={"other": "latency"},
            query=lambda promql: prometheus_query(prom.url, promql),
            range_query=_range(prom.url),
        )  # fmt: skip
        assert not [f for f in fresh.run(later) if f.alertname == "AnomalyQueryFailing"]


def test_queries_from_a_yaml_file(make_runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.errors import StartupError

    good = tmp_path / "queries.yml"
    good.write_text('checkout_errors: sum(rate(http_errors_total{job="checkout"}[5m]))\np99: x\n')
    runtime = make_runtime(anomaly_queries='{"api": "up"}', anomaly_queries_file=good)
    assert runtime.anomaly_queries == {
        "api": "up", "checkout_errors": 'sum(rate(http_errors_total{job="checkout"}[5m]))', "p99": "x"
    }  # fmt: skip
    for text, reason in [
        ("- a list\n", "must map names to PromQL, not a list"),
        ("a: [unclosed\n", "is not valid YAML"),
        ("a: 3\n", "a must each be a name with a PromQL string"),
        ("api: up\n", "api is both in ANOMALY_QUERIES and in ANOMALY_QUERIES_FILE"),
    ]:
        bad = tmp_path / "bad.yml"
        bad.write_text(text)
        with pytest.raises(StartupError, match=reason):
            _ = make_runtime(
                anomaly_queries='{"api": "up"}', anomaly_queries_file=bad
            ).anomaly_queries
    with pytest.raises(StartupError, match="cannot be read"):
        _ = make_runtime(anomaly_queries_file=tmp_path / "none.yml").anomaly_queries
