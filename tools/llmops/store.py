"""Keep LLM calls in opsbot's database (SQLite or PostgreSQL), bounded in age and count.

One request's calls are written in one transaction: all or nothing. A call already stored
(the same trace and span id, an exporter's retry) is not stored twice. Retention: every
`PRUNE_EVERY` writes, calls older than the retention and the oldest beyond the row cap are
deleted, at most `PRUNE_BATCH` rows per statement, so a prune never holds the table long.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.clock import utcnow
from tools.llmops.spans import LlmCall
from tools.llmops.tables import LlmSpanRow

log = logging.getLogger(__name__)

PRUNE_EVERY = 50  # writes between two prunes
PRUNE_BATCH = 5000  # rows one delete statement removes at most


class SpanStore:
    """The stored LLM calls."""

    def __init__(
        self, engine: Engine, retention: timedelta = timedelta(days=30), max_rows: int = 1_000_000
    ) -> None:
        self.engine = engine
        self.retention = retention
        self.max_rows = max_rows
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._lock = threading.Lock()
        self._writes = 0

    def add(self, calls: list[LlmCall]) -> int:
        """Store `calls` in one transaction; returns how many were new."""
        if not calls:
            return 0
        now = utcnow()
        rows: list[dict[str, Any]] = [asdict(c) | {"received_at": now} for c in calls]
        stmt = (
            self._insert(LlmSpanRow)
            .on_conflict_do_nothing(index_elements=["trace_id", "span_id"])
            .returning(col(LlmSpanRow.id))  # rowcount is -1 on psycopg; returned rows are not
        )
        with self.engine.begin() as conn:  # one transaction; SQLAlchemy batches the rows
            added = len(conn.execute(stmt, rows).all())
        self._maybe_prune()
        return added

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(LlmSpanRow)).scalar_one())

    def prune(self, now: datetime | None = None) -> int:
        """Delete calls older than the retention, then the oldest beyond the row cap, in
        batches of at most PRUNE_BATCH; returns how many were deleted."""
        cutoff = (now or utcnow()) - self.retention
        removed = 0
        while True:  # each batch ends when fewer than a full batch were old
            batch = self._delete_batch(col(LlmSpanRow.start) < cutoff)
            removed += batch
            if batch < PRUNE_BATCH:
                break
        excess = self.count() - self.max_rows
        while excess > 0:  # the oldest calls beyond the cap
            batch = self._delete_batch(true(), min(excess, PRUNE_BATCH))
            if batch == 0:
                break
            removed += batch
            excess -= batch
        return removed

    def _delete_batch(self, where: Any, limit: int = PRUNE_BATCH) -> int:
        ids = select(col(LlmSpanRow.id)).where(where).order_by(col(LlmSpanRow.start)).limit(limit)
        with self.engine.begin() as conn:
            result = conn.execute(delete(LlmSpanRow).where(col(LlmSpanRow.id).in_(ids)))
        return int(result.rowcount or 0)

    def _maybe_prune(self) -> None:
        with self._lock:
            self._writes += 1
            due = self._writes % PRUNE_EVERY == 1  # the first write of a process prunes too
        if due:
            try:
                removed = self.prune()
                log.debug("pruned %d old LLM spans", removed)
            except Exception as exc:  # housekeeping: the spans are already stored
                log.warning("could not prune old LLM spans: %s", exc)
