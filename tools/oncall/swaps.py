"""Shift swap requests: the person on call asks someone to cover part of their shift; another
person of the rotation takes it, which creates the override (the latest created wins).

Taking is one compare-and-set on the request's status (`open` → `taken`) in the same
transaction as the override, so two people clicking at once make one override, and a taken
request cannot be taken again. The requester cannot take their own request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from core.errors import Conflict, Invalid, NotFound, Refused
from tools.oncall.model import parse_people, shifts
from tools.oncall.store import OncallStore
from tools.oncall.tables import OverrideRow, SwapRow

OPEN, TAKEN = "open", "taken"
MAX_SWAP = timedelta(days=31)


@dataclass(frozen=True)
class Swap:
    id: int
    schedule: str
    requester: str
    start: datetime
    end: datetime
    reason: str
    status: str
    taken_by: str | None = None
    override_id: int | None = None
    channel: str | None = None
    ts: str | None = None


class SwapStore:
    def __init__(self, engine: Engine, oncall: OncallStore) -> None:
        self._engine = engine
        self.oncall = oncall

    def _swap(self, row: SwapRow) -> Swap:
        assert row.id is not None
        name = self.oncall.name_of(row.schedule_id)
        return Swap(row.id, name, row.requester, as_utc(row.start), as_utc(row.end),
                    row.reason, row.status, row.taken_by, row.override_id, row.channel,
                    row.ts)  # fmt: skip

    def request(
        self,
        schedule: str,
        *,
        requester: str,
        start: datetime,
        end: datetime,
        reason: str = "",
        now: datetime | None = None,
    ) -> Swap:
        """A new open request; the requester must be on call (primary) for part of it."""
        now = as_utc(now or utcnow())
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            raise Invalid("a swap must end after it starts")
        if end <= now:
            raise Invalid("that time is over already; a swap is for a shift to come")
        if end - start > MAX_SWAP:
            raise Invalid(f"a swap covers at most {MAX_SWAP.days} days")
        (user,) = parse_people(requester)
        info = self.oncall.info(schedule)  # NotFound names the known schedules
        sched = self.oncall.schedule(info.name)
        covered = shifts(sched, self.oncall.overrides(info.name, start, end), start, end)
        if not any(s.primary == user for s in covered):
            raise Refused(
                f"you are not on call for {info.name} between those times; only the person "
                "on call can ask for a swap"
            )
        row = SwapRow(
            schedule_id=self.oncall.id_of(info.name), requester=user, start=start, end=end,
            reason=reason.strip()[:500],
        )  # fmt: skip
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return self._swap(row)

    def get(self, swap_id: int) -> Swap:
        with Session(self._engine) as session:
            row = session.get(SwapRow, swap_id)
            if row is None:
                raise NotFound(f"no swap request #{swap_id}")
            return self._swap(row)

    def attach(self, swap_id: int, channel: str, ts: str) -> None:
        """Remember the message showing the request (to update it when taken)."""
        with Session(self._engine) as session:
            row = session.get(SwapRow, swap_id)
            if row is None:
                raise NotFound(f"no swap request #{swap_id}")
            row.channel, row.ts = channel, ts
            session.add(row)
            session.commit()

    def eligible(self, swap: Swap) -> tuple[str, ...]:
        """Who may take it: the people of the rotation (and its secondary rotation) but the
        requester; () for a calendar schedule (anyone may)."""
        sched = self.oncall.schedule(swap.schedule)
        people: list[str] = []
        for rotation in (sched.rotation, sched.secondary):
            if rotation is not None:
                people.extend(p for p in rotation.people if p not in people)
        return tuple(p for p in people if p != swap.requester)

    def take(self, swap_id: int, user: str, now: datetime | None = None) -> Swap:
        """`user` takes the request: the override is created, once."""
        now = as_utc(now or utcnow())
        swap = self.get(swap_id)
        if user == swap.requester:
            raise Refused("you asked for this swap; someone else has to take it")
        if swap.status == TAKEN:
            raise Conflict(f"this swap was already taken by {swap.taken_by}")
        if swap.end <= now:
            raise Refused("this swap request is over: its time has passed")
        eligible = self.eligible(swap)
        if eligible and user not in eligible:
            raise Refused(
                f"only people of the {swap.schedule} rotation can take it ({', '.join(eligible)})"
            )
        reason = f"swap #{swap.id}: covers {swap.requester}" + (
            f" ({swap.reason})" if swap.reason else ""
        )
        with Session(self._engine) as session:
            claimed = session.connection().execute(
                update(SwapRow)
                .where(col(SwapRow.id) == swap_id)
                .where(col(SwapRow.status) == OPEN)
                .values(status=TAKEN, taken_by=user, taken_at=now)
            )
            if claimed.rowcount != 1:
                session.rollback()
                raise Conflict(f"this swap was already taken by {self.get(swap_id).taken_by}")
            override = OverrideRow(
                schedule_id=self.oncall.id_of(swap.schedule), user=user, start=swap.start,
                end=swap.end, reason=reason, created_by=user,
            )  # fmt: skip
            session.add(override)
            session.flush()
            session.connection().execute(
                update(SwapRow).where(col(SwapRow.id) == swap_id).values(override_id=override.id)
            )
            session.commit()
        return self.get(swap_id)
