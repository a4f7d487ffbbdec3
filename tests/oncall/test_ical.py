"""iCal schedules: real .ics text, recurring events expanded, people found, bad files refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import Invalid
from tools.oncall.ical import IcsEvents, parse_ics
from tools.oncall.model import Schedule, on_call, parse_zone, shifts

PARIS = parse_zone("Europe/Paris")

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//opsbot tests//EN
BEGIN:VEVENT
UID:a@opsbot.test
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Paris:20261019T090000
DTEND;TZID=Europe/Paris:20261026T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
EXDATE;TZID=Europe/Paris:20261116T090000
SUMMARY:On call <@U0AAAAAAA>
END:VEVENT
BEGIN:VEVENT
UID:b@opsbot.test
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Paris:20261026T090000
DTEND;TZID=Europe/Paris:20261102T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:Primary
ATTENDEE;CN=Bob Martin:mailto:bob@example.com
END:VEVENT
BEGIN:VEVENT
UID:c@opsbot.test
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20261225
DTEND;VALUE=DATE:20261226
SUMMARY:carol
END:VEVENT
END:VCALENDAR
"""


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def schedule(text: str = CALENDAR) -> Schedule:
    return Schedule("cal", PARIS, events=IcsEvents.from_text(text, PARIS))


def test_recurring_events_are_expanded_across_dst_with_their_people() -> None:
    s = schedule()
    assert on_call(s, [], utc(2026, 10, 20, 12)).primary == "U0AAAAAAA"  # from the summary
    assert on_call(s, [], utc(2026, 10, 26, 7, 59)).primary == "U0AAAAAAA"
    assert on_call(s, [], utc(2026, 10, 26, 8, 0)).primary == "Bob Martin"  # 09:00 CET
    assert on_call(s, [], utc(2027, 6, 1, 12)).primary in ("U0AAAAAAA", "Bob Martin")
    assert on_call(s, [], utc(2026, 11, 18, 12)).primary is None  # the excluded occurrence
    found = shifts(s, [], utc(2026, 10, 19, 7), utc(2026, 11, 16, 8))
    assert [(x.start, x.primary) for x in found] == [
        (utc(2026, 10, 19, 7), "U0AAAAAAA"),
        (utc(2026, 10, 26, 8), "Bob Martin"),
        (utc(2026, 11, 2, 8), "U0AAAAAAA"),
        (utc(2026, 11, 9, 8), "Bob Martin"),
    ]


def test_an_all_day_event_covers_the_day_in_the_schedule_zone() -> None:
    s = schedule()
    # Bob's fortnight from 21 Dec overlaps it: the event that started last wins
    assert on_call(s, [], utc(2026, 12, 24, 22, 59)).primary == "Bob Martin"  # 23:59 in Paris
    assert on_call(s, [], utc(2026, 12, 24, 23, 0)).primary == "carol"  # midnight in Paris
    assert on_call(s, [], utc(2026, 12, 25, 22, 59)).primary == "carol"
    assert on_call(s, [], utc(2026, 12, 25, 23, 0)).primary == "Bob Martin"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "no BEGIN:VCALENDAR"),
        ("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "no event"),
        ("BEGIN:VCALENDAR\njunk\nEND:VCALENDAR\n", "bad .ics file"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
            "event 1 .x. has no DTSTART",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261201T090000Z\nEND:VEVENT\nEND:VCALENDAR\n",
            "names nobody",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nDTSTART:20261201T090000Z\n"
            "RRULE:FREQ=SOMETIMES\nEND:VEVENT\nEND:VCALENDAR\n",
            "bad",
        ),
        ("BEGIN:VCALENDAR\n" + "X" * 1_000_001, "over 1000 kB"),
    ],
)
def test_a_bad_file_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse_ics(text)
