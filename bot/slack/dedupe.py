"""Durable "have we handled this Slack event?" checks: the keys, and the store's interface.

Slack redelivers an event when the ack was late or lost (same `event_id`), and one @mention
arrives twice, as `app_mention` and as `message.channels` (different `event_id`s, same
channel and `ts`). Slash commands and button clicks are never redelivered by Slack, so the
same signed request arriving twice is a replay (`request_key`). The front end claims each
key through an `EventDedupe` (`bot.storage.dedupe.EventDeduper`: an insert-or-ignore into
`processed_event`), so exactly one claim wins across threads, replicas and restarts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

MAX_KEY = 200


class EventDedupe(Protocol):
    def claim(self, key: str) -> bool:
        """True exactly once per key: the caller should handle the event."""
        ...

    def claim_all(self, keys: Iterable[str]) -> bool:
        """Claim every key in order; False (and stop) at the first one already taken."""
        ...

    def seen(self, key: str) -> bool: ...


def event_key(event_id: str) -> str:
    return f"event:{event_id}"[:MAX_KEY]


def message_key(channel: str, ts: str) -> str:
    return f"msg:{channel}:{ts}"[:MAX_KEY]


def request_key(signature: str) -> str:
    """A signed request (slash command, button click) by its v0 signature: an HMAC of its
    timestamp and body, so a replay of the same request has the same key and nothing else
    does."""
    return f"req:{signature}"[:MAX_KEY]
