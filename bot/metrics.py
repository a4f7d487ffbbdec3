"""Prometheus metrics for opsbot itself, served at GET /metrics."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

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
    "Tool calls, by tool and outcome",
    ["tool", "outcome"],
    registry=REGISTRY,
)
APPROVAL_DECISIONS = Counter(
    "opsbot_approval_decisions_total", "Approval decisions", ["decision"], registry=REGISTRY
)
HTTP_REQUESTS = Counter(
    "opsbot_http_requests_total", "HTTP requests served", ["route", "status"], registry=REGISTRY
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
