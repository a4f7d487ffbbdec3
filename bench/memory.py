"""Resident memory of `opsbot run` (goal <= 250 MB after start).

Usage: .venv/bin/python -m bench.memory

Starts the real process headless (console mode, no Slack) and prints the server's RSS and
USS: once ready; then after the runbook ingest (a child process) has finished; then after an
Alertmanager alert has been triaged, which searches the runbooks and so loads the embedding
model into the server (the model is loaded on first search, never at start).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from bench._util import clean_env, python, start_opsbot, stop

ALERT = {
    "version": "4",
    "groupKey": '{}:{alertname="HostDiskFull"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "opsbot",
    "groupLabels": {"alertname": "HostDiskFull"},
    "commonLabels": {"alertname": "HostDiskFull", "severity": "warning", "mountpoint": "/var"},
    "commonAnnotations": {"summary": "Disk /var is 93% full"},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HostDiskFull", "severity": "warning", "mountpoint": "/var"},
            "annotations": {"summary": "Disk /var is 93% full"},
            "startsAt": "2026-11-26T09:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": "bench0000000001",
        }
    ],
}


def rss(pid: int) -> str:
    info = psutil.Process(pid).memory_full_info()
    return f"RSS {info.rss / 2**20:.0f} MiB, USS {info.uss / 2**20:.0f} MiB"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = {"OPSBOT_DATA_DIR": str(Path(tmp) / "data"), "ALERTMANAGER_TOKEN": "bench"}
        started = time.perf_counter()
        proc, base = start_opsbot(Path(tmp), settings)
        try:
            print(
                f"ready in {time.perf_counter() - started:.1f} s: {rss(proc.pid)}   goal <= 250 MB"
            )
            while any("ingest" in c.cmdline() for c in psutil.Process(proc.pid).children()):
                time.sleep(0.5)
            print(f"after the runbook ingest (child process): {rss(proc.pid)}")
            response = httpx.post(
                base + "/alerts/alertmanager",
                json=ALERT,
                headers={"Authorization": "Bearer bench"},
                timeout=30,
            )
            response.raise_for_status()
            time.sleep(15)  # triage runs in the background: evidence, runbook search, summary
            print(f"after triaging one alert (embedding model loaded): {rss(proc.pid)}")
            listing = subprocess.run(
                [python(), "-m", "bot", "incidents", "list", "--json"],
                env=clean_env(**settings), cwd=tmp, capture_output=True, text=True, check=True,
            )  # fmt: skip
            print(f"incidents open: {len(json.loads(listing.stdout))}")
        finally:
            stop(proc, timeout=60)


if __name__ == "__main__":
    main()
