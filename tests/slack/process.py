"""The real `python -m bot run` in HTTP mode as a subprocess, and the CLI beside it: how the
end-to-end Slack tests start opsbot, reach it, and act on it from a terminal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import BOT_TOKEN, SECRET, SlackSender

# variables of the machine that must not leak into the bot under test
_FOREIGN = ("SLACK_", "ANTHROPIC_", "OPSBOT_", "ONCALL_", "LLM_", "HOST_", "INCIDENT_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(emulator: SlackEmulator, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an opsbot in HTTP mode talking to `emulator`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_FOREIGN)
        and k not in ("DATABASE_URL", "PORT", "HOST", "ENDPOINTS", "REMEDIATION_CONFIG")
    }
    env.update(
        {
            "OPSBOT_DATA_DIR": str(data_dir),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": emulator.url,
            "ONCALL_USERS": "U0ONCALL",
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "INFO",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Bot:
    """The running opsbot process and how to reach it."""

    emulator: SlackEmulator
    data_dir: Path
    workdir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    sender: SlackSender | None = None

    def start(self) -> None:
        port = free_port()
        self.env["PORT"] = str(port)
        log = (self.workdir / "opsbot.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--no-console"],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"opsbot did not start:\n{self.log()[-4000:]}")
            time.sleep(0.2)
        self.sender = SlackSender(base)

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        path = self.workdir / "opsbot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def send(self) -> SlackSender:
        assert self.sender is not None
        return self.sender

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cli(self, *args: str, **extra_env: Any) -> subprocess.CompletedProcess[str]:
        """`python -m bot ARGS` in a terminal beside the running bot: same database, no
        Slack front end of its own (it never talks to Slack)."""
        env = {
            k: v
            for k, v in self.env.items()
            if k not in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "PORT")
        }
        env.update({k: str(v) for k, v in extra_env.items()})
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
