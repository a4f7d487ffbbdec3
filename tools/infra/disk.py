"""Disk use of a mount or path, and its largest subdirectories within a time budget.

Walking a big tree can take minutes; the walk stops at `budget_seconds` and says the sizes
are partial rather than blocking the agent. It never crosses into other filesystems and
never follows symlinks.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tools.infra.host import DiskReading, read_disk


@dataclass
class DirSize:
    path: str
    bytes: int
    files: int


@dataclass
class DiskUsageReport:
    path: str
    mount: DiskReading
    largest: list[DirSize] = field(default_factory=list)
    scanned_files: int = 0
    complete: bool = True
    elapsed_seconds: float = 0.0
    errors: int = 0


def mount_of(path: Path) -> str:
    path = path.resolve()
    best = "/"
    for part in psutil.disk_partitions(all=True):
        mp = part.mountpoint
        if (str(path) == mp or str(path).startswith(mp.rstrip("/") + "/")) and len(mp) > len(best):
            best = mp
    return best


def _allocated(st: os.stat_result) -> int:
    """Bytes a file takes on disk: its blocks (a sparse file counts what it uses), or its
    size where the platform reports no blocks."""
    return st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size


def _tree_size(root: str, device: int, deadline: float, totals: list[int]) -> tuple[int, int, bool]:
    """(bytes, files, complete) for everything under root on the same device."""
    size = files = 0
    stack = [root]
    while stack:
        if time.monotonic() > deadline:
            return size, files, False
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        totals[1] += 1
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if st.st_dev == device:
                            stack.append(entry.path)
                    else:
                        size += _allocated(st)
                        files += 1
                        totals[0] += 1
        except OSError:
            totals[1] += 1
    return size, files, True


def disk_usage(path: str, top: int = 8, budget_seconds: float = 3.0) -> DiskUsageReport:
    target = Path(path).expanduser()
    if not target.is_absolute():
        raise ValueError(f"path must be absolute, got {path!r}")
    if not target.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if not target.is_dir():
        raise NotADirectoryError(f"{path} is not a directory")
    started = time.monotonic()
    mountpoint = mount_of(target)
    mount = read_disk(mountpoint)
    device = target.stat().st_dev
    deadline = started + budget_seconds
    totals = [0, 0]  # files scanned, errors
    largest: list[DirSize] = []
    complete = True
    loose_bytes = loose_files = 0
    try:
        entries = list(os.scandir(target))
    except OSError as exc:
        raise PermissionError(f"cannot list {path}: {exc.strerror}") from None
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            totals[1] += 1
            continue
        if entry.is_dir(follow_symlinks=False):
            if st.st_dev != device:
                continue  # another filesystem mounted below this path
            size, files, done = _tree_size(entry.path, device, deadline, totals)
            complete = complete and done
            largest.append(DirSize(entry.path, size, files))
        else:
            loose_bytes += _allocated(st)
            loose_files += 1
        if time.monotonic() > deadline:
            complete = False
            break
    if loose_files:
        largest.append(DirSize(str(target) + " (files directly here)", loose_bytes, loose_files))
    largest.sort(key=lambda d: d.bytes, reverse=True)
    return DiskUsageReport(
        path=str(target),
        mount=mount,
        largest=largest[:top],
        scanned_files=totals[0] + loose_files,
        complete=complete,
        elapsed_seconds=round(time.monotonic() - started, 2),
        errors=totals[1],
    )
