"""When a window starts and ends, from what a person typed: an ISO 8601 time (with an offset,
or naive in a given IANA zone), `now`, and a duration such as `2h` for its length."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import as_utc, parse_window
from core.errors import Invalid
from tools.oncall.model import parse_zone


def parse_time(text: str, tz: str = "UTC", now: datetime | None = None) -> datetime:
    """An aware UTC time: `now`, or ISO 8601 (`2026-12-03T22:00+01:00`, `2026-12-03 22:00`
    read in `tz`), or Invalid."""
    value = text.strip()
    if value.lower() == "now":
        if now is None:
            raise Invalid("'now' is not available here; give an ISO 8601 time")
        return as_utc(now)
    zone: ZoneInfo = parse_zone(tz or "UTC")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            f"bad time {text!r}; use ISO 8601, e.g. 2026-12-03T22:00+01:00 (or with --tz)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return as_utc(parsed)


def span(
    *,
    start: str | None,
    end: str | None,
    length: str | None,
    tz: str,
    now: datetime,
) -> tuple[datetime, datetime]:
    """(start, end) in UTC from a start (default now) and either an end or a length."""
    begins = parse_time(start, tz, now) if start else as_utc(now)
    if (end is None) == (length is None):
        raise Invalid("give either an end time or a duration (e.g. --for 2h), not both")
    if length is not None:
        duration: timedelta = parse_window(length)
        return begins, begins + duration
    assert end is not None
    return begins, parse_time(end, tz, now)
