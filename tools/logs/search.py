"""Searching log lines: time window, text or regular expression, level; counts and the most
recent matches with context lines, grouped by template (Drain) when there are many.

Timestamps are read from the start of a line (ISO 8601, "2026-12-03 07:00:01", syslog's
"Dec  3 07:00:01"); a line without one takes the time of the line before it (a stack trace
belongs to its log line). A line with no time at all is kept: it cannot be placed outside the
window. Levels are the usual words (DEBUG … FATAL, ERR, WARN, CRIT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.errors import Invalid
from tools.logs.drain import Drain

_ISO = re.compile(
    r"^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?"
)
_SYSLOG = re.compile(r"^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}:\d{2}:\d{2})\b")
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}  # fmt: skip
_LEVEL = re.compile(
    r"\b(DEBUG|INFO|NOTICE|WARN(?:ING)?|ERR(?:OR)?|CRIT(?:ICAL)?|FATAL|PANIC|SEVERE|ALERT|EMERG)\b",
    re.IGNORECASE,
)
LEVELS = {"debug": 0, "info": 1, "notice": 1, "warning": 2, "error": 3, "critical": 4}
_CANONICAL = {"warn": "warning", "err": "error", "crit": "critical", "fatal": "critical",
              "panic": "critical", "severe": "error", "alert": "critical", "emerg": "critical"}  # fmt: skip
GROUP_AT = 20  # more matches than this: also grouped by template
MAX_PATTERN = 500
MATCH_CHARS = 2000  # a regex is tried on this many characters of a line at most
# a repeated group that itself repeats ("(a+)+", "(x|y*)*", "(.*){2,}"): Python's `re` can take
# exponential time on it, and a search runs inside the bot's process
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)")


def timestamp(line: str, now: datetime) -> datetime | None:
    """The time at the start of `line` (UTC when it names no zone), or None."""
    iso = _ISO.match(line)
    if iso:
        zone = iso.group(3) or "+00:00"
        zone = "+00:00" if zone == "Z" else zone
        try:
            return datetime.fromisoformat(f"{iso.group(1)}T{iso.group(2)}{zone}").astimezone(UTC)
        except ValueError:
            return None
    sys = _SYSLOG.match(line)
    if sys and sys.group(1) in _MONTHS:
        hour, minute, second = (int(part) for part in sys.group(3).split(":"))
        try:
            month, day = _MONTHS[sys.group(1)], int(sys.group(2))
            at = datetime(now.year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            return None
        return at.replace(year=now.year - 1) if at > now + timedelta(days=1) else at
    return None


def level(line: str) -> str | None:
    found = _LEVEL.search(line[:200])
    if found is None:
        return None
    word = found.group(1).lower()
    return _CANONICAL.get(word, word)


@dataclass(frozen=True)
class Query:
    text: str | None = None
    regex: bool = False
    level: str | None = None  # at least this level
    since: datetime | None = None

    def matcher(self) -> re.Pattern[str] | None:
        if not self.text:
            return None
        if len(self.text) > MAX_PATTERN:
            raise Invalid(f"the search text is longer than {MAX_PATTERN} characters")
        if self.regex and _NESTED.search(self.text):
            raise Invalid(
                "nested repetition such as (a+)+ can take exponential time; "
                "write the regular expression without a repeated group that repeats"
            )
        try:
            return re.compile(self.text if self.regex else re.escape(self.text), re.IGNORECASE)
        except re.error as exc:
            raise Invalid(f"not a valid regular expression: {exc}") from None


@dataclass
class Match:
    source: str
    at: datetime | None
    line: str
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


@dataclass
class Found:
    matches: list[Match]  # newest first
    count: int
    templates: list[tuple[str, int]]  # (template, count), most frequent first; [] when few
    first: Match | None = None  # the oldest match in the window: where the trouble began


def search(
    sources: dict[str, list[str]], query: Query, now: datetime, limit: int = 20, context: int = 2
) -> Found:
    """The lines of `sources` (name -> lines, oldest first) that match `query`."""
    pattern = query.matcher()
    floor = LEVELS.get(query.level) if query.level else None
    if query.level and floor is None:
        raise Invalid(f"unknown level {query.level!r}; use one of: {', '.join(LEVELS)}")
    matches: list[Match] = []
    for source, lines in sources.items():
        at: datetime | None = None
        for i, line in enumerate(lines):
            at = timestamp(line, now) or at
            if query.since is not None and at is not None and at < query.since:
                continue
            if pattern is not None and not pattern.search(line, 0, MATCH_CHARS):
                continue
            if floor is not None:
                found = level(line)
                if found is None or LEVELS.get(found, 0) < floor:
                    continue
            matches.append(Match(source, at, line, lines[max(0, i - context) : i],
                                 lines[i + 1 : i + 1 + context]))  # fmt: skip
    epoch = datetime.min.replace(tzinfo=UTC)
    matches.sort(key=lambda m: m.at or epoch, reverse=True)
    templates: list[tuple[str, int]] = []
    if len(matches) > GROUP_AT:
        drain = Drain()
        counts: dict[int, int] = {}
        for match in matches:
            cluster, _ = drain.add(match.line)
            counts[cluster] = counts.get(cluster, 0) + 1
        names = drain.templates()
        templates = sorted(((names[c], n) for c, n in counts.items()), key=lambda t: -t[1])[:10]
    first = matches[-1] if matches else None
    return Found(matches[:limit], len(matches), templates, first)
