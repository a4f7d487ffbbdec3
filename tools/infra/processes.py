"""The busiest processes, with CPU measured over two samples (psutil's first reading is 0)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import psutil

_ATTRS = ["pid", "name", "username", "memory_info", "memory_percent", "cmdline", "create_time"]


@dataclass
class ProcessReading:
    pid: int
    name: str
    user: str
    cpu_percent: float
    rss: int
    memory_percent: float
    command: str
    running_seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def top_processes(by: str = "cpu", limit: int = 10, interval: float = 0.3) -> list[ProcessReading]:
    """Top `limit` processes by `cpu` or `memory`. CPU is % of one core over `interval` seconds."""
    if by not in ("cpu", "memory"):
        raise ValueError("by must be 'cpu' or 'memory'")
    procs: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter():
        try:
            proc.cpu_percent(None)  # first sample
            procs[proc.pid] = proc
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    time.sleep(interval)
    now = time.time()
    readings: list[ProcessReading] = []
    for pid, proc in procs.items():
        try:
            with proc.oneshot():
                cpu = proc.cpu_percent(None)  # second sample: usage over the interval
                info = proc.as_dict(attrs=_ATTRS)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        mem = info.get("memory_info")
        cmdline = info.get("cmdline") or []
        readings.append(
            ProcessReading(
                pid=pid,
                name=info.get("name") or "?",
                user=info.get("username") or "?",
                cpu_percent=round(cpu, 1),
                rss=mem.rss if mem else 0,
                memory_percent=round(info.get("memory_percent") or 0.0, 1),
                command=" ".join(cmdline)[:200] if cmdline else (info.get("name") or ""),
                running_seconds=max(0.0, now - (info.get("create_time") or now)),
            )
        )
    key = (lambda r: (r.cpu_percent, r.rss)) if by == "cpu" else (lambda r: (r.rss, r.cpu_percent))
    readings.sort(key=key, reverse=True)
    return readings[:limit]
