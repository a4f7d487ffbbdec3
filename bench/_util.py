"""Small helpers shared by the benchmark scripts. Processes and databases are started the way
the tests start them (tests/bot_process.py, tests/databases.py)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from tests.bot_process import REPO, clean_env, free_port, wait_healthy
from tests.databases import scratch_database

__all__ = [
    "REPO",
    "clean_env",
    "free_port",
    "percentile",
    "python",
    "scratch_database",
    "start_opsbot",
    "stop",
    "summary",
]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.1f}  p95 {percentile(values, 95):.1f}  "
        f"p99 {percentile(values, 99):.1f}  mean {statistics.fmean(values):.1f}  n={len(values)}"
    )


def python() -> str:
    return sys.executable


def start_opsbot(
    workdir: Path, settings: dict[str, str], cwd: Path | None = None, timeout: float = 120.0
) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m bot run --no-console` with `settings` (and a free PORT), its output in
    workdir/opsbot.log so the measuring process does not read it. Returns once `/healthz`
    answers: (the process, its base URL). Exits with the end of the log if it never does."""
    port = free_port()
    log = workdir / "opsbot.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [python(), "-m", "bot", "run", "--no-console"],
            cwd=cwd or workdir,
            env=clean_env(**settings, PORT=str(port)),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    if not wait_healthy(port, proc, timeout):
        proc.kill()
        proc.wait()
        raise SystemExit("opsbot did not start:\n" + log.read_text(errors="replace")[-3000:])
    return proc, f"http://127.0.0.1:{port}"


def stop(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it is still running after `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
