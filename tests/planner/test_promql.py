"""PromQL in plain words (issue 20 item 6): the offline planner asks Prometheus, not the
endpoint probe, for "up", metric names and written-out expressions."""

from __future__ import annotations

from typing import Any

import pytest

from core.access import Caller
from graphs.offline.promql import promql_in


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
