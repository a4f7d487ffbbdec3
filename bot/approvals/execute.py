"""Running an approved action exactly once, and recording its outcome (and, when it changed
something outside opsbot, the change: tools/changes/actions.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from bot.approvals.executors import this_process
from bot.approvals.policy import ApprovalError, Approvers
from bot.approvals.store import ApprovalStore, db_error, to_view
from bot.approvals.tables import Approval
from core.access import Caller
from core.approvals import APPROVED, EXECUTED, EXECUTING, FAILED, ApprovalView
from core.clock import utcnow
from tools.base import Toolbox, ToolResult

if TYPE_CHECKING:
    from tools.changes.store import ChangeStore

log = logging.getLogger(__name__)


def execute(
    store: ApprovalStore,
    approvers: Approvers,
    toolbox: Toolbox,
    approval_id: str,
    changes: ChangeStore | None = None,
) -> ApprovalView | None:
    """Run the approved action exactly once and return its final state; None when it is not
    `approved` or another worker claimed it first (the caller shows the current state).

    The claim of `executing` records this process (host, pid, start time), so a start
    after this process died can tell (`recovery`)."""
    row = store.row(approval_id)
    if row.status != APPROVED:
        return None
    me = this_process()
    claim: dict[str, Any] = {
        "status": EXECUTING,
        "executor_host": me.host,
        "executor_pid": me.pid,
        "executor_started": me.started,
        "execution_started_at": utcnow(),
    }
    try:
        claimed_now = store.cas(row, **claim)
    except SQLAlchemyError as exc:  # e.g. a full disk: it stays approved, never started
        raise ApprovalError(
            f"could not start {row.tool}, so nothing was run: {db_error(exc)}; once the "
            f"database can be written, `opsbot approve {row.id}` runs it"
        ) from exc
    if not claimed_now:
        return None  # another worker claimed it
    result, verification = _run(row, toolbox)
    # the change log first: whoever sees the outcome (the thread, `what_changed`) sees the
    # change too, and a crash in between leaves a change logged for an outcome "unknown"
    if result.ok and changes is not None:
        record_change(changes, approvers, row, result)
    record_outcome(store, approvers, row, result, verification)
    return to_view(store.row(approval_id))


def record_change(
    changes: ChangeStore, approvers: Approvers, row: Approval, result: ToolResult
) -> None:
    """Log what the executed action changed, for `what_changed` and triage. The action ran
    and its outcome is recorded: a change log that cannot be written is logged as an error,
    it does not turn a done action into a failed one."""
    from tools.changes.actions import change_of

    data = result.data if isinstance(result.data, dict) else None
    draft = change_of(row.tool, dict(row.args or {}), data, result.text)
    if draft is None:
        return
    requester = approvers.actor(row.requested_by, row.requested_via)
    decider = approvers.actor(row.decided_by or row.requested_by, row.decided_via)
    try:
        changes.record(
            draft.kind,
            draft.target,
            summary=draft.summary,
            before=draft.before,
            after=draft.after,
            who=f"{requester}, approved by {decider}"[:200],
            via="approval",
            link=row.id,
            source="opsbot",
        )
    except Exception:
        log.exception(
            "%s (%s) ran, but its change could not be written to the change log", row.id, row.tool
        )


def _run(row: Approval, toolbox: Toolbox) -> tuple[ToolResult, str | None]:
    """Invoke the action as the person who requested it; its result and verification."""
    tool = toolbox.get(row.tool)
    caller = Caller(
        user=row.requested_by, via=row.requested_via, channel=row.channel, thread=row.thread_id
    )
    if tool is None:
        return ToolResult.error(
            f"the action {row.tool} is no longer available; nothing was run"
        ), None
    try:
        result = tool.invoke(row.args, caller)
    except Exception as exc:  # the action crashed: record it, never re-run it
        log.exception("approved action %s failed", row.tool)
        result = ToolResult.error(f"{row.tool} failed: {type(exc).__name__}: {exc}")
    verification: str | None = None
    if result.ok and tool.verify is not None:
        try:
            verification = tool.verify(tool.parse(row.args), result)
        except Exception as exc:
            verification = f"could not verify: {exc}"
    return result, verification


def record_outcome(
    store: ApprovalStore,
    approvers: Approvers,
    row: Approval,
    result: ToolResult,
    verification: str | None,
) -> bool:
    """Settle the claimed execution of `row` as executed or failed, with its feed and
    audit rows."""
    status = EXECUTED if result.ok else FAILED
    claimed = store.row(row.id)
    decider = row.decided_by or row.requested_by
    return store.cas(
        claimed,
        event=status,
        audit={
            "actor": approvers.actor(decider, row.decided_via),
            "via": "approval",
            "outcome": "ok" if result.ok else "error",
            "result": result.text + (f"\nverification: {verification}" if verification else ""),
        },
        status=status,
        result=result.text,
        verification=verification,
        executed_at=utcnow(),
    )
