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

The walk, the scan and the re-checked deletion through file descriptors are in `fd_tree.py`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel, Field

from core.access import Risk
from tools.base import ToolError, ToolResult
from tools.format import human_bytes, human_duration
from tools.infra.usage import filesystem_usage
from tools.remediation.catalogue import Action, DryRun
from tools.remediation.config import CleanDirectory, RemediationConfig
from tools.remediation.fd_tree import Scan, delete, open_directory, scan

SHOWN = 15


class CleanParams(BaseModel):
    path: str = Field(..., description="Allowlisted directory (or a directory under one)")
    older_than_days: int = Field(7, ge=0, le=3650, description="Only files older than this")
    patterns: list[str] | None = Field(
        None, description="File name globs; default: the directory's configured patterns"
    )


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _used_percent(directory: str | int) -> float:
    """How full the filesystem holding `directory` (a path or an open fd) is, in percent,
    as df and the monitors say."""
    return filesystem_usage(directory).percent


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
