"""clean_directory: delete old files matching patterns under an allowlisted directory.

Only regular files are deleted; symlinks are never followed (a link inside the directory
cannot lead the deletion elsewhere), and the target is resolved to its real path before it
is compared with the allowlist. Every file is checked again just before it is deleted, so a
file rewritten while the approval waited is kept.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import time
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from tools.base import Risk, ToolError, ToolResult
from tools.format import human_bytes, human_duration
from tools.infra.usage import filesystem_usage
from tools.remediation.catalogue import Action
from tools.remediation.config import CleanDirectory, RemediationConfig

MAX_FILES = 100_000
SHOWN = 15


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


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _used_percent(path: str) -> float:
    """How full the filesystem holding `path` is, in percent (as df and the monitors say)."""
    return filesystem_usage(path).percent


def scan(directory: str, patterns: list[str], cutoff: float, limit: int = MAX_FILES) -> Scan:
    result = Scan(directory, patterns, cutoff)

    def _error(_: OSError) -> None:
        result.errors += 1

    for dirpath, _dirs, filenames in os.walk(directory, onerror=_error, followlinks=False):
        for filename in filenames:
            if not any(fnmatch.fnmatchcase(filename, p) for p in patterns):
                continue
            full = os.path.join(dirpath, filename)
            try:
                info = os.lstat(full)
            except OSError:
                result.errors += 1
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:
                continue
            result.files.append(Candidate(full, info.st_size, info.st_mtime))
            if len(result.files) >= limit:
                result.truncated = True
                return result
    return result


class CleanDirectoryAction(Action):
    name = "clean_directory"
    params = CleanParams

    def __init__(self, config: RemediationConfig) -> None:
        self.config = config
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

    def _root(self, path: str) -> tuple[str, CleanDirectory]:
        if not self.config.clean_directories:
            raise ToolError(
                "no directories may be cleaned: add clean_directories to the file named by "
                "REMEDIATION_CONFIG"
            )
        if not os.path.isabs(path):
            raise ToolError(f"path must be absolute, got {path!r}")
        real = os.path.realpath(path)
        best: CleanDirectory | None = None
        for entry in self.config.clean_directories:
            root = os.path.realpath(entry.path)
            if _under(real, root) and (
                best is None or len(root) > len(os.path.realpath(best.path))
            ):
                best = entry
        if best is None:
            allowed = ", ".join(d.path for d in self.config.clean_directories)
            raise ToolError(f"{path} is not under an allowed directory (allowed: {allowed})")
        if not os.path.isdir(real):
            raise ToolError(f"{path} does not exist or is not a directory")
        return real, best

    def _plan(self, params: CleanParams) -> Scan:
        real, root = self._root(params.path)
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
        return scan(real, patterns, cutoff)

    def dry_run(self, params: CleanParams) -> str:
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
        return "\n".join(lines)

    def execute(self, params: CleanParams) -> ToolResult:
        plan = self._plan(params)
        deleted = 0
        freed = 0
        skipped = 0
        failures: list[str] = []
        for item in plan.files:
            try:
                info = os.lstat(item.path)
                if not stat.S_ISREG(info.st_mode) or info.st_mtime >= plan.cutoff:
                    skipped += 1  # replaced or rewritten since the scan: keep it
                    continue
                os.unlink(item.path)
            except FileNotFoundError:
                skipped += 1
                continue
            except OSError as exc:
                failures.append(f"{item.path}: {exc.strerror or exc}")
                continue
            deleted += 1
            freed += info.st_size
        percent = _used_percent(plan.directory)
        text = (
            f"Deleted {deleted} files ({human_bytes(freed)}) matching {', '.join(plan.patterns)} "
            f"older than {params.older_than_days} days under {plan.directory}; its filesystem "
            f"is now {percent}% used."
        )
        if skipped:
            text += f" {skipped} files changed or vanished since the scan and were kept."
        if failures:
            text += f" {len(failures)} could not be deleted: " + "; ".join(failures[:5])
        data = {
            "path": plan.directory,
            "deleted": deleted,
            "bytes": freed,
            "skipped": skipped,
            "failed": len(failures),
            "filesystem_percent": percent,
        }
        ok = not failures or deleted > 0
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
