"""Following a log file between checks: read what was appended since the saved position, and
notice a rotation (a new inode: logrotate's rename, the rest of the old file is read from its
`.1` first) or a truncation (copytruncate: the file is smaller than the position, or its first
bytes are not those read before, when it has grown past the old position again; read from the
start).
At most `budget` bytes a call: a flood skips to its newest lines and says how much it skipped."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

HEAD_BYTES = 256


@dataclass
class Position:
    inode: int = 0
    offset: int = 0
    head: str = ""  # digest of the file's first bytes (up to HEAD_BYTES) when read


def _head(path: str, length: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(min(length, HEAD_BYTES))).hexdigest()[:32]


@dataclass
class Appended:
    lines: list[str]
    position: Position
    rotated: bool = False
    truncated: bool = False
    skipped_bytes: int = 0


def _read(path: str, start: int, budget: int) -> tuple[list[str], int, int]:
    """Whole lines from `start` (at most `budget` bytes: the newest), the new offset and the
    bytes skipped. A last line without its newline waits for the next call."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        skipped = max(0, size - start - budget)
        handle.seek(start + skipped)
        data = handle.read(size - start - skipped)
    end = data.rfind(b"\n")
    complete = data[: end + 1] if end >= 0 else b""
    if skipped:  # the first line was cut by the budget
        first = complete.find(b"\n")
        complete = complete[first + 1 :] if first >= 0 else b""
    offset = start + skipped + (end + 1 if end >= 0 else 0)
    return complete.decode("utf-8", errors="replace").splitlines(), offset, skipped


def read_appended(path: str, position: Position | None, budget: int = 2_000_000) -> Appended:
    """What `path` gained since `position` (None: a first look, which starts at the end, so
    old lines are not reported as new). Raises OSError when the file cannot be read."""
    info = os.stat(path)
    if position is None:
        return Appended([], Position(info.st_ino, info.st_size, _head(path, info.st_size)))
    lines: list[str] = []
    rotated = truncated = False
    start = position.offset
    skipped = 0
    if info.st_ino != position.inode:
        rotated, start = True, 0
        old = f"{path}.1"
        if os.path.exists(old) and os.stat(old).st_ino == position.inode:
            lines, _, skipped = _read(old, position.offset, budget)
    elif info.st_size < position.offset or (
        position.head and _head(path, position.offset) != position.head
    ):
        truncated, start = True, 0
    more, offset, skipped_now = _read(path, start, budget)
    moved = Position(info.st_ino, offset, _head(path, offset))
    return Appended(lines + more, moved, rotated, truncated, skipped + skipped_now)
