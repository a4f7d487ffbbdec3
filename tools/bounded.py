"""Tables kept bounded in age and count: every `PRUNE_EVERY` writes, the rows older than the
retention and the oldest beyond the row cap are deleted, at most `PRUNE_BATCH` rows per
statement, so a prune never holds the table long. The LLM spans and scores
(tools/llmops) and the model predictions (tools/modelperf) are kept this way."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from core.clock import utcnow

log = logging.getLogger(__name__)

PRUNE_EVERY = 50  # writes between two prunes
PRUNE_BATCH = 5000  # rows one delete statement removes at most


def delete_oldest(engine: Engine, table: Any, when: Any, where: Any, limit: int) -> int:
    """Delete at most `limit` rows of `table` matching `where`, the oldest by `when`, in one
    statement; returns how many."""
    ids = select(table.id).where(where).order_by(when, table.id).limit(limit)
    with engine.begin() as conn:
        result = conn.execute(delete(table).where(table.id.in_(ids)))
    return int(result.rowcount or 0)


def prune_rows(engine: Engine, table: Any, when: Any, cutoff: datetime, max_rows: int) -> int:
    """Delete the rows of `table` older than `cutoff` (by `when`), then the oldest beyond
    `max_rows`, in batches of at most PRUNE_BATCH; returns how many were deleted."""
    removed = 0
    while True:  # each batch ends when fewer than a full batch were old
        batch = delete_oldest(engine, table, when, when < cutoff, PRUNE_BATCH)
        removed += batch
        if batch < PRUNE_BATCH:
            break
    with engine.connect() as conn:
        excess = int(conn.execute(select(func.count()).select_from(table)).scalar_one()) - max_rows
    while excess > 0:  # the oldest rows beyond the cap
        batch = delete_oldest(engine, table, when, true(), min(excess, PRUNE_BATCH))
        if batch == 0:
            break
        removed += batch
        excess -= batch
    return removed


class BoundedStore:
    """A store whose rows are pruned every PRUNE_EVERY writes (the first write of a process
    too): older than `retention`, and the oldest beyond `max_rows`."""

    table: Any
    what = "rows"

    def __init__(
        self, engine: Engine, retention: timedelta = timedelta(days=30), max_rows: int = 1_000_000
    ) -> None:
        self.engine = engine
        self.retention = retention
        self.max_rows = max_rows
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._lock = threading.Lock()
        self._writes = 0

    def when(self) -> Any:
        """The column rows age by."""
        raise NotImplementedError

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(self.table)).scalar_one())

    def prune(self, now: datetime | None = None) -> int:
        """Delete rows older than the retention, then the oldest beyond the row cap, in
        batches of at most PRUNE_BATCH; returns how many were deleted."""
        cutoff = (now or utcnow()) - self.retention
        return prune_rows(self.engine, self.table, self.when(), cutoff, self.max_rows)

    def _maybe_prune(self) -> None:
        with self._lock:
            self._writes += 1
            due = self._writes % PRUNE_EVERY == 1  # the first write of a process prunes too
        if due:
            try:
                removed = self.prune()
                log.debug("pruned %d old %s", removed, self.what)
            except Exception as exc:  # housekeeping: the rows are already stored
                log.warning("could not prune old %s: %s", self.what, exc)
