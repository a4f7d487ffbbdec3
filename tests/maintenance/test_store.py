"""The window store on SQLite and PostgreSQL: validation, states, ending, overlapping
windows, what `suppress` records, and time zones on input."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from core.errors import Conflict, Invalid, NotFound
from tools.maintenance.matcher import parse_matchers
from tools.maintenance.store import MaintenanceStore
from tools.maintenance.times import parse_time, span

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
DISK = {"alertname": "HostDiskFull", "service": "api", "host": "web-1"}


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: T0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine: Engine, clock: Clock) -> MaintenanceStore:
    return MaintenanceStore(engine, max_length=timedelta(hours=8), clock=clock)


def _add(store: MaintenanceStore, *texts: str, hours: float = 2, start: datetime = T0, **kw):  # type: ignore[no-untyped-def]
    return store.add(
        parse_matchers(texts), start, start + timedelta(hours=hours), "db upgrade", who="U1", **kw
    )


def test_a_window_is_upcoming_then_active_then_ended(store: MaintenanceStore, clock: Clock) -> None:
    window = _add(store, "service=api", start=T0 + timedelta(hours=1))
    assert window.state(clock.now) == "upcoming"
    assert [w.id for w in store.windows("upcoming")] == [window.id]
    assert store.suppress("fp", [DISK], "disk", clock.now) is None  # not started yet
    clock.now = T0 + timedelta(hours=1)
    assert [w.id for w in store.windows("active")] == [window.id]
    hit = store.suppress("fp", [DISK], "disk", clock.now)
    assert hit is not None and hit.window_id == window.id
    assert hit.ends_at == T0 + timedelta(hours=3)
    clock.now = T0 + timedelta(hours=3)
    assert store.windows("current") == [] and [w.id for w in store.windows("ended")] == [window.id]
    assert store.suppress("fp", [DISK], "disk", clock.now) is None  # over: normal again


def test_suppressed_findings_are_counted_per_window_and_fingerprint(
    store: MaintenanceStore, clock: Clock
) -> None:
    window = _add(store, "service=api")
    for minute in range(3):
        clock.now = T0 + timedelta(minutes=minute)
        assert store.suppress("fp-disk", [DISK], "Disk / is 93% full", clock.now) is not None
    assert store.suppress("fp-other", [{**DISK, "service": "db"}], "db", clock.now) is None
    [held] = store.suppressed(window.id)
    assert (held.fingerprint, held.count, held.title) == ("fp-disk", 3, "Disk / is 93% full")
    assert held.first_seen == T0 and held.last_seen == T0 + timedelta(minutes=2)
    assert store.counts([window.id]) == {window.id: (1, 3)}


def test_overlapping_windows_each_record_and_the_group_needs_every_alert_covered(
    store: MaintenanceStore, clock: Clock
) -> None:
    api = _add(store, "service=api", hours=1)
    hosts = _add(store, "host=~web-.*", hours=4)
    web2 = {**DISK, "host": "web-2", "service": "db"}
    hit = store.suppress("group", [DISK, web2], "group", clock.now)
    # DISK is covered by both (the longer wins for it), web-2 only by `hosts`
    assert hit is not None and hit.window_id == hosts.id
    assert hit.ends_at == T0 + timedelta(hours=4)
    assert store.counts([api.id, hosts.id]) == {api.id: (1, 1), hosts.id: (1, 1)}
    lone = {"alertname": "EndpointDown", "service": "web"}
    assert store.suppress("mixed", [DISK, lone], "mixed", clock.now) is None  # one uncovered
    assert store.counts([api.id]) == {api.id: (1, 1)}  # nothing recorded for it


def test_ending_early_restores_paging_and_twice_is_a_conflict(
    store: MaintenanceStore, clock: Clock
) -> None:
    window = _add(store, "service=api")
    clock.now = T0 + timedelta(minutes=30)
    ended = store.end(window.id, who="U2")
    assert ended.state(clock.now) == "ended" and ended.ended_by == "U2"
    assert ended.until == T0 + timedelta(minutes=30)
    assert store.suppress("fp", [DISK], "disk", clock.now) is None
    with pytest.raises(Conflict, match="already ended"):
        store.end(window.id, who="U2")
    with pytest.raises(NotFound, match="no maintenance window #999"):
        store.end(999, who="U2")
    with pytest.raises(NotFound):
        store.get(999)
    upcoming = _add(store, "service=api", start=T0 + timedelta(hours=2))
    assert store.end(upcoming.id, who="U2").state(clock.now) == "ended"  # cancelled


@pytest.mark.parametrize(
    ("texts", "hours", "start", "kwargs", "problem"),
    [
        (("service=api",), -1, T0, {}, "must end after it starts"),
        (("service=api",), 9, T0, {}, "at most 8 h (MAINTENANCE_MAX_HOURS)"),
        (("service=api",), 1, T0 - timedelta(hours=3), {}, "ends in the past"),
        ((), 1, T0, {}, "match every alert"),
        (("alertname=~.*",), 1, T0, {}, "match every alert"),
    ],
)
def test_bad_windows_are_invalid_and_store_nothing(
    store: MaintenanceStore,
    texts,
    hours,
    start,
    kwargs,
    problem,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(Invalid, match=problem.replace("(", r"\(").replace(")", r"\)")):
        _add(store, *texts, hours=hours, start=start, **kwargs)
    assert store.windows("all") == []


def test_a_reason_is_required_and_match_everything_needs_the_flag(store: MaintenanceStore) -> None:
    with pytest.raises(Invalid, match="needs a reason"):
        store.add(parse_matchers(["service=api"]), T0, T0 + timedelta(hours=1), "  ", who="U1")
    window = _add(store, match_all=True)
    assert window.match_all and store.suppress("fp", [{"alertname": "X"}], "x", T0) is not None


def test_times_take_a_zone_and_durations() -> None:
    assert parse_time("2026-12-03 22:00", "Europe/Paris") == datetime(
        2026, 12, 3, 21, 0, tzinfo=UTC
    )
    assert parse_time("2026-12-03T22:00+01:00") == datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
    assert parse_time("2026-12-03T22:00Z", "Europe/Paris") == datetime(2026, 12, 3, 22, tzinfo=UTC)
    assert span(start=None, end=None, length="2h", tz="UTC", now=T0) == (
        T0,
        T0 + timedelta(hours=2),
    )
    with pytest.raises(Invalid, match="bad time 'tomorrow'"):
        parse_time("tomorrow")
    with pytest.raises(Invalid, match="unknown time zone"):
        parse_time("2026-12-03 22:00", "Mars/Olympus")
    with pytest.raises(Invalid, match="either an end time or a duration"):
        span(start=None, end="2026-12-03T13:00Z", length="2h", tz="UTC", now=T0)
    with pytest.raises(Invalid, match="as a time window"):
        span(start=None, end=None, length="soon", tz="UTC", now=T0)
