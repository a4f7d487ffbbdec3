"""PromQL in plain words (issue 20 item 6): the offline planner asks Prometheus, not the
endpoint probe, for "up", metric names and written-out expressions."""

from __future__ import annotations

from typing import Any

import pytest

from core.access import Caller
from graphs.offline.promql import promql_in, range_in
from tests.emulators.prometheus import PrometheusEmulator, prometheus_emulator


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("what is the value of up", "up"),
        ("query up", "up"),
        ("is the opsbot target up in prometheus?", 'up{job="opsbot"}'),
        ('run the promql query up{job="opsbot"}', 'up{job="opsbot"}'),
        ("what does prometheus say about node_load1", "node_load1"),
        ("promql: rate(http_requests_total[5m])", "rate(http_requests_total[5m])"),
        ("show `sum(rate(errors_total[5m]))`", "sum(rate(errors_total[5m]))"),
        (
            "what's the current value of node_memory_MemAvailable_bytes?",
            "node_memory_MemAvailable_bytes",
        ),
        ('up{job="api"}', 'up{job="api"}'),
        ("is demo-web up?", None),
        ("what is the value of the production alias", None),
        ("how's the box doing?", None),
    ],
)
def test_which_query_a_message_asks_for(text: str, query: str | None) -> None:
    assert promql_in(text) == query


def test_the_agent_queries_prometheus_and_still_probes_endpoints(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(
        prometheus_url="http://127.0.0.1:9", endpoints={"demo-web": "http://127.0.0.1:9/healthz"}
    )

    def calls(text: str) -> list[tuple[str, Any]]:
        turn = runtime.agent.ask(text, thread_id=f"t:{text}", caller=Caller("U1", "cli"))
        return [(c.name, c.args) for c in turn.tool_calls]

    assert calls("is the opsbot target up in prometheus?") == [
        ("query_metrics", {"query": 'up{job="opsbot"}'})
    ]
    assert calls("what is the value of up") == [("query_metrics", {"query": "up"})]
    assert calls("is demo-web up?") == [("check_endpoint", {"target": "demo-web"})]


KNOWN = frozenset({"up", "node_load1", "node_memory_MemAvailable_bytes", "scrape_duration_seconds"})


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("what's node_load1 now?", "node_load1"),
        ("show me scrape_duration_seconds", "scrape_duration_seconds"),
        ("is demo-web up?", None),  # "up" alone is an endpoint question
        ("node_load2 please", None),  # not a name Prometheus holds
    ],
)
def test_known_metric_names_written_on_their_own(text: str, query: str | None) -> None:
    assert promql_in(text, KNOWN) == query


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("node_load1 over the last hour", "1h"),
        ("up in the past 30 minutes", "30m"),
        ("errors for the last 6h", "6h"),
        ("node_load1 last 2 days", "2d"),
        ("the trend of node_load1", "1h"),
        ("what's node_load1 now?", ""),
    ],
)
def test_the_window_of_a_range_query(text: str, window: str) -> None:
    assert range_in(text) == window


def test_the_agent_reads_metric_names_from_prometheus_and_asks_for_ranges(make_runtime) -> None:  # type: ignore[no-untyped-def]
    emulator = PrometheusEmulator(
        series={"node_load1": [({"__name__": "node_load1", "instance": "h:9100"}, lambda t: 1.5)]},
        names=sorted(KNOWN | {"process_resident_memory_bytes"}),
    )
    with prometheus_emulator(emulator) as prom:
        runtime = make_runtime(prometheus_url=prom.url)

        def ask(text: str):  # type: ignore[no-untyped-def]
            return runtime.agent.ask(text, thread_id=f"t:{text}", caller=Caller("U1", "cli"))

        now = ask("what's node_load1 now?")
        trend = ask("node_load1 over the last 6 hours")
        vague = ask("what does prometheus say about memory?")
    assert [(c.name, c.args) for c in now.tool_calls] == [
        ("query_metrics", {"query": "node_load1"})
    ]
    assert "1.5" in now.answer
    assert [(c.name, c.args) for c in trend.tool_calls] == [
        ("query_metrics", {"query": "node_load1", "range": "6h"})
    ]
    assert "over the last 6h" in trend.answer
    assert not vague.tool_calls
    assert "node_memory_MemAvailable_bytes" in vague.answer
    assert "process_resident_memory_bytes" in vague.answer
    names_reads = [p for p, _ in prom.requests if p.endswith("__name__/values")]
    assert len(names_reads) == 1  # cached across the turns
