"""Who may approve because they are on call now: the primary (and secondary) of the
schedules named by ONCALL_APPROVER_SCHEDULES, read at the moment of each decision.

An entry is `NAME` (its primary and its secondary), `NAME:primary` or `NAME:secondary`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import utcnow
from core.errors import Invalid, NotFound
from tools.oncall.model import on_call
from tools.oncall.store import OncallStore

log = logging.getLogger(__name__)

ROLES = ("primary", "secondary")
ENTRY = re.compile(r"^([^\s:]{1,100})(?::(primary|secondary))?$")


@dataclass(frozen=True)
class ApproverSchedule:
    name: str
    roles: tuple[str, ...] = ROLES


def parse_approver_schedules(entries: Iterable[str]) -> tuple[ApproverSchedule, ...]:
    """`ops,db:primary` as values; Invalid names a bad entry."""
    result = []
    for entry in entries:
        match = ENTRY.match(entry.strip())
        if match is None:
            raise Invalid(
                f"bad on-call approver schedule {entry!r}; use NAME, NAME:primary or NAME:secondary"
            )
        role = match.group(2)
        result.append(ApproverSchedule(match.group(1), (role,) if role else ROLES))
    return tuple(result)


def on_call_approvers(
    store: OncallStore, schedules: Iterable[ApproverSchedule], at: datetime
) -> dict[str, str]:
    """Each person on call at `at` in these schedules, with what they are ("primary of ops").
    A schedule that does not exist (any more) grants nothing and is logged."""
    people: dict[str, str] = {}
    for entry in schedules:
        try:
            schedule = store.schedule(entry.name)
            overrides = store.overrides(entry.name, at, at + timedelta(seconds=1))
        except NotFound:
            log.warning("ONCALL_APPROVER_SCHEDULES names the unknown schedule %r", entry.name)
            continue
        now = on_call(schedule, overrides, at)
        for role, user in (("primary", now.primary), ("secondary", now.secondary)):
            if user and role in entry.roles:
                people.setdefault(user, f"{role} of {entry.name}")
    return people


def approvers_now(
    store: OncallStore, entries: Iterable[str], clock: Callable[[], datetime] = utcnow
) -> Callable[[], dict[str, str]]:
    """Who is on call in these schedules, asked again at each call (at `clock()`)."""
    schedules = parse_approver_schedules(entries)
    return lambda: on_call_approvers(store, schedules, clock())
