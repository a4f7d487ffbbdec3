"""Grafana Loki as a log source: `loki:<stream selector>` in LOG_SOURCES (e.g.
`loki:{app="checkout",env="prod"}`), read from LOKI_URL with `/loki/api/v1/query_range`.

Only the selectors listed are read, and only as written (no pipeline is added, so a selector
cannot be widened from chat); the text, regex and level filters of `search_logs` are applied
here to what comes back, as for a file. Each call asks for the window's newest lines
(`direction=backward`, at most `limit`), within the same byte budget as a file. Each entry
becomes `<ISO time> <line>`. LOKI_TOKEN is sent as a bearer token and LOKI_TENANT as
`X-Scope-OrgID` (multi-tenant Loki) when set. An unreachable Loki, a refused selector or an
unreadable answer is the source's problem, said in words, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from tools.logs.sources import SourceLines, newest_within

PREFIX = "loki:"
TIMEOUT_SECONDS = 10.0
LIMIT = 5000  # Loki's default max_entries_limit_per_query
_SELECTOR = re.compile(r'^\{\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"[^"]*"'
                       r'(\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"[^"]*")*\s*\}$')  # fmt: skip


@dataclass(frozen=True)
class LokiConfig:
    url: str
    token: str | None = None
    tenant: str | None = None
    timeout: float = TIMEOUT_SECONDS
    limit: int = LIMIT


def is_loki(source: str) -> bool:
    return source.startswith(PREFIX)


def selector_of(source: str) -> str:
    return source[len(PREFIX) :].strip()


def read_stream(
    source: str,
    config: LokiConfig | None,
    max_bytes: int,
    since: datetime | None = None,
    now: datetime | None = None,
) -> SourceLines:
    """The selector's newest lines in the window, oldest first, within `max_bytes`."""
    result = SourceLines(source)
    selector = selector_of(source)
    if not _SELECTOR.match(selector):
        result.problem = 'is not a Loki stream selector (loki:{label="value", ...})'
        return result
    if config is None:
        result.problem = "cannot be read: LOKI_URL is not set"
        return result
    end = now or datetime.now(UTC)
    start = since or end - timedelta(hours=1)
    params = {
        "query": selector,
        "start": str(int(start.timestamp() * 1e9)),
        "end": str(int(end.timestamp() * 1e9)),
        "limit": str(config.limit),
        "direction": "backward",
    }
    headers = {}
    if config.token:
        headers["Authorization"] = f"Bearer {config.token}"
    if config.tenant:
        headers["X-Scope-OrgID"] = config.tenant
    url = config.url.rstrip("/") + "/loki/api/v1/query_range"
    try:
        response = httpx.get(url, params=params, headers=headers, timeout=config.timeout)
    except httpx.HTTPError as exc:
        result.problem = f"cannot be read: Loki at {config.url} is unreachable ({exc})"
        return result
    if response.status_code != 200:
        detail = response.text.strip().splitlines()[:1]
        result.problem = f"cannot be read: Loki answered HTTP {response.status_code}" + (
            f": {detail[0][:300]}" if detail else ""
        )
        return result
    try:
        entries = _entries(response.json())
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        result.problem = f"cannot be read: Loki's answer is not a streams result ({exc!r})"
        return result
    entries.sort()
    lines = [f"{at.isoformat(timespec='milliseconds').replace('+00:00', 'Z')} {text}"
             for at, text in entries]  # fmt: skip
    result.lines, cut = newest_within(lines, max_bytes)
    result.truncated = cut or len(entries) >= config.limit
    return result


def _entries(body: object) -> list[tuple[datetime, str]]:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise ValueError(f"status {body.get('status') if isinstance(body, dict) else body!r}")
    data = body["data"]
    if data.get("resultType") != "streams":
        raise ValueError(f"resultType {data.get('resultType')!r}")
    found = []
    for stream in data["result"]:
        for stamp, line in stream["values"]:
            at = datetime.fromtimestamp(int(stamp) / 1e9, UTC)
            found.append((at, str(line).replace("\n", " ")))
    return found
