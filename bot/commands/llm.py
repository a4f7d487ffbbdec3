"""`opsbot llm usage|prompt NAME|regressions|chart NAME`: the LLM calls received over OTLP
(`POST /v1/traces`), by model and service (llm_usage), per version, label and model of a prompt
(prompt_metrics), compared before and after each recent label move or model change
(llm_regressions), or drawn as a PNG (prompt_chart). `opsbot usage`: opsbot's own turns,
tokens, cost and latency per day and per tool (opsbot_usage, from the spans it records of
itself)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from bot.commands.common import CliError, _tool, run_tool
from bot.commands.deps import bind, terminal

if TYPE_CHECKING:
    from bot.commands.deps import Terminal


def register(sub: argparse._SubParsersAction) -> None:
    llm = sub.add_parser(
        "llm", help="LLM calls from the traces apps send: usage, prompt metrics, regressions"
    )
    verbs = llm.add_subparsers(dest="llm_command", metavar="ACTION", required=True)
    usage = verbs.add_parser("usage", help="calls, errors, latency, tokens, cost by model/service")
    usage.add_argument("--since", default="24h", help="how far back: 30m, 2h, 7d (default 24h)")
    usage.add_argument("--json", action="store_true")
    usage.set_defaults(handler=bind(cmd_usage, terminal))
    prompt = verbs.add_parser("prompt", help="a prompt's calls per version, label and model")
    prompt.add_argument("name", help="the prompt's name")
    prompt.add_argument("--since", default="24h", help="how far back: 30m, 2h, 7d (default 24h)")
    prompt.add_argument("--version", type=int, help="only this version")
    prompt.add_argument("--json", action="store_true")
    prompt.set_defaults(handler=bind(cmd_prompt, terminal))
    regressions = verbs.add_parser(
        "regressions", help="recent label moves and model changes: calls before vs after"
    )
    regressions.add_argument("--json", action="store_true")
    regressions.set_defaults(handler=bind(cmd_regressions, terminal))
    chart = verbs.add_parser("chart", help="a PNG of a prompt's calls, errors, latency by version")
    chart.add_argument("name", help="the prompt's name")
    chart.add_argument("--out", required=True, type=Path, help="the PNG file to write")
    chart.add_argument("--since", default="24h", help="how far back: 30m, 2h, 7d (default 24h)")
    chart.set_defaults(handler=bind(cmd_chart, terminal))
    own = sub.add_parser("usage", help="opsbot's own tokens, cost, latency per day and per tool")
    own.add_argument("--since", default="7d", help="how far back: 30m, 2h, 7d (default 7d)")
    own.add_argument("--json", action="store_true")
    own.set_defaults(handler=bind(cmd_own_usage, terminal))


def cmd_usage(args: argparse.Namespace, deps: Terminal) -> int:
    return run_tool(deps, "llm_usage", {"since": args.since}, user=deps.user, as_json=args.json)


def cmd_prompt(args: argparse.Namespace, deps: Terminal) -> int:
    raw = {"prompt": args.name, "since": args.since, "version": args.version}
    return run_tool(deps, "prompt_metrics", raw, user=deps.user, as_json=args.json)


def cmd_regressions(args: argparse.Namespace, deps: Terminal) -> int:
    return run_tool(deps, "llm_regressions", {}, user=deps.user, as_json=args.json)


def cmd_own_usage(args: argparse.Namespace, deps: Terminal) -> int:
    raw = {"since": args.since}
    return run_tool(deps, "opsbot_usage", raw, user=deps.user, as_json=args.json)


def cmd_chart(args: argparse.Namespace, deps: Terminal) -> int:
    from core.access import Caller
    from tools.base import ToolError

    tool = _tool(deps, "prompt_chart")
    try:
        result = tool.run(
            tool.parse({"prompt": args.name, "since": args.since}), Caller(deps.user, "cli")
        )
    except ToolError as exc:
        raise CliError(str(exc)) from None
    if not result.files:
        raise CliError(result.text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(result.files[0]), args.out)
    print(f"{result.text.split(', attached as')[0]}: written to {args.out}")
    return 0
