"""`opsbot changes`: the change log (what_changed), and `opsbot changes add` for a deploy script
on this host that cannot reach `POST /events/change`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli import CliError
from bot.commands.common import print_json, run_tool
from bot.commands.deps import bind, change_commands

if TYPE_CHECKING:
    from bot.commands.deps import ChangeCommands


def register(sub: argparse._SubParsersAction) -> None:
    changes = sub.add_parser(
        "changes", help="what changed: alias and label moves, remediations, deploys"
    )
    changes.add_argument("--since", default="24h", help="how far back: 30m, 2h, 7d (default 24h)")
    changes.add_argument("--target", help="only changes to this model, prompt or service")
    changes.add_argument("--kind", help="model_alias, prompt_label, remediation, config or deploy")
    changes.add_argument("--limit", type=int, default=20)
    changes.add_argument("--json", action="store_true")
    changes.set_defaults(handler=bind(cmd_list, change_commands))
    verbs = changes.add_subparsers(dest="changes_command", metavar="ACTION")
    add = verbs.add_parser("add", help="record a deploy (or another change) made outside opsbot")
    add.add_argument("target", help="the service, model or prompt that changed")
    add.add_argument("--summary", required=True, help="what changed, e.g. 'deployed v1.4.2'")
    add.add_argument("--kind", default="deploy")
    add.add_argument("--version", default="", help="the version now running")
    add.add_argument("--link", default="", help="a link to the pipeline run or pull request")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=bind(cmd_add, change_commands))


def cmd_list(args: argparse.Namespace, deps: ChangeCommands) -> int:
    raw = {"since": args.since, "target": args.target, "kind": args.kind, "limit": args.limit}
    raw["limit"] = max(1, min(args.limit, 200))
    return run_tool(deps.terminal, "what_changed", raw, user=deps.terminal.user, as_json=args.json)


def cmd_add(args: argparse.Namespace, deps: ChangeCommands) -> int:
    from core.errors import Invalid
    from tools.changes.posted import PostedChange

    try:
        posted = PostedChange.from_fields(
            target=args.target,
            summary=args.summary,
            kind=args.kind,
            version=args.version,
            link=args.link,
            who=deps.terminal.label,
        )
        change = posted.record(deps.store(), via="cli")
    except Invalid as exc:
        raise CliError(str(exc), 2) from None
    if args.json:
        print_json(change.to_dict())
    else:
        print(
            f"recorded change #{change.id}: [{change.kind.value}] {change.target}: {change.summary}"
        )
    return 0
