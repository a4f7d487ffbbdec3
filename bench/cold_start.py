"""Cold start of `opsbot ask` (goal <= 2.0 s) and what imports cost.

Usage: .venv/bin/python -m bench.cold_start [--runs 5]

Runs `python -m bot ask ... --json` as a fresh process several times on a prepared data
directory and prints min/median wall time, against `python -c pass` and `python -m bot --help`
measured in the same run; then the slowest imports of one run. "what can you do?" is the pure
start-up cost (imports, settings, storage, tools, graph); "how's the box doing?" adds the
half-second two-sample CPU measurement a one-shot process has to wait for.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench._util import clean_env, python


def wall(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        env = clean_env(OPSBOT_DATA_DIR=str(cwd / "data"))
        ask = [python(), "-m", "bot", "ask", "what can you do?", "--json"]
        host = [python(), "-m", "bot", "ask", "how's the box doing?", "--json"]
        # the first start creates and migrates the database; measure the starts after it
        subprocess.run(ask, env=env, cwd=cwd, check=True, capture_output=True)
        rows = {
            "python -c pass": [python(), "-c", "pass"],
            "opsbot --help": [python(), "-m", "bot", "--help"],
            "opsbot ask 'what can you do?'": ask,
            "opsbot ask 'how's the box doing?'": host,  # + a 0.5 s two-sample CPU reading
        }
        for label, cmd in rows.items():
            times = [wall(cmd, env, cwd) for _ in range(args.runs)]
            print(f"{label:36s} min {min(times):.2f} s  median {statistics.median(times):.2f} s")
        trace = subprocess.run(
            [python(), "-X", "importtime", *ask[1:]],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
        ).stderr
    rows_ = []
    for line in trace.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if cumulative.isdigit() and not name.startswith(" "):
            rows_.append((int(cumulative), name))
    print("top-level imports by cumulative time (ms):")
    for cumulative, name in sorted(rows_, reverse=True)[:12]:
        print(f"  {cumulative / 1000:8.1f}  {name}")
    print("goal: opsbot ask <= 2.0 s")


if __name__ == "__main__":
    main()
