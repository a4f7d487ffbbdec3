"""A schedule from iCal text: each event is a shift of the person its summary or attendee names.

Parsed by `icalendar`, recurring events (RRULE, RDATE, EXDATE) expanded by
`recurring-ical-events` for the range asked, so an endless weekly event is never expanded whole.
The person is, in order: a Slack user id in the summary (`U123ABC` or `<@U123ABC>`), the first
attendee's CN or e-mail, or the summary itself. All-day events cover midnight to midnight in the
schedule's zone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from core.clock import as_utc
from core.errors import Invalid
from tools.oncall.model import CalendarShift

MAX_ICS_BYTES = 1_000_000
MARGIN = timedelta(days=1)
SLACK_ID = re.compile(r"<?@?\b([UW][A-Z0-9]{6,30})\b>?")


def _person(event: Any) -> str:
    summary = str(event.get("SUMMARY", "")).strip()
    if match := SLACK_ID.search(summary):
        return match.group(1)
    attendee = event.get("ATTENDEE")
    if isinstance(attendee, list):
        attendee = attendee[0] if attendee else None
    if attendee is not None:
        name = str(attendee.params.get("CN", "")).strip()
        return name or str(attendee).removeprefix("mailto:").removeprefix("MAILTO:")
    return summary


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value if value.tzinfo else value.replace(tzinfo=tz))
    return as_utc(datetime.combine(value, time(), tzinfo=tz))


def parse_ics(text: str) -> icalendar.Calendar:
    """A calendar with at least one event that names a person, or Invalid saying what is wrong."""
    if len(text.encode()) > MAX_ICS_BYTES:
        raise Invalid(f"the .ics file is over {MAX_ICS_BYTES // 1000} kB")
    if "BEGIN:VCALENDAR" not in text.upper():
        raise Invalid("not an iCal file: no BEGIN:VCALENDAR")
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError) as exc:
        raise Invalid(f"bad .ics file: {exc}") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise Invalid("bad .ics file: it holds several calendars; import one")
    events = calendar.walk("VEVENT")
    if not events:
        raise Invalid("the .ics file has no event (VEVENT)")
    for number, event in enumerate(events, 1):
        if event.get("DTSTART") is None:
            raise Invalid(f"event {number} ({event.get('SUMMARY', 'no summary')}) has no DTSTART")
        if not _person(event):
            raise Invalid(f"event {number} names nobody: give it a summary or an attendee")
    try:
        recurring_ical_events.of(calendar).at(2026)  # rules are checked now, not at each query
    except Exception as exc:  # the library raises its own and dateutil's errors; all mean "bad"
        raise Invalid(f"bad recurrence in the .ics file: {exc}") from None
    return calendar


@dataclass(frozen=True)
class IcsEvents:
    """The events of a calendar between two instants, as shifts (a `model.Events`)."""

    calendar: icalendar.Calendar
    tz: ZoneInfo

    @classmethod
    def from_text(cls, text: str, tz: ZoneInfo) -> IcsEvents:
        return cls(parse_ics(text), tz)

    def __call__(self, start: datetime, end: datetime) -> Sequence[CalendarShift]:
        # a day of margin: the library compares an occurrence's end as start + an absolute
        # duration, so a week-long event across a DST change ends an hour early for it; the
        # overlap is checked exactly below, with the occurrence's own DTEND
        found = recurring_ical_events.of(self.calendar).between(start - MARGIN, end + MARGIN)
        shifts: list[CalendarShift] = []
        for event in found:
            begin = _instant(event["DTSTART"].dt, self.tz)
            if event.get("DTEND") is not None:
                finish = _instant(event["DTEND"].dt, self.tz)
            elif event.get("DURATION") is not None:
                finish = begin + event["DURATION"].dt
            else:
                finish = begin + timedelta(days=1)
            if begin < end and finish > start:
                shifts.append(CalendarShift(_person(event), begin, finish))
        return sorted(shifts, key=lambda s: (s.start, s.person))
