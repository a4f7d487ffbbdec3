"""clean_directory never deletes outside its root, even when a directory is swapped for a
symlink to somewhere else between the dry run and the execution, or while the deletion runs.
Real directories, real symlinks, a real thread racing the deletion."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tools.base import ToolError
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.config import parse_config

DAY = 86400


def old(path: Path, days: float = 30) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 100)
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))
    return path


def catalogue(root: Path) -> RemediationCatalogue:
    config = {"clean_directories": [{"path": str(root), "patterns": ["*.log"]}]}
    return RemediationCatalogue(parse_config(config, "test"))


def test_the_root_swapped_for_a_symlink_after_the_dry_run_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    old(root / "app.log")
    outside = [old(tmp_path / "elsewhere" / "app.log"), old(tmp_path / "elsewhere" / "db.log")]
    cat = catalogue(root)  # opsbot is running: its allowlist was read before the swap
    action, params = cat.parse("clean_directory", {"path": str(root)})
    assert "Would delete 1 files" in action.dry_run(params)
    root.rename(tmp_path / "logs.real")
    root.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ToolError, match="is not under an allowed directory: it leads to"):
        action.execute(params)
    assert all(p.exists() for p in outside)
    assert (tmp_path / "logs.real" / "app.log").exists()


def test_a_subdirectory_swapped_for_a_symlink_after_the_dry_run(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    old(root / "app" / "a.log")
    old(root / "top.log")
    outside = old(tmp_path / "elsewhere" / "a.log")
    cat = catalogue(root)
    action, params = cat.parse("clean_directory", {"path": str(root)})
    assert "Would delete 2 files" in action.dry_run(params)
    (root / "app").rename(root / "app.moved")
    (root / "app").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    result = action.execute(params)
    assert outside.exists()
    assert not (root / "top.log").exists()
    assert not (root / "app.moved" / "a.log").exists()  # still under the root: cleaned
    assert result.data["deleted"] == 2
    # and naming the swapped subdirectory itself is refused, not followed
    sub = action.parse({"path": str(root / "app")})
    with pytest.raises(ToolError, match="is not under an allowed directory: it leads to"):
        action.execute(sub)
    assert outside.exists()


def test_a_parent_swapped_for_a_symlink_while_the_deletion_runs(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    parent = root / "app" / "archive"
    count = 5000
    names = [f"f{i:05d}.log" for i in range(count)]
    for name in names:
        old(parent / name)
    outside = tmp_path / "elsewhere"
    for name in names:
        old(outside / name)
    cat = catalogue(root)
    action, params = cat.parse("clean_directory", {"path": str(root)})
    swapped = threading.Event()
    left_at_swap: list[int] = []

    def swap() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the deletion has started
            left = len(os.listdir(parent))
            if left < count:
                parent.rename(root / "app" / "archive.moved")
                parent.symlink_to(outside, target_is_directory=True)
                left_at_swap.append(left)
                swapped.set()
                return
            time.sleep(0.0005)

    racer = threading.Thread(target=swap, daemon=True)
    racer.start()
    result = action.execute(params)
    racer.join(60)
    assert swapped.is_set() and left_at_swap[0] > 0, "the swap did not happen mid-deletion"
    survivors = sorted(os.listdir(outside))
    assert survivors == names, f"{count - len(survivors)} files outside the root were deleted"
    assert result.data["deleted"] + result.data["skipped"] <= count


def test_a_configured_symlink_repointed_after_start_is_refused(tmp_path: Path) -> None:
    """The root is checked by device and inode against the configured path, not by name."""
    (tmp_path / "v1").mkdir()
    kept = old(tmp_path / "v1" / "app.log")
    other = old(tmp_path / "v2" / "app.log")
    current = tmp_path / "current"
    current.symlink_to(tmp_path / "v1", target_is_directory=True)
    cat = catalogue(current)  # allowlist: .../current, which led to v1 when opsbot started
    action = cat.get("clean_directory")
    assert "Would delete 1 files" in action.dry_run(action.parse({"path": str(current)}))
    current.unlink()
    current.symlink_to(tmp_path / "v2", target_is_directory=True)  # a deploy repoints it
    for path, message in [
        (current, "is not under an allowed directory: it leads to"),
        (tmp_path / "v1", "is not the directory that was allowed"),
    ]:
        with pytest.raises(ToolError, match=message):
            action.execute(action.parse({"path": str(path)}))
    assert kept.exists() and other.exists()
