"""The engine's Suppressor port on its own: a failing check lets the finding through (a
broken window must not hide an outage), and a longer snooze someone set is kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.incidents.engine import IncidentEngine
from core.clock import utcnow
from core.incidents import Finding

DISK = Finding(monitor="host", alertname="HostDiskFull", title="Disk / is 95% full",
               severity="warning", kind="host", labels={"host": "web-1", "mountpoint": "/"})  # fmt: skip


@dataclass(frozen=True)
class Hit:
    window_id: int
    ends_at: datetime


def test_a_failing_window_check_lets_the_finding_through(engine: Engine) -> None:
    def broken(fp: str, sets: Sequence[Mapping[str, str]], title: str, now: datetime) -> None:
        raise ConnectionError("the maintenance table is unreachable")

    incidents = IncidentEngine(engine, suppressor=broken)
    incident_id, change = incidents.observe(DISK, "event-1")
    assert change == "opened" and incident_id is not None


def test_a_window_keeps_a_longer_snooze_and_labels_carry_the_alertname(engine: Engine) -> None:
    asked: list[Sequence[Mapping[str, str]]] = []
    until = utcnow() + timedelta(hours=1)
    windows: list[Hit] = []

    def suppressor(
        fp: str, sets: Sequence[Mapping[str, str]], title: str, now: datetime
    ) -> Hit | None:
        asked.append(sets)
        return windows[0] if windows else None

    incidents = IncidentEngine(engine, suppressor=suppressor)
    incident_id, _ = incidents.observe(DISK, "event-1")
    assert incident_id is not None
    assert asked[0] == [
        {"host": "web-1", "mountpoint": "/", "alertname": "HostDiskFull", "monitor": "host"}
    ]
    incidents.snooze(incident_id, "U1", 600)  # ten hours: longer than the window
    snoozed = incidents.get(incident_id).snoozed_until
    windows.append(Hit(7, until))
    assert incidents.observe(DISK, "event-2") == (incident_id, "updated")
    row = incidents.get(incident_id)
    assert row.snoozed_until == snoozed and row.snoozed_by == "U1"
    assert "maintenance" not in [e.kind for e in incidents.timeline(incident_id)]
    assert incidents.release_window(7) == []  # it set nothing, so it ends nothing
