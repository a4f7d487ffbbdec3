"""`opsbot check` and `opsbot incidents list|show|ack|resolve|snooze`."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from bot.cli import CliError
from bot.commands.deps import bind, incident_commands

if TYPE_CHECKING:
    from bot.commands.deps import IncidentCommands

STATUSES = ["open", "unacknowledged", "acknowledged", "resolved", "all"]


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check", help="run every monitor once; open/update/resolve incidents as `run` would"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument(
        "--no-triage", action="store_true", help="do not triage new incidents (faster)"
    )
    check.set_defaults(handler=bind(cmd_check, incident_commands))

    incidents = sub.add_parser("incidents", help="list, show and act on incidents")
    verbs = incidents.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    listing = verbs.add_parser("list", help="incidents, newest first")
    listing.add_argument("--status", default="open", choices=STATUSES)
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=bind(cmd_list, incident_commands))

    show = verbs.add_parser("show", help="one incident with its actions and timeline")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=bind(cmd_show, incident_commands))

    for verb, help_text in (("ack", "acknowledge"), ("resolve", "resolve")):
        parser = verbs.add_parser(verb, help=f"{help_text} an incident as the console user")
        parser.add_argument("id", type=int)
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=bind(cmd_act, incident_commands), action=verb)

    snooze = verbs.add_parser("snooze", help="no thread notes for N minutes (1 to 10080)")
    snooze.add_argument("id", type=int)
    snooze.add_argument("minutes", type=int)
    snooze.add_argument("--json", action="store_true")
    snooze.set_defaults(handler=bind(cmd_act, incident_commands), action="snooze")


REFUSED = 3  # exit code: no such incident, or a change it cannot take


def cmd_check(args: argparse.Namespace, deps: IncidentCommands) -> int:
    from bot.console.incidents import render_card
    from bot.incidents.views import card_json

    _ = deps.remediation()  # a bad REMEDIATION_CONFIG stops here with its reason
    service = deps.incidents
    service.config.background = False  # triage inline, so the output shows it
    if args.no_triage:
        service.disable_triage()
    report = service.run_checks()
    changed = list(dict.fromkeys(i for i, c in report.changes if c != "duplicate"))
    if args.json:
        payload = report.to_json() | {"cards": [card_json(service.card(i)) for i in changed]}
        print(json.dumps(payload, default=str))
        return 0
    for run in report.runs:
        if run.ok:
            state = f"{len(run.findings)} finding(s)"
        elif run.error is None:
            state = "not due this time"
        else:
            state = f"FAILED: {run.error}"
        print(f"{run.name}: {state} ({run.seconds * 1000:.0f} ms)")
        for finding in run.findings:
            print(f"  - [{finding.severity}] {finding.alertname}: {finding.title}")
    if not report.findings:
        print("No problems found.")
    shown = {"opened", "reopened", "resolved"}
    for incident_id, change in dict(report.changes).items():
        card = service.card(incident_id)
        if change in shown:
            print()
            print(render_card(card))
        elif change in ("updated", "duplicate"):
            print(f"incident #{incident_id} still open: {card.title} (seen {card.count}×)")
        elif change == "sighted":
            print(f"incident #{incident_id} already owns this alert (another source): {card.title}")
        elif change == "clearing":
            print(
                f"incident #{incident_id} no longer seen; it resolves after "
                f"{deps.autoresolve_checks} clear checks"
            )
    return 0


def cmd_list(args: argparse.Namespace, deps: IncidentCommands) -> int:
    from bot.incidents.spec import IncidentError
    from bot.incidents.views import row_summary
    from core.clock import iso
    from tools.format import text_table

    try:
        rows = deps.incidents.engine.list(args.status, max(1, min(args.limit, 1000)))
    except IncidentError as exc:
        raise CliError(str(exc), REFUSED) from None
    if args.json:
        print(json.dumps([row_summary(r) for r in rows]))
        return 0
    if not rows:
        print(f"No {args.status} incidents." if args.status != "all" else "No incidents.")
        return 0
    rows_text = [
        [r.id, r.status, r.severity, r.alertname, f"{r.count}×", iso(r.last_seen), r.title[:70]]
        for r in rows
    ]
    print(text_table(["#", "status", "severity", "alert", "seen", "last seen", "title"], rows_text))
    return 0


def cmd_show(args: argparse.Namespace, deps: IncidentCommands) -> int:
    from bot.console.incidents import render_card
    from bot.incidents.spec import IncidentError
    from bot.incidents.tools import ShowArgs, build_incident_tools, timeline_lines
    from core.access import Caller
    from tools.base import ToolError

    service = deps.incidents
    if args.json:  # exactly what the agent's show_incident tool sees
        tool = next(t for t in build_incident_tools(service) if t.name == "show_incident")
        caller = Caller(user=deps.terminal.user, via="cli")
        try:
            result = tool.run(ShowArgs(id=args.id), caller)
        except ToolError as exc:
            raise CliError(str(exc), REFUSED) from None
        print(json.dumps(result.data, default=str))
        return 0
    try:
        card = service.card(args.id)
    except IncidentError as exc:
        raise CliError(str(exc), REFUSED) from None
    print(render_card(card))
    timeline = timeline_lines(service.engine.timeline(args.id, limit=30))
    if timeline:
        print("  Timeline:")
        for line in timeline:
            print("  " + line)
    return 0


def cmd_act(args: argparse.Namespace, deps: IncidentCommands) -> int:
    from bot.incidents.spec import IncidentError
    from bot.incidents.views import card_json

    user = deps.terminal.user
    service = deps.incidents
    try:
        if args.action == "ack":
            card = service.acknowledge(args.id, user)
            message = f"Incident #{args.id} acknowledged by {user}."
        elif args.action == "resolve":
            card = service.resolve(args.id, user)
            message = f"Incident #{args.id} resolved by {user}."
        else:
            card = service.snooze(args.id, user, args.minutes)
            message = f"Incident #{args.id} snoozed for {args.minutes} min by {user}."
    except IncidentError as exc:
        raise CliError(str(exc), REFUSED) from None
    if args.json:
        print(json.dumps(card_json(card), default=str))
    else:
        print(message)
    return 0
