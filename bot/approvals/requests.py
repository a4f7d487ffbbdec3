"""Asking for an approval, and expiring the ones nobody decided in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.approvals.audit import add_entry, logged
from bot.approvals.policy import ApprovalError, Approvers
from bot.approvals.store import ApprovalStore, to_view
from bot.approvals.tables import Approval
from bot.storage.db import session
from core.access import Caller, Risk
from core.approvals import EXPIRED, PENDING, ApprovalView, action_key, approval_id_for
from core.clock import as_utc, utcnow
from tools.base import OpsTool


@dataclass(frozen=True)
class ApprovalRequest:
    """What a gated call asks to have approved: the one definition of its fields, from
    `ApprovalService.request` down to the row."""

    thread_id: str
    tool_call_id: str
    tool: OpsTool
    args: dict[str, Any]
    caller: Caller
    preview: str
    risk: Risk
    incident_id: int | None = None


def request(store: ApprovalStore, approvers: Approvers, asked: ApprovalRequest) -> ApprovalView:
    """Create the pending approval (and its `requested` audit row), or return the existing
    one for the same call (a re-run of the gate node, or another replica first), or the one
    already pending for the same action and arguments, wherever it was asked for (its id is
    then not `approval_id_for(thread_id, tool_call_id)`).

    One pending approval per action: approving two identical ones would run the action twice
    (a second restart, a rollback of a rollback), so the second request points to the first.
    The scope is the whole database, not the conversation: the action changes the same
    system whoever asked and wherever (a chat thread, another thread, an incident's suggested
    action). A unique index on `action_key` while pending makes this hold under concurrency
    and across replicas (SQLite and PostgreSQL alike): of two identical requests at once, one
    inserts, the other fails its insert and returns the winner's row."""
    approval_id = approval_id_for(asked.thread_id, asked.tool_call_id)
    key = action_key(asked.tool.name, asked.args)
    for _attempt in range(5):
        with session(store.engine) as db:
            existing = db.get(Approval, approval_id)
            if existing is not None:
                return to_view(existing)
            twin = _pending_twin(db, key)
        if twin is not None:
            if as_utc(twin.expires_at) > utcnow():
                return to_view(twin)
            expire(store, twin)  # its time is up: it no longer holds the action
            continue
        created = _insert(store, approvers, approval_id, key, asked)
        if created is not None:
            return created
        # another replica, a re-run, or an identical request inserted first: read theirs
    raise ApprovalError("this action is being requested by someone else; try again")


def _pending_twin(db: Session, key: str) -> Approval | None:
    return db.exec(
        select(Approval).where(Approval.action_key == key).where(Approval.status == PENDING)
    ).first()


def _insert(
    store: ApprovalStore, approvers: Approvers, approval_id: str, key: str, asked: ApprovalRequest
) -> ApprovalView | None:
    """Insert the approval with its audit row; None when a row with its id or its action
    key came first (a unique constraint refused the insert)."""
    policy = approvers.policy
    caller = asked.caller
    with session(store.engine) as db:
        row = Approval(
            id=approval_id,
            thread_id=asked.thread_id,
            tool_call_id=asked.tool_call_id,
            tool=asked.tool.name,
            args=asked.args,
            risk=asked.risk.value,
            preview=asked.preview,
            requested_by=caller.user,
            requested_via=caller.via,
            channel=caller.channel,
            expires_at=utcnow() + timedelta(seconds=policy.ttl_seconds),
            approvals_needed=policy.approvals_needed(asked.risk),
            incident_id=asked.incident_id,
            action_key=key,
        )
        db.add(row)
        entry = add_entry(
            db,
            actor=approvers.actor(caller.user, caller.via),
            via=caller.via,
            action=asked.tool.name,
            args=asked.args,
            outcome="requested",
            result=asked.preview,
            approval_id=approval_id,
            thread_id=asked.thread_id,
        )
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            return None
        view = to_view(row)
    logged(entry)
    return view


def expire(store: ApprovalStore, row: Approval) -> bool:
    """Expire one pending row (with its feed and audit rows); False if it moved meanwhile."""
    audit = {"actor": "opsbot", "via": "system", "outcome": "expired"}
    return store.cas(row, event=EXPIRED, audit=audit, status=EXPIRED)


def expire_due(store: ApprovalStore) -> list[ApprovalView]:
    """Expire every pending approval past its time; return those this call expired."""
    expired = [r for r in store.due() if expire(store, r)]
    return [to_view(store.row(r.id)) for r in expired]
