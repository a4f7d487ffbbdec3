"""Keep predictions and their outcomes in opsbot's database (SQLite or PostgreSQL), bounded.

The rows of one batch are written in one transaction: all the valid rows or none. A
prediction whose id is already stored for the model is not stored twice (a sender's retry);
an outcome fills `actual` of a prediction that has none yet. Retention counts from arrival
(`received_at`), so an import of last year's predictions is not deleted on arrival: every
`PRUNE_EVERY` writes (tools/bounded.py), rows received longer ago than the retention and the oldest beyond the
row cap are deleted, at most `PRUNE_BATCH` per statement.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.clock import as_utc, utcnow
from tools.bounded import BoundedStore
from tools.modelperf.rows import Outcome, Prediction
from tools.modelperf.tables import PredictionRow

log = logging.getLogger(__name__)

LOOKUP_CHUNK = 500  # ids per IN (...) lookup


@dataclass(frozen=True)
class Stored:
    """A stored prediction and its outcome, if it arrived."""

    record_id: str
    version: int
    ts: datetime
    prediction: float
    score: float | None
    features: dict[str, Any]
    actual: float | None

    def same_prediction(self, p: Prediction, version: int) -> bool:
        return (self.version, self.ts, self.prediction, self.score) == (
            version,
            p.ts,
            p.prediction,
            p.score,
        )


def _stored(row: Any) -> Stored:
    return Stored(
        row.record_id,
        int(row.version),
        as_utc(row.ts),
        float(row.prediction),
        None if row.score is None else float(row.score),
        json.loads(row.features or "{}"),
        None if row.actual is None else float(row.actual),
    )


class PredictionStore(BoundedStore):
    """The stored predictions and outcomes of every model, aged by when they arrived."""

    table = PredictionRow
    what = "predictions"

    def __init__(
        self, engine: Engine, retention: timedelta = timedelta(days=90), max_rows: int = 2_000_000
    ) -> None:
        super().__init__(engine, retention, max_rows)

    def when(self) -> Any:
        return col(PredictionRow.received_at)

    def find(self, model: str, ids: Iterable[str]) -> dict[str, Stored]:
        """The stored predictions of `model` among `ids`, by id."""
        wanted = sorted(set(ids))
        found: dict[str, Stored] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                chunk = wanted[start : start + LOOKUP_CHUNK]
                stmt = select(PredictionRow).where(
                    col(PredictionRow.model) == model, col(PredictionRow.record_id).in_(chunk)
                )
                for row in conn.execute(stmt):
                    found[row.record_id] = _stored(row)
        return found

    def add_predictions(self, model: str, rows: list[tuple[Prediction, int]]) -> set[str]:
        """Store (prediction, version) pairs in one transaction; the ids that were new (an id
        stored meanwhile by another request is skipped)."""
        if not rows:
            return set()
        now = utcnow()
        values = [
            {
                "model": model,
                "record_id": p.record_id,
                "version": v,
                "ts": p.ts,
                "prediction": p.prediction,
                "score": p.score,
                "features": p.features_json(),
                "received_at": now,
            }
            for p, v in rows
        ]
        stmt = (
            self._insert(PredictionRow)
            .on_conflict_do_nothing(index_elements=["model", "record_id"])
            .returning(col(PredictionRow.record_id))
        )
        with self.engine.begin() as conn:
            added = {r[0] for r in conn.execute(stmt, values).all()}
        self._maybe_prune()
        return added

    def add_outcomes(self, model: str, outcomes: list[Outcome]) -> set[str]:
        """Set `actual` of predictions that have none yet, in one transaction; the ids set."""
        if not outcomes:
            return set()
        now = utcnow()
        done: set[str] = set()
        with self.engine.begin() as conn:
            for o in outcomes:
                stmt = (
                    update(PredictionRow)
                    .where(
                        col(PredictionRow.model) == model,
                        col(PredictionRow.record_id) == o.record_id,
                        col(PredictionRow.actual).is_(None),
                    )
                    .values(actual=o.actual, labelled_at=now)
                )
                if conn.execute(stmt).rowcount:
                    done.add(o.record_id)
        return done

    def rows(
        self,
        model: str,
        since: datetime | None = None,
        until: datetime | None = None,
        version: int | None = None,
    ) -> list[Stored]:
        """The predictions of `model` (of one version) in [since, until), oldest first."""
        stmt = select(PredictionRow).where(col(PredictionRow.model) == model)
        if version is not None:
            stmt = stmt.where(col(PredictionRow.version) == version)
        if since is not None:
            stmt = stmt.where(col(PredictionRow.ts) >= since)
        if until is not None:
            stmt = stmt.where(col(PredictionRow.ts) < until)
        stmt = stmt.order_by(col(PredictionRow.ts), col(PredictionRow.id))
        with self.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(stmt)]

    def models(self) -> list[str]:
        """The models that have stored predictions."""
        stmt = select(col(PredictionRow.model)).distinct().order_by(col(PredictionRow.model))
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(stmt)]

    def count(self, model: str | None = None) -> int:
        stmt = select(func.count()).select_from(PredictionRow)
        if model is not None:
            stmt = stmt.where(col(PredictionRow.model) == model)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
