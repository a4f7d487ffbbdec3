"""Reads about what changed, what is anomalous and what the logs say: "what changed in the
last 2h?", "any deploys today?", "recent changes to bike-demand", "any anomalies?", "errors in
the logs in the last 30m", "search the logs for timeout". Plans `what_changed` (window and
target from the message), `series_anomalies` and `search_logs`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphs.offline.entities import Entities

_ASKS_CHANGES = re.compile(
    r"\bwhat(?:'s|\s+has|\s+have|\s+was)?\s+(?:been\s+)?(?:changed|deployed|released)\b"
    r"|\b(?:recent|latest|last|any)\s+(?:changes?|deploy(?:s|ments?)?|releases?)\b"
    r"|\bchange\s*-?\s*log\b|\bwho\s+(?:changed|deployed)\b"
    r"|\bchanges?\s+(?:to|on|in|for)\s+\S+|\bchanged\s+(?:recently|today|lately)\b"
)
_WINDOW = re.compile(
    r"\b(?:last|past|previous)\s+(\d{1,3})\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)\b"
    r"|\b(?:last|past)\s+(hour|day|week)\b"
)
_ANOMALY = re.compile(r"\banomal(?:y|ies|ous)\b|\boutliers?\b|\bunusual\b")
_LOGS = re.compile(r"\blogs?\b|\blog\s+files?\b|\bgrep\b")
_LOG_TEXT = re.compile(
    r"[\"'`]([^\"'`]{1,200})[\"'`]|\b(?:for|containing|matching|with|about)\s+([\w./:-]{2,100})"
)
_LOG_LEVEL = re.compile(r"\b(errors?|warnings?|critical|fatal|exceptions?)\b")


def window(low: str) -> str:
    """The time window the message names, as what_changed reads it (default 24h)."""
    found = _WINDOW.search(low)
    if found and found.group(1):
        unit = found.group(2)[0]
        return f"{found.group(1)}{'m' if unit == 'm' else 'h' if unit == 'h' else 'd'}"
    if found:
        return {"hour": "1h", "day": "24h", "week": "7d"}[found.group(3)]
    if "this week" in low:
        return "7d"
    if "yesterday" in low:
        return "48h"
    return "24h"


def change_reads(
    low: str,
    ents: Entities,
    model: str | None,
    prompt: str | None,
    has: Callable[[str], bool],
) -> list[tuple[str, dict[str, Any]]]:
    """The change-log and anomaly reads this message asks for (none for a prompt diff)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    diff = prompt is not None and (len(ents.versions) >= 1 or "between" in low or "diff" in low)
    if _ASKS_CHANGES.search(low) and not diff and has("what_changed"):
        args: dict[str, Any] = {"since": window(low)}
        target = (ents.models or ents.prompts or ents.services or [model or prompt or ""])[0]
        if target:
            args["target"] = target
        if re.search(r"\bdeploy", low):
            args["kind"] = "deploy"
        calls.append(("what_changed", args))
    if _ANOMALY.search(low) and has("series_anomalies"):
        calls.append(("series_anomalies", {}))
    asks_logs = _LOGS.search(low) and "runbook" not in low and not _ASKS_CHANGES.search(low)
    if asks_logs and has("search_logs"):
        calls.append(("search_logs", log_args(low)))
    return calls


def log_args(low: str) -> dict[str, Any]:
    """What a log question asks for: its text (quoted, or after "for"), level and window."""
    args: dict[str, Any] = {"since": window(low) if _WINDOW.search(low) else "1h"}
    text = _LOG_TEXT.search(low)
    if text:
        found = text.group(1) or text.group(2)
        if found not in {"the", "errors", "error", "warnings", "logs", "log"}:
            args["text"] = found
    level = _LOG_LEVEL.search(low)
    if level:
        word = level.group(1)
        args["level"] = (
            "warning"
            if word.startswith("warning")
            else ("critical" if word in {"critical", "fatal"} else "error")
        )
    return args
