"""The files triage posts in an incident's thread beside its evidence note: the anomaly's
PNG (the recent window and its expected band, drawn by the anomaly monitor) and the log lines
triage pulled around the onset, as a file rather than a wall of text in the thread.

The log file is made from `search_logs`' data, which triage has already redacted; it is
capped at MAX_LOG_CHARS, and the cut is said at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.incidents.contract import NoteFile

if TYPE_CHECKING:
    from graphs.triage_types import Evidence

MAX_LOG_CHARS = 200_000
ATTACHED_TOOLS = ("search_logs",)  # their output goes in a file, not in the note


def triage_files(
    incident_id: int, details: dict[str, Any], evidence: Sequence[Evidence]
) -> list[NoteFile]:
    """The files for triage's note on this incident (none when there is nothing to show)."""
    files: list[NoteFile] = []
    plot = details.get("plot")
    if isinstance(plot, str) and Path(plot).is_file():
        files.append(
            NoteFile(Path(plot).name, "The series, its expected band and the anomaly", path=plot)
        )
    for item in evidence:
        if item.tool == "search_logs" and item.ok and isinstance(item.data, dict):
            content = log_excerpt(item.data)
            if content:
                count = int(item.data.get("count") or 0)
                files.append(NoteFile(
                    f"incident-{incident_id}-logs.txt",
                    f"{count:,} matching log line(s) around the onset",
                    content=content,
                ))  # fmt: skip
    return files


def log_excerpt(data: dict[str, Any]) -> str:
    """`search_logs`' result as a log file: the templates first, then each matching line
    (newest first) with its context, separated by `--` as grep does."""
    matches = [m for m in data.get("matches") or [] if isinstance(m, dict)]
    if not matches:
        return ""
    lines = [f"# {int(data.get('count') or 0):,} matching line(s); newest first"]
    first = data.get("first")
    if isinstance(first, dict) and first.get("line"):
        lines.append(
            f"# first error: {first.get('at') or '?'} {first.get('source')}: {first['line']}"
        )
    for template in data.get("templates") or []:
        if isinstance(template, dict):
            lines.append(f"# {int(template.get('count') or 0):>6,} × {template.get('template')}")
    for match in matches:
        lines.append("--")
        lines.append(f"# {match.get('source')} {match.get('at') or ''}".rstrip())
        lines.extend(str(x) for x in match.get("before") or [])
        lines.append(str(match.get("line") or ""))
        lines.extend(str(x) for x in match.get("after") or [])
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_LOG_CHARS:
        cut = text[:MAX_LOG_CHARS].rsplit("\n", 1)[0]
        text = cut + f"\n# … cut at {MAX_LOG_CHARS:,} characters\n"
    return text
