"""The real `python -m bot run` in HTTP mode as a subprocess (tests/bot_process.py), and the
CLI beside it: how the end-to-end Slack tests start opsbot, reach it, and act on it from a
terminal."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.identity import os_user
from tests.bot_process import OpsbotRun, free_port, opsbot
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import BOT_TOKEN, SECRET, SlackSender


def bot_env(emulator: SlackEmulator, data_dir: Path, **extra: str) -> dict[str, str]:
    """The settings of an opsbot in HTTP mode talking to `emulator` (anything else of the
    machine's opsbot environment is left out; see `clean_env`)."""
    return {
        "OPSBOT_DATA_DIR": str(data_dir),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": emulator.url,
        "ONCALL_USERS": "U0ONCALL",
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass
class Bot:
    """The running opsbot process and how to reach it."""

    emulator: SlackEmulator
    data_dir: Path
    workdir: Path
    env: dict[str, str]
    run: OpsbotRun | None = None
    sender: SlackSender | None = None

    def start(self) -> None:
        port = free_port()
        self.env["PORT"] = str(port)
        self.run = OpsbotRun(self.workdir, self.env, "--no-console")
        self.run.wait_healthy(port, timeout=90)
        self.sender = SlackSender(f"http://127.0.0.1:{port}")

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.close()
        if self.run is not None:
            self.run.stop()

    @property
    def proc(self) -> subprocess.Popen[str] | None:
        return self.run.proc if self.run is not None else None

    def log(self) -> str:
        return self.run.log() if self.run is not None else ""

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
        # the person at this terminal (the OS user) is the on-call engineer U0ONCALL
        env.setdefault("CLI_USERS", f"{os_user()}=U0ONCALL")
        env.update({k: str(v) for k, v in extra_env.items()})
        return opsbot(*args, env=env, cwd=self.workdir)
