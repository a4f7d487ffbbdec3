"""Shows approval changes in Slack, wherever they were made: the reader of the approval feed.

Every change to an approval requested in a Slack thread is a row in `approval_event`
(see `bot.approvals.events`), written by whichever process made it: a click handled by this
process or another replica, `opsbot approve` / `opsbot reject` in a terminal, an expiry. This
worker, run by every process with the Slack front end, delivers each row once, in order per
approval:

- a state change updates the approval card in place (who decided, how, when, the outcome);
- `answer` posts the reply of the conversation the decision resumed, in its thread (a
  `/ops` question answered privately has none: its asker gets it ephemerally), a final
  answer with its 👍/👎 buttons when the feed has the button signer;
- `outcome` posts one line on how it ended when no conversation was resumed;
- `expired` also lets the paused conversation learn of it (its answer becomes the next
  row), so an approval that ran out of time in any process still closes its thread.

Clicks in Slack take the same path (the click handler only kicks this worker), so an answer
is never posted twice. `kick()` delivers local changes at once; rows from other processes
are found by polling every `period` seconds.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.approvals import (
    ANSWER,
    MAX_ATTEMPTS,
    OUTCOME,
    STATE_KINDS,
    ApprovalEvents,
    ApprovalFlow,
    ApprovalService,
    FeedRow,
    ShownApproval,
    stored_turn,
)
from bot.reply import reply_from_turn
from bot.slack.approvals import ButtonSigner
from bot.slack.cards import decision_line
from bot.slack.conversation import KeyedLocks
from bot.slack.feedback import end_with_feedback
from bot.slack.mrkdwn import truncate
from bot.slack.outbox import Outbox, slack_error
from bot.slack.render import SlackMessage, render_reply, section
from bot.worker import PollingWorker
from core.approvals import EXPIRED
from core.clock import as_utc, utcnow

log = logging.getLogger(__name__)

MAX_POST_AGE = 24 * 3600.0  # seconds: an older answer is not posted any more (the card still is)
PRUNE_EVERY = 3600.0  # seconds between deletions of long-delivered rows
_SLACK_TS = re.compile(r"^\d+\.\d+$")
# Slack errors that retrying cannot fix: the card or the channel is gone, or off limits
GONE = frozenset(
    {
        "message_not_found",
        "channel_not_found",
        "cant_update_message",
        "edit_window_closed",
        "not_in_channel",
        "is_archived",
        "token_revoked",  # the app was uninstalled (or opsbot stopped calling: `revoke`)
        "account_inactive",
    }
)


def slack_place(thread_id: str | None) -> tuple[str, str] | None:
    """(channel, thread_ts) of a Slack conversation's thread id, None when it has no real
    thread (e.g. a `/ops` question answered privately)."""
    parts = (thread_id or "").split(":")
    if len(parts) < 4 or parts[0] != "slack":
        return None
    channel, thread_ts = parts[2], parts[3].split("~")[0]
    if not channel or not _SLACK_TS.match(thread_ts):
        return None
    return channel, thread_ts


def private_channel(thread_id: str | None) -> str | None:
    """The channel of a `/ops` question answered privately (`slack:T:C:cmd-…`), else None."""
    parts = (thread_id or "").split(":")
    if len(parts) < 4 or parts[0] != "slack" or not parts[3].startswith("cmd-"):
        return None
    return parts[2] or None


class ApprovalFeed(PollingWorker):
    thread_name = "opsbot-approval-feed"
    failure = "approval feed failed"

    def __init__(
        self,
        approvals: ApprovalService,
        flow: ApprovalFlow,
        outbox: Outbox,
        locks: KeyedLocks,
        events: ApprovalEvents | None = None,
        period: float = 1.0,
        signer: ButtonSigner | None = None,
    ) -> None:
        super().__init__(period)
        self.signer = signer  # signs the 👍/👎 of the answers it posts (None: no buttons)
        self.approvals = approvals
        self.flow = flow
        self.outbox = outbox
        self.locks = locks
        self.events = events or approvals.events
        self._pruned = 0.0

    # ------------------------------------------------------------------ delivery
    def pump(self) -> int:
        """Deliver every row that can be delivered now; returns how many were."""
        delivered = 0
        with self._pump_lock:
            for approval_id in self.events.backlog():
                if self._stop.is_set():
                    break
                delivered += self._drain(approval_id)
            now = time.monotonic()
            if now - self._pruned > PRUNE_EVERY:
                self._pruned = now
                self.events.prune()
        return delivered

    def _drain(self, approval_id: str) -> int:
        """Deliver one approval's rows in order, while this reader can claim the oldest."""
        delivered = 0
        while not self._stop.is_set():
            event = self.events.oldest(approval_id)
            if event is None or not self.events.claim(event):
                return delivered  # all done, or another reader (or a retry backoff) has it
            try:
                self.deliver(event)
            except Exception as exc:
                if not (isinstance(exc, SlackApiError) and slack_error(exc) in GONE):
                    self._retry_later(event, exc)
                    return delivered  # keep this approval's rows in order: stop here for now
                log.warning(  # the thread or channel is gone: retrying cannot help
                    "cannot show %s of %s in Slack: %s", event.kind, approval_id, slack_error(exc)
                )
            if self.events.done(event):
                delivered += 1
        return delivered

    def _retry_later(self, event: FeedRow, exc: Exception) -> None:
        error = slack_error(exc)
        retry = self.events.failed(event, error)
        log.warning(
            "could not show %s of %s in Slack (attempt %d of %d%s): %s",
            event.kind,
            event.approval_id,
            event.attempts + 1,
            MAX_ATTEMPTS,
            ", will retry" if retry else "",
            error,
            exc_info=not isinstance(exc, (SlackApiError, OSError)),  # a bug: show where
        )

    def deliver(self, event: FeedRow) -> None:
        """Show one row in Slack. Raises when Slack could not be reached (retried later)."""
        shown = self.approvals.shown(event.approval_id)
        if shown is None:
            log.warning("approval %s of feed row %s is gone", event.approval_id, event.id)
            return
        place = slack_place(shown.view.thread_id)
        if event.kind in STATE_KINDS:
            if not self.events.superseded(event):
                self._update_card(shown)
            if event.kind == EXPIRED and place is not None and self._fresh(event):
                self.flow.close_expired(shown.view, self.locks.hold)
            return
        if place is None:
            channel = private_channel(shown.view.thread_id)
            if event.kind == ANSWER and channel and shown.view.requested_by and self._fresh(event):
                turn = stored_turn(event.payload or {}, self.approvals.find)
                self._tell_asker(turn, channel, shown.view.requested_by)
            return
        if not self._fresh(event):
            return
        if event.kind == ANSWER:
            turn = stored_turn(event.payload or {}, self.approvals.find)
            self._post_reply(turn, place)
        elif event.kind == OUTCOME:
            self._post_line(shown, place)

    # ------------------------------------------------------------------ pieces
    def _fresh(self, event: FeedRow) -> bool:
        age = (utcnow() - as_utc(event.at)).total_seconds()
        if age > MAX_POST_AGE:
            log.info(
                "not posting %s of %s in Slack: %.0f h old",
                event.kind,
                event.approval_id,
                age / 3600,
            )
            return False
        return True

    def _update_card(self, shown: ShownApproval) -> None:
        if not shown.message_channel or not shown.message_ts:
            return  # the card was never posted (or its post failed): nothing to update
        message = self.outbox.approval_message(shown.view, shown.decided_at, shown.decided_via)
        try:
            self.outbox.update(shown.message_channel, shown.message_ts, message)
        except SlackApiError as exc:
            if slack_error(exc) not in GONE:
                raise
            log.warning(
                "approval card of %s cannot be updated: %s", shown.view.id, slack_error(exc)
            )

    def _post_line(self, shown: ShownApproval, place: tuple[str, str]) -> None:
        line = decision_line(shown.view, shown.decided_at, shown.decided_via)
        message = SlackMessage(text=truncate(line, 3000), blocks=[section(line)])
        self.outbox.post(place[0], message, place[1])

    def _tell_asker(self, turn: Any, channel: str, user: str) -> None:
        """A private `/ops` question's resumed answer, privately to its asker (once: an
        ephemeral message is not worth a retry that could repeat it)."""
        reply = reply_from_turn(turn)
        rendered = render_reply(reply)
        if not rendered.messages:
            return
        first = rendered.messages[0]
        end_with_feedback(first, reply, self.signer)  # only the first page is sent
        try:
            self.outbox.ephemeral_message(channel, user, first)
        except Exception as exc:
            why = slack_error(exc)
            log.warning("could not tell %s the outcome of their /ops question: %s", user, why)

    def _post_reply(self, turn: Any, place: tuple[str, str]) -> None:
        # approvals the conversation still waits for keep their card (the outbox posts cards
        # only for new ones, e.g. the next step the agent asks for)
        rendered = render_reply(reply_from_turn(turn), self.signer)
        self.outbox.deliver(rendered, place[0], place[1])
