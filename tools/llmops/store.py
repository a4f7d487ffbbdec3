"""Keep LLM calls in opsbot's database (SQLite or PostgreSQL), bounded in age and count.

One request's calls are written in one transaction: all or nothing. A call already stored
(the same trace and span id, an exporter's retry) is not stored twice. Retention: every
`PRUNE_EVERY` writes, calls older than the retention and the oldest beyond the row cap are
deleted, at most `PRUNE_BATCH` rows per statement, so a prune never holds the table long.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from sqlmodel import col

from core.clock import utcnow
from tools.bounded import BoundedStore
from tools.llmops.spans import LlmCall
from tools.llmops.tables import LlmSpanRow

log = logging.getLogger(__name__)


class SpanStore(BoundedStore):
    """The stored LLM calls."""

    table = LlmSpanRow
    what = "LLM spans"

    def when(self) -> Any:
        return col(LlmSpanRow.start)

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
