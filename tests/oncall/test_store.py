"""Schedules and overrides stored on SQLite and PostgreSQL, read back by who_is_on_call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.access import Caller
from core.errors import Conflict, Invalid, NotFound
from tests.oncall.test_ical import CALENDAR
from tools.oncall.store import OncallStore
from tools.oncall.tools import WhoIsOnCall, WhoIsOnCallArgs

CALLER = Caller("U0TEST", "test")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def add_sre(store: OncallStore, **extra: str) -> None:
    store.add_rotation("sre", people="U1AA,U2BB,U3CC", every="daily", handoff="09:00",
                       tz="Europe/Paris", start="2026-10-20", **extra)  # fmt: skip


def ask(store: OncallStore, **args: Any) -> Any:
    return WhoIsOnCall(store).run(WhoIsOnCallArgs(**args), CALLER)


def test_a_rotation_with_an_override_answers_now_and_next(engine: Any) -> None:
    store = OncallStore(engine)
    add_sre(store, secondary="next")
    cover, overlapped = store.add_override(
        "sre", user="U9ZZ", start=utc(2026, 10, 21, 12), end=utc(2026, 10, 21, 15), reason="swap"
    )
    assert overlapped == []
    result = ask(store, schedule="sre", at="2026-10-21T12:30:00+02:00")  # 10:30 UTC
    data = result.data["schedules"][0]
    assert data["now"]["primary"] == "U2BB" and data["now"]["secondary"] == "U3CC"
    assert data["now"]["from"] == "2026-10-21T07:00:00Z"
    assert data["next"] == {"from": "2026-10-21T12:00:00Z", "to": "2026-10-21T15:00:00Z",
                            "primary": "U9ZZ", "secondary": "U3CC",
                            "override": {"id": cover.id, "user": "U9ZZ",
                                         "from": "2026-10-21T12:00:00Z",
                                         "to": "2026-10-21T15:00:00Z", "reason": "swap"}}  # fmt: skip
    assert "next: U9ZZ, secondary U3CC from Wed 21 Oct 14:00 Europe/Paris" in result.text
    assert "(2026-10-21 12:00 UTC)" in result.text


def test_an_overlapping_override_is_stored_reported_and_wins(engine: Any) -> None:
    store = OncallStore(engine)
    add_sre(store)
    first, _ = store.add_override("sre", user="U7XX", start=utc(2026, 10, 21, 10),
                                  end=utc(2026, 10, 21, 20), reason="swap")  # fmt: skip
    second, overlapped = store.add_override("sre", user="U8YY", start=utc(2026, 10, 21, 12),
                                            end=utc(2026, 10, 21, 14), reason="cover")  # fmt: skip
    assert overlapped == [first]
    now = ask(store, schedule="sre", at="2026-10-21T13:00:00Z").data["schedules"][0]["now"]
    assert now["primary"] == "U8YY" and now["override"]["id"] == second.id


def test_an_imported_calendar_is_a_schedule(engine: Any) -> None:
    store = OncallStore(engine)
    info = store.import_ics("cal", CALENDAR, tz="Europe/Paris")
    assert info.kind == "ical" and info.tz == "Europe/Paris"
    text = ask(store, at="2026-10-22T12:00:00Z").text
    assert "*cal*: U0AAAAAAA is on call" in text and "next: Bob Martin" in text


def test_bad_input_is_refused_and_stores_nothing(engine: Any) -> None:
    store = OncallStore(engine)
    add_sre(store)
    with pytest.raises(Conflict, match="exists already"):
        add_sre(store)
    with pytest.raises(Invalid, match="unknown time zone"):
        store.add_rotation("b", people="U1AA", every="daily", handoff="09:00", tz="Paris",
                           start="2026-10-20")  # fmt: skip
    with pytest.raises(Invalid, match="at least one person"):
        store.add_rotation("b", people="", every="daily", handoff="09:00", tz="UTC",
                           start="2026-10-20")  # fmt: skip
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        store.add_rotation("b", people="U1AA", every="daily", handoff="09:00", tz="UTC",
                           start="20/10/2026")  # fmt: skip
    with pytest.raises(NotFound, match="no on-call schedule named 'other'; known: sre"):
        store.add_rotation("b", people="U1AA", every="daily", handoff="09:00", tz="UTC",
                           start="2026-10-20", secondary="other")  # fmt: skip
    store.import_ics("cal", CALENDAR)
    with pytest.raises(Invalid, match="is a calendar; name a rotation"):
        store.add_rotation("b", people="U1AA", every="daily", handoff="09:00", tz="UTC",
                           start="2026-10-20", secondary="cal")  # fmt: skip
    with pytest.raises(Invalid, match="no event"):
        store.import_ics("c", "BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    with pytest.raises(Invalid, match="bad schedule name"):
        store.import_ics("two words", CALENDAR)
    assert store.names() == ["cal", "sre"]
    at = utc(2026, 10, 21, 12)
    with pytest.raises(Invalid, match="end after it starts"):
        store.add_override("sre", user="U9ZZ", start=at, end=at, reason="x")
    with pytest.raises(Invalid, match="one person"):
        store.add_override("sre", user="U8YY,U9ZZ", start=at, end=at + timedelta(hours=1),
                           reason="x")  # fmt: skip
    with pytest.raises(Invalid, match="needs a reason"):
        store.add_override("sre", user="U9ZZ", start=at, end=at + timedelta(hours=1), reason=" ")
    with pytest.raises(NotFound, match="'ops'"):
        store.add_override("ops", user="U9ZZ", start=at, end=at + timedelta(hours=1), reason="x")
    assert store.overrides("sre", at - timedelta(days=9), at + timedelta(days=9)) == []
    with pytest.raises(NotFound, match="'ops'"):
        ask(store, schedule="ops")


def test_no_schedule_yet_says_how_to_add_one(engine: Any) -> None:
    result = ask(OncallStore(engine))
    assert "No on-call schedule yet" in result.text and result.data == {"schedules": []}
