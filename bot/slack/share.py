"""The "Share in channel" button on a private `/ops` answer, and its clicks.

A private answer is an ephemeral message: Slack keeps it on the asker's screen only and sends
no copy of it back with a click (a `block_actions` payload from an ephemeral message has no
`message`), and opsbot keeps no copy either. So the button's value carries what is shared:
the asker, the channel, the question and the answer, as compressed JSON, signed like the
approval buttons (`ButtonSigner`, kind `share`). A forged, edited or malformed value fails
the signature check before anything is decompressed, so nobody can make opsbot post text
of their choosing; only the signed asker may share (anyone else is refused, ephemerally), and
only in the signed channel. A Slack button value holds 2,000 characters: a long answer is
shortened to fit (the shared post says so). Double clicks post once: each value is claimed in
the durable dedupe table (`EventDedupe`) before it is posted, across replicas and restarts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.slack.approvals import ButtonError, ButtonSigner
from bot.slack.decisions import Click
from bot.slack.dedupe import EventDedupe
from bot.slack.mrkdwn import escape, mrkdwn, quote, split_text, truncate
from bot.slack.outbox import Outbox, slack_error
from bot.slack.render import MAX_BLOCKS, SlackMessage, context, section
from tools.redact import redact

log = logging.getLogger(__name__)

SHARE = "share"  # the signing kind (a share value never verifies as an approval's)
SHARE_ACTION_ID = "share_answer"
SHARE_TTL_SECONDS = 24 * 3600  # an ephemeral answer can sit on screen for a day
MAX_VALUE = 2000  # Slack's limit on a button value
MAX_QUESTION = 500  # characters of the question carried (slash command text is short)
MAX_DECOMPRESSED = 64_000  # a value of ours never inflates beyond this
SHORTENED = "\n… _(shortened: the full answer was too long for the Share button)_"
SHARED_TEXT = "Shared in channel"
EXPIRED_TEXT = (
    "this Share button has expired (it works for a day); nothing was posted. "
    "Ask again with `/ops share <question>`"
)


@dataclass(frozen=True)
class Shared:
    """What a Share button posts, and where: only `user` may post it, only in `channel`."""

    user: str
    channel: str
    question: str
    answer: str
    shortened: bool = False


def _encode(shared: Shared) -> str:
    data = {"u": shared.user, "c": shared.channel, "q": shared.question, "a": shared.answer}
    if shared.shortened:
        data["s"] = "1"
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def _decode(subject: str) -> Shared:
    """The Shared of a (verified) subject; ButtonError when it is not one."""
    try:
        packed = base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_DECOMPRESSED)
        if inflater.unconsumed_tail:
            raise ValueError("too large")
        data = json.loads(raw)
        fields = [data[key] for key in ("u", "c", "q", "a")]
    except (ValueError, KeyError, TypeError, binascii.Error, zlib.error) as exc:
        raise ButtonError(f"this Share button is malformed ({exc}); nothing was posted") from None
    if not all(isinstance(f, str) for f in fields) or not fields[0] or not fields[1]:
        raise ButtonError("this Share button is malformed; nothing was posted")
    user, channel, question, answer = fields
    return Shared(user, channel, question, answer, shortened=data.get("s") == "1")


def share_value(signer: ButtonSigner, shared: Shared, now: Callable[[], float] = time.time) -> str:
    """The signed button value for `shared` (redacted; shortened to fit Slack's limit)."""
    shared = Shared(
        shared.user,
        shared.channel,
        truncate(redact(shared.question), MAX_QUESTION),
        redact(shared.answer),
        shared.shortened,
    )
    expires = int(now()) + SHARE_TTL_SECONDS
    answer = shared.answer
    while True:
        value = signer.sign(SHARE, _encode(shared), SHARE, expires)
        if len(value) <= MAX_VALUE or not answer:
            return value
        # compressed text does not shrink in proportion: cut by the overshoot, and a bit more
        keep = max(0, int(len(answer) * MAX_VALUE / len(value) * 0.95) - len(SHORTENED))
        answer = answer[:keep]
        shared = Shared(shared.user, shared.channel, shared.question, answer, shortened=True)


def read_share(signer: ButtonSigner, value: str) -> Shared:
    """Check a Share value that came back from Slack; raise ButtonError when it is not ours."""
    return _decode(signer.verify(SHARE, value, SHARE).subject)


def share_button(value: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "share",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION_ID,
                "text": {"type": "plain_text", "text": "Share in channel", "emoji": True},
                "value": value,
            }
        ],
    }


def shared_message(shared: Shared) -> SlackMessage:
    """The one channel post: `<@asker> asked: …` and the answer."""
    question = escape(shared.question)
    blocks = [section(f"<@{shared.user}> asked via `/ops`:\n{quote(question)}")]
    answer = shared.answer + (SHORTENED if shared.shortened else "")
    blocks.extend(section(piece) for piece in split_text(mrkdwn(answer)) if piece.strip())
    blocks = blocks[: MAX_BLOCKS - 1]
    blocks.append(context("Answered privately by opsbot, shared by the asker."))
    return SlackMessage(
        text=truncate(f"<@{shared.user}> asked: {shared.question}", 3000), blocks=blocks
    )


def share_key(value: str) -> str:
    """The dedupe key of one Share value: one post per value, however often it is clicked."""
    return "share:" + hashlib.sha256(value.encode()).hexdigest()[:48]


class ShareClicks:
    def __init__(self, outbox: Outbox, signer: ButtonSigner, dedupe: EventDedupe) -> None:
        self.outbox = outbox
        self.signer = signer
        self.dedupe = dedupe

    def handle(self, click: Click, respond: Callable[..., Any] | None) -> None:
        """Process one Share click (already acked). Never raises."""
        try:
            self._handle(click, respond)
        except Exception as exc:
            log.exception("Share click failed")
            self.outbox.ephemeral(
                click.channel,
                click.user,
                f"Sorry, I could not share that ({type(exc).__name__}).",
            )

    def _handle(self, click: Click, respond: Callable[..., Any] | None) -> None:
        if not click.user:
            log.warning("refused a Share click without a user")
            return
        try:
            shared = read_share(self.signer, click.value)
        except ButtonError as exc:
            log.warning("refused a Share click by %s in %s: %s", click.user, click.channel, exc)
            why = EXPIRED_TEXT if exc.expired else str(exc)
            self.outbox.ephemeral(click.channel, click.user, f"Refused: {why}")
            return
        if click.user != shared.user:
            log.warning("refused a Share click by %s: the answer is %s's", click.user, shared.user)
            self.outbox.ephemeral(
                click.channel,
                click.user,
                "Refused: only the person who asked can share this answer; nothing was posted.",
            )
            return
        if click.channel and click.channel != shared.channel:
            log.warning(
                "refused a Share click in %s for an answer given in %s",
                click.channel,
                shared.channel,
            )
            self.outbox.ephemeral(
                click.channel, click.user, "Refused: this answer belongs to another channel."
            )
            return
        if not self.dedupe.claim(share_key(click.value)):
            log.info("Share by %s already done (double click): not posting again", click.user)
            return
        try:
            ts = self.outbox.post(shared.channel, shared_message(shared))
        except Exception as exc:
            log.warning("could not share an answer in %s: %s", shared.channel, slack_error(exc))
            self.outbox.ephemeral(
                shared.channel,
                shared.user,
                f"Sorry, I could not post in this channel ({slack_error(exc)}). "
                "Invite me (/invite @opsbot) and ask again with `/ops share <question>`.",
            )
            return
        log.info("shared an /ops answer of %s in %s (%s)", shared.user, shared.channel, ts)
        self._replace(respond, shared)

    def _replace(self, respond: Callable[..., Any] | None, shared: Shared) -> None:
        """Replace the private answer with a short note (only response_url can do that)."""
        if respond is None:
            return
        note = f"✅ {SHARED_TEXT}: your question and its answer are now in <#{shared.channel}>."
        try:
            answer = respond(text=SHARED_TEXT, blocks=[context(note)], replace_original=True)
            status = getattr(answer, "status_code", 200)
            if status != 200:
                log.info("could not replace the private answer: HTTP %s", status)
        except Exception as exc:  # it was shared; the old message just keeps its button
            log.info("could not replace the private answer: %s", exc)
