"""`opsbot maintenance`: windows that keep matching alerts from paging or opening incidents.

`add --match service=api --match 'alertname=~"Disk.*"' --for 2h --reason "..."` (or `--start`
and `--end`, ISO 8601; a time without an offset is read in `--tz`), `list` (the
maintenance_windows tool), `show ID` (the window and the findings it held back), `end ID`.
Adding and ending are for the on-call approvers, and audited (bot/maintenance.py).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.commands.common import print_json, run_tool
from bot.commands.deps import bind, maintenance_commands
from core.clock import iso

if TYPE_CHECKING:
    from bot.commands.deps import MaintenanceCommands

STATES = ("current", "active", "upcoming", "ended", "all")


def register(sub: argparse._SubParsersAction) -> None:
    maintenance = sub.add_parser(
        "maintenance", help="maintenance windows: alerts they match neither page nor open incidents"
    )
    maintenance.add_argument("--json", action="store_true")
    maintenance.set_defaults(handler=bind(cmd_list, maintenance_commands), state="current")
    verbs = maintenance.add_subparsers(dest="maintenance_command", metavar="ACTION")

    add = verbs.add_parser("add", help="a new window")
    add.add_argument(
        "--match",
        action="append",
        default=[],
        metavar="MATCHER",
        help="a label matcher: name=value, name!=value, name=~regex, name!~regex (repeatable; "
        "all must match)",
    )
    add.add_argument("--all", action="store_true", help="confirm a window that matches every alert")
    add.add_argument("--start", help="ISO 8601 start (default: now)")
    end = add.add_mutually_exclusive_group(required=True)
    end.add_argument("--end", help="ISO 8601 end")
    end.add_argument("--for", dest="length", help="a duration: 30m, 2h, 1d")
    add.add_argument("--tz", default="UTC", help="zone of times without an offset (UTC)")
    add.add_argument("--reason", required=True, help="what is being worked on")
    add.add_argument("--json", action="store_true")
    # console_mode: the terminal user is known to the approvers' check (CLI_USERS)
    add.set_defaults(handler=bind(cmd_add, maintenance_commands), console_mode=True)

    listing = verbs.add_parser("list", help="active and upcoming windows (or --state)")
    listing.add_argument("--state", choices=STATES, default="current")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=bind(cmd_list, maintenance_commands))

    show = verbs.add_parser("show", help="one window and the findings it held back")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=bind(cmd_show, maintenance_commands))

    stop = verbs.add_parser("end", help="end a window now (an upcoming one is cancelled)")
    stop.add_argument("id", type=int)
    stop.add_argument("--json", action="store_true")
    stop.set_defaults(handler=bind(cmd_end, maintenance_commands), console_mode=True)


def cmd_add(args: argparse.Namespace, deps: MaintenanceCommands) -> int:
    from tools.maintenance.matcher import parse_matchers
    from tools.maintenance.times import span

    service = deps.service()
    matchers = parse_matchers(args.match)
    start, end = span(
        start=args.start, end=args.end, length=args.length, tz=args.tz, now=service.store.clock()
    )
    window = service.add(
        matchers,
        start,
        end,
        args.reason,
        user=deps.terminal.user,
        via="cli",
        label=deps.terminal.label,
        match_all=args.all,
    )
    if args.json:
        print_json(window.to_dict(service.store.clock()))
    else:
        print(f"maintenance window {window.summary(service.store.clock())}")
    return 0


def cmd_list(args: argparse.Namespace, deps: MaintenanceCommands) -> int:
    raw = {"state": args.state}
    return run_tool(
        deps.terminal, "maintenance_windows", raw, user=deps.terminal.user, as_json=args.json
    )


def cmd_show(args: argparse.Namespace, deps: MaintenanceCommands) -> int:
    store = deps.service().store
    window = store.get(args.id)
    now = store.clock()
    held = store.suppressed(window.id)
    findings, seen = store.counts([window.id]).get(window.id, (0, 0))
    if args.json:
        print_json(
            window.to_dict(now)
            | {"suppressed": [s.to_dict() for s in held], "findings": findings, "seen": seen}
        )
        return 0
    print(window.summary(now))
    print(f"  created {iso(window.created_at)} by {window.created_by}")
    if not held:
        print("  no findings held back")
        return 0
    print(f"  held back {findings} finding(s), seen {seen}× in all:")
    for item in held:
        print(
            f"  - {item.title or item.fingerprint}: {item.count}× from {iso(item.first_seen)} "
            f"to {iso(item.last_seen)} ({item.fingerprint[:12]})"
        )
    return 0


def cmd_end(args: argparse.Namespace, deps: MaintenanceCommands) -> int:
    service = deps.service()
    window = service.end(args.id, user=deps.terminal.user, via="cli", label=deps.terminal.label)
    if args.json:
        print_json(window.to_dict(service.store.clock()))
    else:
        print(f"ended maintenance window {window.summary(service.store.clock())}")
    return 0
