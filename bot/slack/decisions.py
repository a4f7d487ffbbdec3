"""Approve / Reject clicks on approval cards (chat approvals and incidents' suggested actions).

The click is acked at once; then, on the worker pool: the signed value is checked (tampered,
swapped or expired values stop here), the decision is recorded through the approval service
(which re-checks that the clicker is an authorised approver and moves the approval forward
with a compare-and-set, so double clicks and two approvers at once decide once), and the
action runs exactly once. Refusals go only to the clicker, ephemerally.

What the channel sees is not posted from here. A chat approval's card update (buttons gone,
who and when, the outcome) and the resumed conversation's answer come from the approval
feed (`approval_feed.py`), exactly as for a decision taken with `opsbot approve` or by
another replica; the click only kicks the feed so it shows at once. An incident's suggested
action is shown by the incident's root message and thread (`incident_update`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.approvals import ApprovalError, ApprovalFlow, ApprovalService, Decision
from bot.incidents.contract import incident_of_thread
from bot.slack.approvals import APPROVAL, APPROVAL_ACTIONS, APPROVE, ButtonError, ButtonSigner
from bot.slack.conversation import KeyedLocks
from bot.slack.outbox import Outbox
from core.approvals import EXPIRED, FINAL, PENDING, ApprovalView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Where:
    """Where a decision was taken: the channel, and the message showing the approval (the
    clicked card; "" when it was typed and no card is known)."""

    channel: str
    message_ts: str = ""


@dataclass(frozen=True)
class Decided:
    """What a decision did (None when refused), and what to tell its author, if anything
    (a refusal, or that there was nothing to do); None when the card and thread say it all."""

    decision: Decision | None
    said: str | None = None


@dataclass(frozen=True)
class Click:
    """Where a button was clicked, and by whom."""

    user: str
    channel: str
    message_ts: str
    thread_ts: str
    action_id: str
    value: str
    trigger_id: str = ""  # opens a modal (valid for 3 seconds, once)

    @classmethod
    def from_body(cls, body: dict[str, Any], action: dict[str, Any]) -> Click:
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
        message_ts = str(message.get("ts") or container.get("message_ts") or "")
        return cls(
            user=str((body.get("user") or {}).get("id") or ""),
            channel=str(channel),
            message_ts=message_ts,
            thread_ts=str(message.get("thread_ts") or message_ts),
            action_id=str(action.get("action_id") or ""),
            value=str(action.get("value") or ""),
            trigger_id=str(body.get("trigger_id") or ""),
        )

    @property
    def where(self) -> Where:
        return Where(self.channel, self.message_ts)


class ApprovalClicks:
    def __init__(
        self,
        approvals: ApprovalService,
        flow: ApprovalFlow,
        outbox: Outbox,
        signer: ButtonSigner,
        locks: KeyedLocks,
        incident_update: Callable[[int, ApprovalView | None], None] | None = None,
        kick: Callable[[], None] | None = None,
    ) -> None:
        self.approvals = approvals
        self.flow = flow
        self.outbox = outbox
        self.signer = signer
        self.locks = locks
        # set by the incident notifier: re-render incident N's root message (and, given a
        # settled approval, note the outcome in its thread)
        self.incident_update = incident_update
        # wakes the approval feed, which shows chat approvals' changes (ApprovalFeed.kick)
        self.kick = kick or (lambda: None)
        # set by the front end: asks for a reason in a modal instead of deciding at once
        # (bot/slack/reasons.py); True when the modal opened
        self.ask_reason: Callable[[Click, ApprovalView, bool], bool] | None = None

    def handle(self, click: Click, tell: Callable[[str], None] | None = None) -> None:
        """Process one click (already acked). Never raises. What the clicker must be told
        goes to `tell`, or else ephemerally where they clicked."""
        say = tell or (
            lambda text: self.outbox.ephemeral(click.channel, click.user, text, click.thread_ts)
        )
        try:
            self._handle(click, say)
        except Exception as exc:
            log.exception("approval click failed")
            say(f"Sorry, I could not process that click ({type(exc).__name__}). Nothing was run.")

    def _handle(self, click: Click, say: Callable[[str], None]) -> None:
        action = APPROVAL_ACTIONS.get(click.action_id)
        if action is None or not click.user:
            log.warning("ignoring an approval click with action %r", click.action_id)
            return
        try:
            approval_id = self.signer.verify(APPROVAL, click.value, action).subject
        except ButtonError as exc:
            if exc.expired and exc.subject:
                self._expired(click.where, exc.subject)
            say(f"Refused: {exc}")
            return
        view = self.approvals.find(approval_id)
        if view is None:
            say(f"Refused: no approval with id {approval_id}")
            return

        approve = action == APPROVE
        if self.ask_reason is not None and self.ask_reason(click, view, approve):
            return  # the modal's submission decides
        said = self.decide(view, user=click.user, approve=approve, where=click.where).said
        if said is not None:
            say(said)

    def decide(
        self,
        view: ApprovalView,
        *,
        user: str,
        approve: bool,
        where: Where,
        reason: str | None = None,
    ) -> Decided:
        """Decide `view` for `user` as a click does (a button, or a decision typed in the
        thread): under the conversation's lock, through `ApprovalFlow.decide_and_resume`;
        the card and the thread show the change (the feed, or the incident's message)."""
        incident = incident_of_thread(view.thread_id)

        def on_decided(decision: Decision) -> None:
            if not decision.changed:
                return
            if incident is None:
                self.kick()  # the feed shows who decided at once, while the action runs
            else:
                self._refresh(where, decision.approval)

        with self.locks.hold(view.thread_id or view.id):
            try:
                decision, _turn = self.flow.decide_and_resume(
                    view.id, user=user, approve=approve, via="slack", reason=reason,
                    on_decided=on_decided,
                )  # fmt: skip
            except ApprovalError as exc:
                current = self.approvals.view(view.id)
                if current.status == EXPIRED:
                    self._expired(where, view.id)
                return Decided(None, f"Refused: {exc}")
        if not decision.changed:
            current = self.approvals.view(view.id)
            if current.status in FINAL:  # repair a stale card; never race the deciding worker
                self._refresh(where, current)
            return Decided(decision, f"Nothing to do: {decision.message}.")
        if incident is None:
            self.kick()  # the card's final state and the resumed conversation's answer
            return Decided(decision)
        final = self.approvals.view(view.id)
        self._refresh(where, final)
        if final.status != PENDING:  # settled (not one of two approvals)
            self._post_outcome(final)
        return Decided(decision)

    # ------------------------------------------------------------------ helpers
    def decided(self, approval_id: str) -> tuple[datetime | None, str | None]:
        """When and through which front end the approval was decided (the row knows)."""
        shown = self.approvals.shown(approval_id)
        return (shown.decided_at, shown.decided_via) if shown is not None else (None, None)

    def _refresh(self, where: Where, view: ApprovalView) -> None:
        """Re-render whatever shows this approval: its card, or the incident's root message."""
        incident = incident_of_thread(view.thread_id)
        if incident is not None:  # the clicked message is the incident's root message
            if self.incident_update is not None:
                self.incident_update(incident, None)
            return
        if where.message_ts:
            when, via = self.decided(view.id) if view.decided_by else (None, None)
            self.outbox.update_approval(view, where.channel, where.message_ts, when, via)

    def _post_outcome(self, view: ApprovalView) -> None:
        """An incident's suggested action settled: the thread note is the incident's to write."""
        incident = incident_of_thread(view.thread_id)
        if incident is not None and self.incident_update is not None:
            self.incident_update(incident, view)

    def _expired(self, where: Where, approval_id: str) -> None:
        """The approval ran out of time: show it on the card. Expiring it added it to the
        approval feed, which lets a paused conversation learn of it and posts the answer."""
        view = self.approvals.find(approval_id)
        if view is None:
            return
        view = self.approvals.view(view.id)  # expires it if due
        self._refresh(where, view)
        self.kick()
