"""Configured commands run in their own session; at their timeout the whole tree dies.

Real scripts that spawn real grandchildren (in the command's process group, and in a session
of their own that keeps the output pipe open), real signals.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.config import parse_config
from tools.remediation.runner import CommandOutcome, run_argv


def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "action.py"
    path.write_text(body)
    return [sys.executable, str(path)]


def pids(path: Path, count: int, timeout: float = 10.0) -> list[int]:
    """The PIDs the script wrote, one a line, once `count` of them are there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().split()
            if len(lines) >= count:
                return [int(p) for p in lines[:count]]
        time.sleep(0.05)
    raise AssertionError(f"the script did not write {count} PIDs to {path}")


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running(pid):
            return True
        time.sleep(0.05)
    return False


def reap(pid: int) -> None:
    if running(pid):
        os.kill(pid, signal.SIGKILL)


SPAWNER = """
import subprocess, sys, time
out = open({pids!r}, "a")
same_group = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
own_session = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True
)  # inherits stdout: the pipe stays open as long as it lives
out.write(f"{{same_group.pid}}\\n{{own_session.pid}}\\n")
out.close()
print("spawned", flush=True)
time.sleep(300)
"""


def test_grandchildren_die_with_the_timeout_even_in_their_own_session(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    argv = script(tmp_path, SPAWNER.format(pids=str(pid_file)))
    cat = RemediationCatalogue(
        parse_config({"scripts": {"spawner": {"argv": argv, "timeout_seconds": 2}}}, "test")
    )
    action, params = cat.parse("run_script", {"script": "spawner"})
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(action.execute(params)), daemon=True)
    started = time.monotonic()
    worker.start()
    grandchildren = pids(pid_file, 2)
    try:
        worker.join(30)
        assert not worker.is_alive(), "the action did not return: its grandchild held it"
        assert time.monotonic() - started < 30
        (result,) = box
        assert not result.ok and "timed out after" in result.text  # type: ignore[attr-defined]
        assert "spawned" in result.text  # type: ignore[attr-defined]
        for pid in grandchildren:
            assert wait_gone(pid), f"grandchild {pid} outlived the action's timeout"
    finally:
        for pid in grandchildren:
            reap(pid)


GRACEFUL = """
import signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", {child!r}])
def stop(signum, frame):
    open({marker!r}, "a").write("parent got SIGTERM\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open({pids!r}, "a").write(f"{{child.pid}}\\n")
time.sleep(300)
"""
CHILD = """
import signal, sys, time
def stop(signum, frame):
    open({marker!r}, "a").write("child got SIGTERM\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
time.sleep(300)
"""


def test_timeout_sends_sigterm_to_the_group_before_sigkill(tmp_path: Path) -> None:
    marker, pid_file = tmp_path / "marker", tmp_path / "pids"
    child = CHILD.format(marker=str(marker))
    argv = script(tmp_path, GRACEFUL.format(child=child, marker=str(marker), pids=str(pid_file)))
    box: list[CommandOutcome] = []
    worker = threading.Thread(target=lambda: box.append(run_argv(argv, 2.0, grace=10.0)))
    worker.start()
    (grandchild,) = pids(pid_file, 1)
    try:
        worker.join(30)
        assert not worker.is_alive()
        (outcome,) = box
        assert outcome.timed_out and outcome.exit_code is None
        lines = sorted(marker.read_text().splitlines())
        assert lines == ["child got SIGTERM", "parent got SIGTERM"]  # both could clean up
        assert outcome.seconds < 10  # they exited on SIGTERM: no wait for the whole grace
        assert wait_gone(grandchild)
    finally:
        reap(grandchild)


def test_sigkill_after_the_grace_when_sigterm_is_ignored(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    body = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', "
        "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)'])\n"
        f"open({str(pid_file)!r}, 'a').write(f'{{child.pid}}\\n')\n"
        "time.sleep(300)\n"
    )
    argv = script(tmp_path, body)
    box: list[CommandOutcome] = []
    worker = threading.Thread(target=lambda: box.append(run_argv(argv, 1.0, grace=0.5)))
    worker.start()
    (grandchild,) = pids(pid_file, 1)
    try:
        worker.join(30)
        assert not worker.is_alive()
        (outcome,) = box
        assert outcome.timed_out and "timed out after" in outcome.describe()
        assert wait_gone(grandchild)
    finally:
        reap(grandchild)


# a stand-in for opsbot: runs a command through run_argv, as an approved action does
OWNER = """
import sys
from tools.remediation.runner import run_argv
run_argv([sys.executable, {action!r}], timeout=2.0, grace=1.0)
"""
SLEEPER = """
import os, time
open({pids!r}, "a").write(f"{{os.getpid()}}\\n")
time.sleep(300)
"""


def test_the_timeout_holds_when_the_process_that_started_the_command_is_killed(
    tmp_path: Path,
) -> None:
    """`kill -9` of opsbot mid-action: its supervisor still stops the command at its timeout
    (before, the command ran on with nobody to stop it)."""
    pid_file = tmp_path / "pids"
    action = tmp_path / "sleeper.py"
    action.write_text(SLEEPER.format(pids=str(pid_file)))
    owner_script = tmp_path / "owner.py"
    owner_script.write_text(OWNER.format(action=str(action)))
    owner = subprocess.Popen([sys.executable, str(owner_script)])
    (command,) = pids(pid_file, 1, timeout=30)
    try:
        supervisors = [p for p in psutil.Process(owner.pid).children() if p.pid != command]
        assert len(supervisors) == 1, "run_argv starts one supervisor"
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
        assert running(command), "the command does not die with the process that started it"
        assert wait_gone(command, timeout=20), "the command outlived its timeout"
        assert wait_gone(supervisors[0].pid, timeout=10), "the supervisor did not exit"
    finally:
        reap(command)
        if owner.poll() is None:
            owner.kill()


def test_a_bad_supervisor_spec_is_refused_with_the_reason() -> None:
    bad = subprocess.run(
        [sys.executable, "-P", "-m", "tools.remediation.supervisor", '{"argv": [], "timeout": 5}'],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2
    assert "supervisor: bad spec: empty argv" in bad.stderr


def test_a_supervisor_that_dies_is_a_clear_failure(tmp_path: Path) -> None:
    """The supervisor killed under the action (e.g. by the OOM killer): a failure that says so."""
    pid_file = tmp_path / "pids"
    action = tmp_path / "sleeper.py"
    action.write_text(SLEEPER.format(pids=str(pid_file)))
    box: list[CommandOutcome] = []
    worker = threading.Thread(
        target=lambda: box.append(run_argv([sys.executable, str(action)], 30.0, grace=1.0))
    )
    worker.start()
    (command,) = pids(pid_file, 1, timeout=30)
    try:
        supervisor = psutil.Process(command).parent()
        assert supervisor is not None and "tools.remediation.supervisor" in supervisor.cmdline()
        supervisor.kill()
        worker.join(30)
        (outcome,) = box
        assert not outcome.ok
        assert outcome.error is not None and "its supervisor failed (exit -9)" in outcome.error
    finally:
        reap(command)
