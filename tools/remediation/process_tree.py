"""Run an argv in its own session with a timeout, and stop its whole tree at the timeout.

The command runs without a shell and without stdin. On timeout its whole tree is stopped:
SIGTERM to its process group and to every descendant that left the group (a child that called
setsid), then SIGKILL to whatever is still alive after a grace period, so a restart script's
children never outlive it and never keep its output pipe (and so the action) open. Output is
kept to a bounded size so a chatty command cannot flood the audit log or the model.

This module imports nothing of ours and nothing heavy: the supervisor process
(`supervisor.py`) runs it, and starts in a tenth of a second.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass

import psutil

MAX_OUTPUT = 4000
KILL_GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL when a command times out
DRAIN_SECONDS = 5.0  # reading what is left of the output once the tree is dead


@dataclass
class CommandOutcome:
    argv: list[str]
    exit_code: int | None  # None when it timed out or could not start
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    error: str | None = None  # could not start (not found, not executable)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        """One line on how it ended, then the (bounded) output."""
        command = " ".join(self.argv)
        if self.error:
            head = f"`{command}` could not start: {self.error}"
        elif self.timed_out:
            head = f"`{command}` timed out after {self.seconds:.1f}s and was killed"
        else:
            head = f"`{command}` exited with status {self.exit_code} after {self.seconds:.1f}s"
        parts = [head]
        if self.stdout.strip():
            parts.append("stdout:\n" + self.stdout.strip())
        if self.stderr.strip():
            parts.append("stderr:\n" + self.stderr.strip())
        return "\n".join(parts)


def _clip(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    return text[: MAX_OUTPUT // 2] + "\n… (output cut) …\n" + text[-MAX_OUTPUT // 2 :]


def _tree(pid: int) -> list[psutil.Process]:
    """The command's descendants (found before signalling: once their parent dies they are
    re-parented and can no longer be found from it)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _signal_tree(pgid: int, others: list[psutil.Process], signum: int) -> None:
    """`signum` to the group, and once to each of `others` that has left it (a member of the
    group must not get the signal twice: its handler would run twice)."""
    with contextlib.suppress(ProcessLookupError):  # the whole group already ended
        os.killpg(pgid, signum)
    for proc in others:
        try:
            if os.getpgid(proc.pid) == pgid:
                continue  # reached by killpg above
        except ProcessLookupError:
            continue  # gone already
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signum)


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in procs:
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except psutil.NoSuchProcess:
            continue
    return alive


def stop_tree(proc: subprocess.Popen[str], grace: float) -> None:
    """SIGTERM the command's group and its escaped descendants, SIGKILL after `grace`."""
    try:
        leader = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        leader = None
    descendants = _tree(proc.pid)
    members = ([leader] if leader else []) + descendants
    _signal_tree(proc.pid, descendants, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader so it does not linger as a zombie
        if not _alive(members):
            return
        time.sleep(0.05)
    _signal_tree(proc.pid, descendants, signal.SIGKILL)
    for survivor in _alive(descendants):  # killed: wait for the kernel to take them away
        with contextlib.suppress(psutil.Error):
            survivor.wait(1.0)


def spawn(argv: list[str]) -> subprocess.Popen[str]:
    """Start `argv` in a session of its own, without stdin, its output piped as text."""
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )


def run_tree(argv: list[str], timeout: float, grace: float = KILL_GRACE_SECONDS) -> CommandOutcome:
    """Run `argv` for at most `timeout` seconds (then stop its tree, see stop_tree). Should
    this process be interrupted while it waits (the supervisor's SIGTERM), the tree is stopped
    first."""
    started = time.monotonic()
    try:
        proc = spawn(argv)
    except OSError as exc:
        return CommandOutcome(
            list(argv), None, "", "", time.monotonic() - started, error=exc.strerror or str(exc)
        )
    try:
        out, err = proc.communicate(timeout=timeout)
        return CommandOutcome(
            list(argv), proc.returncode, _clip(out), _clip(err), time.monotonic() - started
        )
    except BaseException as exc:
        stop_tree(proc, grace)
        if not isinstance(exc, subprocess.TimeoutExpired):
            raise
        try:
            out, err = proc.communicate(timeout=DRAIN_SECONDS)
        except subprocess.TimeoutExpired:  # a process we could not see still holds the pipe
            out, err = "", "(output lost: a process outside the command's tree kept it open)"
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            proc.wait()
        return CommandOutcome(
            list(argv), None, _clip(out or ""), _clip(err or ""), time.monotonic() - started, True
        )
