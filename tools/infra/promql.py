"""Small PromQL text helpers for triage evidence: an alert's expression from its
`generatorURL`, label selectors built from an alert's labels (values escaped), a query on one
line for a summary."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

from tools.infra.prometheus import MAX_QUERY

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


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
    if not expr or expr == "..." or len(expr) > MAX_QUERY:
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


def one_line(query: str, limit: int = 140) -> str:
    """The query on one line (whitespace collapsed, comments dropped), clipped for a summary."""
    lines = [line.split("#", 1)[0] if line.lstrip().startswith("#") else line
             for line in query.splitlines()]  # fmt: skip
    text = " ".join(" ".join(lines).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "expr_from_generator_url",
    "matchers",
    "one_line",
    "selector",
]
