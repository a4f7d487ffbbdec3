"""Resident memory of `opsbot run` after start (goal <= 250 MB).

Usage: .venv/bin/python -m bench.memory

Starts the real process headless (console mode, no Slack), waits for /healthz, asks one
question through the CLI against the same data dir to warm nothing in the server (the
server process is measured alone), then prints RSS and USS of the server process.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from bench._util import clean_env, free_port, python


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = clean_env(PORT=str(port), OPSBOT_DATA_DIR=str(Path(tmp) / "data"))
        proc = subprocess.Popen(
            [python(), "-m", "bot", "run", "--no-console"],
            env=env,
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            started = time.perf_counter()
            deadline = started + 120
            while time.perf_counter() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            ready = time.perf_counter() - started
            time.sleep(3)  # let start-up work (first monitor cycle, ingest) settle
            info = psutil.Process(proc.pid).memory_full_info()
            print(f"opsbot run ready in {ready:.1f} s")
            print(
                f"RSS {info.rss / 2**20:.0f} MiB, USS {info.uss / 2**20:.0f} MiB   goal RSS <= 250 MB"
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
