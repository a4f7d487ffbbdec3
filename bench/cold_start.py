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

from bench._util import REPO, clean_env, python

# What `opsbot ask` does before its first answer, timed step by step in one fresh process.
STAGES = """
import time
started = time.perf_counter()
def step(label):
    print(f"  {time.perf_counter() - started:6.2f}  {label}")
from bot.settings import load_settings
settings = load_settings()
step("settings")
from bot.runtime import Runtime
runtime = Runtime(settings)
runtime.engine
step("storage (engine, migrations checked)")
runtime.toolbox
step("tools registered (no numpy, no LangGraph)")
runtime.agent
step("agent (LangGraph)")
from core.access import Caller
runtime.agent.ask("what can you do?", thread_id="bench", caller=Caller(user="bench", via="console"))
step("first answer")
import sys
heavy = sorted(m for m in ("numpy", "scipy", "chromadb", "onnxruntime") if m in sys.modules)
print(f"  loaded by then: {', '.join(heavy) or 'none of numpy, scipy, chromadb, onnxruntime'}")
runtime.close()
"""


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
        stages = subprocess.run(
            [python(), "-c", STAGES], env=env, cwd=REPO, capture_output=True, text=True
        )
    if stages.returncode != 0:
        raise SystemExit("the stage probe failed:\n" + stages.stderr[-3000:])
    rows_ = []
    for line in trace.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:") :].rstrip().split("|")
        # one space after the bar, then two per nesting level: keep the top level only
        if cumulative.strip().isdigit() and not name.startswith("  "):
            rows_.append((int(cumulative), name.strip()))
    print("top-level imports by cumulative time (ms):")
    for cumulative, name in sorted(rows_, reverse=True)[:12]:
        print(f"  {cumulative / 1000:8.1f}  {name}")
    print("stages of one ask in a fresh process (s, cumulative):")
    print(stages.stdout.rstrip())
    print("goal: opsbot ask <= 2.0 s")


if __name__ == "__main__":
    main()
