"""A small emulator of Prometheus's HTTP API on 127.0.0.1, for PROMETHEUS_URL in tests.

Tests give each query a series as a function of time (`series[promql] = [(labels, f)]`):
an instant query answers f(now) per series, a range query f(t) at every step, a query in
`errors` is refused with Prometheus's own envelope (`bad_data`; `range_errors` only as a range
query, `execution`), `strings` answers a string,
`names` is `/api/v1/label/__name__/values`, `alerts` is `/api/v1/alerts`. Every request's path
and parameters are recorded in `requests`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.http_get import serve_get

Curve = Callable[[float], float]


@dataclass
class PrometheusEmulator:
    series: dict[str, list[tuple[dict[str, str], Curve]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    range_errors: dict[str, str] = field(default_factory=dict)  # refused as range queries only
    strings: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def answer(
        self, path: str, params: dict[str, str], _headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        self.requests.append((path, params))
        promql = params.get("query", "")
        if path in ("/api/v1/query", "/api/v1/query_range") and promql in self.errors:
            return 400, {"status": "error", "errorType": "bad_data", "error": self.errors[promql]}
        if path == "/api/v1/query":
            now = float(params.get("time") or time.time())
            if promql in self.strings:
                return 200, _ok({"resultType": "string", "result": [now, self.strings[promql]]})
            result = [
                {"metric": labels, "value": [now, _text(curve(now))]}
                for labels, curve in self.series.get(promql, [])
            ]
            return 200, _ok({"resultType": "vector", "result": result})
        if path == "/api/v1/query_range" and promql in self.range_errors:
            return 422, {"status": "error", "errorType": "execution",
                         "error": self.range_errors[promql]}  # fmt: skip
        if path == "/api/v1/query_range":
            start, end = float(params["start"]), float(params["end"])
            step = float(params["step"])
            times = [start + i * step for i in range(int((end - start) / step) + 1)]
            result = [
                {"metric": labels, "values": [[t, _text(curve(t))] for t in times]}
                for labels, curve in self.series.get(promql, [])
            ]
            return 200, _ok({"resultType": "matrix", "result": result})
        if path == "/api/v1/label/__name__/values":
            return 200, _ok(list(self.names))
        if path == "/api/v1/alerts":
            return 200, _ok({"alerts": list(self.alerts)})
        return 404, {"status": "error", "errorType": "not_found", "error": f"no {path}"}


def _ok(data: Any) -> dict[str, Any]:
    return {"status": "success", "data": data}


def _text(value: float) -> str:
    """Prometheus sends sample values as strings ("NaN", "+Inf" included)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


@contextmanager
def prometheus_emulator(emulator: PrometheusEmulator | None = None) -> Iterator[PrometheusEmulator]:
    emulator = emulator or PrometheusEmulator()
    with serve_get(emulator.answer) as url:
        emulator.url = url
        yield emulator
