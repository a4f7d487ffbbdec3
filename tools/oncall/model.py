"""Who is on call, as pure functions of a schedule, its overrides and an instant.

A rotation hands off at `handoff` local time in its zone, every day or every week from `start`,
so a 09:00 Europe/Paris handoff is 09:00 on both sides of a DST change (the UTC instant moves).
A local handoff time that does not exist on a spring-forward day (02:30) happens one hour later
in wall-clock terms, as zoneinfo resolves it (fold=0).

Overrides sit on top: at an instant covered by several overrides, the latest created wins (then
the highest id). An override replaces the primary only; the secondary stays the rotation's.
In a calendar schedule, of the events covering an instant the one that started last wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.clock import as_utc
from core.errors import Invalid

USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")
MAX_SHIFTS = 2000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Every(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"

    @classmethod
    def parse(cls, value: str) -> Every:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise Invalid(f"unknown rotation period {value!r}; use daily or weekly") from None

    @property
    def days(self) -> int:
        return 1 if self is Every.DAILY else 7


def parse_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (Europe/Paris), or Invalid."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Paris"
        ) from None


def parse_handoff(text: str) -> time:
    """`HH:MM` (24 hours), or Invalid."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        raise Invalid(f"bad handoff time {text!r}; use HH:MM, e.g. 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def parse_people(text: str | Iterable[str]) -> tuple[str, ...]:
    """Slack user ids (U…/W…) separated by commas; at least one, no repeats."""
    raw = text.split(",") if isinstance(text, str) else list(text)
    people = tuple(p.strip().strip("<@>") for p in raw if p.strip())
    if not people:
        raise Invalid("a rotation needs at least one person (Slack user ids: U1,U2)")
    bad = [p for p in people if not USER_ID.match(p)]
    if bad:
        raise Invalid(f"not Slack user ids: {', '.join(bad)} (expected U… or W…)")
    if len(set(people)) != len(people):
        raise Invalid("a person appears twice in the rotation")
    return people


@dataclass(frozen=True)
class Rotation:
    people: tuple[str, ...]
    every: Every
    handoff: time
    tz: ZoneInfo
    start: date

    def handoff_at(self, index: int) -> datetime:
        """The UTC instant shift `index` starts (0 is the first shift, on `start`)."""
        day = self.start + timedelta(days=index * self.every.days)
        return as_utc(datetime.combine(day, self.handoff, tzinfo=self.tz))

    def index_at(self, at: datetime) -> int:
        """The shift running at `at` (negative before the first handoff)."""
        local = as_utc(at).astimezone(self.tz).date()
        index = (local - self.start).days // self.every.days
        while self.handoff_at(index) > at:
            index -= 1
        while self.handoff_at(index + 1) <= at:
            index += 1
        return index

    def person(self, index: int) -> str | None:
        return self.people[index % len(self.people)] if index >= 0 else None


@dataclass(frozen=True)
class Override:
    user: str
    start: datetime
    end: datetime
    reason: str = ""
    created_at: datetime = EPOCH
    id: int = 0

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class CalendarShift:
    """An iCal event: `person` covers [start, end)."""

    person: str
    start: datetime
    end: datetime


# events of a calendar between two instants (tools/oncall/ical.py), injected to stay pure
Events = Callable[[datetime, datetime], Sequence[CalendarShift]]


@dataclass(frozen=True)
class Schedule:
    """A rotation or a calendar, with its secondary: none, the next person, or a rotation."""

    name: str
    tz: ZoneInfo
    rotation: Rotation | None = None
    events: Events | None = None
    secondary_next: bool = False
    secondary: Rotation | None = None


@dataclass(frozen=True)
class OnCall:
    primary: str | None
    secondary: str | None
    override: Override | None = None


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    primary: str | None
    secondary: str | None
    override: Override | None = None


def _winner(overrides: Iterable[Override], at: datetime) -> Override | None:
    covering = [o for o in overrides if o.covers(at)]
    return max(covering, key=lambda o: (o.created_at, o.id)) if covering else None


def _base(schedule: Schedule, at: datetime) -> tuple[str | None, str | None]:
    if schedule.rotation is not None:
        rotation = schedule.rotation
        index = rotation.index_at(at)
        primary = rotation.person(index)
        nxt = rotation.person(index + 1) if len(rotation.people) > 1 else None
        secondary = nxt if schedule.secondary_next and primary else None
    elif schedule.events is not None:
        covering = [e for e in schedule.events(at, at + timedelta(seconds=1)) if e.start <= at]
        covering.sort(key=lambda e: (e.start, e.person), reverse=True)  # the latest start first
        primary = covering[0].person if covering else None
        others = [e.person for e in covering[1:] if e.person != primary]
        secondary = others[0] if schedule.secondary_next and others else None
    else:
        primary = secondary = None
    if schedule.secondary is not None:
        secondary = schedule.secondary.person(schedule.secondary.index_at(at))
    return primary, secondary


def on_call(schedule: Schedule, overrides: Iterable[Override], at: datetime) -> OnCall:
    """Who is primary and secondary at `at`, overrides applied (the latest created wins)."""
    at = as_utc(at)
    primary, secondary = _base(schedule, at)
    override = _winner(overrides, at)
    if override is not None:
        primary = override.user
    return OnCall(primary, secondary if secondary != primary else None, override)


def _boundaries(
    schedule: Schedule, overrides: Sequence[Override], start: datetime, end: datetime
) -> list[datetime]:
    points = {start}
    for rotation in (schedule.rotation, schedule.secondary):
        if rotation is None:
            continue
        index = rotation.index_at(start) + 1
        while (at := rotation.handoff_at(index)) < end:
            points.add(at)
            index += 1
            if len(points) > MAX_SHIFTS:
                raise Invalid(f"more than {MAX_SHIFTS} handoffs: ask for a shorter range")
    if schedule.events is not None:
        for event in schedule.events(start, end):
            points.update(p for p in (event.start, event.end) if start < p < end)
    for override in overrides:
        points.update(p for p in (override.start, override.end) if start < p < end)
    return sorted(points)


def shifts(
    schedule: Schedule, overrides: Iterable[Override], start: datetime, end: datetime
) -> list[Shift]:
    """The shifts from `start` to `end`: one per change of primary or secondary, in order.
    The first starts at `start` and the last ends at `end` (they may be cut)."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise Invalid("the end of the range must be after its start")
    overrides = list(overrides)
    points = _boundaries(schedule, overrides, start, end)
    result: list[Shift] = []
    for at, until in zip(points, [*points[1:], end], strict=True):
        now = on_call(schedule, overrides, at)
        last = result[-1] if result else None
        if last and (last.primary, last.secondary, last.override) == (
            now.primary,
            now.secondary,
            now.override,
        ):
            result[-1] = Shift(last.start, until, last.primary, last.secondary, last.override)
        else:
            result.append(Shift(at, until, now.primary, now.secondary, now.override))
    return result
