"""Small PromQL text helpers for triage evidence: an alert's expression from its
`generatorURL`, label selectors built from an alert's labels (values escaped), and the
last-hour view of a query as an instant subquery (`max_over_time((q)[1h:5m])`), which the
instant `query_metrics` tool can run and which `hour_view` reads back."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

HOUR = "1h"
STEP = "5m"  # coarse: 12 points over the hour
STATS = ("max", "min")
MAX_EXPR = 2000  # the query_metrics tool's limit
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_VIEW = re.compile(
    r"^(?P<stat>max|min)_over_time\(\((?P<query>.*)\)\[" + HOUR + ":" + STEP + r"\]\)$", re.S
)


def expr_from_generator_url(url: str) -> str | None:
    """The alert's PromQL from Prometheus' `generatorURL` (`.../graph?g0.expr=...`), or None
    when the URL carries none (or only a placeholder)."""
    if not url:
        return None
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return None
    values = query.get("g0.expr") or []
    expr = values[0].strip() if values else ""
    if not expr or expr == "..." or len(expr) > MAX_EXPR:
        return None
    return expr


def escape(value: str) -> str:
    """A label value as a PromQL double-quoted string's body."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def matchers(labels: Mapping[str, str], keys: Sequence[str]) -> list[str]:
    """`key="value"` for each of `keys` the labels have (valid label names only)."""
    return [
        f'{key}="{escape(str(labels[key]))}"'
        for key in keys
        if labels.get(key) and _LABEL_NAME.match(key)
    ]


def selector(metric: str, labels: Mapping[str, str], keys: Sequence[str], *fixed: str) -> str:
    """`metric{fixed..., key="value"...}`, e.g. `up{job="node",instance="a:9100"}`."""
    parts = [*fixed, *matchers(labels, keys)]
    return f"{metric}{{{','.join(parts)}}}" if parts else metric


def hour_view(query: str, stat: str) -> str:
    """The query's maximum or minimum over the last hour at a coarse step."""
    if stat not in STATS:
        raise ValueError(f"stat must be one of {', '.join(STATS)}, got {stat!r}")
    return f"{stat}_over_time(({query})[{HOUR}:{STEP}])"


def read_hour_view(query: str) -> tuple[str, str] | None:
    """(stat, the inner query) when `query` is an `hour_view`, else None."""
    found = _VIEW.match(query.strip())
    return (found["stat"], found["query"]) if found else None


def one_line(query: str, limit: int = 140) -> str:
    """The query on one line (whitespace collapsed, comments dropped), clipped for a summary."""
    lines = [line.split("#", 1)[0] if line.lstrip().startswith("#") else line
             for line in query.splitlines()]  # fmt: skip
    text = " ".join(" ".join(lines).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "expr_from_generator_url",
    "hour_view",
    "matchers",
    "one_line",
    "read_hour_view",
    "selector",
]
