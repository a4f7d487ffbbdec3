"""The Prometheus HTTP API: instant queries (`/api/v1/query`), range queries
(`/api/v1/query_range`), metric names (`/api/v1/label/__name__/values`) and alerts.

Every call checks the envelope the same way (`_get`): an unreachable server or a failure on
its side is `PrometheusUnavailable`, a query Prometheus blames on the query
(`bad_data`, `not_found`) is `PrometheusQueryError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

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
MAX_POINTS = 11_000  # Prometheus refuses a range query with more points per series
MAX_QUERY = 2000  # characters of PromQL opsbot sends (query_metrics, triage's expressions)


@dataclass
class Sample:
    labels: dict[str, str]
    value: float


@dataclass
class Series:
    """One series of a range query: its labels and its (unix seconds, value) points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass
class QueryResult:
    """An instant query's answer in the shape Prometheus gave it: a vector or scalar
    (`samples`), a matrix (`series`, from a range selector such as `up[5m]`) or a string."""

    kind: Literal["vector", "scalar", "matrix", "string"]
    samples: list[Sample] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    text: str | None = None


def _get(
    base_url: str, path: str, params: dict[str, str], timeout: float, what: str = "query"
) -> Any:
    """The `data` of a successful API answer; the errors above otherwise."""
    url = base_url.rstrip("/") + path
    try:
        response = httpx.get(url, params=params, timeout=timeout)
    except httpx.HTTPError as exc:
        raise PrometheusUnavailable(f"could not reach Prometheus at {base_url}: {exc}") from None
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        raise PrometheusUnavailable(
            f"Prometheus answered HTTP {response.status_code} with a non-JSON body"
        ) from None
    if not isinstance(body, dict) or body.get("status") != "success":
        body = body if isinstance(body, dict) else {}
        blame = body.get("errorType") in _QUERY_ERRORS
        raise (PrometheusQueryError if blame else PrometheusUnavailable)(
            f"Prometheus rejected the {what} ({body.get('errorType', response.status_code)}): "
            f"{body.get('error', 'no detail')}"
        )
    return body.get("data", {})


def _series(item: dict[str, Any]) -> Series:
    points = [(float(t), float(v)) for t, v in item.get("values") or []]
    return Series(dict(item.get("metric", {})), points)


def query_result(base_url: str, promql: str, timeout: float = 10.0) -> QueryResult:
    """An instant query, answered in its own shape."""
    data = _get(base_url, "/api/v1/query", {"query": promql}, timeout)
    kind = data.get("resultType")
    result = data.get("result", [])
    try:
        if kind == "vector":
            samples = [Sample(dict(i.get("metric", {})), float(i["value"][1])) for i in result]
            return QueryResult("vector", samples=samples)
        if kind == "scalar":
            return QueryResult("scalar", samples=[Sample({}, float(result[1]))])
        if kind == "matrix":
            return QueryResult("matrix", series=[_series(item) for item in result])
        if kind == "string":
            return QueryResult("string", text=str(result[1]))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise PrometheusUnavailable(f"Prometheus answered an unreadable {kind}: {exc}") from None
    raise PrometheusQueryError(f"unsupported result type {kind!r}")


def query(base_url: str, promql: str, timeout: float = 10.0) -> list[Sample]:
    """An instant query as one sample per series (a matrix gives each series' last point)."""
    result = query_result(base_url, promql, timeout)
    if result.kind == "string":
        raise PrometheusQueryError(f"`{promql}` is a string, not a number: {result.text!r}")
    if result.kind == "matrix":
        return [Sample(s.labels, s.points[-1][1]) for s in result.series if s.points]
    return result.samples


def default_step(window: timedelta) -> timedelta:
    """About 60 points over the window, at least 15 s apart (Prometheus's usual scrape)."""
    return max(timedelta(seconds=15), window / 60)


def query_range(
    base_url: str,
    promql: str,
    end: datetime,
    window: timedelta,
    step: timedelta | None = None,
    timeout: float = 10.0,
) -> list[Series]:
    """`promql` evaluated every `step` over the `window` before `end`."""
    step = default_step(window) if step is None else step
    if step <= timedelta(0):
        raise Invalid("the step of a range query must be more than 0")
    if window / step > MAX_POINTS:
        raise Invalid(
            f"{window} at a step of {step} is {int(window / step):,} points per series; "
            f"Prometheus allows {MAX_POINTS:,}: use a longer step or a shorter window"
        )
    params = {
        "query": promql,
        "start": f"{(end - window).timestamp():.3f}",
        "end": f"{end.timestamp():.3f}",
        "step": f"{step.total_seconds():g}",
    }
    data = _get(base_url, "/api/v1/query_range", params, timeout)
    if data.get("resultType") != "matrix":
        raise PrometheusQueryError(f"a range query answered {data.get('resultType')!r}")
    try:
        return [_series(item) for item in data.get("result", [])]
    except (TypeError, ValueError) as exc:
        raise PrometheusUnavailable(f"Prometheus answered an unreadable matrix: {exc}") from None


def metric_names(base_url: str, timeout: float = 10.0) -> list[str]:
    """Every metric name Prometheus holds (`/api/v1/label/__name__/values`)."""
    data = _get(base_url, "/api/v1/label/__name__/values", {}, timeout, "metric names request")
    if not isinstance(data, list):
        raise PrometheusUnavailable("Prometheus answered metric names that are not a list")
    return [str(name) for name in data]


def alerts(base_url: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Alerts Prometheus currently evaluates as firing or pending (`/api/v1/alerts`)."""
    try:
        data = _get(base_url, "/api/v1/alerts", {}, timeout, "alerts request")
    except PrometheusError as exc:
        raise PrometheusUnavailable(f"could not read alerts from Prometheus: {exc}") from None
    return list(data.get("alerts", []))


def external_labels(base_url: str, timeout: float = 10.0) -> dict[str, str]:
    """Prometheus's `global.external_labels` (`/api/v1/status/config`): the labels it adds to
    every alert it sends to Alertmanager, which its own `/api/v1/alerts` does not show."""
    import yaml

    try:
        data = _get(base_url, "/api/v1/status/config", {}, timeout, "config request")
    except PrometheusUnavailable as exc:
        raise PrometheusUnavailable(
            f"could not read the configuration of Prometheus at {base_url}: {exc}"
        ) from None
    try:
        config = yaml.safe_load(str((data or {}).get("yaml") or "")) or {}
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
