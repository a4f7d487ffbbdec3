"""👍/👎 buttons on opsbot's answers, and their clicks: a `user_feedback` score (1 or 0) on the
answer's trace, by the clicker.

Each final answer ends with the two buttons (a thread's answer, an `/ops` private answer, the
answer posted or sent privately after an approval resumes a turn: `feedback_of`); their values carry the turn's trace id
(graphs/observe.py), signed like the approval buttons (`ButtonSigner`, kind `feedback`), so
a forged or edited value records nothing. One vote per person per answer: a second click
changes the vote (the score store replaces the same trace, name and author's score), it
never adds one. A click on an ephemeral message (an `/ops` answer) is handled alike: nothing
is updated in place (Slack's chat.update cannot touch an ephemeral message), the score is
recorded from the signed value alone. The clicker is told, ephemerally: thanks, the vote changed, or it was
already so. The scores feed `prompt_metrics` (mean feedback) and the regression monitor.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.slack.approvals import ButtonError, ButtonSigner
from bot.slack.decisions import Click
from bot.slack.outbox import Outbox

if TYPE_CHECKING:
    from bot.reply import Reply
    from bot.slack.render import SlackMessage
    from tools.llmops.scores import ScoreStore

log = logging.getLogger(__name__)

FEEDBACK = "feedback"  # the signing kind
UP, DOWN = "up", "down"
FEEDBACK_ACTIONS = {f"feedback_{UP}": UP, f"feedback_{DOWN}": DOWN}
VALUES = {UP: 1.0, DOWN: 0.0}
EMOJI = {UP: "👍", DOWN: "👎"}
FEEDBACK_TTL_SECONDS = 30 * 24 * 3600  # the spans' default retention: a later vote joins nothing


def feedback_block(
    trace_id: str, signer: ButtonSigner, now: Callable[[], float] = time.time
) -> dict[str, Any]:
    """The actions block of the two buttons for the answer of `trace_id`."""
    expires = int(now()) + FEEDBACK_TTL_SECONDS
    return {
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": EMOJI[vote], "emoji": True},
                "value": signer.sign(FEEDBACK, trace_id, vote, expires),
                "accessibility_label": "This answer helped"
                if vote == UP
                else "This answer did not help",
            }
            for action_id, vote in FEEDBACK_ACTIONS.items()
        ],
    }


def end_with_feedback(message: SlackMessage, reply: Reply, signer: ButtonSigner | None) -> None:
    """End `message` with the buttons when `reply` is a final answer (it carries a
    `Feedback`) and there is a signer: for a message built outside `render_reply` (a private
    answer shows only its first page, so the buttons end that page)."""
    from bot.reply import Feedback
    from bot.slack.render import MAX_BLOCKS

    found = next((b for b in reply.blocks if isinstance(b, Feedback)), None)
    if found is not None and signer is not None:
        buttons = feedback_block(found.trace_id, signer)
        message.blocks = [*message.blocks[: MAX_BLOCKS - 1], buttons]


class FeedbackClicks:
    def __init__(
        self, outbox: Outbox, signer: ButtonSigner, scores: Callable[[], ScoreStore] | None
    ) -> None:
        self.outbox = outbox
        self.signer = signer
        self.scores = scores  # None: feedback is not kept in this process

    def handle(self, click: Click) -> None:
        """Record one 👍/👎 click (already acked). Never raises."""
        try:
            said = self._handle(click)
        except Exception as exc:
            log.exception("feedback click failed")
            said = f"Sorry, I could not record your vote ({type(exc).__name__})."
        if said and click.user:
            self.outbox.ephemeral(click.channel, click.user, said, click.thread_ts or None)

    def _handle(self, click: Click) -> str | None:
        from tools.llmops.scores import FEEDBACK as NAME
        from tools.llmops.scores import Score

        vote = FEEDBACK_ACTIONS.get(click.action_id)
        if not click.user or vote is None:
            log.warning("refused a feedback click without a user or a known button")
            return None
        try:
            trace_id = self.signer.verify(FEEDBACK, click.value, vote).subject
        except ButtonError as exc:
            log.warning("refused a feedback click by %s: %s", click.user, exc)
            if exc.expired:
                return "This answer is too old to rate; nothing was recorded."
            return f"Refused: {exc}".replace("nothing was done", "nothing was recorded")
        if self.scores is None:
            return "Feedback is not kept here; nothing was recorded."
        score = Score(trace_id, NAME, VALUES[vote], author=click.user)
        recorded = self.scores().record(score, "slack")
        log.info("feedback %s by %s on trace %s", vote, click.user, trace_id)
        if recorded.previous is None:
            return f"Thanks for the {EMOJI[vote]}: it helps tell which answers work."
        if recorded.previous == score.value:
            return f"Your {EMOJI[vote]} was already recorded for this answer."
        return f"Changed your vote on this answer to {EMOJI[vote]}."
