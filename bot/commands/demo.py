"""`opsbot demo`: load the demo workspace (models, drift data, prompts, runbook index) so a newcomer can try
everything. Idempotent: running it twice changes nothing the second time."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

# Each entry is "module:function"; the function takes the Runtime and returns a list of
# one-line descriptions of what it created or found already present.
SEEDERS: list[str] = [
    "tools.prompts.demo:seed_demo",
    "tools.registry.demo:seed_demo",
    "bot.incidents.demo:seed_demo",
    "bot.commands.demo:seed_runbooks",
]


def seed_runbooks(runtime: Any) -> list[str]:
    """Index the shipped runbooks, as `opsbot run` does at start, so questions asked with
    `opsbot ask` right after the demo are answered from them."""
    report = runtime.ingest_runbooks()
    return [report.summary().splitlines()[0]]


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="load the demo workspace (idempotent)")
    demo.add_argument(
        "--stop-service",
        action="store_true",
        help="stop the demo web service of the incident tour, and nothing else",
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace, runtime: Any) -> int:
    if args.stop_service:
        from bot.incidents.demo import stop_service

        return stop_service(runtime)
    for spec in SEEDERS:
        module_name, _, function = spec.partition(":")
        seed = getattr(importlib.import_module(module_name), function)
        for line in seed(runtime):
            print(line)
    print("Demo workspace ready. Try: ./run.sh chat")
    return 0
