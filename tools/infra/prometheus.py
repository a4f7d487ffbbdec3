"""Instant PromQL queries against the Prometheus HTTP API (`/api/v1/query`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class PrometheusError(Exception):
    """Prometheus refused the query or could not be reached; the message says which."""


@dataclass
class Sample:
    labels: dict[str, str]
    value: float


def query(base_url: str, promql: str, timeout: float = 10.0) -> list[Sample]:
    url = base_url.rstrip("/") + "/api/v1/query"
    try:
        response = httpx.get(url, params={"query": promql}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise PrometheusError(f"could not reach Prometheus at {base_url}: {exc}") from None
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        raise PrometheusError(
            f"Prometheus answered HTTP {response.status_code} with a non-JSON body"
        ) from None
    if body.get("status") != "success":
        raise PrometheusError(
            f"Prometheus rejected the query ({body.get('errorType', response.status_code)}): "
            f"{body.get('error', 'no detail')}"
        )
    data = body.get("data", {})
    kind = data.get("resultType")
    result = data.get("result", [])
    if kind == "vector":
        return [Sample(dict(item.get("metric", {})), float(item["value"][1])) for item in result]
    if kind == "scalar":
        return [Sample({}, float(result[1]))]
    if kind == "matrix":
        return [
            Sample(dict(item.get("metric", {})), float(item["values"][-1][1]))
            for item in result
            if item.get("values")
        ]
    raise PrometheusError(f"unsupported result type {kind!r}")


def alerts(base_url: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Alerts Prometheus currently evaluates as firing or pending (`/api/v1/alerts`)."""
    url = base_url.rstrip("/") + "/api/v1/alerts"
    try:
        response = httpx.get(url, timeout=timeout)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PrometheusError(
            f"could not read alerts from Prometheus at {base_url}: {exc}"
        ) from None
    if body.get("status") != "success":
        raise PrometheusError(f"Prometheus refused the alerts request: {body.get('error')}")
    return list(body.get("data", {}).get("alerts", []))
