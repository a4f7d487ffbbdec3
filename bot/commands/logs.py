"""`opsbot logs [TEXT]`: search the allowlisted log files (LOG_SOURCES), as `search_logs` does."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli import CliError
from bot.commands.common import run_tool
from bot.commands.deps import bind, terminal

if TYPE_CHECKING:
    from bot.commands.deps import Terminal


def register(sub: argparse._SubParsersAction) -> None:
    logs = sub.add_parser("logs", help="search the configured log files (LOG_SOURCES)")
    logs.add_argument("text", nargs="?", help="text to find (case-insensitive)")
    logs.add_argument("--regex", action="store_true", help="TEXT is a regular expression")
    logs.add_argument("--level", help="at least this level: debug, info, warning, error, critical")
    logs.add_argument("--source", help="only this configured file")
    logs.add_argument("--since", default="1h", help="how far back: 30m, 2h, 1d (default 1h)")
    logs.add_argument("--limit", type=int, default=20)
    logs.add_argument("--context", type=int, default=2)
    logs.add_argument("--json", action="store_true")
    logs.set_defaults(handler=bind(cmd_logs, terminal))


def cmd_logs(args: argparse.Namespace, deps: Terminal) -> int:
    if deps.toolbox().get("search_logs") is None:
        raise CliError("no log sources are configured: set LOG_SOURCES (files or globs)", 2)
    raw = {
        "text": args.text, "regex": args.regex, "level": args.level, "source": args.source,
        "since": args.since, "limit": max(1, min(args.limit, 100)),
        "context": max(0, min(args.context, 5)),
    }  # fmt: skip
    return run_tool(deps, "search_logs", raw, user=deps.user, as_json=args.json)
