"""What an App Home shows, gathered as plain data: who is on call now and next, open
incidents, pending approvals and active maintenance windows.

Each source is optional (None: that store is not part of this process) and read on its
own: a failing store makes its section say so, the others still show. Lists are capped
(`limit`) and say how many more there are. The Slack front end renders this
(bot/slack/home.py); nothing here knows about Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from core.approvals import ApprovalView
from core.clock import utcnow

if TYPE_CHECKING:
    from bot.approvals import ApprovalService
    from bot.incidents.service import IncidentService
    from tools.maintenance.store import MaintenanceStore
    from tools.oncall.store import OncallStore

log = logging.getLogger(__name__)

T = TypeVar("T")
LIMIT = 10  # entries per section: 4 sections of at most 3 blocks each stay far below 100


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One section's entries; `more` were left out; `unavailable` says why there are none
    to show when the source is missing or failed (then `items` is empty)."""

    items: tuple[T, ...] = ()
    more: int = 0
    unavailable: str | None = None


@dataclass(frozen=True)
class OnCallNow:
    schedule: str
    primary: str | None
    secondary: str | None
    override: str | None  # the covering override's reason
    next_primary: str | None
    next_from: datetime | None  # None: no handoff within the look-ahead


@dataclass(frozen=True)
class IncidentLine:
    id: int
    title: str
    status: str
    severity: str
    last_seen: datetime | None
    channel: str | None  # its root message, once posted
    ts: str | None


@dataclass(frozen=True)
class PendingApproval:
    view: ApprovalView
    channel: str | None  # its card, once posted
    ts: str | None


@dataclass(frozen=True)
class WindowLine:
    id: int
    what: str  # the matchers, described
    reason: str
    created_by: str
    ends_at: datetime


@dataclass(frozen=True)
class HomeData:
    at: datetime
    oncall: Listing[OnCallNow]
    incidents: Listing[IncidentLine]
    approvals: Listing[PendingApproval]
    windows: Listing[WindowLine]


def _read(name: str, read: Callable[[], Listing[T]]) -> Listing[T]:
    try:
        return read()
    except Exception as exc:
        log.exception("App Home: could not read %s", name)
        return Listing(unavailable=f"could not read {name} ({type(exc).__name__}: {exc})")


def _capped(items: list[T], limit: int, total: int | None = None) -> Listing[T]:
    shown = tuple(items[:limit])
    return Listing(shown, max((len(items) if total is None else total) - len(shown), 0))


NOT_HERE = "not configured in this process"


class HomeSources:
    """Reads the App Home's data from the stores this process has (each a factory, so a
    store is opened only when a home is first shown)."""

    def __init__(
        self,
        approvals: Callable[[], ApprovalService],
        oncall: Callable[[], OncallStore] | None = None,
        incidents: Callable[[], IncidentService] | None = None,
        windows: Callable[[], MaintenanceStore] | None = None,
        limit: int = LIMIT,
    ) -> None:
        self._approvals = approvals
        self._oncall = oncall
        self._incidents = incidents
        self._windows = windows
        self.limit = limit

    def gather(self, at: datetime | None = None) -> HomeData:
        now = at or utcnow()
        return HomeData(
            at=now,
            oncall=_read("the on-call schedules", lambda: self._read_oncall(now)),
            incidents=_read("the incidents", self._read_incidents),
            approvals=_read("the approvals", self._read_approvals),
            windows=_read("the maintenance windows", lambda: self._read_windows(now)),
        )

    def _read_oncall(self, now: datetime) -> Listing[OnCallNow]:
        if self._oncall is None:
            return Listing(unavailable=f"on-call schedules are {NOT_HERE}")
        from datetime import timedelta

        from tools.oncall.model import shifts

        store = self._oncall()
        names = store.names()
        found: list[OnCallNow] = []
        for name in names[: self.limit]:
            ahead = now + timedelta(days=30)
            around = shifts(store.schedule(name), store.overrides(name, now, ahead), now, ahead)
            first, nxt = around[0], (around[1] if len(around) > 1 else None)
            found.append(
                OnCallNow(
                    schedule=name,
                    primary=first.primary,
                    secondary=first.secondary,
                    override=first.override.reason if first.override else None,
                    next_primary=nxt.primary if nxt else None,
                    next_from=nxt.start if nxt else None,
                )
            )
        return Listing(tuple(found), max(len(names) - len(found), 0))

    def _read_incidents(self) -> Listing[IncidentLine]:
        if self._incidents is None:
            return Listing(unavailable=f"incidents are {NOT_HERE}")
        engine = self._incidents().engine
        rows = engine.list("open", self.limit)  # newest first
        lines = [
            IncidentLine(
                id=int(r.id or 0), title=r.title, status=r.status, severity=r.severity,
                last_seen=r.last_seen, channel=r.message_channel, ts=r.message_ts,
            )
            for r in rows
        ]  # fmt: skip
        return _capped(lines, self.limit, max(engine.open_count(), len(lines)))

    def _read_approvals(self) -> Listing[PendingApproval]:
        service = self._approvals()
        # the newest request expires last
        pending = sorted(service.pending(), key=lambda v: v.expires_at, reverse=True)
        shown: list[PendingApproval] = []
        for view in pending[: self.limit]:
            card = service.shown(view.id)
            channel, ts = (card.message_channel, card.message_ts) if card else (None, None)
            shown.append(PendingApproval(view, channel, ts))
        return Listing(tuple(shown), len(pending) - len(shown))

    def _read_windows(self, now: datetime) -> Listing[WindowLine]:
        if self._windows is None:
            return Listing(unavailable=f"maintenance windows are {NOT_HERE}")
        from tools.maintenance.matcher import describe

        windows = sorted(self._windows().active(now), key=lambda w: w.ends_at)
        lines = [
            WindowLine(w.id, describe(w.matchers), w.reason, w.created_by, w.until)
            for w in windows
        ]  # fmt: skip
        return _capped(lines, self.limit)
