"""clean_directory: delete old files matching patterns under an allowlisted directory.

Nothing is ever looked up by path after the root is opened: the walk and the deletions go
through directory file descriptors (`openat` with O_DIRECTORY | O_NOFOLLOW for each
subdirectory, `scandir(fd)`, `stat`/`unlink` with `dir_fd=`), so a directory swapped for a
symlink while the approval waited, or while the deletion runs, cannot lead it outside the
root: a symlink is never opened, and a directory already open stays the directory it was.

The allowlisted root is resolved once, when the catalogue is built, and opened component by
component from `/` without following any symlink; its device and inode must be those of the
configured path, so a root replaced by a symlink after the fact is refused. Only regular
files are deleted; each is checked again just before it goes (still a regular file, the same
inode as scanned, still older than the cutoff), so a file rewritten while the approval waited
is kept.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from core.access import Risk
from tools.base import ToolError, ToolResult
from tools.format import human_bytes, human_duration
from tools.infra.usage import filesystem_usage
from tools.remediation.catalogue import Action, DryRun
from tools.remediation.config import CleanDirectory, RemediationConfig

MAX_FILES = 100_000
SHOWN = 15
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class CleanParams(BaseModel):
    path: str = Field(..., description="Allowlisted directory (or a directory under one)")
    older_than_days: int = Field(7, ge=0, le=3650, description="Only files older than this")
    patterns: list[str] | None = Field(
        None, description="File name globs; default: the directory's configured patterns"
    )


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


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _used_percent(directory: str | int) -> float:
    """How full the filesystem holding `directory` (a path or an open fd) is, in percent,
    as df and the monitors say."""
    return filesystem_usage(directory).percent


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


class CleanDirectoryAction(Action):
    name = "clean_directory"
    params = CleanParams

    def __init__(self, config: RemediationConfig) -> None:
        self.config = config
        # resolved now, once: a symlink planted later cannot move a root somewhere else
        self._resolved = [os.path.realpath(d.path) for d in config.clean_directories]
        roots = ", ".join(d.path for d in config.clean_directories) or "none configured"
        self.summary = (
            "clean_directory(path, older_than_days=7, patterns=None): delete files older than "
            f"N days matching the directory's patterns. Allowed directories: {roots}"
        )

    def available(self) -> bool:
        return bool(self.config.clean_directories)

    def risk(self, params: CleanParams) -> Risk:
        try:
            return self._root(params.path)[1].risk
        except ToolError:
            return Risk.MEDIUM

    def _root(self, path: str) -> tuple[str, CleanDirectory, str]:
        """(the resolved target, its allowlist entry, the entry's root as resolved when the
        catalogue was built)."""
        if not self.config.clean_directories:
            raise ToolError(
                "no directories may be cleaned: add clean_directories to the file named by "
                "REMEDIATION_CONFIG"
            )
        if not os.path.isabs(path):
            raise ToolError(f"path must be absolute, got {path!r}")
        real = os.path.realpath(path)
        best: tuple[CleanDirectory, str] | None = None
        for entry, root in zip(self.config.clean_directories, self._resolved, strict=True):
            if _under(real, root) and (best is None or len(root) > len(best[1])):
                best = (entry, root)
        if best is None:
            allowed = ", ".join(d.path for d in self.config.clean_directories)
            for entry, root in zip(self.config.clean_directories, self._resolved, strict=True):
                if _under(os.path.normpath(path), entry.path):  # named under it, leads elsewhere
                    raise ToolError(
                        f"{path} is not under an allowed directory: it leads to {real}, outside "
                        f"{root}, through a symlink; nothing was deleted (allowed: {allowed})"
                    )
            raise ToolError(f"{path} is not under an allowed directory (allowed: {allowed})")
        if not os.path.isdir(real):
            raise ToolError(f"{path} does not exist or is not a directory")
        return real, best[0], best[1]

    @contextmanager
    def _open(self, real: str, entry: CleanDirectory, root: str) -> Iterator[int]:
        """The target directory's fd, reached from the allowlisted root without following
        any symlink; ToolError when the root or a directory on the way was swapped."""
        swapped = f"{entry.path} is not the directory that was allowed"
        try:
            root_fd = open_directory(root)
        except OSError as exc:
            raise ToolError(
                f"{swapped}: {root} cannot be opened without following a symlink "
                f"({exc.strerror or exc}); nothing was deleted"
            ) from None
        try:
            opened = os.fstat(root_fd)
            try:
                configured = os.stat(entry.path)
            except OSError as exc:
                raise ToolError(f"{entry.path} cannot be read: {exc.strerror or exc}") from None
            if (opened.st_dev, opened.st_ino) != (configured.st_dev, configured.st_ino):
                raise ToolError(
                    f"{swapped}: it now leads to {os.path.realpath(entry.path)}, not {root} "
                    "as when opsbot started; nothing was deleted"
                )
            try:
                fd = open_directory(os.path.relpath(real, root), root_fd)
            except OSError as exc:
                raise ToolError(
                    f"{swapped}: {real} cannot be reached from it without following a symlink "
                    f"({exc.strerror or exc}); nothing was deleted"
                ) from None
        finally:
            os.close(root_fd)
        try:
            yield fd
        finally:
            os.close(fd)

    def _check(self, params: CleanParams) -> tuple[str, CleanDirectory, str, list[str], float]:
        real, root, resolved = self._root(params.path)
        if params.older_than_days < root.min_age_days:
            raise ToolError(
                f"older_than_days must be at least {root.min_age_days} for {root.path} "
                f"(got {params.older_than_days})"
            )
        patterns = params.patterns if params.patterns is not None else list(root.patterns)
        if not patterns:
            raise ToolError(f"give at least one pattern; allowed: {', '.join(root.patterns)}")
        refused = [p for p in patterns if p not in root.patterns]
        if refused:
            raise ToolError(
                f"pattern(s) {', '.join(refused)} are not allowed for {root.path}; "
                f"allowed: {', '.join(root.patterns)}"
            )
        cutoff = time.time() - params.older_than_days * 86400
        return real, root, resolved, patterns, cutoff

    def _plan(self, params: CleanParams) -> Scan:
        real, root, resolved, patterns, cutoff = self._check(params)
        with self._open(real, root, resolved) as fd:
            return scan(fd, real, patterns, cutoff)

    def dry_run(self, params: CleanParams) -> str:
        return self.dry_run_figures(params).text

    def dry_run_figures(self, params: CleanParams) -> DryRun:
        plan = self._plan(params)
        what = (
            f"files matching {', '.join(plan.patterns)} older than {params.older_than_days} "
            f"days under {plan.directory}"
        )
        if not plan.files:
            raise ToolError(f"nothing to clean: no {what}")
        now = time.time()
        ordered = sorted(plan.files, key=lambda f: -f.size)
        lines = [
            f"Would delete {len(plan.files)}{'+' if plan.truncated else ''} "
            f"{what} ({human_bytes(plan.total)}):"
        ]
        for item in ordered[:SHOWN]:
            age = human_duration(now - item.mtime)
            lines.append(f"- {item.path}  {human_bytes(item.size)}  {age} old")
        if len(ordered) > SHOWN:
            lines.append(f"… and {len(ordered) - SHOWN} more")
        if plan.errors:
            lines.append(f"({plan.errors} entries could not be read and are left alone)")
        return DryRun("\n".join(lines), plan.total)

    def execute(self, params: CleanParams) -> ToolResult:
        real, root, resolved, patterns, cutoff = self._check(params)
        with self._open(real, root, resolved) as fd:
            done = delete(fd, real, patterns, cutoff)
            percent = _used_percent(fd)
        text = (
            f"Deleted {done.deleted} files ({human_bytes(done.freed)}) matching "
            f"{', '.join(patterns)} older than {params.older_than_days} days under {real}; "
            f"its filesystem is now {percent}% used."
        )
        if done.skipped:
            text += f" {done.skipped} files changed or vanished since the scan and were kept."
        if done.unreadable:
            text += (
                f" {done.unreadable} entries could not be read (or had become symlinks) and "
                "were left alone."
            )
        if done.failures:
            text += f" {len(done.failures)} could not be deleted: " + "; ".join(done.failures[:5])
        data = {
            "path": real,
            "deleted": done.deleted,
            "bytes": done.freed,
            "skipped": done.skipped,
            "unreadable": done.unreadable,
            "failed": len(done.failures),
            "filesystem_percent": percent,
        }
        ok = not done.failures or done.deleted > 0
        return ToolResult(text=text, data=data, ok=ok)

    def verify(self, params: CleanParams, result: ToolResult) -> str:
        try:
            plan = self._plan(params)
        except ToolError as exc:
            return f"could not re-check: {exc}"
        percent = _used_percent(plan.directory)
        if plan.files:
            return (
                f"not fully: {len(plan.files)} matching files ({human_bytes(plan.total)}) are "
                f"still there; filesystem {percent}% used"
            )
        return (
            f"it worked: no files matching {', '.join(plan.patterns)} older than "
            f"{params.older_than_days} days remain under {plan.directory}; filesystem "
            f"{percent}% used"
        )
