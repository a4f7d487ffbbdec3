"""Reads about maintenance windows: "any maintenance windows?", "what's in maintenance",
"upcoming maintenance", "suppressed alerts". Plans `maintenance_windows` (read-only), with the
state the message names: upcoming, ended, or (by default) active and upcoming."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_ASKS = re.compile(
    r"\bmaintenance\s+windows?\b"
    r"|\b(?:in|under)\s+maintenance\b"
    r"|\b(?:any|active|current|upcoming|planned|scheduled|past|ended|recent)\s+maintenances?\b"
    r"|\b(?:suppressed|silenced|held[- ]back)\s+(?:alerts?|findings?)\b"
)
_UPCOMING = re.compile(r"\b(?:upcoming|planned|scheduled|next|future)\b")
_ENDED = re.compile(r"\b(?:past|ended|previous|recent|last)\b")


def maintenance_reads(low: str, has: Callable[[str], bool]) -> list[tuple[str, dict[str, Any]]]:
    """`maintenance_windows` when the message asks about maintenance windows."""
    if not _ASKS.search(low) or not has("maintenance_windows"):
        return []
    state = "upcoming" if _UPCOMING.search(low) else "ended" if _ENDED.search(low) else None
    return [("maintenance_windows", {"state": state} if state else {})]
