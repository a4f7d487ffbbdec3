"""Asking for an approval, and expiring the ones nobody decided in time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.approvals.audit import add_entry, logged
from bot.approvals.policy import Approvers
from bot.approvals.store import ApprovalStore, to_view
from bot.storage.db import session
from bot.storage.tables import Approval
from core.access import Caller, Risk
from core.approvals import EXPIRED, ApprovalView, approval_id_for
from core.clock import utcnow
from tools.base import OpsTool


def request(
    store: ApprovalStore,
    approvers: Approvers,
    *,
    thread_id: str,
    tool_call_id: str,
    tool: OpsTool,
    args: dict[str, Any],
    caller: Caller,
    preview: str,
    risk: Risk,
    incident_id: int | None = None,
) -> ApprovalView:
    """Create the pending approval (and its `requested` audit row), or return the existing
    one for the same call (a re-run of the gate node, or another replica first)."""
    policy = approvers.policy
    approval_id = approval_id_for(thread_id, tool_call_id)
    with session(store.engine) as db:
        existing = db.get(Approval, approval_id)
        if existing is not None:
            return to_view(existing)
        row = Approval(
            id=approval_id,
            thread_id=thread_id,
            tool_call_id=tool_call_id,
            tool=tool.name,
            args=args,
            risk=risk.value,
            preview=preview,
            requested_by=caller.user,
            requested_via=caller.via,
            channel=caller.channel,
            expires_at=utcnow() + timedelta(seconds=policy.ttl_seconds),
            approvals_needed=policy.approvals_needed(risk),
            incident_id=incident_id,
        )
        db.add(row)
        entry = add_entry(
            db,
            actor=approvers.actor(caller.user, caller.via),
            via=caller.via,
            action=tool.name,
            args=args,
            outcome="requested",
            result=preview,
            approval_id=approval_id,
            thread_id=thread_id,
        )
        try:
            db.commit()
        except Exception:
            db.rollback()
            # another replica or a re-run inserted it first: use theirs
            existing = db.get(Approval, approval_id)
            if existing is None:
                raise
            return to_view(existing)
    logged(entry)
    return to_view(row)


def expire(store: ApprovalStore, row: Approval) -> bool:
    """Expire one pending row (with its feed and audit rows); False if it moved meanwhile."""
    audit = {"actor": "opsbot", "via": "system", "outcome": "expired"}
    return store.cas(row, event=EXPIRED, audit=audit, status=EXPIRED)


def expire_due(store: ApprovalStore) -> list[ApprovalView]:
    """Expire every pending approval past its time; return those this call expired."""
    expired = [r for r in store.due() if expire(store, r)]
    return [to_view(store.row(r.id)) for r in expired]
