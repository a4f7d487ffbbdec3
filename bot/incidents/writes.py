"""The incident engine's write primitives: one transaction per change, timeline events,
and the side effects emitted after the commit.

`IncidentWriter` is what every change to incidents goes through (the engine's lifecycle,
the people's actions, the approval announcements): a change opens `tx()` or `change(id)`,
adds `event(...)`s, marks the message for re-rendering with `touch(...)`, and the collected
`Effects` reach the listener only after the commit, so a rolled-back change never reaches
Slack.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.incidents.spec import EngineListener, IncidentError, TimelineEvent
from bot.incidents.tables import Incident, IncidentEvent
from bot.storage.db import session
from core.clock import as_utc

log = logging.getLogger(__name__)

SYSTEM = "opsbot"


@dataclass
class Effects:
    """What a change must tell the listener once it is committed."""

    changed: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)


def aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def snoozed(row: Incident, now: datetime) -> bool:
    until = aware(row.snoozed_until)
    return until is not None and until > now


def flapping(row: Incident) -> bool:
    return bool((row.details or {}).get("flapping"))


class IncidentWriter:
    def __init__(self, db: Engine, listener: EngineListener, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.listener = listener
        self.clock = clock
        self._lock = threading.RLock()
        self._postgres = db.dialect.name == "postgresql"

    # ---------------------------------------------------------------- transactions
    @contextmanager
    def tx(self) -> Iterator[Session]:
        """A session for one change, serialised with other writers of incidents.

        PostgreSQL: the rows read for a change are locked (`SELECT ... FOR UPDATE`).
        SQLite: a no-op write takes the database write lock before anything is read, so two
        processes cannot both read a count and both write count + 1.
        """
        with self._lock, session(self.db) as db:
            if not self._postgres:
                db.execute(text("UPDATE incident SET revision = revision WHERE 1 = 0"))
            yield db

    @contextmanager
    def change(self, incident_id: int) -> Iterator[tuple[Session, Incident, Effects]]:
        """One change to one incident, by id: its row locked, saved and committed when the
        block ends (rolled back if it raises), and the effects emitted after the commit."""
        effects = Effects()
        with self.tx() as db:
            row = self.row(db, incident_id)
            yield db, row, effects
            db.add(row)
            db.commit()
        self.emit(effects)

    @staticmethod
    def row(db: Session, incident_id: int, lock: bool = True) -> Incident:
        row = db.get(Incident, incident_id, with_for_update=lock)
        if row is None:
            raise IncidentError(f"no incident #{incident_id}")
        return row

    @staticmethod
    def open_row(db: Session, fingerprint: str) -> Incident | None:
        return db.exec(
            select(Incident).where(Incident.open_key == fingerprint).with_for_update()
        ).first()

    # ---------------------------------------------------------------- effects
    def emit(self, effects: Effects) -> None:
        for incident_id in dict.fromkeys(effects.changed):
            self._safely(self.listener.changed, incident_id)
        for incident_id in effects.opened:
            self._safely(self.listener.opened, incident_id)

    @staticmethod
    def _safely(fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a front end failing must not undo or block the incident change
            log.exception("incident listener %s failed", getattr(fn, "__name__", fn))

    # ---------------------------------------------------------------- rows
    def event(
        self,
        db: Session,
        row: Incident,
        kind: str,
        text: str,
        actor: str = SYSTEM,
        data: dict[str, Any] | None = None,
        note: str | None = None,
        force_note: bool = False,
    ) -> None:
        """Add a timeline event; with `note`, also post it in the incident's thread unless
        the incident is snoozed or flapping (then it stays in the timeline only)."""
        assert row.id is not None
        now = self.clock()
        posted = note is not None and (force_note or not (snoozed(row, now) or flapping(row)))
        db.add(
            IncidentEvent(
                incident_id=row.id,
                at=now,
                kind=kind,
                actor=actor,
                text=text,
                data=data or {},
                note=note if posted else None,
                delivered_at=None if posted else now,
            )
        )

    def add(self, db: Session, row: Incident, event: TimelineEvent) -> None:
        """Add an event a merge asked for (see `Merged`)."""
        self.event(
            db, row, event.kind, event.text, actor=event.actor, data=event.data, note=event.note
        )

    @staticmethod
    def touch(row: Incident, effects: Effects) -> None:
        """Mark the root message for re-rendering by whichever process delivers."""
        row.notify_pending = True
        row.revision += 1
        assert row.id is not None
        effects.changed.append(row.id)
