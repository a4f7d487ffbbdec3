"""Walking and deleting under an open directory through directory file descriptors, for
`clean_directory` (tools/remediation/clean.py).

Nothing is looked up by path: `open_directory` opens a path one component at a time with
O_NOFOLLOW, `walk` lists with `scandir(fd)` and descends with `openat`, and `delete` checks
each file again (still a regular file, the same inode as scanned, still older than the
cutoff) just before it unlinks it in its own directory's fd. A symlink is never opened.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_FILES = 100_000
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass
class Candidate:
    path: str
    size: int
    mtime: float


@dataclass
class Scan:
    directory: str
    patterns: list[str]
    cutoff: float
    files: list[Candidate] = field(default_factory=list)
    errors: int = 0
    truncated: bool = False

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class Deletion:
    deleted: int = 0
    freed: int = 0
    skipped: int = 0
    unreadable: int = 0
    failures: list[str] = field(default_factory=list)


def _descend(fd: int, parts: list[str]) -> int:
    """A new fd for `parts` below the open directory `fd`, one O_NOFOLLOW step at a time."""
    current = os.dup(fd)
    try:
        for part in parts:
            if part == "..":
                raise OSError(f"'..' in {'/'.join(parts)}")
            child = os.open(part, _DIR_FLAGS, dir_fd=current)
            os.close(current)
            current = child
    except BaseException:
        os.close(current)
        raise
    return current


def open_directory(path: str, base_fd: int | None = None) -> int:
    """A new file descriptor (the caller closes it) of the directory `path`, absolute and
    resolved and opened from `/`, or relative to the open directory `base_fd`; one component
    at a time with O_NOFOLLOW, so OSError (ELOOP, ENOTDIR) when any component is a symlink
    or not a directory."""
    parts = [p for p in path.split(os.sep) if p and p != "."]
    if base_fd is not None:
        return _descend(base_fd, parts)
    top = os.open(os.sep, _DIR_FLAGS)
    try:
        return _descend(top, parts)
    finally:
        os.close(top)


# called for each old matching regular file: (directory fd, its path, name, lstat)
Visit = Callable[[int, str, str, os.stat_result], bool]


def walk(top_fd: int, top: str, patterns: list[str], cutoff: float, visit: Visit) -> int:
    """Walk the tree under the open directory `top_fd` (shown as `top`) through directory
    file descriptors, calling `visit` for each old regular file matching a pattern until it
    returns False. Never follows a symlink. Returns how many entries could not be read."""
    errors = 0
    stack: list[tuple[int, str, bool]] = [(top_fd, top, False)]  # (fd, path, close it)
    try:
        while stack:
            fd, path, owned = stack.pop()
            subdirs: list[str] = []
            try:
                with os.scandir(fd) as entries:
                    listing = list(entries)
            except OSError:
                errors += 1
                listing = []
            try:
                for entry in listing:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        errors += 1
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        subdirs.append(entry.name)
                    elif (
                        stat.S_ISREG(info.st_mode)
                        and info.st_mtime < cutoff
                        and any(fnmatch.fnmatchcase(entry.name, p) for p in patterns)
                        and not visit(fd, path, entry.name, info)
                    ):
                        return errors
                for name in reversed(subdirs):
                    try:
                        child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                    except OSError:  # swapped for a symlink or removed since the listing
                        errors += 1
                        continue
                    stack.append((child, os.path.join(path, name), True))
            finally:
                if owned:
                    os.close(fd)
    finally:
        for fd, _path, owned in stack:
            if owned:
                os.close(fd)
    return errors


def scan(
    top_fd: int, directory: str, patterns: list[str], cutoff: float, limit: int = MAX_FILES
) -> Scan:
    """What a clean would delete, for the dry run (nothing is changed)."""
    result = Scan(directory, patterns, cutoff)

    def collect(_fd: int, path: str, name: str, info: os.stat_result) -> bool:
        result.files.append(Candidate(os.path.join(path, name), info.st_size, info.st_mtime))
        if len(result.files) >= limit:
            result.truncated = True
            return False
        return True

    result.errors = walk(top_fd, directory, patterns, cutoff, collect)
    return result


def delete(
    top_fd: int, directory: str, patterns: list[str], cutoff: float, limit: int = MAX_FILES
) -> Deletion:
    """Delete what `scan` would list, each file re-checked (same inode, still a regular file,
    still older than the cutoff) just before it is unlinked in its own directory's fd."""
    done = Deletion()

    def remove(fd: int, path: str, name: str, scanned: os.stat_result) -> bool:
        shown = os.path.join(path, name)
        try:
            now = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if (
                not stat.S_ISREG(now.st_mode)
                or (now.st_dev, now.st_ino) != (scanned.st_dev, scanned.st_ino)
                or now.st_mtime >= cutoff
            ):
                done.skipped += 1  # replaced or rewritten since the scan: keep it
                return True
            os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            done.skipped += 1
            return True
        except OSError as exc:
            done.failures.append(f"{shown}: {exc.strerror or exc}")
            return True
        done.deleted += 1
        done.freed += now.st_size
        return done.deleted < limit

    done.unreadable = walk(top_fd, directory, patterns, cutoff, remove)
    return done
