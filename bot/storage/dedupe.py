"""The `processed_event` table as a claim-once store: "have we handled this event?".

Each key is claimed with an insert-or-ignore into `processed_event`, so exactly one claim
wins across threads, replicas and restarts (keys are kept a week). The Slack front end
builds the keys (`bot.slack.dedupe`) and receives this store as its `EventDedupe`.
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
from core.clock import utcnow

log = logging.getLogger(__name__)

MAX_KEY = 200  # the column's length
KEEP_DAYS = 7  # Slack stops retrying after about 5 minutes; a week is plenty
PRUNE_EVERY = 500  # claims between two clean-ups of old keys


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
