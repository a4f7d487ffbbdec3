"""Sending rendered replies to Slack: in the thread, replacing the "working" placeholder,
approval cards as their own messages (remembered for in-place updates), files attached.

Every post carries `thread_ts`: Bolt's `say()` does not thread by itself. A failure to
deliver the main answer raises (the caller apologises in the thread); secondary parts
(extra pages, files) are logged and noted in the thread, so one bad attachment never loses
the answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.approvals import ButtonSigner
from bot.slack.cards import approval_blocks, approval_fallback
from bot.slack.errors import slack_error
from bot.slack.mrkdwn import escape, truncate
from bot.slack.render import Rendered, SlackMessage, Upload, section
from bot.slack.uploads import attach, failure_note
from core.approvals import ApprovalView

log = logging.getLogger(__name__)

WORKING_TEXT = "⏳ Working on it…"


class ChannelPacer:
    """Keeps posts to one channel at least `interval` seconds apart (Slack allows about one
    message per second per channel). Threads reserve the next free slot and sleep until it."""

    def __init__(
        self,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> float:
        """Block until `channel` may be posted to; returns how long it waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel, 0.0))
            self._next[channel] = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)

    def sent(self, channel: str) -> None:
        """A post to `channel` has returned: the next one starts at least `interval` later.
        Slots alone space the starts of posts; a slow request (a new connection, a busy
        network) would otherwise arrive just before the next one, inside Slack's limit."""
        with self._lock:
            done = self._clock() + self.interval
            self._next[channel] = max(self._next.get(channel, 0.0), done)

    @contextmanager
    def slot(self, channel: str) -> Iterator[float]:
        """`with pacer.slot(channel): post(...)`: wait for the slot, then mark it sent."""
        waited = self.wait(channel)
        try:
            yield waited
        finally:
            self.sent(channel)


class Outbox:
    def __init__(
        self,
        client: Any,
        signer: ButtonSigner,
        attach_message: Callable[[str, str, str], None] | None = None,
        has_card: Callable[[str], bool] | None = None,
    ) -> None:
        self.client = client
        self.signer = signer
        self._attach = attach_message
        # True when an approval already has its card: a reply that lists it again (a thread
        # still waiting for it, an answer posted after a decision) must not post a second
        # card, which would take over the in-place updates and leave the first one stale
        self._has_card = has_card or (lambda _approval_id: False)

    # ------------------------------------------------------------------ basic sends
    def post(self, channel: str, message: SlackMessage, thread_ts: str | None = None) -> str:
        response = self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **message.kwargs(),
        )
        return str(response["ts"])

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self.client.chat_update(channel=channel, ts=ts, **message.kwargs())

    def placeholder(self, channel: str, thread_ts: str) -> str | None:
        """Post the visible "working" signal at once; None when Slack refused it."""
        try:
            return self.post(
                channel,
                SlackMessage(text=WORKING_TEXT, blocks=[section(f"_{WORKING_TEXT}_")]),
                thread_ts,
            )
        except Exception as exc:  # the answer can still be posted without a placeholder
            log.warning(
                "could not post the working placeholder in %s: %s", channel, slack_error(exc)
            )
            return None

    def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        """A message only `user` sees; failures are logged (there is nobody else to tell)."""
        try:
            self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=text,
                blocks=[section(escape(text))],
                thread_ts=thread_ts,
            )
        except Exception as exc:
            log.warning("could not send an ephemeral note to %s: %s", user, slack_error(exc))

    def ephemeral_message(
        self, channel: str, user: str, message: SlackMessage, thread_ts: str | None = None
    ) -> None:
        """A whole message only `user` sees (blocks, buttons); raises when Slack refused it."""
        self.client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, **message.kwargs()
        )

    def apology(
        self, channel: str, thread_ts: str | None, replace_ts: str | None, detail: str
    ) -> None:
        text = (
            "Sorry, something went wrong while I was answering, so I stopped. Nothing was "
            f"changed. ({detail}) Please try again in a minute."
        )
        message = SlackMessage(text=text, blocks=[section("⚠️ " + escape(truncate(text, 2900)))])
        try:
            if replace_ts:
                self.update(channel, replace_ts, message)
            else:
                self.post(channel, message, thread_ts)
        except Exception as exc:
            log.error("could not even post an apology in %s: %s", channel, slack_error(exc))

    # ------------------------------------------------------------------ replies
    def deliver(
        self,
        rendered: Rendered,
        channel: str,
        thread_ts: str | None,
        replace_ts: str | None = None,
    ) -> list[str]:
        """Post a rendered reply; returns the ts of every message it wrote."""
        written: list[str] = []
        messages = list(rendered.messages)
        if not messages and replace_ts and rendered.approvals:
            messages = [
                SlackMessage(
                    text="Approval needed",
                    blocks=[
                        section("An on-call engineer must approve or reject the action below.")
                    ],
                )
            ]
        for index, message in enumerate(messages):
            if index == 0 and replace_ts:
                try:
                    self.update(channel, replace_ts, message)
                    written.append(replace_ts)
                    continue
                except SlackApiError as exc:  # e.g. the placeholder was deleted: post instead
                    log.info("could not replace the placeholder: %s", slack_error(exc))
            try:
                written.append(self.post(channel, message, thread_ts))
            except Exception:
                if index == 0:
                    raise  # the answer itself did not arrive: the caller apologises
                log.exception("could not post part %d of an answer in %s", index + 1, channel)
        if replace_ts and replace_ts not in written and not messages:
            self._delete_quietly(channel, replace_ts)
        for view in rendered.approvals:
            if not self._has_card(view.id):
                written.append(self.post_approval(view, channel, thread_ts))
        for upload in rendered.uploads:
            self.upload(upload, channel, thread_ts)
        return written

    def upload(self, upload: Upload, channel: str, thread_ts: str | None) -> None:
        error = attach(self.client, upload, channel, thread_ts)
        if error is None:
            return
        try:
            self.post(channel, failure_note(upload.filename, error), thread_ts)
        except Exception:
            log.exception("could not post the attachment failure note")

    def _delete_quietly(self, channel: str, ts: str) -> None:
        try:
            self.client.chat_delete(channel=channel, ts=ts)
        except Exception as exc:
            log.info("could not delete message %s: %s", ts, slack_error(exc))

    # ------------------------------------------------------------------ approvals
    def approval_message(
        self, view: ApprovalView, decided_at: datetime | None = None, via: str | None = None
    ) -> SlackMessage:
        return SlackMessage(
            text=truncate(approval_fallback(view), 3000),
            blocks=approval_blocks(view, self.signer, decided_at, via),
        )

    def post_approval(self, view: ApprovalView, channel: str, thread_ts: str | None) -> str:
        ts = self.post(channel, self.approval_message(view), thread_ts)
        if self._attach is not None:
            self._attach(view.id, channel, ts)
        return ts

    def update_approval(
        self,
        view: ApprovalView,
        channel: str,
        ts: str,
        decided_at: datetime | None = None,
        via: str | None = None,
    ) -> None:
        try:
            self.update(channel, ts, self.approval_message(view, decided_at, via))
        except Exception as exc:
            log.warning("could not update the approval card %s: %s", view.id, slack_error(exc))
