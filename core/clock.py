"""Time helpers. opsbot uses timezone-aware UTC datetimes everywhere; SQLModel stores them
as UTC on both SQLite and PostgreSQL and returns them aware."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.errors import Invalid


def utcnow() -> datetime:
    """Now, as an aware datetime in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix, for JSON output."""
    if value is None:
        return None
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|min|mins|minutes?|h|hours?|d|days?)\s*$", re.I)
MAX_WINDOW = timedelta(days=90)


def parse_window(text: str) -> timedelta:
    """`30m`, `2h`, `7d` (also "90 minutes", "1 day") as a duration of at most 90 days."""
    match = _DURATION.match(text or "")
    if match is None:
        raise Invalid(f"cannot read {text!r} as a time window; use e.g. 30m, 2h or 7d")
    amount, unit = int(match.group(1)), match.group(2).lower()
    window = (
        timedelta(minutes=amount)
        if unit.startswith("m")
        else timedelta(hours=amount)
        if unit.startswith("h")
        else timedelta(days=amount)
    )
    if window <= timedelta(0) or window > MAX_WINDOW:
        raise Invalid(f"the window {text!r} must be more than 0 and at most 90 days")
    return window


def checked_window(text: str) -> str:
    """`text` itself when `parse_window` reads it (a validator for window arguments)."""
    parse_window(text)
    return text
