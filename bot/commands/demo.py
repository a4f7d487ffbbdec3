"""`opsbot demo`: load the demo workspace (models, drift data, prompts, runbook index) so a newcomer can try
everything. Idempotent: running it twice changes nothing the second time."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.commands.deps import bind, demo_commands

if TYPE_CHECKING:
    from bot.commands.deps import DemoCommands


def seed_prompts(deps: DemoCommands) -> list[str]:
    from tools.prompts.demo import seed_demo

    return seed_demo(deps.prompts())


def seed_models(deps: DemoCommands) -> list[str]:
    from tools.registry.demo import seed_demo

    return seed_demo(deps.registry())


def seed_incidents(deps: DemoCommands) -> list[str]:
    from bot.incidents.demo import seed_demo

    return seed_demo(deps.data_dir)


def seed_runbooks(deps: DemoCommands) -> list[str]:
    """Index the shipped runbooks, as `opsbot run` does at start, so questions asked with
    `opsbot ask` right after the demo are answered from them."""
    report = deps.ingest_runbooks()
    return [report.summary().splitlines()[0]]


# In order; each takes the demo's deps (`demo_commands(runtime)`) and returns one-line
# descriptions of what it created or found already present. Each imports its area only when
# it runs.
SEEDERS: list[Callable[[DemoCommands], list[str]]] = [
    seed_prompts,
    seed_models,
    seed_incidents,
    seed_runbooks,
]


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="load the demo workspace (idempotent)")
    demo.add_argument(
        "--stop-service",
        action="store_true",
        help="stop the demo web service of the incident tour, and nothing else",
    )
    demo.set_defaults(handler=bind(cmd_demo, demo_commands))


def cmd_demo(args: argparse.Namespace, deps: DemoCommands) -> int:
    if args.stop_service:
        from bot.incidents.demo import stop_service

        return stop_service(deps.data_dir)
    for seed in SEEDERS:
        for line in seed(deps):
            print(line)
    print("Demo workspace ready. Try: ./run.sh chat")
    return 0
