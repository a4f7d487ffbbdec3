"""PromQL in plain words: which query a message asks Prometheus for, if any.

"promql: rate(x[5m])", a backquoted expression, "run the promql query up{job="opsbot"}",
"query up", "what is the value of node_load1", "what does prometheus say about
http_requests_total", "is the opsbot target up in prometheus?" (`up{job="opsbot"}`), or an
expression written out (`sum(rate(errors_total[5m]))`, `up{job="api"}`). None when the message
is not about Prometheus ("is demo-web up?" is an endpoint probe).

With the names Prometheus holds (`metrics`, from `/api/v1/label/__name__/values`), a known
name written on its own is a query too ("what's node_load1 now?"). `range_in` reads the
window of a range query from the words ("over the last hour", "past 30m", "trend").
"""

from __future__ import annotations

import re
from collections.abc import Collection

_METRIC = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_BACKQUOTED = re.compile(r"`([^`]{1,500})`")
_PREFIXED = re.compile(
    r"(?i)\b(?:run\s+(?:the\s+)?)?(?:promql|prometheus\s+query)(?:\s+query)?\s*:?\s+(.{1,500})$"
)
_QUERY_WORD = re.compile(
    rf"(?i)^\s*(?:run\s+)?query\s*:?\s+({_METRIC}(?:\{{[^}}]*\}})?(?:\[\w+\])?)\s*\??$"
)
_VALUE_OF = re.compile(
    rf"(?i)\b(?:value|values|current\s+value|reading)\s+(?:of|for)\s+(?:the\s+)?(?:metric\s+)?({_METRIC}(?:\{{[^}}]*\}})?)"
)
_SAY_ABOUT = re.compile(
    rf"(?i)\bprometheus\s+(?:say|says|show|shows|report|reports)\s+(?:about|for)\s+({_METRIC}(?:\{{[^}}]*\}})?)"
)
_TARGET_UP = re.compile(
    r"(?i)\b(?:is|are)\s+(?:the\s+)?([\w.-]{1,100})\s+targets?\s+up\b.*\bprometheus\b"
    r"|\bprometheus\b.*\b(?:is|are)\s+(?:the\s+)?([\w.-]{1,100})\s+targets?\s+up\b"
)
_EXPRESSION = re.compile(
    rf"({_METRIC}\{{[^}}]{{0,300}}\}}(?:\[\w+\])?"
    r"|\b(?:sum|rate|irate|increase|avg|max|min|count|histogram_quantile|topk|bottomk|"
    r"avg_over_time|max_over_time|min_over_time|delta|deriv|absent)\s*\(.{1,400}\))"
)
_STOP = {"the", "a", "an", "it", "this", "that", "prometheus", "metric", "metrics"}


def _clean(query: str) -> str:
    return query.strip().rstrip("?.!").strip()


def promql_in(text: str, metrics: Collection[str] = ()) -> str | None:
    """The PromQL the message asks for, or None. `metrics`: the metric names Prometheus
    holds, so a known name written on its own is read as a query of it."""
    quoted = _BACKQUOTED.search(text)
    if quoted:
        return _clean(quoted.group(1))
    prefixed = _PREFIXED.search(text.strip())
    if prefixed:
        return _clean(prefixed.group(1))
    about_metrics = re.search(r"(?i)\b(?:prometheus|promql|metrics?)\b", text) is not None
    for pattern in (_QUERY_WORD, _VALUE_OF, _SAY_ABOUT):
        found = pattern.search(text)
        if found and found.group(1).lower() not in _STOP:
            name = found.group(1)
            # "the value of the production alias" is not a metric: a metric name has a "_",
            # ":" or selector, is `up`, or the message says it is about metrics
            if pattern is _VALUE_OF and not (
                about_metrics or name == "up" or any(c in name for c in "_:{")
            ):
                continue
            if metrics and name not in metrics and "{" not in name:
                continue  # "what does prometheus say about memory": not a name it holds
            return _clean(name)
    target = _TARGET_UP.search(text)
    if target:
        job = target.group(1) or target.group(2)
        return f'up{{job="{job}"}}'
    expression = _EXPRESSION.search(text)
    if expression:
        return _clean(expression.group(1))
    return known_metric(text, metrics, about_metrics)


def known_metric(text: str, metrics: Collection[str], about_metrics: bool = False) -> str | None:
    """The first known metric name written as a word of `text`. A name without "_" or ":"
    (`up`, `scrape`) counts only when the message is about metrics: "is demo-web up?" is
    an endpoint question."""
    if not metrics:
        return None
    for word in re.findall(_METRIC, text):
        if word in metrics and (about_metrics or any(c in word for c in "_:")):
            return word
    return None


def similar_metrics(text: str, metrics: Collection[str], limit: int = 5) -> list[str]:
    """Known metric names that contain a word of the message ("memory" ->
    node_memory_MemAvailable_bytes, …), for a reply that asks which one is meant."""
    words = {w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOP | _VAGUE}
    found = [name for name in sorted(metrics) if any(w in name.lower() for w in words)]
    return found[:limit]


_VAGUE = {"what", "does", "show", "tell", "about", "value", "query", "promql", "says", "there"}
_UNITS = {"minute": "m", "min": "m", "m": "m", "hour": "h", "h": "h", "day": "d", "d": "d"}
_RANGE = re.compile(
    r"(?i)\b(?:over|in|for|during|across)\s+(?:the\s+)?(?:last|past|previous)\s+"
    r"(?:(\d{1,4})\s*)?(minutes?|mins?|m|hours?|h|days?|d)\b"
    r"|\b(?:last|past)\s+(\d{1,4})\s*(minutes?|mins?|m|hours?|h|days?|d)\b"
)
_TREND = re.compile(r"(?i)\b(?:trend|history|graph|sparkline|over\s+time|time\s+series)\b")


def range_in(text: str) -> str:
    """The window of a range query the message asks for ("1h"), or "" for the value now."""
    found = _RANGE.search(text)
    if found:
        amount = found.group(1) or found.group(3) or "1"
        unit = (found.group(2) or found.group(4)).lower().rstrip("s")
        return f"{int(amount)}{_UNITS.get(unit, unit[0])}"
    return "1h" if _TREND.search(text) else ""
