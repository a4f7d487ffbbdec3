"""on_call and shifts: rotations across DST, overrides mid-shift and overlapping, secondaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.errors import Invalid
from tools.oncall.model import (
    Every,
    Override,
    Rotation,
    Schedule,
    on_call,
    parse_handoff,
    parse_people,
    parse_zone,
    shifts,
)

PARIS = parse_zone("Europe/Paris")  # CEST ends on 2026-10-25, CET to CEST on 2026-03-29


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def rotation(every: Every = Every.DAILY, start: date = date(2026, 10, 20)) -> Rotation:
    return Rotation(("U1AA", "U2BB", "U3CC"), every, time(9, 0), PARIS, start)


def sched(
    rot: Rotation | None = None, *, nxt: bool = False, second: Rotation | None = None
) -> Schedule:
    return Schedule("sre", PARIS, rotation=rot or rotation(), secondary_next=nxt, secondary=second)


def test_a_daily_handoff_stays_at_0900_paris_across_the_autumn_change() -> None:
    s = sched()
    # 24 Oct: CEST (UTC+2), handoff 07:00 UTC; 26 Oct: CET (UTC+1), handoff 08:00 UTC
    assert on_call(s, [], utc(2026, 10, 24, 6, 59)).primary == "U1AA"  # shift 3 (23 Oct)
    assert on_call(s, [], utc(2026, 10, 24, 7, 0)).primary == "U2BB"
    assert on_call(s, [], utc(2026, 10, 26, 7, 30)).primary == "U3CC"  # 08:30 CET: not yet
    assert on_call(s, [], utc(2026, 10, 26, 8, 0)).primary == "U1AA"
    found = shifts(s, [], utc(2026, 10, 23, 7, 0), utc(2026, 10, 28, 8, 0))
    assert [x.start.astimezone(PARIS).time() for x in found] == [time(9, 0)] * 5
    # the UTC instant moves with the clocks (back at 03:00 on 25 Oct), not the local 09:00
    assert [x.start.hour for x in found] == [7, 7, 8, 8, 8]
    assert found[1].end - found[1].start == timedelta(hours=25)  # 24 Oct 09:00 to 25 Oct 09:00


def test_a_weekly_handoff_across_the_spring_change() -> None:
    s = sched(rotation(Every.WEEKLY, date(2026, 3, 23)))  # a Monday; CEST from 29 March
    found = shifts(s, [], utc(2026, 3, 23, 8, 0), utc(2026, 4, 6, 7, 0))
    assert [(x.start, x.primary) for x in found] == [
        (utc(2026, 3, 23, 8, 0), "U1AA"),
        (utc(2026, 3, 30, 7, 0), "U2BB"),
    ]
    assert found[0].end - found[0].start == timedelta(days=7, hours=-1)


def test_nobody_before_the_start_and_the_list_wraps_round() -> None:
    s = sched()
    assert on_call(s, [], utc(2026, 10, 20, 6, 0)).primary is None
    assert on_call(s, [], utc(2026, 10, 23, 12, 0)).primary == "U1AA"  # the fourth day


def test_an_override_starting_and_ending_mid_shift_splits_it() -> None:
    cover = Override("U9ZZ", utc(2026, 10, 21, 12, 0), utc(2026, 10, 21, 15, 0), "dentist", id=1)
    found = shifts(sched(), [cover], utc(2026, 10, 21, 7, 0), utc(2026, 10, 22, 7, 0))
    assert [(x.start.hour, x.primary, x.override) for x in found] == [
        (7, "U2BB", None),
        (12, "U9ZZ", cover),
        (15, "U2BB", None),
    ]
    assert found[-1].end == utc(2026, 10, 22, 7, 0)


def test_overlapping_overrides_the_latest_created_wins_whatever_their_order() -> None:
    created = utc(2026, 10, 1)
    long = Override("U7XX", utc(2026, 10, 21, 10), utc(2026, 10, 21, 20), "swap", created, 1)
    late = Override("U8YY", utc(2026, 10, 21, 12), utc(2026, 10, 21, 14), "late", created, 2)
    newer = Override("U6WW", utc(2026, 10, 21, 9), utc(2026, 10, 21, 11), "new",
                     created + timedelta(hours=1), 3)  # fmt: skip
    s = sched()
    for given in ([long, late, newer], [newer, late, long]):
        assert on_call(s, given, utc(2026, 10, 21, 10, 30)).primary == "U6WW"  # created last
        assert on_call(s, given, utc(2026, 10, 21, 13)).primary == "U8YY"  # same time: higher id
        assert on_call(s, given, utc(2026, 10, 21, 15)).primary == "U7XX"
        assert on_call(s, given, utc(2026, 10, 21, 20)).primary == "U2BB"  # the end is excluded


def test_secondary_is_the_next_in_the_list_or_a_second_rotation() -> None:
    at = utc(2026, 10, 21, 12)
    assert on_call(sched(), [], at).secondary is None
    assert on_call(sched(nxt=True), [], at).secondary == "U3CC"
    second = Rotation(("U5QQ", "U6WW"), Every.WEEKLY, time(10, 0), PARIS, date(2026, 10, 19))
    now = on_call(sched(second=second), [], at)
    assert (now.primary, now.secondary) == ("U2BB", "U5QQ")
    # the second rotation's own handoffs are shift boundaries too
    found = shifts(sched(second=second), [], utc(2026, 10, 25, 12), utc(2026, 10, 27, 12))
    assert [(x.start, x.secondary) for x in found][:3] == [
        (utc(2026, 10, 25, 12), "U5QQ"),
        (utc(2026, 10, 26, 8), "U5QQ"),
        (utc(2026, 10, 26, 9), "U6WW"),
    ]


def test_an_override_by_the_secondary_leaves_no_one_twice() -> None:
    cover = Override("U3CC", utc(2026, 10, 21, 9), utc(2026, 10, 21, 18), "swap", id=1)
    now = on_call(sched(nxt=True), [cover], utc(2026, 10, 21, 12))
    assert (now.primary, now.secondary) == ("U3CC", None)


def test_bad_values_are_clear_errors() -> None:
    assert parse_people("U1, <@U2>,W3") == ("U1", "U2", "W3")
    with pytest.raises(Invalid, match="unknown time zone 'Europe/Pariss'"):
        parse_zone("Europe/Pariss")
    with pytest.raises(Invalid, match="at least one person"):
        parse_people(" , ")
    with pytest.raises(Invalid, match="not Slack user ids: bob"):
        parse_people("U1AA,bob")
    with pytest.raises(Invalid, match="twice"):
        parse_people("U1AA,<@U1AA>")
    with pytest.raises(Invalid, match="HH:MM"):
        parse_handoff("9am")
    with pytest.raises(Invalid, match="daily or weekly"):
        Every.parse("hourly")
    with pytest.raises(Invalid, match="after its start"):
        shifts(sched(), [], utc(2026, 10, 21), utc(2026, 10, 21))
    with pytest.raises(Invalid, match="shorter range"):
        shifts(sched(), [], utc(2026, 1, 1), utc(2036, 1, 1))
