"""Decisions typed in a Slack thread or direct message ("approve it", "yes, go ahead",
"reject 2, wrong version"): which approval is resolved by `bot.approvals.typed` from the
person's own message only, and the decision is taken by the click handler
(`ApprovalClicks.decide`), so it has a button's checks (on-call, two-person rule), its
exactly-once, its card update and its outcome in the thread. The answer replaces the
"working" placeholder: what the decision did, the refusal (the button's words), or, with
several approvals pending in the conversation, the list and the question which one.
"""

from __future__ import annotations

from bot.approvals.typed import Ask, TypedDecisions, said
from bot.reply import Reply, Section
from bot.slack.conversation import Incoming
from bot.slack.decisions import ApprovalClicks, Where
from bot.slack.outbox import Outbox
from bot.slack.render import render_reply


class TypedInSlack:
    def __init__(self, typed: TypedDecisions, clicks: ApprovalClicks, outbox: Outbox) -> None:
        self.typed = typed
        self.clicks = clicks
        self.outbox = outbox

    def handle(self, incoming: Incoming, placeholder_ts: str | None) -> bool:
        """Answer `incoming` when it is a decision; False when the agent should answer it."""
        # a direct message's every message starts a thread: its conversation is the channel
        direct = incoming.channel.startswith("D") and incoming.thread_ts == incoming.ts
        channel = incoming.channel if direct else None
        resolved = self.typed.resolve(incoming.text, incoming.thread_id, channel)
        if resolved is None:
            return False
        if isinstance(resolved, Ask):
            text = resolved.text
        else:
            view, words = resolved.approval, resolved.words
            shown = self.typed.approvals.shown(view.id)  # the card, to update in place
            where = (
                Where(shown.message_channel or "", shown.message_ts or "") if shown else Where("")
            )
            done = self.clicks.decide(
                view, user=incoming.user, approve=words.approve, where=where, reason=words.reason
            )
            text = done.said or (said(done.decision) if done.decision else "")
        rendered = render_reply(Reply([Section(text)], fallback=text[:3000]))
        self.outbox.deliver(rendered, incoming.channel, incoming.thread_ts, placeholder_ts)
        return True
