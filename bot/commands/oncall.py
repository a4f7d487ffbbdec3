"""`opsbot oncall`: who is on call (the who_is_on_call tool), and the schedules behind it:
`rotation add`, `override`, `import` (an .ics file)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import CliError
from bot.commands.common import print_json, run_tool
from bot.commands.deps import bind, oncall_commands

if TYPE_CHECKING:
    from bot.commands.deps import OncallCommands


def register(sub: argparse._SubParsersAction) -> None:
    oncall = sub.add_parser("oncall", help="who is on call; rotations, overrides, iCal import")
    oncall.add_argument("--json", action="store_true")
    oncall.set_defaults(handler=bind(cmd_show, oncall_commands), name=None, at=None)
    verbs = oncall.add_subparsers(dest="oncall_command", metavar="ACTION")

    show = verbs.add_parser("show", help="on call now (or --at) and next")
    show.add_argument("name", nargs="?", help="one schedule (default: all)")
    show.add_argument("--at", help="an ISO 8601 time (default: now)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=bind(cmd_show, oncall_commands))

    rotation = verbs.add_parser("rotation", help="rotations").add_subparsers(
        dest="rotation_command", metavar="ACTION", required=True
    )
    add = rotation.add_parser("add", help="a new rotation")
    add.add_argument("name")
    add.add_argument("--people", required=True, help="Slack user ids in order: U1,U2,U3")
    add.add_argument("--every", required=True, help="daily or weekly")
    add.add_argument("--handoff", default="09:00", help="local handoff time HH:MM (09:00)")
    add.add_argument("--tz", default="UTC", help="IANA time zone, e.g. Europe/Paris (UTC)")
    add.add_argument("--start", required=True, help="the first shift's date, YYYY-MM-DD")
    add.add_argument(
        "--secondary", default="", help="'next' (the next in the list) or another schedule"
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=bind(cmd_rotation_add, oncall_commands))

    override = verbs.add_parser("override", help="someone covers a time range (a shift swap)")
    override.add_argument("name")
    override.add_argument("--user", required=True, help="the Slack user id who covers")
    override.add_argument("--from", dest="start", required=True, help="ISO 8601 start")
    override.add_argument("--to", dest="end", required=True, help="ISO 8601 end")
    override.add_argument("--reason", required=True)
    override.add_argument("--json", action="store_true")
    override.set_defaults(handler=bind(cmd_override, oncall_commands))

    imp = verbs.add_parser("import", help="a schedule from an .ics file")
    imp.add_argument("name")
    imp.add_argument("file", type=Path)
    imp.add_argument("--tz", default="UTC", help="the zone of all-day and floating events")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=bind(cmd_import, oncall_commands))


def cmd_show(args: argparse.Namespace, deps: OncallCommands) -> int:
    raw = {"schedule": args.name, "at": args.at}
    return run_tool(
        deps.terminal, "who_is_on_call", raw, user=deps.terminal.user, as_json=args.json
    )


def cmd_rotation_add(args: argparse.Namespace, deps: OncallCommands) -> int:
    info = deps.store().add_rotation(
        args.name,
        people=args.people,
        every=args.every,
        handoff=args.handoff,
        tz=args.tz,
        start=args.start,
        secondary=args.secondary,
        who=deps.terminal.label,
    )
    if args.json:
        print_json(info.to_dict())
    else:
        print(
            f"rotation {info.name}: {', '.join(info.people)} {info.kind} at {info.handoff} "
            f"{info.tz} from {info.start}"
        )
    return 0


def cmd_override(args: argparse.Namespace, deps: OncallCommands) -> int:
    from tools.oncall.store import override_dict
    from tools.oncall.tools import parse_instant

    override, overlapped = deps.store().add_override(
        args.name,
        user=args.user,
        start=parse_instant(args.start),
        end=parse_instant(args.end),
        reason=args.reason,
        who=deps.terminal.label,
    )
    if args.json:
        print_json(override_dict(override) | {"overlaps": [o.id for o in overlapped]})
        return 0
    print(
        f"override #{override.id} on {args.name}: {override.user} covers {args.start} to {args.end}"
    )
    for other in overlapped:
        print(
            f"  overlaps override #{other.id} ({other.user}); the new one wins where they overlap"
        )
    return 0


def cmd_import(args: argparse.Namespace, deps: OncallCommands) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}", 2) from None
    info = deps.store().import_ics(args.name, text, tz=args.tz, who=deps.terminal.label)
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"schedule {info.name} imported from {args.file} (events in {info.tz})")
    return 0
