"""Schedules and overrides in opsbot's database (SQLite or PostgreSQL), loaded as `model` values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import as_utc, iso
from core.errors import Conflict, Invalid, NotFound
from tools.oncall.ical import IcsEvents, parse_ics
from tools.oncall.model import (
    Every,
    Override,
    Rotation,
    Schedule,
    parse_handoff,
    parse_people,
    parse_zone,
)
from tools.oncall.tables import OverrideRow, ScheduleRow

ICAL = "ical"


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise Invalid(f"bad schedule name {name!r}: 1 to 100 characters, no spaces")
    return name


def _rotation(row: ScheduleRow) -> Rotation:
    return Rotation(
        people=tuple(row.people.split(",")),
        every=Every(row.every),
        handoff=parse_handoff(row.handoff),
        tz=parse_zone(row.tz),
        start=date.fromisoformat(row.start),
    )


def _override(row: OverrideRow) -> Override:
    assert row.id is not None
    return Override(
        user=row.user,
        start=as_utc(row.start),
        end=as_utc(row.end),
        reason=row.reason,
        created_at=as_utc(row.created_at),
        id=row.id,
    )


@dataclass(frozen=True)
class ScheduleInfo:
    """A stored schedule as shown to people: what it is, beside the `Schedule` to compute with."""

    name: str
    kind: str  # daily, weekly or ical
    people: tuple[str, ...]
    handoff: str
    tz: str
    start: str
    secondary: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "people": list(self.people),
            "handoff": self.handoff,
            "tz": self.tz,
            "start": self.start,
            "secondary": self.secondary,
        }


def override_dict(override: Override) -> dict[str, Any]:
    return {
        "id": override.id,
        "user": override.user,
        "from": iso(override.start),
        "to": iso(override.end),
        "reason": override.reason,
    }


class OncallStore:
    """Schedules by name, and their overrides."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _add(self, row: ScheduleRow) -> ScheduleInfo:
        with Session(self._engine) as session:
            if session.exec(select(ScheduleRow).where(ScheduleRow.name == row.name)).first():
                raise Conflict(f"a schedule named {row.name!r} exists already")
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # the same name added at the same moment
                raise Conflict(f"a schedule named {row.name!r} exists already") from None
            session.refresh(row)
            return self._info(row)

    def add_rotation(
        self,
        name: str,
        *,
        people: str,
        every: str,
        handoff: str,
        tz: str,
        start: str,
        secondary: str = "",
        who: str = "",
    ) -> ScheduleInfo:
        """A new rotation; `secondary` is "", "next" or the name of another schedule."""
        try:
            day = date.fromisoformat(start.strip())
        except ValueError:
            raise Invalid(f"bad start date {start!r}; use YYYY-MM-DD") from None
        secondary = secondary.strip()
        if secondary not in ("", "next") and self._row(secondary).every == ICAL:  # or NotFound
            raise Invalid(f"the secondary {secondary!r} is a calendar; name a rotation or 'next'")
        row = ScheduleRow(
            name=_name(name),
            people=",".join(parse_people(people)),
            every=Every.parse(every).value,
            handoff=parse_handoff(handoff).strftime("%H:%M"),
            tz=str(parse_zone(tz)),
            start=day.isoformat(),
            secondary=secondary,
            created_by=who,
        )
        return self._add(row)

    def import_ics(self, name: str, text: str, *, tz: str = "UTC", who: str = "") -> ScheduleInfo:
        """A new schedule from iCal text (checked first: a bad file stores nothing)."""
        zone = parse_zone(tz)
        parse_ics(text)
        row = ScheduleRow(
            name=_name(name), every=ICAL, tz=str(zone), ics=text, secondary="", created_by=who
        )
        return self._add(row)

    def _row(self, name: str) -> ScheduleRow:
        with Session(self._engine) as session:
            row = session.exec(select(ScheduleRow).where(ScheduleRow.name == name.strip())).first()
        if row is None:
            raise NotFound(f"no on-call schedule named {name!r}; known: {self._known()}")
        return row

    def _known(self) -> str:
        return ", ".join(self.names()) or "none (add one with `opsbot oncall rotation add`)"

    def names(self) -> list[str]:
        with Session(self._engine) as session:
            query = select(ScheduleRow.name).order_by(col(ScheduleRow.name))
            return list(session.exec(query))

    def _info(self, row: ScheduleRow) -> ScheduleInfo:
        people = tuple(row.people.split(",")) if row.people else ()
        return ScheduleInfo(
            row.name, row.every, people, row.handoff, row.tz, row.start, row.secondary
        )

    def id_of(self, name: str) -> int:
        row = self._row(name)
        assert row.id is not None
        return row.id

    def name_of(self, schedule_id: int) -> str:
        with Session(self._engine) as session:
            row = session.get(ScheduleRow, schedule_id)
        if row is None:
            raise NotFound(f"no on-call schedule #{schedule_id}")
        return row.name

    def info(self, name: str) -> ScheduleInfo:
        return self._info(self._row(name))

    def schedule(self, name: str) -> Schedule:
        """The schedule to compute with (its secondary rotation resolved)."""
        row = self._row(name)
        zone = parse_zone(row.tz)
        if row.every == ICAL:
            return Schedule(row.name, zone, events=IcsEvents.from_text(row.ics, zone))
        secondary = None
        if row.secondary not in ("", "next"):
            other = self._row(row.secondary)
            if other.every == ICAL:
                raise Invalid(f"the secondary of {row.name!r} must be a rotation, not a calendar")
            secondary = _rotation(other)
        return Schedule(
            row.name,
            zone,
            rotation=_rotation(row),
            secondary_next=row.secondary == "next",
            secondary=secondary,
        )

    def add_override(
        self, name: str, *, user: str, start: datetime, end: datetime, reason: str, who: str = ""
    ) -> tuple[Override, list[Override]]:
        """Someone covers `name` from `start` to `end`; returns it and the overrides it overlaps
        (where they overlap, the new one wins: the latest created wins)."""
        people = parse_people(user)
        if len(people) != 1:
            raise Invalid("an override names one person")
        person = people[0]
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            raise Invalid("an override must end after it starts")
        if not reason.strip():
            raise Invalid("an override needs a reason (e.g. 'swap with U2')")
        row = self._row(name)
        assert row.id is not None
        earlier = self.overrides(name, start, end)
        new = OverrideRow(
            schedule_id=row.id,
            user=person,
            start=start,
            end=end,
            reason=reason.strip(),
            created_by=who,
        )
        with Session(self._engine) as session:
            session.add(new)
            session.commit()
            session.refresh(new)
            return _override(new), earlier

    def overrides(self, name: str, start: datetime, end: datetime) -> list[Override]:
        """The overrides of `name` that overlap [start, end), oldest first."""
        row = self._row(name)
        query = (
            select(OverrideRow)
            .where(OverrideRow.schedule_id == row.id)
            .where(col(OverrideRow.end) > as_utc(start))
            .where(col(OverrideRow.start) < as_utc(end))
            .order_by(col(OverrideRow.created_at), col(OverrideRow.id))
        )
        with Session(self._engine) as session:
            return [_override(r) for r in session.exec(query)]
