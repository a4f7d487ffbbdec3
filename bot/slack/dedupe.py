"""Durable "have we handled this Slack event?" checks.

Slack redelivers an event when the ack was late or lost (same `event_id`), and one @mention
arrives twice, as `app_mention` and as `message.channels` (different `event_id`s, same
channel and `ts`). Slash commands and button clicks are never redelivered by Slack, so the
same signed request arriving twice is a replay (`request_key`). Each key is claimed with an
insert-or-ignore into `processed_event`, so exactly one claim wins across threads, replicas
and restarts (keys are kept a week, far longer than the 5-minute signature window).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.storage.tables import ProcessedEvent
from tools.clock import utcnow

log = logging.getLogger(__name__)

MAX_KEY = 200
KEEP_DAYS = 7  # Slack stops retrying after about 5 minutes; a week is plenty
PRUNE_EVERY = 500  # claims between two clean-ups of old keys


def event_key(event_id: str) -> str:
    return f"event:{event_id}"[:MAX_KEY]


def message_key(channel: str, ts: str) -> str:
    return f"msg:{channel}:{ts}"[:MAX_KEY]


def request_key(signature: str) -> str:
    """A signed request (slash command, button click) by its v0 signature: an HMAC of its
    timestamp and body, so a replay of the same request has the same key and nothing else
    does."""
    return f"req:{signature}"[:MAX_KEY]


class EventDeduper:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._claims = 0
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True exactly once per key: the caller should handle the event."""
        if not key:
            raise ValueError("a dedupe key must not be empty")
        stmt = (
            self._insert(ProcessedEvent)
            .values(key=key[:MAX_KEY], at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(ProcessedEvent.key))  # rowcount is -1 on psycopg; a returned row is not
        )
        with self._engine.begin() as conn:
            won = conn.execute(stmt).first() is not None
        self._maybe_prune()
        return won

    def claim_all(self, keys: Iterable[str]) -> bool:
        """Claim every key in order; False (and stop) at the first one already taken."""
        return all(self.claim(key) for key in keys)

    def seen(self, key: str) -> bool:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(ProcessedEvent.key).where(ProcessedEvent.key == key[:MAX_KEY])
            ).first()
        return found is not None

    def prune(self, keep: timedelta = timedelta(days=KEEP_DAYS)) -> int:
        """Forget keys older than `keep`; returns how many were removed."""
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(ProcessedEvent).where(col(ProcessedEvent.at) < utcnow() - keep)
            )
        return result.rowcount or 0

    def _maybe_prune(self) -> None:
        with self._lock:
            self._claims += 1
            due = self._claims % PRUNE_EVERY == 0
        if due:
            try:
                removed = self.prune()
                log.debug("pruned %d old Slack event keys", removed)
            except Exception as exc:  # pruning is housekeeping; the claim already succeeded
                log.warning("could not prune old Slack event keys: %s", exc)
