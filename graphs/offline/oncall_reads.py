"""Reads about who is on call: "who is on call?", "who's on call next week", "who is on call
tomorrow", "on-call schedule". Plans `who_is_on_call`, with `at` when the message names a later
time (tomorrow, next week, in N days); the tool answers for every schedule, now and next."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from core.clock import iso

_ASKS_ONCALL = re.compile(
    r"\bwho(?:'s|\u2019s|s|\s+is|\s+will\s+be|\s+was)?\s+(?:\w+\s+){0,2}on[- ]?call\b"
    r"|\bon[- ]?call\s+(?:now|next|today|tomorrow|schedule|rotation|shift)s?\b"
    r"|\bwho\s+(?:has|holds)\s+the\s+pager\b"
)
_LATER = re.compile(r"\b(tomorrow|next\s+week|next\s+month|in\s+(\d{1,2})\s+(days?|weeks?))\b")


def later(low: str, now: datetime) -> datetime | None:
    """The time a message asks about, when it is not now."""
    found = _LATER.search(low)
    if not found:
        return None
    word = found.group(1)
    if word == "tomorrow":
        return now + timedelta(days=1)
    if word.startswith("next"):
        return now + timedelta(days=30 if word.endswith("month") else 7)
    count = int(found.group(2))
    return now + timedelta(days=count * (7 if found.group(3).startswith("week") else 1))


def oncall_reads(
    low: str, now: datetime, has: Callable[[str], bool]
) -> list[tuple[str, dict[str, Any]]]:
    """`who_is_on_call` when the message asks who is on call (at the time it names)."""
    if not _ASKS_ONCALL.search(low) or not has("who_is_on_call"):
        return []
    at = later(low, now)
    return [("who_is_on_call", {"at": iso(at)} if at else {})]
