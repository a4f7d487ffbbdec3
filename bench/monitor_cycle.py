"""One monitor cycle's CPU time with the default checks (goal: <= 20 ms).

The default checks are the host monitor (CPU, memory, swap, every disk's space and inodes,
thresholds sustained over MONITOR_SUSTAIN_SAMPLES stored samples, the disk fill-rate
forecast over the stored samples) plus the model drift check when it is due (hourly; it is
not due after the first cycle). The cycle includes storing the samples, reading them back,
recording findings as incidents and counting clear checks: everything but triage, which runs
on another thread only when an incident opens.

CPU time (`time.thread_time`, the cycle runs on the calling thread) is what other processes
on a shared machine cannot inflate; wall time is printed too. Baseline measured in the same
run: `read_host` alone (the psutil readings every cycle must make), so the ratio shows what
storage, sustain, forecast and the incident engine add.

Run:  .venv/bin/python bench/monitor_cycle.py [--cycles 200] [--postgres ADMIN_URL]
(--postgres: a server URL such as postgresql://postgres@127.0.0.1:5432/test; the bench
creates its own throwaway database there and drops it afterwards.)
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import percentile, scratch_database, summary


def measure(
    database_url: str | None, cycles: int, data_dir: Path
) -> tuple[list[float], list[float], int]:
    from bot.runtime import Runtime
    from bot.settings import load_settings

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    runtime = Runtime(settings)
    try:
        service = runtime.incidents
        service.disable_triage()
        service.run_checks()  # warm up: imports, first CPU sample, first drift check
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(cycles):
            started_cpu = time.thread_time()
            started = time.perf_counter()
            report = service.run_checks()
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        return cpu, wall, len(report.findings)
    finally:
        runtime.close()


def baseline(cycles: int) -> list[float]:
    from tools.infra.host import CpuSampler, read_host
    from tools.infra.levels import Thresholds

    sampler = CpuSampler()
    read_host(Thresholds(), sampler)
    cpu = []
    for _ in range(cycles):
        started = time.thread_time()
        read_host(Thresholds(), sampler)
        cpu.append((time.thread_time() - started) * 1000)
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL URL")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    base = baseline(args.cycles)
    print(f"baseline read_host CPU ms: {summary(base)}")
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.postgres:
        targets.append(("postgres", args.postgres))
    worst = 0.0
    for name, admin in targets:
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            url = stack.enter_context(scratch_database(admin, "opsbot_bench")) if admin else None
            cpu, wall, findings = measure(url, args.cycles, Path(tmp))
        p50 = percentile(cpu, 50)
        worst = max(worst, percentile(cpu, 95))
        print(f"{name}: monitor cycle CPU ms: {summary(cpu)}")
        print(f"{name}: monitor cycle wall ms: {summary(wall)}")
        print(
            f"{name}: ratio cycle/baseline (p50 CPU): {p50 / max(percentile(base, 50), 1e-9):.1f}x; "
            f"findings in the last cycle: {findings}"
        )
    verdict = "meets" if worst <= 20 else "MISSES"
    print(f"goal: <= 20 ms CPU per cycle -> p95 {worst:.1f} ms: {verdict} the goal")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
