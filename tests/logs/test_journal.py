"""The systemd journal as a log source (`journal:<unit>` in LOG_SOURCES): real journal files
written by systemd's own `systemd-journal-remote` from journal export text, read back with the
real `journalctl`. Skips with the reason where either is absent (scripts/test_binaries.sh
unpacks Debian's journal-remote into .cache/journal)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from core.access import Caller
from tests.bot_process import REPO, opsbot
from tools.logs.journal import line_of, read_unit
from tools.logs.tools import build_log_tools

CALLER = Caller("U1", "cli")
REMOTE = REPO / ".cache" / "journal" / "systemd-journal-remote"


def _journal(tmp_path: Path, entries: list[tuple[float, str, int, str]]) -> Path:
    """A journal directory holding `entries` (time, unit, priority, message)."""
    if shutil.which("journalctl") is None:
        pytest.skip("journalctl is not installed on this machine")
    if not REMOTE.exists():
        pytest.skip("systemd-journal-remote is absent: run scripts/test_binaries.sh")
    export = tmp_path / "entries.export"
    blocks = [
        f"__REALTIME_TIMESTAMP={int(at * 1_000_000)}\n__MONOTONIC_TIMESTAMP=0\n"
        f"_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT={unit}\n"
        f"PRIORITY={priority}\nMESSAGE={message}\n\n"
        for at, unit, priority, message in entries
    ]
    export.write_text("".join(blocks))
    directory = tmp_path / "journal"
    directory.mkdir()
    env = {**os.environ, "LD_LIBRARY_PATH": str(REMOTE.parent / "lib")}
    made = subprocess.run(
        [str(REMOTE), f"--output={directory / 'remote.journal'}", str(export)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return directory


def _entries() -> list[tuple[float, str, int, str]]:
    now = time.time()
    return [
        (now - 7200, "checkout.service", 3, "ERROR long ago: not in the window"),
        (now - 600, "checkout.service", 6, "started worker 4"),
        (now - 300, "checkout.service", 3, "db pool exhausted (max=20)"),
        (now - 120, "checkout.service", 4, "slow query 2.4s"),
        (now - 60, "checkout.service", 3, "request failed: token=sk-live-0123456789abcdefABCD"),
        (now - 30, "billing.service", 3, "billing is another unit"),
    ]


def test_search_logs_reads_a_unit_by_level_and_window(tmp_path: Path) -> None:
    directory = _journal(tmp_path, _entries())
    [tool] = build_log_tools(("journal:checkout.service",), str(directory))
    errors = tool.invoke({"level": "error", "since": "30m"}, CALLER)
    assert errors.ok, errors.text
    lines = [m["line"] for m in errors.data["matches"]]
    assert len(lines) == 2 and "request failed" in lines[0] and "db pool exhausted" in lines[1]
    assert all(" ERROR " in line for line in lines)
    assert "sk-live-0123456789abcdefABCD" not in errors.text  # redacted like a file's lines
    assert not any("billing" in line or "long ago" in line for line in lines)
    everything = tool.invoke({"since": "30m"}, CALLER)
    assert everything.data["count"] == 4  # info and warning too, still one unit, one window


def test_journal_problems_are_findings_not_errors(tmp_path: Path) -> None:
    directory = _journal(tmp_path, _entries())
    unknown = read_unit("journal:nope.service", 100_000, journal_dir=str(directory))
    assert unknown.problem is None and unknown.lines == []  # an empty unit is just empty
    bad = read_unit("journal:x; rm -rf /", 100_000, journal_dir=str(directory))
    assert bad.problem is not None and "not a unit name" in bad.problem
    missing = read_unit("journal:checkout.service", 100_000, journal_dir=str(tmp_path / "none"))
    assert missing.lines == []
    budget = read_unit("journal:checkout.service", 120, journal_dir=str(directory))
    assert budget.truncated and len(budget.lines) == 1 and "request failed" in budget.lines[0]
    [tool] = build_log_tools(("journal:checkout.service", str(tmp_path / "gone.log")),
                             str(directory))  # fmt: skip
    mixed = tool.invoke({"level": "error", "since": "30m"}, CALLER)
    assert mixed.ok and mixed.data["count"] == 2
    assert any("gone.log does not exist" in p for p in mixed.data["problems"])


def test_without_journalctl_the_source_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no journalctl on it
    got = read_unit("journal:checkout.service", 1000)
    assert got.problem == "cannot be read: journalctl is not installed on this host"


def test_priorities_and_odd_entries() -> None:
    assert line_of({"__REALTIME_TIMESTAMP": "0", "PRIORITY": "2", "MESSAGE": "x"}) == (
        "1970-01-01T00:00:00.000Z CRITICAL x"
    )
    assert line_of({"__REALTIME_TIMESTAMP": "0", "MESSAGE": [104, 105, 255]}).endswith(
        "INFO hi\ufffd"
    )
    assert line_of({"MESSAGE": "no time"}) is None
    assert line_of({"__REALTIME_TIMESTAMP": "9" * 30, "MESSAGE": "far future"}) is None


def test_opsbot_logs_reads_the_journal(tmp_path: Path) -> None:
    directory = _journal(tmp_path, _entries())
    env = {"OPSBOT_DATA_DIR": str(tmp_path / "data"), "LOG_SOURCES": "journal:checkout.service",
           "LOG_JOURNAL_DIR": str(directory)}  # fmt: skip
    shown = opsbot("logs", "--level", "error", "--since", "30m", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "db pool exhausted" in shown.stdout and "billing" not in shown.stdout
