"""Private answers to `/ops`: only the asker sees the question and the answer.

The answer is an ephemeral message sent through the command's `response_url` (Bolt's
`respond`, `response_type: ephemeral`), not `chat.postEphemeral`: the answer arrives after the
agent's turn, long after the 3-second ack, and a `response_url` accepts it for 30 minutes
(5 uses) in any conversation the command was typed in, including DMs and private channels
the bot is not a member of, where `chat.postEphemeral` is refused. It is also the only handle
on an ephemeral message: the Share button's own `response_url` replaces it later. When the
`response_url` is refused (expired, used up, unreachable), the answer goes through
`chat.postEphemeral` instead.

An approval the turn asks for cannot stay private: an on-call engineer must see it to decide.
Its card (with its buttons) is posted in the channel on its own, without the question, and
the feed updates it in place as usual; the private answer says so. Where the bot cannot post,
the card stays in the private answer without buttons, saying how to decide
(`opsbot approve`), as before. A final answer ends with the 👍/👎 buttons
(bot/slack/feedback.py), after the Share button.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.metrics import counted_turn
from bot.reply import reply_from_turn
from bot.slack.approvals import ButtonSigner
from bot.slack.cards import approval_blocks
from bot.slack.feedback import end_with_feedback
from bot.slack.mrkdwn import escape, quote
from bot.slack.outbox import Outbox, slack_error
from bot.slack.render import MAX_BLOCKS, Rendered, SlackMessage, context, render_reply, section
from bot.slack.share import Shared, share_button, share_value
from core.access import Caller
from graphs.port import AgentPort

log = logging.getLogger(__name__)

INVITE_HINT = "Invite me to this channel (/invite @opsbot) to get answers in a thread."
FULL_ANSWER_HINT = (
    "The full answer (every page, attached files) is given in the channel: ask with "
    "`/ops share <question>`."
)
CARDS_POSTED = (
    "⏳ An on-call engineer must approve: the approval card is posted in this channel "
    "(without your question), and shows the decision and the outcome."
)


def send_private(
    respond: Callable[..., Any], outbox: Outbox, channel: str, user: str, message: SlackMessage
) -> None:
    """An ephemeral message for `user`: through `response_url`, else `chat.postEphemeral`.
    Raises when neither delivered it."""
    try:
        answer = respond(text=message.text, blocks=message.blocks, response_type="ephemeral")
        status = getattr(answer, "status_code", 200)
        if status == 200:
            return
        why = f"HTTP {status} {getattr(answer, 'body', '')}".strip()
    except Exception as exc:  # unreachable, or no response_url at all
        why = f"{type(exc).__name__}: {exc}"
    log.info("response_url refused a private answer (%s): using chat.postEphemeral", why)
    outbox.ephemeral_message(channel, user, message)


class PrivateAnswers:
    def __init__(
        self, agent: Callable[[], AgentPort], outbox: Outbox, signer: ButtonSigner
    ) -> None:
        self._agent = agent  # built on first use
        self.outbox = outbox
        self.signer = signer

    def answer(
        self,
        text: str,
        body: dict[str, Any],
        respond: Callable[..., Any],
        can_post: bool = True,
    ) -> None:
        """Run the agent turn for `text` and answer `body`'s asker privately. `can_post`
        False: the bot already failed to post in this channel (no cards, no Share there)."""
        team = str(body.get("team_id") or "")
        channel = str(body.get("channel_id") or "")
        user = str(body.get("user_id") or "")
        thread_id = f"slack:{team}:{channel}:cmd-{body.get('trigger_id', 'x')}"
        caller = Caller(user=user, via="slack", channel=channel, thread=thread_id)
        turn = counted_turn(self._agent(), text, thread_id=thread_id, caller=caller)
        reply = reply_from_turn(turn)
        rendered = render_reply(reply)
        public_cards = can_post and bool(rendered.approvals) and self._post_cards(rendered, channel)
        can_post = can_post and (public_cards or not rendered.approvals)
        message = self.message(text, rendered, public_cards, user, channel, turn.answer, can_post)
        end_with_feedback(message, reply, self.signer)
        send_private(respond, self.outbox, channel, user, message)

    def _post_cards(self, rendered: Rendered, channel: str) -> bool:
        """Post the approval cards in the channel (top level); False when the bot cannot."""
        try:
            self.outbox.deliver(Rendered([], approvals=rendered.approvals), channel, None)
            return True
        except Exception as exc:
            why = slack_error(exc)
            log.info("cannot post approval cards in %s (%s): keeping them private", channel, why)
            return False

    def message(
        self,
        text: str,
        rendered: Rendered,
        public_cards: bool,
        user: str,
        channel: str,
        answer: str,
        can_post: bool,
    ) -> SlackMessage:
        """The private answer: the question, the first page of the answer, the approvals
        (where they are, or the cards themselves), and the Share button."""
        head = [section(f"You asked via `/ops` (only you can see this):\n{quote(escape(text))}")]
        first = rendered.messages[0] if rendered.messages else SlackMessage("(no answer)")
        tail: list[dict[str, Any]] = []
        if len(rendered.messages) > 1 or rendered.uploads:
            tail.append(context(FULL_ANSWER_HINT))
        if public_cards:
            tail.append(context(CARDS_POSTED))
        else:
            tail.extend(b for view in rendered.approvals for b in approval_blocks(view, None))
        if can_post and answer.strip():
            value = share_value(self.signer, Shared(user, channel, text, answer))
            tail.append(share_button(value))
        elif not can_post:
            tail.append(context(INVITE_HINT))
        room = max(0, MAX_BLOCKS - len(head) - len(tail))
        return SlackMessage(text=first.text, blocks=head + first.blocks[:room] + tail[:MAX_BLOCKS])
