"""Approvals: who may approve, single-use decisions, expiry, and exactly-once execution.

Every state change is a compare-and-set UPDATE on the `approval` row (status plus a revision
number), so double clicks, two approvers at once, two replicas, or a retried resume can never
run an action twice: only the caller whose UPDATE matched one row goes on. The same
transaction adds the change to the approval feed (`bot.approvals.events`), so the chat thread
the approval came from hears of it whichever process made it, and the same transaction
writes the change's audit row: a full disk can refuse a decision, never record it half.

The process that claims `executing` records itself (`bot.approvals.executors`); a later start
finds executions whose process died (`recover_dead`), marks them `unknown`, says so in the
thread and the audit, and never re-runs them. An approval decided but never started
(`approved`: the process died or the disk filled between the decision and the claim) is still
safe to run, exactly once: `opsbot approve ID`, a Slack retry, or a start of `opsbot run`
does it.

`ApprovalService` is the one object the rest of opsbot holds (it implements
`graphs.gate.GateBackend`); each job is a module of its own: `policy` (who may decide),
`requests` (ask, expire), `decide`, `execute` (run, record the outcome), `recovery`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from bot.approvals import decide as deciding
from bot.approvals import execute as executing
from bot.approvals import recovery, requests
from bot.approvals.audit import AuditLogger
from bot.approvals.decide import Decision
from bot.approvals.events import ANSWER, OUTCOME, ApprovalEvents, turn_payload
from bot.approvals.policy import ApprovalPolicy, Approvers
from bot.approvals.store import ApprovalStore, ShownApproval, to_view
from bot.approvals.tables import Approval
from bot.identity import TerminalIdentity
from core.access import Caller, Risk
from core.approvals import PENDING, ApprovalView
from core.clock import utcnow
from tools.base import OpsTool, Toolbox, ToolResult

if TYPE_CHECKING:
    from tools.changes.store import ChangeStore


class ApprovalService:
    """Implements `graphs.gate.GateBackend` on the database."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLogger,
        policy: ApprovalPolicy,
        toolbox: Toolbox | None = None,
        group_members: Callable[[], set[str]] | None = None,
        changes: ChangeStore | None = None,
        on_call_now: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self._audit = audit
        self._changes = changes  # where executed actions log what they changed
        self.policy = policy
        self._toolbox = toolbox or Toolbox()
        self.approvers = Approvers(policy, group_members, on_call_now)
        self.events = ApprovalEvents(engine)
        self.store = ApprovalStore(engine, self.events)

    def set_toolbox(self, toolbox: Toolbox) -> None:
        self._toolbox = toolbox

    # ---------------------------------------------------------------- authorisation
    @property
    def oncall_configured(self) -> bool:
        return self.approvers.oncall_configured

    def at_terminal(self, user: str, via: str | None) -> TerminalIdentity | None:
        return self.approvers.at_terminal(user, via)

    def actor(self, user: str, via: str | None) -> str:
        return self.approvers.actor(user, via)

    def check_oncall(
        self, user: str, what: str = "approve or reject actions", via: str | None = None
    ) -> None:
        """Raise ApprovalError unless `user` is an on-call engineer (see `Approvers`)."""
        self.approvers.check_oncall(user, what, via)

    def check_approver(
        self, user: str, row: Approval | ApprovalView, via: str | None = None
    ) -> None:
        """Raise ApprovalError unless `user` may decide on this approval (see `Approvers`)."""
        self.approvers.check_approver(user, row, via)

    # ---------------------------------------------------------------- queries
    def find(self, approval_id: str) -> ApprovalView | None:
        """Look up by full id, or by the part after `ap-`."""
        key = approval_id.strip()
        if not key.startswith("ap-"):
            key = "ap-" + key
        row = self.store.get(key)
        return to_view(row) if row else None

    def view(self, approval_id: str) -> ApprovalView:
        row = self.store.row(approval_id)
        if row.status == PENDING and row.expires_at <= utcnow():
            requests.expire(self.store, row)
            row = self.store.row(approval_id)
        return to_view(row)

    def shown(self, approval_id: str) -> ShownApproval | None:
        """The approval with how it was decided and the chat message showing it."""
        return self.store.shown(approval_id)

    def pending(self, thread_id: str | None = None) -> list[ApprovalView]:
        self.expire_due()
        return [to_view(r) for r in self.store.pending(thread_id)]

    def unsettled(self, unknown_within: timedelta = timedelta(days=7)) -> list[ApprovalView]:
        """What `opsbot approvals` lists: pending, approved but never started, executing,
        and those whose outcome is unknown (decided within `unknown_within`), oldest first."""
        self.expire_due()
        return [to_view(r) for r in self.store.unsettled(unknown_within)]

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
        asked = requests.ApprovalRequest(
            thread_id, tool_call_id, tool, args, caller, preview, risk, incident_id
        )
        return requests.request(self.store, self.approvers, asked)

    def expire_due(self) -> list[ApprovalView]:
        """Expire every pending approval past its time; return those this call expired."""
        return requests.expire_due(self.store)

    def decide(
        self, approval_id: str, *, user: str, approve: bool, via: str, reason: str | None = None
    ) -> Decision:
        """Record one person's decision (see `bot.approvals.decide.decide`)."""
        return deciding.decide(
            self.store, self.approvers, approval_id, user=user, approve=approve, via=via,
            reason=reason,
        )  # fmt: skip

    def execute(self, approval_id: str) -> ApprovalView:
        """Run the approved action exactly once. Any other state is returned unchanged."""
        final = executing.execute(
            self.store, self.approvers, self._toolbox, approval_id, self._changes
        )
        return final if final is not None else self.view(approval_id)

    # ---------------------------------------------------------------- recovery
    def dead_executions(self) -> list[Approval]:
        """Approvals `executing` in a process that is certainly gone."""
        return recovery.dead_executions(self.store, self.policy.execution_limit_seconds)

    def mark_unknown(self, row: Approval) -> bool:
        """Settle an execution whose process died: outcome unknown, never re-run."""
        return recovery.mark_unknown(self.store, row)

    def recover_dead(self) -> list[ApprovalView]:
        """Mark every execution whose process died `unknown`; return those this call marked."""
        return recovery.recover_dead(self.store, self.policy.execution_limit_seconds)

    def never_started(self, older_than: timedelta = timedelta(0)) -> list[ApprovalView]:
        """Approvals decided `approved` (longer ago than `older_than`), never started."""
        return recovery.never_started(self.store, older_than)

    # ---------------------------------------------------------------- the chat thread
    def record_reply(self, approval_id: str, turn: Any | None) -> bool:
        """After a decision settled an approval: store what its chat thread should be told,
        the reply of the resumed conversation (`turn`), or, when no conversation was resumed
        (None), how the approval ended. False when no front end shows that thread."""
        row = self.store.row(approval_id)
        if turn is None:
            return self.events.record(row.id, row.thread_id, OUTCOME)
        return self.events.record(row.id, row.thread_id, ANSWER, turn_payload(turn))

    def has_message(self, approval_id: str) -> bool:
        """True when a chat message (an approval card) already shows this approval."""
        row = self.store.get(approval_id)
        return row is not None and bool(row.message_ts)

    def attach_message(self, approval_id: str, channel: str, ts: str) -> None:
        """Remember the chat message that shows this approval, to update it in place."""
        self.store.attach_message(approval_id, channel, ts)

    def audit(
        self, *, caller: Caller, tool: str, args: dict[str, Any], result: ToolResult, thread_id: str
    ) -> None:
        self._audit.record(
            actor=self.actor(caller.user, caller.via),
            via=caller.via,
            action=tool,
            args=args,
            outcome="ok" if result.ok else "error",
            result=result.text,
            thread_id=thread_id,
        )
