"""PromQL answers in every shape (issue 20 item 6): vectors, matrices from range queries and
range selectors, scalars and strings, shown as a table with a sparkline; metric names read
from Prometheus and cached; bad input refused with the reason. Real HTTP to the emulator."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from core.access import Caller
from core.clock import utcnow
from core.errors import Invalid
from tests.emulators.prometheus import PrometheusEmulator, prometheus_emulator
from tools.format import sparkline
from tools.infra import prometheus
from tools.infra.metric_names import MetricNames
from tools.infra.tools import InfraConfig, build_infra_tools

CALLER = Caller("U1", "cli")


def _query_tool(url: str):  # type: ignore[no-untyped-def]
    tools = {t.name: t for t in build_infra_tools(InfraConfig(prometheus_url=url))}
    return tools["query_metrics"]


def _emulator() -> PrometheusEmulator:
    return PrometheusEmulator(
        series={
            "node_load1": [
                ({"__name__": "node_load1", "instance": "a:9100"}, lambda t: 0.5),
                ({"__name__": "node_load1", "instance": "b:9100"}, lambda t: t % 600 / 100),
            ],
            "scalar_nan": [({}, lambda t: math.nan)],
        },
        errors={"bad(": "parse error at char 5: unclosed left parenthesis"},
        strings={'"hello"': "hello"},
        names=["node_load1", "up", "node_memory_MemAvailable_bytes"],
    )


def test_a_range_query_is_a_table_with_a_sparkline() -> None:
    with prometheus_emulator(_emulator()) as prom:
        result = _query_tool(prom.url).invoke({"query": "node_load1", "range": "1h"}, CALLER)
    assert result.ok, result.text
    path, params = prom.requests[-1]
    assert path == "/api/v1/query_range"
    assert float(params["end"]) - float(params["start"]) == pytest.approx(3600, abs=1)
    assert float(params["step"]) == 60  # about 60 points over the hour
    assert "over the last 1h (2 series)" in result.text
    assert "node_load1 instance=b:9100" in result.text
    assert any(bar in result.text for bar in "▁▂▃▄▅▆▇█")
    assert len(result.data) == 2 and len(result.data[1]["points"]) == 61


def test_an_instant_query_answers_in_its_own_shape() -> None:
    with prometheus_emulator(_emulator()) as prom:
        tool = _query_tool(prom.url)
        vector = tool.invoke({"query": "node_load1"}, CALLER)
        text = tool.invoke({"query": '"hello"'}, CALLER)
        nan = tool.invoke({"query": "scalar_nan"}, CALLER)
        none = tool.invoke({"query": "absent_metric"}, CALLER)
    assert vector.ok and vector.data[0] == {
        "labels": {"__name__": "node_load1", "instance": "a:9100"},
        "value": 0.5,
    }
    assert text.ok and text.data == "hello" and "a string" in text.text
    assert nan.ok and "NaN" in nan.text
    assert none.ok and "returned no series" in none.text


def test_bad_queries_and_windows_are_refused_with_the_reason() -> None:
    with prometheus_emulator(_emulator()) as prom:
        tool = _query_tool(prom.url)
        bad = tool.invoke({"query": "bad(", "range": "1h"}, CALLER)
        window = tool.invoke({"query": "up", "range": "a while"}, CALLER)
        step = tool.invoke({"query": "up", "range": "1h", "step": "-3"}, CALLER)
        points = tool.invoke({"query": "up", "range": "90d", "step": "1"}, CALLER)
    assert not bad.ok and "unclosed left parenthesis" in bad.text
    assert not window.ok and "time window" in window.text
    assert not step.ok and "step" in step.text
    assert not points.ok and "Prometheus allows 11,000" in points.text
    assert all(path != "/api/v1/query_range" or p["query"] != "up" for path, p in prom.requests)


def test_range_query_against_an_unreachable_prometheus_says_so() -> None:
    with pytest.raises(prometheus.PrometheusUnavailable, match="could not reach"):
        prometheus.query_range("http://127.0.0.1:9", "up", utcnow(), timedelta(hours=1))
    with pytest.raises(Invalid, match="more than 0"):
        prometheus.query_range("http://127.0.0.1:9", "up", utcnow(), timedelta(hours=1),
                               timedelta(0))  # fmt: skip


def test_sparkline_shapes() -> None:
    assert sparkline([]) == ""
    assert sparkline([1, 1, 1]) == "▁▁▁"
    assert sparkline([0, 7]) == "▁█"
    assert sparkline([0, math.nan, 7]) == "▁ █"
    assert len(sparkline(list(range(1000)), width=40)) == 40
    assert sparkline([math.inf]) == " "


def test_metric_names_are_cached_and_survive_an_outage() -> None:
    clock = [0.0]
    with prometheus_emulator(_emulator()) as prom:
        names = MetricNames(prom.url, ttl=300, clock=lambda: clock[0])
        assert "node_load1" in names()
        prom.names.append("new_metric_total")
        assert "new_metric_total" not in names()  # cached
        clock[0] = 301
        assert "new_metric_total" in names()
        reads = sum(1 for path, _ in prom.requests if path.endswith("__name__/values"))
    assert reads == 2
    down = MetricNames("http://127.0.0.1:9", ttl=300, clock=lambda: clock[0])
    assert down() == frozenset()


def test_a_long_range_keeps_the_result_small() -> None:
    from tools.infra.metrics_view import MAX_DATA_POINTS, matrix_result
    from tools.infra.prometheus import Series

    series = [
        Series({"i": str(i)}, [(float(t), float(t)) for t in range(10_000)]) for i in range(40)
    ]
    result = matrix_result("x", series, "7d")
    assert len(result.data) == 30 and "… and 10 more series" in result.text
    points = result.data[0]["points"]
    assert len(points) == MAX_DATA_POINTS and points[-1] == [9999.0, 9999.0]
