"""Monitor samples in the database: the recent readings behind "sustained over N samples"
and the disk fill-rate forecast, kept across restarts and pruned as they age."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from bot.incidents.tables import MonitorSample
from core.clock import as_utc

_TABLE = MonitorSample.__table__  # type: ignore[attr-defined]


class SampleStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, at: datetime, values: dict[str, float]) -> None:
        if not values:
            return
        rows = [{"series": k, "at": at, "value": float(v)} for k, v in values.items()]
        with self.engine.begin() as conn:
            conn.execute(insert(_TABLE), rows)

    def recent(
        self, series: Iterable[str], since: datetime, limit: int = 1000
    ) -> dict[str, list[tuple[datetime, float]]]:
        """Samples newer than `since` for each series, newest first (at most `limit` each)."""
        names = list(series)
        out: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
        if not names:
            return out
        query = (
            select(_TABLE.c.series, _TABLE.c.at, _TABLE.c.value)
            .where(_TABLE.c.series.in_(names))
            .where(_TABLE.c.at >= since)
            .order_by(_TABLE.c.at.desc())
        )
        with self.engine.connect() as conn:
            for name, at, value in conn.execute(query):
                bucket = out[name]
                if len(bucket) < limit:
                    bucket.append((as_utc(at), float(value)))
        return out

    def sustained(
        self, limits: dict[str, float], now: datetime, count: int, interval: float
    ) -> dict[str, list[float]]:
        """The series (of `limits`: series -> limit) whose last `count` samples, taken
        `interval` seconds apart up to `now`, are all at or over their limit, with those
        readings newest first; in the order of `limits`."""
        recent = self.recent(limits, now - window_for(count, interval), limit=count)
        over: dict[str, list[float]] = {}
        for series, limit in limits.items():
            readings = [value for _, value in recent.get(series, [])]
            if len(readings) >= count and all(value >= limit for value in readings):
                over[series] = readings
        return over

    def prune(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(delete(_TABLE).where(_TABLE.c.at < before))
            return int(result.rowcount or 0)


def window_for(samples: int, interval: float) -> timedelta:
    """How far back consecutive samples may reach: a little over `samples` intervals, so a
    missed check breaks the run instead of stitching together readings from long ago."""
    return timedelta(seconds=(samples + 0.5) * interval * 1.5 + 2)
