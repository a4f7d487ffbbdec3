"""After a decision: resume the conversation paused on the approval, or run the action.

`ApprovalFlow` is what every front end calls to decide (Slack clicks, `opsbot approve`, the
console), what a start calls to recover, and what the Slack feed calls when an approval
expired. It takes its collaborators typed: the approval service, the agent's resume interface
(built on first use: deciding on an approval needs no LangGraph until a conversation must be
resumed) and the incident service's `approval_changed` hook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, Protocol

from bot.approvals.decide import Decision
from bot.approvals.policy import ApprovalError
from bot.approvals.service import ApprovalService
from bot.incidents.contract import incident_of_thread
from core.access import Caller
from core.approvals import PENDING, ApprovalView

log = logging.getLogger(__name__)

# seconds an `approved` approval must have waited before a start runs it: a decision that
# another process took a moment ago is left to that process
STUCK_GRACE = 60.0
# the same, for the scheduler's sweep while other processes run: long enough that a decider
# still busy with the conversation (a slow turn ahead of it in the thread) is never overtaken
SWEEP_GRACE = 600.0
SYSTEM = Caller(user="opsbot", via="system")


class ResumableAgent(Protocol):
    """What resuming needs of the agent (`graphs.agent.Agent`)."""

    def is_paused(self, thread_id: str) -> bool: ...

    def pending(self, thread_id: str) -> Sequence[ApprovalView]: ...

    def resume(self, thread_id: str, caller: Caller) -> Any: ...


class ApprovalFlow:
    def __init__(
        self,
        approvals: ApprovalService,
        agent: Callable[[], ResumableAgent],
        approval_changed: Callable[[str], None],
    ) -> None:
        self.approvals = approvals
        self._agent = agent  # built on first use
        self._approval_changed = approval_changed

    @property
    def agent(self) -> ResumableAgent:
        return self._agent()

    def decide_and_resume(
        self,
        approval_id: str,
        *,
        user: str,
        approve: bool,
        via: str,
        reason: str | None = None,
        on_decided: Callable[[Decision], None] | None = None,
    ) -> tuple[Decision, Any]:
        """Record a decision; when it settles the approval, resume the paused conversation.

        `on_decided(decision)` runs after the decision is recorded and before the action
        runs (Slack uses it to update the card at once). Returns (Decision, TurnResult or
        None). Raises ApprovalError for refused decisions. The resumed turn's reply (or, with
        no conversation to resume, the outcome) is stored in the approval feed, so the chat
        thread the approval came from is told whichever process decided.
        """
        view = self.approvals.find(approval_id)
        if view is None:
            raise ApprovalError(f"no approval with id {approval_id}")
        decision = self.approvals.decide(
            view.id, user=user, approve=approve, via=via, reason=reason
        )
        if on_decided is not None:
            on_decided(decision)
        turn = None
        try:
            if decision.ready:
                if view.thread_id and self.agent.is_paused(view.thread_id):
                    turn = self.agent.resume(view.thread_id, Caller(user=user, via=via))
                elif approve:
                    # not paused in a conversation (e.g. an incident's suggested action): run it
                    self.approvals.execute(view.id)
        finally:  # even when the resume failed, the thread learns how the approval stands
            if decision.ready:
                self.approvals.record_reply(view.id, turn)
        if decision.changed and incident_of_thread(view.thread_id) is not None:
            self._approval_changed(view.id)  # thread note, re-check; never raises
        return decision, turn

    def run_approved(self, approval_id: str) -> ApprovalView:
        """Run an `approved` approval that never started, as a decision would have: resume
        its paused conversation, else execute it; the thread hears how it went."""
        view = self.approvals.view(approval_id)
        turn = None
        try:
            if view.thread_id and self.agent.is_paused(view.thread_id):
                who = Caller(user=view.decided_by or view.requested_by, via="system")
                turn = self.agent.resume(view.thread_id, who)
            else:
                self.approvals.execute(view.id)
        finally:
            self.approvals.record_reply(view.id, turn)
        return self.approvals.view(approval_id)

    def recover(self, *, run_never_started: bool, grace_seconds: float | None = None) -> list[str]:
        """At start: settle executions whose process died (outcome unknown, never re-run)
        and, with `run_never_started`, run approvals decided more than `grace_seconds`
        (None: STUCK_GRACE) ago but never started (exactly once, resuming their conversation
        when one is paused). Returns one line per change, for the operator."""
        grace = STUCK_GRACE if grace_seconds is None else grace_seconds
        lines = [f"{view.id}: {view.tool} {view.result}" for view in self.approvals.recover_dead()]
        if not run_never_started:
            return lines
        # a grace, so a decision another process is about to execute is left to it
        for view in self.approvals.never_started(older_than=timedelta(seconds=grace)):
            try:
                final = self.run_approved(view.id)
            except Exception as exc:  # one broken approval must not stop the start
                log.exception("could not resume approved %s", view.id)
                lines.append(f"{view.id}: approved but never started; resuming it failed: {exc}")
                continue
            lines.append(
                f"{view.id}: approved but never started; ran it: {final.status}"
                + (f": {final.result}" if final.result else "")
            )
        return lines

    def close_expired(
        self, view: ApprovalView, hold: Callable[[str], AbstractContextManager[Any]]
    ) -> None:
        """Let the conversation paused on this expired approval learn of it. Its answer (or,
        when it is not waiting on it any more, the outcome line) is added to the feed, so a
        failed post is retried without resuming again. `hold(thread)` is the front end's
        lock on the conversation."""
        thread = view.thread_id or ""
        turn = None
        with hold(thread):
            if self._waits_only_for_decided(thread, view.id):
                turn = self.agent.resume(thread, SYSTEM)
        self.approvals.record_reply(view.id, turn)

    def _waits_only_for_decided(self, thread: str, approval_id: str) -> bool:
        """True when the conversation is paused on this approval and nothing it waits for is
        still pending (otherwise resuming would only pause it again)."""
        agent = self.agent
        if not agent.is_paused(thread):
            return False
        waiting = agent.pending(thread)
        return any(v.id == approval_id for v in waiting) and all(
            v.status != PENDING for v in waiting
        )
