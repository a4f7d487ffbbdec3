"""The real opsbot in a subprocess, the way end-to-end tests and benchmarks start it.

`clean_env()` is this machine's environment without any opsbot setting or credential (the
caller decides those), `free_port()` a port to serve on, `opsbot()` runs one CLI command,
`OpsbotRun` is a running `python -m bot run` whose output a test can wait for, and
`wait_healthy()` is the wait for `/healthz` that every start needs (`wait_ok()` the same
for any server a test starts).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx

REPO = Path(__file__).resolve().parent.parent

# Besides every setting's name, variables with these prefixes configure opsbot or the
# services it talks to; none may leak from the machine into the process under test.
_FOREIGN_PREFIXES = ("OPSBOT_", "SLACK_", "ANTHROPIC_", "LLM_", "ONCALL_", "HOST_", "INCIDENT_")


def _opsbot_env_names() -> list[str]:
    from bot.settings import Settings

    names = [
        field.validation_alias
        for field in Settings.model_fields.values()
        if isinstance(field.validation_alias, str)
    ]
    return [*names, "ANTHROPIC_API_URL", "ANTHROPIC_AUTH_TOKEN", "SLACK_CLIENT_ID",
            "SLACK_CLIENT_SECRET", "OPENAI_BASE_URL", "OPENAI_API_KEY"]  # fmt: skip


# Environment variables opsbot reads: every setting, plus what its libraries read.
OPSBOT_ENV = _opsbot_env_names()


def clean_env(**settings: str) -> dict[str, str]:
    """The environment for an opsbot subprocess: this process's without any opsbot setting or
    credential, with telemetry off, then `settings` (e.g. OPSBOT_DATA_DIR=...)."""
    drop = set(OPSBOT_ENV)
    env = {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith(_FOREIGN_PREFIXES)
    }
    env["ANONYMIZED_TELEMETRY"] = "False"
    env.update(settings)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ok(url: str, proc: subprocess.Popen[Any], timeout: float) -> bool:
    """True once `GET url` answers 200 (a server `proc` started); False when `proc` exits
    first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def wait_healthy(port: int, proc: subprocess.Popen[Any], timeout: float) -> bool:
    """True once opsbot's `/healthz` on 127.0.0.1:`port` answers 200 (see `wait_ok`)."""
    return wait_ok(f"http://127.0.0.1:{port}/healthz", proc, timeout)


def opsbot(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` with `clean_env(**env)`, its output captured; `stdin` is the text
    it reads (none when not given)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean_env(**(env or {})),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
    )


class OpsbotRun:
    """`python -m bot run FLAGS` in `cwd` with `clean_env(**env)`, started at once. Its stdout
    and stderr are collected line by line, so a test can wait for what it prints."""

    def __init__(
        self, cwd: Path, env: dict[str, str], *flags: str, stdin: Any = subprocess.DEVNULL
    ) -> None:
        self.cwd = cwd
        self.env = clean_env(**{"PYTHONUNBUFFERED": "1", **env})
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *flags],
            cwd=cwd,
            env=self.env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()

    def _read(self, stream: IO[str], sink: list[str]) -> None:
        for line in stream:
            with self._lock:
                sink.append(line.rstrip("\n"))

    def output(self) -> str:
        """Everything it printed on stdout so far."""
        with self._lock:
            return "\n".join(self.lines)

    def log(self, last: int = 40) -> str:
        """The end of its stdout and stderr, for failure messages."""
        with self._lock:
            out, err = "\n".join(self.lines[-last:]), "\n".join(self.errors[-last:])
        return f"--- stdout ---\n{out}\n--- stderr ---\n{err}"

    def wait_for(self, pattern: str, timeout: float = 60.0, start: int = 0) -> re.Match[str]:
        """Wait until stdout (from line `start`) matches `pattern`; fail with the output."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                text = "\n".join(self.lines[start:])
            found = regex.search(text)
            if found:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(
            f"no match for {pattern!r} after {timeout}s (exit {self.proc.poll()}).\n"
            f"--- stdout ---\n{self.output()}\n--- stderr ---\n" + "\n".join(self.errors[-40:])
        )

    def wait_healthy(self, port: int, timeout: float = 60.0) -> None:
        if not wait_healthy(port, self.proc, timeout):
            raise AssertionError(
                f"opsbot run never became healthy (exit {self.proc.poll()}):\n{self.log()}"
            )

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then its exit code; a process still running after `timeout` seconds is
        killed and the test fails."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(
                    f"opsbot run did not stop within {timeout:g}s of SIGTERM"
                ) from None
        return int(self.proc.returncode)

    def kill(self) -> None:
        """Kill it if it still runs (cleanup after a failed test)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
