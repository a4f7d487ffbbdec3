"""Approvals: who may approve, single-use decisions, expiry, and exactly-once execution.

Every state change is a compare-and-set UPDATE on the `approval` row (status plus a revision
number), so double clicks, two approvers at once, two replicas, or a retried resume can never
run an action twice: only the caller whose UPDATE matched one row goes on. The same
transaction adds the change to the approval feed (`bot.approval_events`), so the chat thread
the approval came from hears of it whichever process made it, and the same transaction
writes the change's audit row: a full disk can refuse a decision, never record it half.

The process that claims `executing` records itself (`bot.executors`); a later start finds
executions whose process died (`recover`), marks them `unknown`, says so in the thread and
the audit, and never re-runs them. An approval decided but never started (`approved`: the
process died or the disk filled between the decision and the claim) is still safe to run,
exactly once: `opsbot approve ID`, a Slack retry, or a start of `opsbot run` does it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from bot.approval_events import (
    ANSWER,
    OUTCOME,
    PENDING_MORE,
    ApprovalEvents,
    add_event,
    turn_payload,
)
from bot.audit import AuditLogger, add_entry, logged
from bot.executors import Executor, is_dead, this_process
from bot.identity import TERMINAL_VIAS, TerminalIdentity
from bot.metrics import count_decision
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
    UNKNOWN,
    ApprovalView,
    approval_id_for,
)
from tools.base import RISK_ORDER, Caller, OpsTool, Risk, Toolbox, ToolResult
from tools.clock import as_utc, iso, utcnow

log = logging.getLogger(__name__)


class ApprovalError(Refused):
    """A decision that cannot be taken; the message is shown to the person who tried."""


@dataclass
class ApprovalPolicy:
    oncall_users: set[str] = field(default_factory=set)
    ttl_seconds: int = 1800
    allow_self: bool = True
    two_person_risk: str = "none"  # none | low | medium | high
    # the person at this process's terminal (CLI and console commands), None for a server
    terminal: TerminalIdentity | None = None
    bot_users: set[str] = field(default_factory=set)
    # an execution claimed on another host is declared dead after this long
    execution_limit_seconds: float = 90_000

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


def _settled(row: Approval) -> str:
    """Why a decision on an approval no longer pending changes nothing."""
    who = f" by {row.decided_by}" if row.decided_by else ""
    if row.status == UNKNOWN:
        return f"already approved{who} and started, but the process running it died: " + (
            "its outcome is unknown"
        )
    return f"already {row.status}{who}"


def _db_error(exc: SQLAlchemyError) -> str:
    """The database's own words (e.g. "database or disk is full"), without SQL."""
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0]


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
    @property
    def oncall_configured(self) -> bool:
        """True when an on-call list exists (ONCALL_USERS or ONCALL_USERGROUP); without one
        (a local install) only the OS user at the terminal may decide."""
        return bool(self.policy.oncall_users) or self._group_members is not None

    def at_terminal(self, user: str, via: str | None) -> TerminalIdentity | None:
        """The terminal identity when `user` deciding through `via` is this process's
        terminal user, else None (a Slack click is never the terminal, whatever its id)."""
        terminal = self.policy.terminal
        if terminal is not None and via in TERMINAL_VIAS and user == terminal.user:
            return terminal
        return None

    def actor(self, user: str, via: str | None) -> str:
        """How the audit names `user`: the terminal user as `U012AB3CD (cli:alice)`."""
        terminal = self.at_terminal(user, via)
        return terminal.label if terminal is not None else user

    def check_oncall(
        self, user: str, what: str = "approve or reject actions", via: str | None = None
    ) -> None:
        """Raise ApprovalError unless `user` is an on-call engineer (ONCALL_USERS or a member
        of ONCALL_USERGROUP) and not a bot. At a terminal (`via` cli or console) the user is
        the OS user, mapped by CLI_USERS: with an on-call list it must be mapped to an
        on-call Slack user; without one (a local install) the OS user may decide. `what`
        completes the refusal: "only on-call engineers can <what>"."""
        policy = self.policy
        if user in policy.bot_users:
            raise ApprovalError(f"a bot cannot {what}")
        terminal = self.at_terminal(user, via)
        if terminal is not None and not self.oncall_configured:
            return  # a local install: the person at the terminal is the operator
        allowed = user in policy.oncall_users
        if not allowed and self._group_members is not None:
            try:
                allowed = user in self._group_members()
            except Exception as exc:  # the group lookup failing must not grant access
                log.warning("on-call group lookup failed: %s", exc)
                raise ApprovalError(
                    "could not check the on-call group right now; try again shortly"
                ) from exc
        if allowed:
            return
        if terminal is not None and terminal.slack_user is None:
            raise ApprovalError(
                f"only on-call engineers can {what} (ONCALL_USERS / ONCALL_USERGROUP); you are "
                f"OS user {terminal.os_user!r} at this terminal, which CLI_USERS does not map "
                f"to a Slack user (add {terminal.os_user}=<your Slack user id> to CLI_USERS)"
            )
        raise ApprovalError(f"only on-call engineers can {what} (ONCALL_USERS / ONCALL_USERGROUP)")

    def check_approver(
        self, user: str, row: Approval | ApprovalView, via: str | None = None
    ) -> None:
        """Raise ApprovalError unless `user` may decide on this approval. The two-person
        rule and APPROVAL_ALLOW_SELF compare real identities: a terminal user mapped by
        CLI_USERS is the Slack user it is mapped to."""
        policy = self.policy
        self.check_oncall(user, via=via)
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

    def unsettled(self, unknown_within: timedelta = timedelta(days=7)) -> list[ApprovalView]:
        """What `opsbot approvals` lists: pending, approved but never started, executing,
        and those whose outcome is unknown (decided within `unknown_within`), oldest first."""
        self.expire_due()
        with session(self._engine) as db:
            rows = list(
                db.exec(
                    select(Approval)
                    .where(col(Approval.status).in_([PENDING, APPROVED, EXECUTING, UNKNOWN]))
                    .order_by(col(Approval.created_at))
                )
            )
        since = utcnow() - unknown_within
        return [
            to_view(r)
            for r in rows
            if r.status != UNKNOWN or (r.executed_at and as_utc(r.executed_at) >= since)
        ]

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
            entry = add_entry(
                db,
                actor=self.actor(caller.user, caller.via),
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

    def _cas(
        self,
        row: Approval,
        event: str | None = None,
        audit: dict[str, Any] | None = None,
        **values: Any,
    ) -> bool:
        """Move `row` forward if nobody else did since we read it. With `event`, add that
        change to the approval feed, with `audit` (AuditLog fields) its audit row, both in
        the same transaction: the change, its feed row and its audit row are stored together
        or not at all (a full disk raises, and nothing changed)."""
        with session(self._engine) as db:
            result = db.execute(
                update(Approval)
                .where(col(Approval.id) == row.id)
                .where(col(Approval.status) == row.status)
                .where(col(Approval.revision) == row.revision)
                .values(revision=row.revision + 1, **values)
            )
            moved = result.rowcount == 1
            entry = None
            if moved and event is not None:
                add_event(db, approval_id=row.id, thread_id=row.thread_id, kind=event)
            if moved and audit is not None:
                entry = add_entry(
                    db, action=row.tool, args=row.args, approval_id=row.id,
                    thread_id=row.thread_id, **audit,
                )  # fmt: skip
            db.commit()
        if entry is not None:
            logged(entry)
        return moved

    def _expire(self, row: Approval) -> bool:
        audit = {"actor": "opsbot", "via": "system", "outcome": "expired"}
        return self._cas(row, event=EXPIRED, audit=audit, status=EXPIRED)

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
        """Record one person's decision. Raises ApprovalError for refused attempts.

        An approval approved earlier but never started (`approved`) is run again by a
        later approve from anyone allowed to decide: `ready` is True, and the caller runs
        it (still exactly once, by the claim of `executing`)."""
        for _attempt in range(5):
            row = self._row(approval_id)
            if row.status == PENDING and row.expires_at <= utcnow():
                self._expire(row)
                raise ApprovalError("this approval has expired; ask again to get a new one")
            if row.status == APPROVED and approve:
                self.check_oncall(user, via=via)
                return Decision(
                    to_view(row),
                    changed=True,
                    ready=True,
                    message=f"was approved by {row.decided_by} but never started; running it now",
                )
            if row.status != PENDING:
                return Decision(to_view(row), changed=False, ready=False, message=_settled(row))
            self.check_approver(user, row, via)
            try:
                moved = self._decide(row, user=user, approve=approve, via=via, reason=reason)
            except SQLAlchemyError as exc:  # e.g. a full disk: nothing was recorded
                raise ApprovalError(
                    f"could not record the decision, so nothing changed: {_db_error(exc)}"
                ) from exc
            if not moved:
                continue  # someone else changed it at the same moment; re-read and re-check
            count_decision(approve, via)  # opsbot_approval_decisions_total, every front end
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

    def _decide(
        self, row: Approval, *, user: str, approve: bool, via: str, reason: str | None
    ) -> bool:
        """One compare-and-set of a decision with its feed and audit rows."""
        now = utcnow()
        audit = {"actor": self.actor(user, via), "via": via, "result": reason or ""}
        if not approve:
            return self._cas(
                row,
                event=REJECTED,
                audit=audit | {"outcome": "rejected"},
                status=REJECTED,
                decided_by=user,
                decided_at=now,
                decided_via=via,
                reason=reason,
            )
        approvers = [*row.approvers, user]
        done = len(approvers) >= row.approvals_needed
        values: dict[str, Any] = {"approvers": approvers}
        if done:
            values.update(status=APPROVED, decided_by=user, decided_at=now, decided_via=via)
        outcome = "approved" if done else "approved (1 of 2)"
        return self._cas(
            row,
            event=APPROVED if done else PENDING_MORE,
            audit=audit | {"outcome": outcome},
            **values,
        )

    def execute(self, approval_id: str) -> ApprovalView:
        """Run the approved action exactly once. Any other state is returned unchanged.

        The claim of `executing` records this process (host, pid, start time), so a start
        after this process died can tell (`recover`)."""
        row = self._row(approval_id)
        if row.status != APPROVED:
            return self.view(approval_id)
        me = this_process()
        claim = {
            "status": EXECUTING,
            "executor_host": me.host,
            "executor_pid": me.pid,
            "executor_started": me.started,
            "execution_started_at": utcnow(),
        }
        try:
            claimed_now = self._cas(row, **claim)
        except SQLAlchemyError as exc:  # e.g. a full disk: it stays approved, never started
            raise ApprovalError(
                f"could not start {row.tool}, so nothing was run: {_db_error(exc)}; once the "
                f"database can be written, `opsbot approve {row.id}` runs it"
            ) from exc
        if not claimed_now:
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
        decider = row.decided_by or row.requested_by
        self._cas(
            claimed,
            event=status,
            audit={
                "actor": self.actor(decider, row.decided_via),
                "via": "approval",
                "outcome": "ok" if result.ok else "error",
                "result": result.text + (f"\nverification: {verification}" if verification else ""),
            },
            status=status,
            result=result.text,
            verification=verification,
            executed_at=utcnow(),
        )
        return to_view(self._row(approval_id))

    # ---------------------------------------------------------------- recovery
    def dead_executions(self) -> list[Approval]:
        """Approvals `executing` in a process that is certainly gone (see bot.executors)."""
        with session(self._engine) as db:
            rows = list(db.exec(select(Approval).where(Approval.status == EXECUTING)))
        now = utcnow()
        dead = []
        for row in rows:
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
                remote_limit_seconds=self.policy.execution_limit_seconds,
            ):
                dead.append(row)
        return dead

    def mark_unknown(self, row: Approval) -> bool:
        """Settle an execution whose process died: outcome unknown, never re-run; the card,
        the thread (an `outcome` row of the feed) and the audit say so."""
        who = (
            f"process {row.executor_pid} on {row.executor_host}"
            if row.executor_host
            else "the process"
        )
        since = row.execution_started_at or row.decided_at
        text = (
            f"outcome unknown (process died): {who}, which started {row.tool} at "
            f"{iso(as_utc(since)) if since else 'an unknown time'}, is gone; it was not re-run. "
            "Check by hand whether the action took effect."
        )
        moved = self._cas(
            row,
            event=UNKNOWN,
            audit={"actor": "opsbot", "via": "system", "outcome": "unknown", "result": text},
            status=UNKNOWN,
            result=text,
            executed_at=utcnow(),
        )
        if moved:
            log.warning("approval %s: %s", row.id, text)
            self.events.record(row.id, row.thread_id, OUTCOME)
        return moved

    def recover_dead(self) -> list[ApprovalView]:
        """Mark every execution whose process died `unknown`; return those this call marked."""
        marked = [row.id for row in self.dead_executions() if self.mark_unknown(row)]
        return [to_view(self._row(approval_id)) for approval_id in marked]

    def never_started(self, older_than: timedelta = timedelta(0)) -> list[ApprovalView]:
        """Approvals decided `approved` (longer ago than `older_than`) whose execution never
        started: safe to run, exactly once."""
        cutoff = utcnow() - older_than
        with session(self._engine) as db:
            rows = list(
                db.exec(
                    select(Approval)
                    .where(Approval.status == APPROVED)
                    .order_by(col(Approval.decided_at))
                )
            )
        return [to_view(r) for r in rows if r.decided_at is None or as_utc(r.decided_at) <= cutoff]

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
            actor=self.actor(caller.user, caller.via),
            via=caller.via,
            action=tool,
            args=args,
            outcome="ok" if result.ok else "error",
            result=result.text,
            thread_id=thread_id,
        )
