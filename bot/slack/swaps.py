"""Shift swaps in Slack: `/ops oncall swap <schedule> <start> <end> [reason]` posts a request
with a signed *Take* button in the channel; a click by another person of the rotation takes
it (`tools/oncall/swaps.py`: one compare-and-set with the override) and the message is
updated to say who took it, without its button. The button is signed (`ButtonSigner`, kind
`swap`) and expires when the swap's time is over; a forged value does nothing. Refusals (the
requester's own request, someone outside the rotation, already taken) are private.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.approvals import ButtonError, ButtonSigner
from bot.slack.decisions import Click
from bot.slack.mrkdwn import escape
from bot.slack.outbox import Outbox, slack_error
from bot.slack.private import send_private
from bot.slack.render import SlackMessage, context, section
from core.errors import UserError
from tools.oncall.swaps import TAKEN, Swap, SwapStore
from tools.oncall.tools import parse_instant

log = logging.getLogger(__name__)

SWAP = "swap"  # the signing kind
TAKE = "take"
SWAP_ACTION_ID = "oncall_swap_take"
USAGE = (
    "Usage: /ops oncall swap <schedule> <start> <end> [reason], times in ISO 8601 "
    "(UTC unless they carry an offset), e.g. "
    "/ops oncall swap sre 2026-12-01T14:00+01:00 2026-12-01T18:00+01:00 dentist"
)


def _when(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    a, b = start.astimezone(tz), end.astimezone(tz)
    until = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %d %b %H:%M}"
    return f"{a:%a %d %b %H:%M} to {until} {tz.key}"


def swap_message(swap: Swap, tz: ZoneInfo, value: str | None) -> SlackMessage:
    """The request (with its Take button while open) or what became of it."""
    when = _when(swap.start, swap.end, tz)
    why = f" ({escape(swap.reason)})" if swap.reason else ""
    if swap.status == TAKEN:
        text = (
            f"✅ <@{swap.taken_by}> took <@{swap.requester}>'s *{escape(swap.schedule)}* shift "
            f"{when}{why}"
        )
        return SlackMessage(
            text=text, blocks=[section(text), context(f"Override #{swap.override_id} is set.")]
        )
    text = f"🔁 <@{swap.requester}> asks someone to take *{escape(swap.schedule)}* {when}{why}"
    blocks: list[dict[str, Any]] = [section(text)]
    if value is not None:
        button = {
            "type": "button",
            "action_id": SWAP_ACTION_ID,
            "text": {"type": "plain_text", "text": "Take", "emoji": True},
            "style": "primary",
            "value": value,
        }
        blocks.append({"type": "actions", "block_id": f"swap_{swap.id}", "elements": [button]})
    return SlackMessage(text=text, blocks=blocks)


class SwapRequests:
    def __init__(self, store: SwapStore, outbox: Outbox, signer: ButtonSigner) -> None:
        self.store = store
        self.outbox = outbox
        self.signer = signer

    def _tz(self, swap: Swap) -> ZoneInfo:
        return ZoneInfo(self.store.oncall.info(swap.schedule).tz)

    def value(self, swap: Swap) -> str:
        return self.signer.sign(SWAP, str(swap.id), TAKE, int(swap.end.timestamp()))

    # ------------------------------------------------------------------ the request
    def ask(self, rest: str, body: dict[str, Any], respond: Callable[..., Any]) -> None:
        """`/ops oncall swap …` (already acked): post the request, or say why not."""
        channel, user = str(body.get("channel_id") or ""), str(body.get("user_id") or "")
        try:
            swap = self._request(rest, user)
        except UserError as exc:
            self._private(respond, channel, user, f"No swap requested: {exc.for_person()}")
            return
        message = swap_message(swap, self._tz(swap), self.value(swap))
        try:
            ts = self.outbox.post(channel, message)
        except Exception as exc:
            log.warning("could not post swap #%s in %s: %s", swap.id, channel, slack_error(exc))
            self._private(respond, channel, user,
                          f"Swap #{swap.id} is recorded but I could not post it here "
                          f"({slack_error(exc)}); invite me (/invite @opsbot) and ask again.")  # fmt: skip
            return
        self.store.attach(swap.id, channel, ts)

    def _request(self, rest: str, user: str) -> Swap:
        words = rest.split()
        if len(words) < 3:
            raise UserError(USAGE)
        schedule, start, end, *reason = words
        return self.store.request(
            schedule, requester=user, start=parse_instant(start), end=parse_instant(end),
            reason=" ".join(reason),
        )  # fmt: skip

    def _private(self, respond: Any, channel: str, user: str, text: str) -> None:
        send_private(respond, self.outbox, channel, user, SlackMessage(text, [section(text)]))

    # ------------------------------------------------------------------ the Take button
    def handle(self, click: Click) -> None:
        """One Take click (already acked). Never raises."""
        try:
            self._take(click)
        except Exception as exc:
            log.exception("swap click failed")
            self.outbox.ephemeral(
                click.channel, click.user, f"Sorry, that failed ({type(exc).__name__})."
            )

    def _take(self, click: Click) -> None:
        try:
            signed = self.signer.verify(SWAP, click.value, TAKE)
            swap = self.store.take(int(signed.subject), click.user)
        except ButtonError as exc:
            why = "this swap's time is over; nothing was changed" if exc.expired else str(exc)
            self.outbox.ephemeral(click.channel, click.user, f"Refused: {why}")
            return
        except UserError as exc:
            self.outbox.ephemeral(click.channel, click.user, f"Refused: {exc.for_person()}")
            return
        log.info("swap #%s of %s taken by %s", swap.id, swap.requester, swap.taken_by)
        channel, ts = swap.channel or click.channel, swap.ts or click.message_ts
        message = swap_message(swap, self._tz(swap), None)
        try:
            self.outbox.update(channel, ts, message)
        except Exception as exc:  # the override is set; say so privately at least
            log.warning("could not update swap #%s: %s", swap.id, slack_error(exc))
            self.outbox.ephemeral(click.channel, click.user, message.text)
