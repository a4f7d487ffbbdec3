"""Heartbeat alerts: Alertmanager's Watchdog fires all the time so that its silence means
the alerting pipeline is broken. It never becomes an incident; its arrival is recorded here,
and `bot.monitors.heartbeat` raises one when it stops arriving."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.incidents.alertmanager import AmPayload
from bot.incidents.tables import Heartbeat
from core.clock import as_utc

_TABLE = Heartbeat.__table__  # type: ignore[attr-defined]


def split_heartbeats(
    payload: AmPayload, names: Iterable[str]
) -> tuple[AmPayload | None, list[str]]:
    """The payload without its heartbeat alerts (None when nothing else is left), and the
    names of the heartbeats that are firing in it."""
    wanted = set(names)
    beats = sorted(
        {a.labels["alertname"] for a in payload.alerts if a.labels["alertname"] in wanted
         and a.status == "firing"}
    )  # fmt: skip
    rest = [a for a in payload.alerts if a.labels["alertname"] not in wanted]
    if len(rest) == len(payload.alerts):
        return payload, beats
    if not rest:
        return None, beats
    return payload.model_copy(update={"alerts": rest}), beats


class HeartbeatStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def beat(self, name: str, at: datetime, receiver: str = "") -> None:
        """Record an arrival (the latest wins; an older one, delivered late, changes nothing)."""
        values = {"last_seen": at, "receiver": receiver[:500]}
        for _attempt in range(3):
            with self.engine.begin() as conn:
                moved = conn.execute(
                    update(_TABLE)
                    .where(_TABLE.c.name == name)
                    .where(_TABLE.c.last_seen < at)
                    .values(**values)
                )
                if moved.rowcount:
                    return
                if conn.execute(select(_TABLE.c.name).where(_TABLE.c.name == name)).first():
                    return  # a newer arrival is recorded already
            try:
                with self.engine.begin() as conn:
                    conn.execute(_TABLE.insert().values(name=name, **values))
                return
            except IntegrityError:
                continue  # another request inserted it first: update theirs

    def last_seen(self, names: Iterable[str]) -> dict[str, datetime]:
        wanted = list(names)
        if not wanted:
            return {}
        query = select(_TABLE.c.name, _TABLE.c.last_seen).where(_TABLE.c.name.in_(wanted))
        with self.engine.connect() as conn:
            return {name: as_utc(at) for name, at in conn.execute(query)}
