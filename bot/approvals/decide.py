"""One person's decision on an approval: single use, re-checked, compare-and-set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.approvals.events import PENDING_MORE
from bot.approvals.policy import ApprovalError, Approvers
from bot.approvals.requests import expire
from bot.approvals.store import ApprovalStore, db_error, to_view
from bot.approvals.tables import Approval
from bot.metrics import count_decision
from core.approvals import APPROVED, PENDING, REJECTED, UNKNOWN, ApprovalView
from core.clock import utcnow


@dataclass(frozen=True)
class Decision:
    approval: ApprovalView
    changed: bool  # this call moved the approval forward
    ready: bool  # decided for good: the conversation can be resumed
    message: str


def settled(row: Approval) -> str:
    """Why a decision on an approval no longer pending changes nothing."""
    who = f" by {row.decided_by}" if row.decided_by else ""
    if row.status == UNKNOWN:
        return f"already approved{who} and started, but the process running it died: " + (
            "its outcome is unknown"
        )
    return f"already {row.status}{who}"


def decide(
    store: ApprovalStore,
    approvers: Approvers,
    approval_id: str,
    *,
    user: str,
    approve: bool,
    via: str,
    reason: str | None = None,
) -> Decision:
    """Record one person's decision. Raises ApprovalError for refused attempts.

    An approval approved earlier but never started (`approved`) is run again by a
    later approve from anyone allowed to decide: `ready` is True, and the caller runs
    it (still exactly once, by the claim of `executing`)."""
    for _attempt in range(5):
        row = store.row(approval_id)
        if row.status == PENDING and row.expires_at <= utcnow():
            expire(store, row)
            raise ApprovalError("this approval has expired; ask again to get a new one")
        if row.status == APPROVED and approve:
            approvers.check_oncall(user, via=via)
            return Decision(
                to_view(row),
                changed=True,
                ready=True,
                message=f"was approved by {row.decided_by} but never started; running it now",
            )
        if row.status != PENDING:
            return Decision(to_view(row), changed=False, ready=False, message=settled(row))
        approvers.check_approver(user, row, via)
        try:
            moved = _record(
                store, approvers, row, user=user, approve=approve, via=via, reason=reason
            )
        except SQLAlchemyError as exc:  # e.g. a full disk: nothing was recorded
            raise ApprovalError(
                f"could not record the decision, so nothing changed: {db_error(exc)}"
            ) from exc
        if not moved:
            continue  # someone else changed it at the same moment; re-read and re-check
        count_decision(approve, via)  # opsbot_approval_decisions_total, every front end
        fresh = to_view(store.row(approval_id))
        ready = fresh.status in (APPROVED, REJECTED)
        if fresh.status == PENDING:
            message = (
                f"approval recorded ({len(fresh.approvers)} of {fresh.approvals_needed}); "
                "waiting for another on-call engineer"
            )
        else:
            message = f"{fresh.status} by {user}"
        return Decision(fresh, changed=True, ready=ready, message=message)
    raise ApprovalError("this approval is being decided by someone else; try again")


def _record(
    store: ApprovalStore,
    approvers: Approvers,
    row: Approval,
    *,
    user: str,
    approve: bool,
    via: str,
    reason: str | None,
) -> bool:
    """One compare-and-set of a decision with its feed and audit rows."""
    now = utcnow()
    audit = {"actor": approvers.actor(user, via), "via": via, "result": reason or ""}
    if not approve:
        return store.cas(
            row,
            event=REJECTED,
            audit=audit | {"outcome": "rejected"},
            status=REJECTED,
            decided_by=user,
            decided_at=now,
            decided_via=via,
            reason=reason,
        )
    approvals = [*row.approvers, user]
    done = len(approvals) >= row.approvals_needed
    values: dict[str, Any] = {"approvers": approvals}
    if reason:  # shown on the card; every approver's words are in the audit
        values["reason"] = reason
    if done:
        values.update(status=APPROVED, decided_by=user, decided_at=now, decided_via=via)
    outcome = "approved" if done else "approved (1 of 2)"
    return store.cas(
        row,
        event=APPROVED if done else PENDING_MORE,
        audit=audit | {"outcome": outcome},
        **values,
    )
