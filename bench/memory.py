"""Resident memory of `opsbot run` (goal <= 250 MB in steady state).

Usage: .venv/bin/python -m bench.memory [--demo] [--idle SECONDS] [--stages [--trace]]

Starts the real process headless (console mode, no Slack) and prints the server's RSS and
USS: once ready; then after the runbook ingest (a child process) has finished; with
`--demo` (the workspace of `opsbot demo` loaded first) after the first monitor cycle, whose
drift checks run in a child process (`opsbot models check`); then after an Alertmanager
alert has been triaged, which searches the runbooks and so loads the embedding model into
the server (loaded on first search, never at start); then the steady state: after an idle
period longer than RUNBOOK_MODEL_IDLE_SECONDS (set to `--idle`, default 20 s, for the
bench), once the model has been unloaded. Last, the peak RSS of the server while working
and of the server with its children, sampled every 0.1 s.

`--stages` instead walks the same path inside this process, one step at a time (runtime and
agent, a drift check, the Chroma client, the BM25 snapshot, the ONNX session, a search),
printing RSS and the growth of each step; `--trace` adds tracemalloc's biggest Python
allocation sites per step (it makes RSS itself much larger: compare steps, not totals;
native memory such as ONNX Runtime's is only in RSS).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from bench._util import clean_env, python, start_opsbot, stop

GOAL_MIB = 238  # 250 MB

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


def ingest_running(pid: int) -> bool:
    """Whether the server's runbook-ingest child is still running (an exited child that is
    not reaped yet, or gone, counts as finished)."""
    for child in psutil.Process(pid).children():
        try:
            if "ingest" in child.cmdline():
                return True
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return False


def rss(pid: int) -> str:
    info = psutil.Process(pid).memory_full_info()
    return f"RSS {info.rss / 2**20:.0f} MiB, USS {info.uss / 2**20:.0f} MiB"


def demo(tmp: str, settings: dict[str, str]) -> None:
    """`opsbot demo` into the data directory: models with drift data, prompts, runbooks."""
    subprocess.run(
        [python(), "-m", "bot", "demo"],
        env=clean_env(**settings), cwd=tmp, capture_output=True, check=True,
    )  # fmt: skip


def wait_monitor_cycle(base: str, timeout: float = 120.0) -> None:
    """Until the first monitor cycle (started at once by the scheduler) has been counted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = httpx.get(base + "/metrics", timeout=10).text
        runs = [line for line in text.splitlines() if line.startswith("opsbot_monitor_runs_total{")]
        if any(not line.rstrip().endswith(" 0.0") for line in runs):
            return
        time.sleep(0.5)
    raise SystemExit("no monitor cycle was counted in /metrics")


class Peak:
    """The largest RSS of a process, and of it with its children, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.process = psutil.Process(pid)
        self.server = 0
        self.tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every,), daemon=True)
        self._thread.start()

    def _sample(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                own = self.process.memory_info().rss
                children = 0
                for child in self.process.children(recursive=True):
                    with contextlib.suppress(psutil.Error):  # it may have ended meanwhile
                        children += child.memory_info().rss
            except psutil.Error:
                return
            self.server = max(self.server, own)
            self.tree = max(self.tree, own + children)

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        return (
            f"server {self.server / 2**20:.0f} MiB, server + children {self.tree / 2**20:.0f} MiB"
        )


def steady(pid: int, idle: float) -> str:
    """Wait past the idle setting (and the reaper's wake-up), then the server's RSS."""
    time.sleep(idle + 5)
    info = psutil.Process(pid).memory_full_info()
    mib = info.rss / 2**20
    verdict = "ok" if mib <= GOAL_MIB else "OVER"
    return f"RSS {mib:.0f} MiB, USS {info.uss / 2**20:.0f} MiB   goal <= {GOAL_MIB} MiB: {verdict}"


def server(with_demo: bool, idle: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = {
            "OPSBOT_DATA_DIR": str(Path(tmp) / "data"),
            "ALERTMANAGER_TOKEN": "bench",
            "RUNBOOK_MODEL_IDLE_SECONDS": f"{idle:g}",
        }
        if with_demo:
            demo(tmp, settings)
        started = time.perf_counter()
        proc, base = start_opsbot(Path(tmp), settings)
        peak = Peak(proc.pid)
        try:
            print(
                f"ready in {time.perf_counter() - started:.1f} s: {rss(proc.pid)}   goal <= 250 MB"
            )
            while ingest_running(proc.pid):
                time.sleep(0.5)
            print(f"after the runbook ingest (child process): {rss(proc.pid)}")
            if with_demo:
                wait_monitor_cycle(base)
                time.sleep(2)
                print(
                    f"after the first monitor cycle (drift checks of the demo models): {rss(proc.pid)}"
                )
            response = httpx.post(
                base + "/alerts/alertmanager",
                json=ALERT,
                headers={"Authorization": "Bearer bench"},
                timeout=30,
            )
            response.raise_for_status()
            time.sleep(15)  # triage runs in the background: evidence, runbook search, summary
            print(f"after triaging one alert (embedding model loaded): {rss(proc.pid)}")
            print(f"steady state (idle > {idle:g} s, model unloaded): {steady(proc.pid, idle)}")
            print(f"peak while working: {peak.stop()}")
            listing = subprocess.run(
                [python(), "-m", "bot", "incidents", "list", "--json"],
                env=clean_env(**settings), cwd=tmp, capture_output=True, text=True, check=True,
            )  # fmt: skip
            print(f"incidents open: {len(json.loads(listing.stdout))}")
        finally:
            peak.stop()
            stop(proc, timeout=60)


class Stages:
    """RSS after each step of the server's path, in this process."""

    def __init__(self, trace: bool) -> None:
        import tracemalloc

        self.process = psutil.Process()
        self.last = self.process.memory_info().rss
        self.trace = trace
        if trace:
            tracemalloc.start(1)
            self.snapshot = tracemalloc.take_snapshot()

    def step(self, label: str) -> None:
        import tracemalloc

        now = self.process.memory_info().rss
        print(f"{label:44s} RSS {now / 2**20:5.0f} MiB  (+{(now - self.last) / 2**20:4.0f})")
        self.last = now
        if not self.trace:
            return
        snapshot = tracemalloc.take_snapshot()
        for stat in snapshot.compare_to(self.snapshot, "filename")[:3]:
            if stat.size_diff >= 2 * 2**20:
                frame = stat.traceback[0]
                print(f"    python +{stat.size_diff / 2**20:4.0f} MiB  {frame.filename}")
        self.snapshot = snapshot


def stages(trace: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = {"OPSBOT_DATA_DIR": str(Path(tmp) / "data")}
        demo(tmp, settings)
        os.environ.update(clean_env(**settings))
        sys.argv = ["opsbot"]
        record = Stages(trace)
        from bot.settings import load_settings

        record.step("import settings")
        from bot.runtime import Runtime

        runtime = Runtime(load_settings())
        _ = runtime.toolbox
        record.step("runtime and toolbox (ask's tools)")
        _ = runtime.agent
        record.step("agent (LangGraph)")
        from tools.registry.checks import check_drift

        found = check_drift(runtime.registry)
        record.step(f"drift checks of the demo models ({len(found)} findings)")
        index = runtime.runbooks
        _ = index.store.client
        record.step("Chroma client (imports chromadb)")
        index.count()
        record.step("collections and BM25 snapshot")
        index.embedder.embed(["warm up"])
        record.step(f"embedding session ({index.embedder.name})")
        index.search("disk /var is 93% full")
        index.search("model input data drift")
        record.step("two searches")
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="load `opsbot demo` first")
    parser.add_argument("--stages", action="store_true", help="step by step, in this process")
    parser.add_argument(
        "--trace", action="store_true", help="with --stages: tracemalloc (inflates RSS)"
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=20.0,
        help="RUNBOOK_MODEL_IDLE_SECONDS for the server (default 20; opsbot's default is 300)",
    )
    args = parser.parse_args()
    if args.stages:
        stages(args.trace)
    else:
        server(args.demo, args.idle)


if __name__ == "__main__":
    main()
