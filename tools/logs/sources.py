"""Log sources by allowlist (`LOG_SOURCES`: files, globs, `journal:<unit>` and
`loki:<selector>`). Nothing outside the list is read; a journal unit is read by
`tools/logs/journal.py`, a Loki stream by `tools/logs/loki.py`.

Each read is budgeted: at most `max_bytes` from the end of each file (whole lines only), and
the rotated predecessor (`<file>.1`, as logrotate leaves it, copytruncate or rename) when the
current file is shorter than the budget, so a search just after a rotation still sees the
lines before it. A missing or unreadable source is reported with its reason, never raised.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 2_000_000  # per file and call
MAX_FILES = 50  # files one call may read (globs can match many)


@dataclass
class SourceLines:
    """The lines read from one source (oldest first) and what could not be read."""

    source: str  # the path as configured or matched
    lines: list[str] = field(default_factory=list)
    problem: str | None = None
    truncated: bool = False  # older lines were left out by the byte budget


def resolve(patterns: list[str], source: str | None = None) -> tuple[list[str], list[str]]:
    """The files the allowlist names (globs expanded, sorted, at most MAX_FILES), optionally
    only those matching `source` (a path or a substring of one), and the problems found: a
    pattern that matches nothing, or a `source` outside the list."""
    files: list[str] = []
    problems: list[str] = []
    for pattern in patterns:
        if pattern.startswith(("journal:", "loki:")):  # tools/logs/journal.py, loki.py
            matched = [pattern]
        else:
            matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            problems.append(f"{pattern}: no file matches")
        files.extend(m for m in matched if m not in files)
    if source:
        chosen = [f for f in files if f == source or source in f]
        if not chosen:
            allowed = ", ".join(patterns) or "none (LOG_SOURCES is unset)"
            problems.append(f"{source} is not a configured log source; allowed: {allowed}")
        files = chosen
    if len(files) > MAX_FILES:
        problems.append(f"{len(files)} files match; only the first {MAX_FILES} are read")
        files = files[:MAX_FILES]
    return files, problems


def newest_within(lines: list[str], max_bytes: int) -> tuple[list[str], bool]:
    """The newest of `lines` (oldest first) that fit in `max_bytes`, and whether any were cut."""
    used = 0
    for index in range(len(lines) - 1, -1, -1):
        used += len(lines[index].encode()) + 1
        if used > max_bytes:
            return lines[index + 1 :], True
    return lines, False


def _tail(path: str, budget: int) -> tuple[list[str], bool, int]:
    """The last whole lines within `budget` bytes of `path`, whether older ones were cut,
    and the bytes used."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start = max(0, size - budget)
        handle.seek(start)
        data = handle.read(budget)
    if start > 0:  # drop the partial first line
        cut = data.find(b"\n")
        data = data[cut + 1 :] if cut >= 0 else b""
    text = data.decode("utf-8", errors="replace")
    return text.splitlines(), start > 0, len(data)


def read(path: str, max_bytes: int = MAX_BYTES) -> SourceLines:
    """The last lines of `path` (and of `path.1` while the budget lasts), oldest first."""
    result = SourceLines(path)
    target = Path(path)
    if not target.exists():
        result.problem = "does not exist"
        return result
    if not target.is_file():
        result.problem = "is not a regular file"
        return result
    try:
        lines, cut, used = _tail(path, max_bytes)
        rotated = Path(f"{path}.1")
        if not cut and used < max_bytes and rotated.is_file():
            older, cut, _ = _tail(str(rotated), max_bytes - used)
            lines = older + lines
    except OSError as exc:
        result.problem = f"cannot be read: {exc.strerror or exc}"
        return result
    result.lines, result.truncated = lines, cut
    return result
