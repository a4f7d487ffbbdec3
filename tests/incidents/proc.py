"""How the incident tests run the real opsbot: `OpsbotRun` and `free_port` come from
tests/bot_process.py; `opsbot_cli` is its `opsbot()` with the incident tests' argument order
and a longer timeout (a first start migrates the database and may take a while)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.bot_process import OpsbotRun, free_port, opsbot

__all__ = ["OpsbotRun", "free_port", "opsbot_cli"]


def opsbot_cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return opsbot(*args, env=env, cwd=cwd, timeout=180)
