"""Instant PromQL queries against the Prometheus HTTP API (`/api/v1/query`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from core.errors import Invalid, OpsbotError, Unavailable


class PrometheusError(OpsbotError):
    """Prometheus refused the query or could not be reached; the message says which."""


class PrometheusUnavailable(PrometheusError, Unavailable):
    """Prometheus could not be reached, failed on its side, or answered something unreadable."""


class PrometheusQueryError(PrometheusError, Invalid):
    """Prometheus rejected the query itself (bad PromQL, or a result opsbot cannot read)."""


# errorType values that blame the query rather than the server (Prometheus HTTP API)
_QUERY_ERRORS = {"bad_data", "not_found"}


@dataclass
class Sample:
    labels: dict[str, str]
    value: float


def query(base_url: str, promql: str, timeout: float = 10.0) -> list[Sample]:
    url = base_url.rstrip("/") + "/api/v1/query"
    try:
        response = httpx.get(url, params={"query": promql}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise PrometheusUnavailable(f"could not reach Prometheus at {base_url}: {exc}") from None
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        raise PrometheusUnavailable(
            f"Prometheus answered HTTP {response.status_code} with a non-JSON body"
        ) from None
    if body.get("status") != "success":
        blame = body.get("errorType") in _QUERY_ERRORS
        raise (PrometheusQueryError if blame else PrometheusUnavailable)(
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
    raise PrometheusQueryError(f"unsupported result type {kind!r}")


def alerts(base_url: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Alerts Prometheus currently evaluates as firing or pending (`/api/v1/alerts`)."""
    url = base_url.rstrip("/") + "/api/v1/alerts"
    try:
        response = httpx.get(url, timeout=timeout)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PrometheusUnavailable(
            f"could not read alerts from Prometheus at {base_url}: {exc}"
        ) from None
    if body.get("status") != "success":
        raise PrometheusUnavailable(f"Prometheus refused the alerts request: {body.get('error')}")
    return list(body.get("data", {}).get("alerts", []))


def external_labels(base_url: str, timeout: float = 10.0) -> dict[str, str]:
    """Prometheus's `global.external_labels` (`/api/v1/status/config`): the labels it adds to
    every alert it sends to Alertmanager, which its own `/api/v1/alerts` does not show."""
    import yaml

    url = base_url.rstrip("/") + "/api/v1/status/config"
    try:
        response = httpx.get(url, timeout=timeout)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PrometheusUnavailable(
            f"could not read the configuration of Prometheus at {base_url}: {exc}"
        ) from None
    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error") if isinstance(body, dict) else body
        raise PrometheusUnavailable(f"Prometheus refused the config request: {error}")
    try:
        config = yaml.safe_load(str((body.get("data") or {}).get("yaml") or "")) or {}
    except yaml.YAMLError as exc:
        raise PrometheusUnavailable(
            f"Prometheus sent a configuration that is not YAML: {exc}"
        ) from None
    top = config.get("global") if isinstance(config, dict) else None
    labels = (top.get("external_labels") if isinstance(top, dict) else None) or {}
    if not isinstance(labels, dict):
        raise PrometheusUnavailable(
            f"Prometheus's global.external_labels is not a mapping: {labels!r}"
        )
    return {str(k): str(v) for k, v in labels.items()}
