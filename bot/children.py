"""Short-lived `opsbot` child processes of the server, for work with a big memory footprint.

The runbook ingest at start (the embedding model, the ingest's peak) and the scheduled drift
checks (numpy, scipy, pandas: about 60 MiB that would otherwise stay in the long-lived
server for good) each run as `python -m bot COMMAND ...` in a child, which hands its result
back on stdout and exits, so its memory goes back to the OS. One mechanism for both:
`start_child` (the ingest: started, reported on later) and `run_child` (the drift checks:
waited for, stdout returned).

The child sees the server's settings: its environment, and every setting the server was
given explicitly (environment, `.env` or overrides) exported under its variable name, so a
Runtime built with overrides (as the tests build them) reaches the same data directory and
database in its child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from core.errors import Unavailable

if TYPE_CHECKING:
    from bot.settings import Settings

_running: set[subprocess.Popen[str]] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class ChildSettings:
    """What a child is started with: the server's settings and its resolved data directory
    (`Runtime.child_settings()`)."""

    settings: Settings
    data_dir: Path


class ChildFailed(Unavailable, RuntimeError):
    """A child `opsbot` command exited non-zero, was stopped, or did not finish in time."""


def command(*args: str) -> list[str]:
    """The command line of `opsbot ARGS...` run by this interpreter."""
    return [sys.executable, "-m", "bot", *args]


def _env_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def child_env(parent: ChildSettings) -> dict[str, str]:
    """The environment of a child: ours, plus the server's explicit settings by env name
    and its resolved data directory."""
    settings = parent.settings
    env = dict(os.environ)
    for name in sorted(settings.model_fields_set):
        field = type(settings).model_fields.get(name)
        value = getattr(settings, name, None)
        if field is None or value is None or not isinstance(field.validation_alias, str):
            continue
        env[field.validation_alias] = _env_value(value)
    env["OPSBOT_DATA_DIR"] = str(parent.data_dir)
    return env


def start_child(parent: ChildSettings, *args: str) -> subprocess.Popen[str]:
    """Start `opsbot ARGS...` with the server's settings; stdout and stderr are pipes."""
    return subprocess.Popen(
        command(*args),
        env=child_env(parent),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_child(parent: ChildSettings, *args: str, timeout: float) -> str:
    """Run `opsbot ARGS...` to its end and return its stdout. Raises ChildFailed (naming
    the command, its exit status and the last line of its stderr) when it fails, is
    stopped by `stop_children`, or runs longer than `timeout` seconds (then it is killed)."""
    name = " ".join(args[:2])
    proc = start_child(parent, *args)
    with _lock:
        _running.add(proc)
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise ChildFailed(f"`opsbot {name}` did not finish in {timeout:.0f} s") from None
    finally:
        with _lock:
            _running.discard(proc)
    if proc.returncode < 0:
        raise ChildFailed(f"`opsbot {name}` was stopped (signal {-proc.returncode})")
    if proc.returncode != 0:
        detail = (err.strip().splitlines() or ["no output"])[-1]
        raise ChildFailed(f"`opsbot {name}` failed (exit {proc.returncode}): {detail}")
    return out


def stop_children(timeout: float = 10.0) -> None:
    """Terminate the children `run_child` is waiting for (at shutdown)."""
    with _lock:
        running = list(_running)
    for proc in running:
        stop(proc, timeout)


def stop(proc: subprocess.Popen[str], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
