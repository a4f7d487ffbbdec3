"""After a crash: executions whose process died, and approvals decided but never started.

An execution whose process is gone (`executors.is_dead`) is marked `unknown` and never
re-run: the card, the thread and the audit say so. An approval decided `approved` whose
execution never started is still safe to run, exactly once (`resume.ApprovalFlow`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.approvals.events import OUTCOME
from bot.approvals.executors import Executor, is_dead
from bot.approvals.store import ApprovalStore, to_view
from bot.approvals.tables import Approval
from core.approvals import EXECUTING, UNKNOWN, ApprovalView
from core.clock import as_utc, iso, utcnow

log = logging.getLogger(__name__)


def dead_executions(store: ApprovalStore, remote_limit_seconds: float) -> list[Approval]:
    """Approvals `executing` in a process that is certainly gone (see bot.approvals.executors)."""
    now = utcnow()
    dead = []
    for row in store.with_status(EXECUTING):
        executor = None
        if row.executor_host and row.executor_pid is not None:
            executor = Executor(
                row.executor_host, row.executor_pid, float(row.executor_started or 0.0)
            )
        started_at = row.execution_started_at or row.decided_at
        if is_dead(
            executor,
            started_at=as_utc(started_at) if started_at else None,
            now=now,
            remote_limit_seconds=remote_limit_seconds,
        ):
            dead.append(row)
    return dead


def mark_unknown(store: ApprovalStore, row: Approval) -> bool:
    """Settle an execution whose process died: outcome unknown, never re-run; the card,
    the thread (an `outcome` row of the feed) and the audit say so."""
    who = (
        f"process {row.executor_pid} on {row.executor_host}"
        if row.executor_host
        else ("the process")
    )
    since = row.execution_started_at or row.decided_at
    text = (
        f"outcome unknown (process died): {who}, which started {row.tool} at "
        f"{iso(as_utc(since)) if since else 'an unknown time'}, is gone; it was not re-run. "
        "Check by hand whether the action took effect."
    )
    moved = store.cas(
        row,
        event=UNKNOWN,
        audit={"actor": "opsbot", "via": "system", "outcome": "unknown", "result": text},
        status=UNKNOWN,
        result=text,
        executed_at=utcnow(),
    )
    if moved:
        log.warning("approval %s: %s", row.id, text)
        store.events.record(row.id, row.thread_id, OUTCOME)
    return moved


def recover_dead(store: ApprovalStore, remote_limit_seconds: float) -> list[ApprovalView]:
    """Mark every execution whose process died `unknown`; return those this call marked."""
    marked = [
        row.id for row in dead_executions(store, remote_limit_seconds) if mark_unknown(store, row)
    ]
    return [to_view(store.row(approval_id)) for approval_id in marked]


def never_started(store: ApprovalStore, older_than: timedelta) -> list[ApprovalView]:
    """Approvals decided `approved` (longer ago than `older_than`) whose execution never
    started: safe to run, exactly once."""
    cutoff = utcnow() - older_than
    return [
        to_view(r)
        for r in store.approved()
        if r.decided_at is None or as_utc(r.decided_at) <= cutoff
    ]
