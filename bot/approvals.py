"""Approvals: who may approve, single-use decisions, expiry, and exactly-once execution.

Every state change is a compare-and-set UPDATE on the `approval` row (status plus a revision
number), so double clicks, two approvers at once, two replicas, or a retried resume can never
run an action twice: only the caller whose UPDATE matched one row goes on. The same
transaction adds the change to the approval feed (`bot.approval_events`), so the chat thread
the approval came from hears of it whichever process made it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.approval_events import (
    ANSWER,
    OUTCOME,
    PENDING_MORE,
    ApprovalEvents,
    add_event,
    turn_payload,
)
from bot.audit import AuditLogger
from bot.storage.db import session
from bot.storage.tables import Approval
from core.errors import Refused
from graphs.gate import (
    APPROVED,
    EXECUTED,
    EXECUTING,
    EXPIRED,
    FAILED,
    PENDING,
    REJECTED,
    ApprovalView,
    approval_id_for,
)
from tools.base import RISK_ORDER, Caller, OpsTool, Risk, Toolbox, ToolResult
from tools.clock import utcnow

log = logging.getLogger(__name__)


class ApprovalError(Refused):
    """A decision that cannot be taken; the message is shown to the person who tried."""


@dataclass
class ApprovalPolicy:
    oncall_users: set[str] = field(default_factory=set)
    ttl_seconds: int = 1800
    allow_self: bool = True
    two_person_risk: str = "none"  # none | low | medium | high
    local_operator: str | None = None  # console mode: the person at the terminal
    bot_users: set[str] = field(default_factory=set)

    def approvals_needed(self, risk: Risk) -> int:
        if self.two_person_risk == "none":
            return 1
        return 2 if RISK_ORDER[risk] >= RISK_ORDER[Risk(self.two_person_risk)] else 1


@dataclass(frozen=True)
class Decision:
    approval: ApprovalView
    changed: bool  # this call moved the approval forward
    ready: bool  # decided for good: the conversation can be resumed
    message: str


def to_view(row: Approval) -> ApprovalView:
    return ApprovalView(
        id=row.id,
        tool=row.tool,
        args=dict(row.args),
        risk=row.risk,
        preview=row.preview,
        status=row.status,
        requested_by=row.requested_by,
        expires_at=row.expires_at,
        approvals_needed=row.approvals_needed,
        approvers=tuple(row.approvers),
        decided_by=row.decided_by,
        result=row.result,
        verification=row.verification,
        thread_id=row.thread_id,
    )


class ApprovalService:
    """Implements `graphs.gate.GateBackend` on the database."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLogger,
        policy: ApprovalPolicy,
        toolbox: Toolbox | None = None,
        group_members: Callable[[], set[str]] | None = None,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self.policy = policy
        self._toolbox = toolbox or Toolbox()
        self._group_members = group_members
        self.events = ApprovalEvents(engine)

    def set_toolbox(self, toolbox: Toolbox) -> None:
        self._toolbox = toolbox

    # ---------------------------------------------------------------- authorisation
    def check_oncall(self, user: str, what: str = "approve or reject actions") -> None:
        """Raise ApprovalError unless `user` is an on-call engineer (ONCALL_USERS, a member of
        ONCALL_USERGROUP, or the console's local operator) and not a bot. `what` completes
        the refusal: "only on-call engineers can <what>"."""
        policy = self.policy
        if user in policy.bot_users:
            raise ApprovalError(f"a bot cannot {what}")
        allowed = user in policy.oncall_users or (
            policy.local_operator is not None and user == policy.local_operator
        )
        if not allowed and self._group_members is not None:
            try:
                allowed = user in self._group_members()
            except Exception as exc:  # the group lookup failing must not grant access
                log.warning("on-call group lookup failed: %s", exc)
                raise ApprovalError(
                    "could not check the on-call group right now; try again shortly"
                ) from exc
        if not allowed:
            raise ApprovalError(
                f"only on-call engineers can {what} (ONCALL_USERS / ONCALL_USERGROUP)"
            )

    def check_approver(self, user: str, row: Approval | ApprovalView) -> None:
        """Raise ApprovalError unless `user` may decide on this approval."""
        policy = self.policy
        self.check_oncall(user)
        if not policy.allow_self and user == row.requested_by:
            raise ApprovalError(
                "you requested this action; another on-call engineer must approve it"
            )
        if user in row.approvers:
            raise ApprovalError("you have already approved this action")

    # ---------------------------------------------------------------- queries
    def _row(self, approval_id: str) -> Approval:
        with session(self._engine) as db:
            row = db.get(Approval, approval_id)
        if row is None:
            raise ApprovalError(f"no approval with id {approval_id}")
        return row

    def find(self, approval_id: str) -> ApprovalView | None:
        """Look up by full id, or by the part after `ap-`."""
        key = approval_id.strip()
        if not key.startswith("ap-"):
            key = "ap-" + key
        with session(self._engine) as db:
            row = db.get(Approval, key)
        return to_view(row) if row else None

    def view(self, approval_id: str) -> ApprovalView:
        row = self._row(approval_id)
        if row.status == PENDING and row.expires_at <= utcnow():
            self._expire(row)
            row = self._row(approval_id)
        return to_view(row)

    def pending(self, thread_id: str | None = None) -> list[ApprovalView]:
        self.expire_due()
        with session(self._engine) as db:
            query = select(Approval).where(Approval.status == PENDING)
            if thread_id is not None:
                query = query.where(Approval.thread_id == thread_id)
            rows = list(db.exec(query.order_by(col(Approval.created_at))))
        return [to_view(r) for r in rows]

    # ---------------------------------------------------------------- lifecycle
    def request(
        self,
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
        approval_id = approval_id_for(thread_id, tool_call_id)
        with session(self._engine) as db:
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
                expires_at=utcnow() + timedelta(seconds=self.policy.ttl_seconds),
                approvals_needed=self.policy.approvals_needed(risk),
                incident_id=incident_id,
            )
            db.add(row)
            try:
                db.commit()
            except Exception:
                db.rollback()
                # another replica or a re-run inserted it first: use theirs
                existing = db.get(Approval, approval_id)
                if existing is None:
                    raise
                return to_view(existing)
        self._audit.record(
            actor=caller.user,
            via=caller.via,
            action=tool.name,
            args=args,
            outcome="requested",
            result=preview,
            approval_id=approval_id,
            thread_id=thread_id,
        )
        return to_view(row)

    def _cas(self, row: Approval, event: str | None = None, **values: Any) -> bool:
        """Move `row` forward if nobody else did since we read it; with `event`, add that
        change to the approval feed in the same transaction."""
        with session(self._engine) as db:
            result = db.execute(
                update(Approval)
                .where(col(Approval.id) == row.id)
                .where(col(Approval.status) == row.status)
                .where(col(Approval.revision) == row.revision)
                .values(revision=row.revision + 1, **values)
            )
            moved = result.rowcount == 1
            if moved and event is not None:
                add_event(db, approval_id=row.id, thread_id=row.thread_id, kind=event)
            db.commit()
            return moved

    def _expire(self, row: Approval) -> bool:
        if self._cas(row, event=EXPIRED, status=EXPIRED):
            self._audit.record(
                actor="opsbot",
                via="system",
                action=row.tool,
                args=row.args,
                outcome="expired",
                approval_id=row.id,
                thread_id=row.thread_id,
            )
            return True
        return False

    def expire_due(self) -> list[ApprovalView]:
        """Expire every pending approval past its time; return those this call expired."""
        with session(self._engine) as db:
            rows = list(
                db.exec(
                    select(Approval)
                    .where(Approval.status == PENDING)
                    .where(col(Approval.expires_at) <= utcnow())
                )
            )
        expired = [r for r in rows if self._expire(r)]
        return [to_view(self._row(r.id)) for r in expired]

    def decide(
        self, approval_id: str, *, user: str, approve: bool, via: str, reason: str | None = None
    ) -> Decision:
        """Record one person's decision. Raises ApprovalError for refused attempts."""
        for _attempt in range(5):
            row = self._row(approval_id)
            if row.status == PENDING and row.expires_at <= utcnow():
                self._expire(row)
                raise ApprovalError("this approval has expired; ask again to get a new one")
            if row.status != PENDING:
                who = f" by {row.decided_by}" if row.decided_by else ""
                return Decision(
                    to_view(row), changed=False, ready=False, message=f"already {row.status}{who}"
                )
            self.check_approver(user, row)
            now = utcnow()
            if not approve:
                moved = self._cas(
                    row,
                    event=REJECTED,
                    status=REJECTED,
                    decided_by=user,
                    decided_at=now,
                    decided_via=via,
                    reason=reason,
                )
                outcome = "rejected"
            else:
                approvers = [*row.approvers, user]
                done = len(approvers) >= row.approvals_needed
                values: dict[str, Any] = {"approvers": approvers}
                if done:
                    values.update(status=APPROVED, decided_by=user, decided_at=now, decided_via=via)
                moved = self._cas(row, event=APPROVED if done else PENDING_MORE, **values)
                outcome = "approved" if done else "approved (1 of 2)"
            if not moved:
                continue  # someone else changed it at the same moment; re-read and re-check
            self._audit.record(
                actor=user,
                via=via,
                action=row.tool,
                args=row.args,
                outcome=outcome,
                result=reason or "",
                approval_id=row.id,
                thread_id=row.thread_id,
            )
            fresh = to_view(self._row(approval_id))
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

    def execute(self, approval_id: str) -> ApprovalView:
        """Run the approved action exactly once. Any other state is returned unchanged."""
        row = self._row(approval_id)
        if row.status != APPROVED:
            return self.view(approval_id)
        if not self._cas(row, status=EXECUTING):
            return self.view(approval_id)  # another worker claimed it
        tool = self._toolbox.get(row.tool)
        caller = Caller(
            user=row.requested_by, via=row.requested_via, channel=row.channel, thread=row.thread_id
        )
        verification: str | None = None
        if tool is None:
            result = ToolResult.error(
                f"the action {row.tool} is no longer available; nothing was run"
            )
        else:
            try:
                result = tool.invoke(row.args, caller)
            except Exception as exc:  # the action crashed: record it, never re-run it
                log.exception("approved action %s failed", row.tool)
                result = ToolResult.error(f"{row.tool} failed: {type(exc).__name__}: {exc}")
            if result.ok and tool.verify is not None:
                try:
                    verification = tool.verify(tool.parse(row.args), result)
                except Exception as exc:
                    verification = f"could not verify: {exc}"
        status = EXECUTED if result.ok else FAILED
        claimed = self._row(approval_id)
        self._cas(
            claimed,
            event=status,
            status=status,
            result=result.text,
            verification=verification,
            executed_at=utcnow(),
        )
        self._audit.record(
            actor=row.decided_by or row.requested_by,
            via="approval",
            action=row.tool,
            args=row.args,
            outcome="ok" if result.ok else "error",
            result=result.text + (f"\nverification: {verification}" if verification else ""),
            approval_id=row.id,
            thread_id=row.thread_id,
        )
        return to_view(self._row(approval_id))

    def record_reply(self, approval_id: str, turn: Any | None) -> bool:
        """After a decision settled an approval: store what its chat thread should be told,
        the reply of the resumed conversation (`turn`), or, when no conversation was resumed
        (None), how the approval ended. False when no front end shows that thread."""
        row = self._row(approval_id)
        if turn is None:
            return self.events.record(row.id, row.thread_id, OUTCOME)
        return self.events.record(row.id, row.thread_id, ANSWER, turn_payload(turn))

    def has_message(self, approval_id: str) -> bool:
        """True when a chat message (an approval card) already shows this approval."""
        with session(self._engine) as db:
            row = db.get(Approval, approval_id)
        return row is not None and bool(row.message_ts)

    def attach_message(self, approval_id: str, channel: str, ts: str) -> None:
        """Remember the chat message that shows this approval, to update it in place."""
        with session(self._engine) as db:
            db.execute(
                update(Approval)
                .where(col(Approval.id) == approval_id)
                .values(message_channel=channel, message_ts=ts)
            )
            db.commit()

    def audit(
        self, *, caller: Caller, tool: str, args: dict[str, Any], result: ToolResult, thread_id: str
    ) -> None:
        self._audit.record(
            actor=caller.user,
            via=caller.via,
            action=tool,
            args=args,
            outcome="ok" if result.ok else "error",
            result=result.text,
            thread_id=thread_id,
        )
