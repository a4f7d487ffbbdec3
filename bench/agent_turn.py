"""Offline agent turn latency, in process: p50/p95 over N turns (goal: p50 <= 20 ms).

Usage: .venv/bin/python -m bench.agent_turn [--turns 200]

Each turn is a full LangGraph run with the offline planner and a SQLite checkpointer: plan,
tool call(s), answer, checkpoint writes. Questions rotate over everyday phrasings; each uses
a fresh conversation (the common case in Slack). Also printed: the planner alone, to show
where time goes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench._util import summary

if TYPE_CHECKING:
    from bot.runtime import Runtime

QUESTIONS = [
    "how's the box doing?",
    "list models",
    "list prompts",
    "any open incidents?",
    "what's filling /var/log?",
    "is bike-demand drifting?",
    "show support-triage production",
    "what can you do?",
]


def seed_demo(runtime: Runtime) -> None:
    from bot.commands.demo import SEEDERS
    from bot.commands.deps import demo_commands

    deps = demo_commands(runtime)
    for seed in SEEDERS:
        seed(deps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()

    from bot.runtime import Runtime
    from bot.settings import load_settings
    from graphs.offline.planner import Planner

    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(load_settings(data_dir=Path(tmp)), console_mode=True)
        seed_demo(runtime)  # models, drift reports and prompts, as after `opsbot demo`
        agent = runtime.agent
        caller = runtime.console_caller()
        available = set(runtime.toolbox.names())
        questions = [q for q in QUESTIONS if q]
        # warm up: first CPU sample, imports, SQLite pages
        for q in questions:
            agent.ask(q, thread_id=f"warm-{q}", caller=caller)
        turn_ms: list[float] = []
        per_question: dict[str, list[float]] = {}
        for i in range(args.turns):
            question = questions[i % len(questions)]
            started = time.perf_counter()
            agent.ask(question, thread_id=f"bench-{i}", caller=caller)
            elapsed = (time.perf_counter() - started) * 1000
            turn_ms.append(elapsed)
            per_question.setdefault(question, []).append(elapsed)
        planner = Planner(runtime.vocabulary(), available)
        plan_ms = []
        for i in range(args.turns):
            started = time.perf_counter()
            planner.plan(questions[i % len(questions)])
            plan_ms.append((time.perf_counter() - started) * 1000)
        runtime.close()

    print(f"offline agent turn (ms): {summary(turn_ms)}   goal p50 <= 20 ms")
    print(f"planner alone (ms):      {summary(plan_ms)}")
    print("per question (ms):")
    for question, values in per_question.items():
        tools = "(no tools)" if question == "what can you do?" else ""
        print(f"  {question:40s} {summary(values)} {tools}")
    print(f"tools available: {len(available)}")


if __name__ == "__main__":
    main()
