"""Each watched series' detector, kept in the database between checks and restarts."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from tools.anomaly.detector import DetectorConfig, StreamingDetector
from tools.anomaly.tables import AnomalyStateRow

log = logging.getLogger(__name__)


@dataclass
class SeriesState:
    series: str
    detector: StreamingDetector
    last_at: datetime | None = None
    anomalous_since: datetime | None = None
    band: tuple[float, float] | None = None  # the expected range when it alerted


class DetectorStates:
    def __init__(self, engine: Engine, config: DetectorConfig) -> None:
        self._engine = engine
        self.config = config

    def load(self, series: str) -> SeriesState:
        """The stored detector of `series`, or a new one. A state that cannot be read (a
        format from another version) is logged and replaced by a new detector, which learns
        again: the alternative, no detection at all, is worse."""
        with Session(self._engine) as session:
            row = session.get(AnomalyStateRow, series)
        if row is None:
            return SeriesState(series, StreamingDetector(self.config))
        try:
            detector = StreamingDetector.from_state(json.loads(row.state))
        except Exception as exc:
            log.error("anomaly state of %s unreadable (%s); it learns again", series, exc)
            detector = StreamingDetector(self.config)
        last = as_utc(row.last_at) if row.last_at else None
        since = as_utc(row.anomalous_since) if row.anomalous_since else None
        band = None
        if row.band_low is not None and row.band_high is not None:
            band = (row.band_low, row.band_high)
        return SeriesState(series, detector, last, since, band)

    def save(self, state: SeriesState) -> None:
        with Session(self._engine) as session:
            row = session.get(AnomalyStateRow, state.series) or AnomalyStateRow(
                series=state.series, state=""
            )
            row.state = json.dumps(state.detector.to_state())
            row.last_at = state.last_at
            row.anomalous_since = state.anomalous_since
            row.band_low, row.band_high = state.band if state.band else (None, None)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()

    def all(self) -> list[SeriesState]:
        with Session(self._engine) as session:
            names = list(session.exec(select(col(AnomalyStateRow.series))))
        return [self.load(name) for name in sorted(names)]
