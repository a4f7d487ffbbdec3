"""Run an operator-configured argv with a timeout, capturing its output.

The command runs in its own session without a shell and without stdin; on timeout the whole
process group is killed (a restart script's children must not outlive it). Output is kept
to a bounded size so a chatty command cannot flood the audit log or the model.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass

from tools.base import ToolResult
from tools.redact import redact

MAX_OUTPUT = 4000


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


def command_result(outcome: CommandOutcome, **subject: str) -> ToolResult:
    """A configured command's result: `subject` (e.g. service="web") and how it ended."""
    data = {
        **subject,
        "exit_code": outcome.exit_code,
        "seconds": round(outcome.seconds, 2),
        "timed_out": outcome.timed_out,
    }
    return ToolResult(text=redact(outcome.describe()), data=data, ok=outcome.ok)


def _clip(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    return text[: MAX_OUTPUT // 2] + "\n… (output cut) …\n" + text[-MAX_OUTPUT // 2 :]


def run_argv(argv: list[str], timeout: float) -> CommandOutcome:
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        return CommandOutcome(
            list(argv), None, "", "", time.monotonic() - started, error=exc.strerror or str(exc)
        )
    try:
        out, err = proc.communicate(timeout=timeout)
        return CommandOutcome(
            list(argv), proc.returncode, _clip(out), _clip(err), time.monotonic() - started
        )
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # it ended on its own just now
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return CommandOutcome(
            list(argv), None, _clip(out or ""), _clip(err or ""), time.monotonic() - started, True
        )
