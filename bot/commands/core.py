"""Core commands: run, chat, ask, approve/reject, approvals, audit."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import TYPE_CHECKING, Any

from bot.cli import CliError, console_on_terminal
from bot.commands.deps import bind, conversation_commands
from core.clock import iso
from core.questions import problem
from tools.format import compact_json

if TYPE_CHECKING:
    from bot.commands.deps import ConversationCommands
    from bot.runtime import Runtime


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run", help="run the bot: Slack (or the console), monitors, HTTP endpoints"
    )
    run.add_argument("--no-console", action="store_true", help="never read commands from stdin")
    run.set_defaults(handler=cmd_run, console_mode=True)

    chat = sub.add_parser("chat", help="interactive local console")
    chat.set_defaults(handler=bind(cmd_chat, conversation_commands), console_mode=True)

    ask = sub.add_parser("ask", help="ask one question and print the answer")
    ask.add_argument("text", help="the question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--thread", help="conversation id, to continue an earlier one")
    ask.set_defaults(handler=bind(cmd_ask, conversation_commands), console_mode=True)

    for verb in ("approve", "reject"):
        parser = sub.add_parser(
            verb, help=f"{verb} a pending action as the OS user (mapped by CLI_USERS)"
        )
        parser.add_argument("id", help="approval id, e.g. ap-1a2b3c4d5e6f")
        parser.add_argument("reason", nargs="*", help="optional reason, recorded in the audit log")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.set_defaults(
            handler=bind(cmd_decide, conversation_commands),
            approve=verb == "approve",
            console_mode=True,
        )

    approvals = sub.add_parser(
        "approvals", help="list approvals not settled: pending, approved, executing, unknown"
    )
    approvals.add_argument("--json", action="store_true")
    approvals.set_defaults(handler=bind(cmd_approvals, conversation_commands))

    audit = sub.add_parser("audit", help="show the audit log, newest first")
    audit.add_argument("--limit", type=int, default=20)
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(handler=bind(cmd_audit, conversation_commands))


def cmd_chat(args: argparse.Namespace, deps: ConversationCommands) -> int:
    from bot.console import Console

    _ = deps.agent()  # build before the prompt so errors show at once
    return Console(deps.console()).loop()


def cmd_ask(args: argparse.Namespace, deps: ConversationCommands) -> int:
    from bot.approvals.typed import TypedDecisions
    from bot.console import answer, render_turn

    refused = problem(args.text)
    if refused is not None:
        raise CliError(refused, code=2)
    thread = args.thread or f"cli:{uuid.uuid4().hex[:12]}"
    caller = deps.caller(thread, "cli")
    typed = TypedDecisions(deps.flow())
    turn = answer(deps.agent, typed, args.text, thread_id=thread, caller=caller)
    if args.json:
        payload = turn.to_json() | {"thread": turn.thread_id}
        print(json.dumps(payload, default=str))
    else:
        print(render_turn(turn))
    return 0


def cmd_decide(args: argparse.Namespace, deps: ConversationCommands) -> int:
    from bot.approvals import ApprovalError
    from bot.console import render_turn
    from core.approvals import FAILED, PENDING

    reason = " ".join(args.reason) or None
    try:
        decision, turn = deps.flow().decide_and_resume(
            args.id,
            user=deps.terminal.user,
            approve=args.approve,
            via="cli",
            reason=reason,
        )
    except ApprovalError as exc:
        raise CliError(str(exc), code=3) from None
    final = deps.terminal.approvals().view(decision.approval.id)
    # deciding on an approval already settled changes nothing: that is a failure (exit 1)
    settled = not decision.changed and final.status != PENDING
    if args.json:
        print(
            json.dumps(
                {
                    "id": final.id,
                    "status": final.status,
                    "changed": decision.changed,
                    "message": decision.message,
                    "result": final.result,
                    "answer": turn.answer if turn else None,
                },
                default=str,
            )
        )
        if final.status == FAILED:
            raise CliError(_failed_line(final), code=1)
        return 1 if settled else 0
    if settled:
        raise CliError(f"{final.id} was {decision.message}; nothing changed", code=1)
    print(f"{final.id}: {decision.message}")
    if turn is not None:
        print(render_turn(turn))
    elif final.result:
        print(f"{final.status}: {final.result}")
    if final.status == FAILED:
        raise CliError(_failed_line(final), code=1)
    return 0


def _failed_line(view: Any) -> str:
    """One line for an approved action whose execution failed: the approval is used up."""
    result = " ".join((view.result or "no details recorded").split())
    return (
        f"{view.id}: approved, but the action failed: {result}. The approval is used up; "
        "ask again to get a new one"
    )


def cmd_approvals(args: argparse.Namespace, deps: ConversationCommands) -> int:
    # executions whose process died are settled first (outcome unknown, never re-run)
    for line in deps.flow().recover(run_never_started=False):
        print(line, file=sys.stderr)
    views = deps.terminal.approvals().unsettled()
    if args.json:
        print(
            json.dumps(
                [
                    v.to_json() | {"thread": v.thread_id, "result": v.result, "by": v.decided_by}
                    for v in views
                ],
                default=str,
            )
        )
        return 0
    if not views:
        print("No pending approvals.")
    for view in views:
        print(f"{view.id}  {view.tool}  risk={view.risk}  {_state(view)}")
    return 0


def _state(view: Any) -> str:
    """Where an unsettled approval stands, and what to do about it."""
    from core.approvals import APPROVED, EXECUTING, PENDING

    if view.status == PENDING:
        return f"pending, requested by {view.requested_by}, expires {iso(view.expires_at)}"
    if view.status == APPROVED:
        return (
            f"approved by {view.decided_by} but never started: `opsbot approve {view.id}` "
            "runs it (once)"
        )
    if view.status == EXECUTING:
        return f"executing (approved by {view.decided_by})"
    return f"{view.status}: {view.result}"


def cmd_audit(args: argparse.Namespace, deps: ConversationCommands) -> int:
    rows = deps.audit().recent(limit=max(1, min(args.limit, 1000)))
    if args.json:
        print(json.dumps([r.model_dump() for r in rows], default=str))
        return 0
    for row in rows:
        print(
            f"{iso(row.at)}  {row.via}:{row.actor}  {row.action}  "
            f"{row.outcome}  {compact_json(row.args)}"
        )
    return 0


def cmd_run(args: argparse.Namespace, runtime: Runtime) -> int:
    """The one command given the whole Runtime: it assembles the application."""
    from bot.serve import serve

    return serve(runtime, interactive=console_on_terminal(args))
