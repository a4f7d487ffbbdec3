"""Maintenance windows in opsbot's database, and the findings they kept quiet.

A window holds back an alert whose labels its matchers all match, from `starts_at` until
`ends_at` (or until it is ended early). Windows may overlap. `suppress` is what the incident
engine asks for every finding: when each of the finding's label sets (one per firing alert
of an Alertmanager group, or the monitor finding's labels) is matched by an active window,
the finding is recorded here (per window and fingerprint: first and last seen, a count) and
the answer says which window covers it, and until when.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import as_utc, iso, utcnow
from core.errors import Conflict, Invalid, NotFound
from tools.maintenance.matcher import Matcher, describe, from_lists, is_catch_all, matches
from tools.maintenance.tables import SuppressedRow, WindowRow

MAX_REASON = 2000
STATES = ("current", "active", "upcoming", "ended", "all")


@dataclass(frozen=True)
class Window:
    id: int
    matchers: tuple[Matcher, ...]
    match_all: bool
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime
    ended_at: datetime | None = None
    ended_by: str | None = None

    @property
    def until(self) -> datetime:
        """When it stops holding alerts back (its end, or when it was ended early)."""
        return min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at

    def state(self, now: datetime) -> str:
        if self.until <= now or (self.ended_at is not None and self.ended_at <= self.starts_at):
            return "ended"
        return "active" if self.starts_at <= now else "upcoming"

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [str(m) for m in self.matchers],
            "match_all": self.match_all,
            "starts_at": iso(self.starts_at),
            "ends_at": iso(self.ends_at),
            "state": self.state(now),
            "reason": self.reason,
            "created_by": self.created_by,
            "created_at": iso(self.created_at),
            "ended_at": iso(self.ended_at),
            "ended_by": self.ended_by,
        }

    def summary(self, now: datetime) -> str:
        ended = f", ended early by {self.ended_by}" if self.ended_at else ""
        return (
            f"#{self.id} [{self.state(now)}] {describe(self.matchers)} "
            f"{self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M} UTC{ended} "
            f"— {self.reason} (by {self.created_by})"
        )


@dataclass(frozen=True)
class Suppressed:
    """A finding a window held back."""

    window_id: int
    fingerprint: str
    title: str
    first_seen: datetime
    last_seen: datetime
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "title": self.title,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "count": self.count,
        }


@dataclass(frozen=True)
class Hit:
    """The answer of `suppress`: the window covering a finding, and until when it does."""

    window_id: int
    ends_at: datetime
    reason: str


def _window(row: WindowRow) -> Window:
    assert row.id is not None
    return Window(
        id=row.id,
        matchers=tuple(from_lists(json.loads(row.matchers))),
        match_all=bool(row.match_all),
        starts_at=as_utc(row.starts_at),
        ends_at=as_utc(row.ends_at),
        reason=row.reason,
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
        ended_at=as_utc(row.ended_at) if row.ended_at else None,
        ended_by=row.ended_by,
    )


class MaintenanceStore:
    def __init__(
        self,
        engine: Engine,
        max_length: timedelta = timedelta(hours=72),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self.max_length = max_length
        self.clock = clock

    # ------------------------------------------------------------------ writes
    def add(
        self,
        matchers: Sequence[Matcher],
        start: datetime,
        end: datetime,
        reason: str,
        *,
        who: str,
        match_all: bool = False,
    ) -> Window:
        """A new window, after checking it: Invalid names what is wrong."""
        start, end, now = as_utc(start), as_utc(end), self.clock()
        reason = reason.strip()
        if not reason:
            raise Invalid("a maintenance window needs a reason (what is being worked on)")
        if len(reason) > MAX_REASON:
            raise Invalid(f"the reason is longer than {MAX_REASON} characters")
        if end <= start:
            raise Invalid(f"the window must end after it starts ({iso(start)} → {iso(end)})")
        if end - start > self.max_length:
            hours = self.max_length.total_seconds() / 3600
            raise Invalid(
                f"the window is {(end - start).total_seconds() / 3600:g} h long; at most "
                f"{hours:g} h (MAINTENANCE_MAX_HOURS)"
            )
        if end <= now:
            raise Invalid(f"the window ends in the past ({iso(end)})")
        if is_catch_all(matchers) and not match_all:
            raise Invalid(
                f"the matchers ({describe(matchers)}) match every alert; add a matcher such as "
                "service=api, or confirm with the match-everything flag (--all)"
            )
        row = WindowRow(
            matchers=json.dumps([m.to_list() for m in matchers]),
            match_all=match_all,
            starts_at=start,
            ends_at=end,
            reason=reason,
            created_at=now,
            created_by=who,
        )
        with Session(self._engine) as db:
            db.add(row)
            db.commit()
            db.refresh(row)
            return _window(row)

    def end(self, window_id: int, *, who: str) -> Window:
        """End a window now (an upcoming one is cancelled); Conflict if it has ended."""
        now = self.clock()
        with Session(self._engine) as db:
            row = db.exec(
                select(WindowRow).where(WindowRow.id == window_id).with_for_update()
            ).first()
            if row is None:
                raise NotFound(f"no maintenance window #{window_id}")
            window = _window(row)
            if window.state(now) == "ended":
                raise Conflict(f"maintenance window #{window_id} has already ended")
            row.ended_at = now
            row.ended_by = who
            db.add(row)
            db.commit()
            db.refresh(row)
            return _window(row)

    # ------------------------------------------------------------------ reads
    def get(self, window_id: int) -> Window:
        with Session(self._engine) as db:
            row = db.get(WindowRow, window_id)
        if row is None:
            raise NotFound(f"no maintenance window #{window_id}")
        return _window(row)

    def windows(self, state: str = "current", limit: int = 100) -> list[Window]:
        """Windows by state: current (active and upcoming), active, upcoming, ended, all."""
        if state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}; got {state!r}")
        now = self.clock()
        query = select(WindowRow).order_by(col(WindowRow.starts_at), col(WindowRow.id))
        if state != "all" and state != "ended":
            query = query.where(col(WindowRow.ends_at) > now)
        with Session(self._engine) as db:
            windows = [_window(r) for r in db.exec(query)]
        wanted = {"current": ("active", "upcoming"), "all": ("active", "upcoming", "ended")}
        keep = wanted.get(state, (state,))
        return [w for w in windows if w.state(now) in keep][-limit:]

    def suppressed(self, window_id: int, limit: int = 100) -> list[Suppressed]:
        query = (
            select(SuppressedRow)
            .where(SuppressedRow.window_id == window_id)
            .order_by(col(SuppressedRow.last_seen).desc())
            .limit(limit)
        )
        with Session(self._engine) as db:
            return [
                Suppressed(
                    r.window_id,
                    r.fingerprint,
                    r.title,
                    as_utc(r.first_seen),
                    as_utc(r.last_seen),
                    r.count,
                )
                for r in db.exec(query)
            ]

    def counts(self, window_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """window id -> (findings held back, times seen in all)."""
        if not window_ids:
            return {}
        query = (
            select(
                SuppressedRow.window_id,
                func.count(),
                func.sum(SuppressedRow.count),
            )
            .where(col(SuppressedRow.window_id).in_(list(window_ids)))
            .group_by(col(SuppressedRow.window_id))
        )
        with Session(self._engine) as db:
            rows = db.exec(query).all()
        return {int(w): (int(n), int(total or 0)) for w, n, total in rows}

    # ------------------------------------------------------------------ suppression
    def active(self, now: datetime) -> list[Window]:
        query = (
            select(WindowRow)
            .where(col(WindowRow.starts_at) <= now)
            .where(col(WindowRow.ends_at) > now)
            .where(col(WindowRow.ended_at).is_(None))
        )
        with Session(self._engine) as db:
            return [_window(r) for r in db.exec(query)]

    def suppress(
        self,
        fingerprint: str,
        label_sets: Sequence[Mapping[str, str]],
        title: str,
        now: datetime,
    ) -> Hit | None:
        """The window holding this finding back, recorded; None when some label set (one
        alert of a group) is matched by no active window: then it goes through."""
        if not label_sets:
            return None
        windows = self.active(as_utc(now))
        if not windows:
            return None
        covering: list[Window] = []  # per label set, the matching window that lasts longest
        used: set[int] = set()
        for labels in label_sets:
            found = [w for w in windows if matches(w.matchers, labels)]
            if not found:
                return None
            used.update(w.id for w in found)
            covering.append(max(found, key=lambda w: (w.until, -w.id)))
        first = min(covering, key=lambda w: (w.until, w.id))
        for window_id in sorted(used):
            self._record(window_id, fingerprint, title, as_utc(now))
        return Hit(first.id, first.until, first.reason)

    def _record(self, window_id: int, fingerprint: str, title: str, now: datetime) -> None:
        for _attempt in range(3):
            with Session(self._engine) as db:
                row = db.exec(
                    select(SuppressedRow)
                    .where(SuppressedRow.window_id == window_id)
                    .where(SuppressedRow.fingerprint == fingerprint)
                ).first()
                if row is None:
                    row = SuppressedRow(
                        window_id=window_id,
                        fingerprint=fingerprint,
                        title=title[:500],
                        first_seen=now,
                        last_seen=now,
                        count=1,
                    )
                else:
                    row.count += 1
                    row.last_seen = now
                    row.title = title[:500] or row.title
                db.add(row)
                try:
                    db.commit()
                    return
                except IntegrityError:  # another replica recorded it first: count on theirs
                    db.rollback()
