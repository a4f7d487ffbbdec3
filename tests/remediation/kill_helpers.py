"""Real processes for the kill_process tests: detached ones (not in the test process's tree,
as a process opsbot may kill would be) and the test's own children and grandchildren (the
test process plays opsbot)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

AS_ROOT = os.geteuid() == 0
SLEEP = shutil.which("sleep") or "/bin/sleep"
SH = shutil.which("sh") or "/bin/sh"

LAUNCHER = """
import json, subprocess, sys
argv, user = json.loads(sys.argv[1])
proc = subprocess.Popen(argv, start_new_session=True, user=user, stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(proc.pid, flush=True)
"""


def started(pid: int, program: str, timeout: float = 10.0) -> int:
    """Wait until `pid` runs `program` (exec done, so its name and command line are set)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            cmdline = psutil.Process(pid).cmdline()
        except psutil.NoSuchProcess:
            raise AssertionError(f"PID {pid} ended before it started {program}") from None
        if cmdline and cmdline[0] == program:
            return pid
        time.sleep(0.02)
    raise AssertionError(f"PID {pid} did not start {program}")


def detached(argv: list[str], user: str | None = None) -> int:
    """Start `argv` (as `user`) in a session of its own whose parent exits at once, so it is
    re-parented away from the test process: outside opsbot's tree."""
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, json.dumps([argv, user])],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return started(int(launched.stdout.strip()), argv[0])


def child(argv: list[str]) -> subprocess.Popen[bytes]:
    """A child of the test process ("opsbot"), running `argv`."""
    proc = subprocess.Popen(argv)
    started(proc.pid, argv[0])
    return proc


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running(pid):
            return True
        time.sleep(0.02)
    return False


def reap(*pids: int) -> None:
    """Kill what a test left behind (each by its PID, and its session's group)."""
    for pid in pids:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)


def victim_policy(**extra: object) -> dict[str, object]:
    """A processes policy under which the detached test victims (sleep, sh) may be killed:
    when the tests run as root, so do the victims, which must then be named."""
    policy: dict[str, object] = {"root_allowed": ["sleep", "sh"]} if AS_ROOT else {}
    return policy | extra


def fake_opsbot(tmp_path: Path) -> str:
    """A program named `opsbot` (a link to sleep): what `ps` shows for `opsbot run`."""
    link = tmp_path / "bin" / "opsbot"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(SLEEP)
    return str(link)
