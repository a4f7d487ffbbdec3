"""Approve or reject with a reason, in a modal (issue 19).

Reject always asks for a reason; Approve asks only for a high-risk action, where the reason
is required (so is a reason to reject one); a low-risk Approve stays one click. The click
(bot/slack/decisions.py) has already checked the button's signed value; when the approval is
still pending and the clicker may decide, the modal opens with the click's `trigger_id`
and carries the signed value in `private_metadata`. Its `view_submission` checks that value
again (a forged or expired one is refused) and the reason before the ack: a problem is
answered `response_action: errors` under the reason field and the modal stays open. A good
one closes the modal and is decided on the worker pool through the same path as a click
(`ApprovalClicks.decide` → `ApprovalFlow.decide_and_resume` → `ApprovalService.decide`):
the reason goes into the audit row and the card. Two submissions decide once (the
decision's compare-and-set); the later one is told, ephemerally, that there was nothing to do.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from bot.approvals import ApprovalError
from bot.slack.approvals import APPROVAL, APPROVE, REJECT, ButtonError, ButtonSigner
from bot.slack.cards import RISK_BADGE, action_text
from bot.slack.decisions import ApprovalClicks, Click, Where
from bot.slack.modals import field, input_block, metadata, open_for_click, plain
from bot.slack.mrkdwn import escape, truncate
from bot.slack.render import section
from core.approvals import PENDING, ApprovalView

log = logging.getLogger(__name__)

CALLBACK_ID = "approval_reason"
REASON = "reason"
MAX_REASON = 500


def required(view: ApprovalView) -> bool:
    """A reason is required to decide a high-risk action either way."""
    return view.risk == "high"


def asks(view: ApprovalView, approve: bool) -> bool:
    """Whether this button opens the modal: Reject always, Approve for a high-risk action."""
    return not approve or required(view)


def modal(click: Click, view: ApprovalView, approve: bool) -> dict[str, Any]:
    """The modal as `views.open` takes it; the click comes back in `private_metadata`."""
    verb = "Approve" if approve else "Reject"
    must = required(view)
    hint = (
        "Required for a high-risk action. It goes into the audit log and onto the card."
        if must
        else "Optional. It goes into the audit log and onto the card."
    )
    back = {
        "value": click.value,
        "action": APPROVE if approve else REJECT,
        "channel": click.channel,
        "ts": click.message_ts,
        "thread": click.thread_ts,
    }
    what = (
        f"*{verb}* `{escape(truncate(action_text(view), 1500))}`\n"
        f"Risk {RISK_BADGE.get(view.risk, escape(view.risk))} · {escape(view.id)}"
    )
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(f"{verb} the action"),
        "submit": plain(verb),
        "close": plain("Cancel"),
        "private_metadata": json.dumps(back),
        "blocks": [
            section(what),
            input_block(
                REASON,
                "Reason" if must else "Reason (optional)",
                {"type": "plain_text_input", "multiline": True, "max_length": MAX_REASON},
                hint,
                optional=not must,
            ),
        ],
    }


@dataclass
class ReasonModal:
    clicks: ApprovalClicks
    client: Any
    signer: ButtonSigner
    pool: Executor

    def open(self, click: Click, view: ApprovalView, approve: bool) -> bool:
        """After a checked click: open the modal and return True, or return False to let
        the click decide (or refuse) as without a modal: nothing asked a reason, the
        approval is no longer pending, or the clicker may not decide."""
        if not asks(view, approve) or view.status != PENDING:
            return False
        try:
            self.clicks.approvals.check_approver(click.user, view, "slack")
        except ApprovalError:
            return False  # the decision refuses it, with the reason
        open_for_click(
            self.client,
            self.clicks.outbox,
            click,
            modal(click, view, approve),
            "Click again, or answer in the thread (“no, <reason>”).",
        )
        return True

    def submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The `view_submission`: errors under the reason field in the ack, or close the
        modal and decide on the worker pool."""
        user = str((body.get("user") or {}).get("id") or "")
        back = metadata(view)
        action = str(back.get("action") or "")
        try:
            if action not in (APPROVE, REJECT) or not user:
                raise ButtonError("this form is not one of mine; nothing was done")
            approval_id = self.signer.verify(APPROVAL, str(back.get("value") or ""), action)
            found = self.clicks.approvals.find(approval_id.subject)
            if found is None:
                raise ButtonError(f"no approval with id {approval_id.subject}")
        except ButtonError as exc:
            ack(response_action="errors", errors={REASON: f"Refused: {exc}"})
            return
        values = (view.get("state") or {}).get("values") or {}
        reason = field(values, REASON).strip()
        error = None
        if required(found) and not reason:
            error = "Say why: a reason is required for a high-risk action"
        elif len(reason) > MAX_REASON:
            error = f"At most {MAX_REASON} characters"
        if error:
            ack(response_action="errors", errors={REASON: error})
            return
        ack()
        where = Where(str(back.get("channel") or ""), str(back.get("ts") or ""))
        thread = str(back.get("thread") or "") or None
        self.pool.submit(self._decide, found, user, action == APPROVE, where, thread, reason)

    def _decide(
        self,
        view: ApprovalView,
        user: str,
        approve: bool,
        where: Where,
        thread: str | None,
        reason: str,
    ) -> None:
        """On the worker pool, as a click decides; never raises."""
        try:
            said = self.clicks.decide(
                view, user=user, approve=approve, where=where, reason=reason or None
            ).said
        except Exception as exc:
            log.exception("deciding from the reason modal failed")
            said = f"Sorry, I could not record that ({type(exc).__name__}). Nothing was run."
        if said is not None and where.channel:
            self.clicks.outbox.ephemeral(where.channel, user, said, thread)
