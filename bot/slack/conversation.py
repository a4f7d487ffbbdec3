"""Chat turns from Slack: which messages the bot answers, and answering them in the thread.

The ack path (Bolt's listener, already acknowledged) only decides whether a message is for
the bot, claims it in the dedupe table, posts the "working" placeholder and queues the agent
turn on the worker pool; it never waits for the agent. The worker runs the turn (one at a
time per thread, so a thread's checkpoint is never written by two turns at once) and
replaces the placeholder with the answer.

Which messages: @mentions in channels, every DM, and replies in a thread the bot is already
talking in (no mention needed). Never other bots' messages or its own, nor edits/deletions.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.metrics import counted_turn
from bot.reply import reply_from_turn
from bot.slack.dedupe import EventDedupe, event_key, message_key
from bot.slack.mrkdwn import unescape
from bot.slack.outbox import Outbox
from bot.slack.render import render_reply
from core.access import Caller
from graphs.port import AgentPort

log = logging.getLogger(__name__)

HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast"}


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is in this workspace, from auth.test."""

    user_id: str
    bot_id: str | None
    team_id: str


def thread_id_for(team: str, channel: str, thread_ts: str) -> str:
    """The LangGraph thread of a Slack thread: the thread is the conversation."""
    return f"slack:{team}:{channel}:{thread_ts}"


class KeyedLocks:
    """One lock per key (a conversation), created on demand and dropped when unused."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


@dataclass(frozen=True)
class Incoming:
    """A message the bot will answer."""

    team: str
    channel: str
    ts: str
    thread_ts: str
    user: str
    text: str

    @property
    def thread_id(self) -> str:
        return thread_id_for(self.team, self.channel, self.thread_ts)


class Conversations:
    def __init__(
        self,
        agent: Callable[[], AgentPort],
        outbox: Outbox,
        deduper: EventDedupe,
        identity: BotIdentity,
        pool: Executor,
        locks: KeyedLocks,
        typed: Callable[[Incoming, str | None], bool] | None = None,
    ) -> None:
        self._agent = agent  # built on first use
        # a decision typed in words is answered there, before the agent sees the message
        # (`bot/slack/typed.py`); True when it was one
        self._typed = typed
        self.outbox = outbox
        self.deduper = deduper
        self.identity = identity
        self.pool = pool
        self.locks = locks
        self._mention = re.compile(rf"<@{re.escape(identity.user_id)}(?:\|[^>]*)?>")

    # ------------------------------------------------------------------ intake
    def strip_mention(self, text: str) -> str:
        return unescape(self._mention.sub(" ", text or "")).strip()

    def from_bot(self, event: dict[str, Any]) -> bool:
        return bool(
            event.get("bot_id")
            or event.get("subtype") == "bot_message"
            or event.get("user") == self.identity.user_id
            or (self.identity.bot_id and event.get("bot_id") == self.identity.bot_id)
        )

    def known_thread(self, thread_id: str) -> bool:
        """True when the bot has already talked in this thread (its checkpoint exists)."""
        return self._agent().has_thread(thread_id)

    def on_event(self, body: dict[str, Any], event: dict[str, Any], source: str) -> None:
        """Handle an `app_mention` or `message` event (already acked). Never raises."""
        try:
            incoming = self._accept(body, event, source)
        except Exception:
            log.exception("could not process a Slack %s event", source)
            return
        if incoming is not None:
            self.start(incoming)

    def _accept(self, body: dict[str, Any], event: dict[str, Any], source: str) -> Incoming | None:
        if event.get("subtype") not in HANDLED_SUBTYPES or self.from_bot(event):
            return None
        user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
        if not user or not channel or not ts:
            log.info("ignoring a %s event without user/channel/ts", source)
            return None
        text = event.get("text") or ""
        team = str(body.get("team_id") or event.get("team") or self.identity.team_id)
        thread_ts = str(event.get("thread_ts") or ts)
        direct = event.get("channel_type") == "im" or str(channel).startswith("D")
        mentioned = source == "app_mention" or self._mention.search(text) is not None
        incoming = Incoming(
            team, str(channel), str(ts), thread_ts, str(user), self.strip_mention(text)
        )
        if not (direct or mentioned):
            in_thread = event.get("thread_ts") and event.get("thread_ts") != ts
            if not in_thread or not self.known_thread(incoming.thread_id):
                return None
        keys = [message_key(incoming.channel, incoming.ts)]
        if body.get("event_id"):
            keys.insert(0, event_key(str(body["event_id"])))
        if not self.deduper.claim_all(keys):
            log.info("already handled %s in %s (retry or mention twin)", ts, channel)
            return None
        return incoming

    # ------------------------------------------------------------------ turns
    def start(self, incoming: Incoming, placeholder: bool = True) -> None:
        """Show the working signal and queue the agent turn."""
        placeholder_ts = (
            self.outbox.placeholder(incoming.channel, incoming.thread_ts) if placeholder else None
        )
        self.pool.submit(self.run_turn, incoming, placeholder_ts)

    def run_turn(self, incoming: Incoming, placeholder_ts: str | None) -> None:
        """Run one agent turn (counted: bot/metrics.py) and post the answer in the thread.
        Never raises."""
        try:
            if self._typed is not None and self._typed(incoming, placeholder_ts):
                return
            caller = Caller(
                user=incoming.user, via="slack", channel=incoming.channel, thread=incoming.thread_id
            )
            text = incoming.text or "help"
            with self.locks.hold(incoming.thread_id):
                turn = counted_turn(
                    self._agent(), text, thread_id=incoming.thread_id, caller=caller
                )
            rendered = render_reply(reply_from_turn(turn), self.outbox.signer)
            self.outbox.deliver(rendered, incoming.channel, incoming.thread_ts, placeholder_ts)
        except Exception as exc:
            log.exception("agent turn for %s failed", incoming.thread_id)
            self.outbox.apology(
                incoming.channel, incoming.thread_ts, placeholder_ts, type(exc).__name__
            )
