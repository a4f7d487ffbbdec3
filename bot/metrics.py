"""Prometheus metrics for opsbot itself, served at GET /metrics.

Every front end is counted, labelled `via` (slack, console, cli; scheduler and system for
what opsbot does by itself): agent turns where a person starts one (`counted_turn`), tool
calls through the observer hook of `OpsTool.invoke` (`count_tool_calls`, installed when the
toolbox is built), approval decisions where the approval service records them, and HTTP
requests on every route by its path template (bot/http/metrics.py), and the standard
`process_*` and `python_*` collectors of prometheus_client. Each process has its own
registry: what `opsbot ask` counts is gone when it exits; `opsbot run` serves its own.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

from tools.observers import ToolCall, add_tool_observer

REGISTRY = CollectorRegistry(auto_describe=True)
# the standard process_* (CPU, memory, open fds, start time) and python_* (GC, version)
# series every Prometheus user expects beside opsbot's own
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

AGENT_TURNS = Counter(
    "opsbot_agent_turns_total",
    "Agent turns, by front end and outcome",
    ["via", "outcome"],
    registry=REGISTRY,
)
AGENT_TURN_SECONDS = Histogram(
    "opsbot_agent_turn_seconds",
    "Wall time of one agent turn",
    ["via"],
    registry=REGISTRY,
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
TOOL_CALLS = Counter(
    "opsbot_tool_calls_total",
    "Tool calls, by tool, front end and outcome (ok, error, failed)",
    ["tool", "via", "outcome"],
    registry=REGISTRY,
)
APPROVAL_DECISIONS = Counter(
    "opsbot_approval_decisions_total",
    "Approval decisions recorded, by decision and front end",
    ["decision", "via"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "opsbot_http_requests_total",
    "HTTP requests served, by route (path template, or 'other') and status",
    ["route", "status"],
    registry=REGISTRY,
)
INCIDENTS_OPEN = Gauge("opsbot_incidents_open", "Open incidents", registry=REGISTRY)
MONITOR_RUNS = Counter(
    "opsbot_monitor_runs_total", "Monitor cycles, by outcome", ["outcome"], registry=REGISTRY
)
MONITOR_SECONDS = Histogram(
    "opsbot_monitor_cycle_seconds", "Wall time of one monitor cycle", registry=REGISTRY
)
UP = Gauge("opsbot_up", "1 while the process is serving", registry=REGISTRY)

_READY = threading.Event()


def set_ready(ready: bool) -> None:
    """Serving fully (True) or starting/stopping (False): /healthz and `opsbot_up` follow it."""
    if ready:
        _READY.set()
    else:
        _READY.clear()
    UP.set(1 if ready else 0)


def is_ready() -> bool:
    return _READY.is_set()


def _count_tool_call(call: ToolCall) -> None:
    TOOL_CALLS.labels(tool=call.tool, via=call.via, outcome=call.outcome).inc()


def count_tool_calls() -> None:
    """Count every tool call of this process in `opsbot_tool_calls_total` (idempotent)."""
    add_tool_observer(_count_tool_call)


def count_decision(approve: bool, via: str) -> None:
    """One recorded approval decision (an approve of a two-person approval counts too)."""
    APPROVAL_DECISIONS.labels(decision="approve" if approve else "reject", via=via).inc()


def counted_turn(agent: Any, text: str, *, thread_id: str, caller: Any) -> Any:
    """`agent.ask(...)`, counted in `opsbot_agent_turns_total` by the caller's front end and
    the outcome (ok, pending: it asks for an approval, error: it raised), and timed."""
    started = time.monotonic()
    outcome = "error"
    try:
        turn = agent.ask(text, thread_id=thread_id, caller=caller)
        outcome = "pending" if turn.pending else "ok"
        return turn
    finally:
        AGENT_TURNS.labels(via=caller.via, outcome=outcome).inc()
        AGENT_TURN_SECONDS.labels(via=caller.via).observe(time.monotonic() - started)
