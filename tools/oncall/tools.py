"""The agent tool `who_is_on_call(schedule, at)`: on call now (or at `at`) and next, with the
handoff times in the schedule's zone and in UTC. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator

from core.access import Caller
from core.clock import as_utc, iso, utcnow
from core.errors import Invalid
from tools.base import OpsTool, ToolResult
from tools.oncall.model import Schedule, Shift, shifts
from tools.oncall.store import OncallStore, override_dict

HORIZON = timedelta(days=35)  # how far ahead "next" is looked for


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant (a naive one is UTC), or Invalid."""
    try:
        return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise Invalid(f"bad time {text!r}; use ISO 8601, e.g. 2026-12-01T09:00+01:00") from None


class WhoIsOnCallArgs(BaseModel):
    schedule: str | None = Field(
        None, max_length=100, description="The schedule's name; all schedules when omitted"
    )
    at: str | None = Field(None, max_length=40, description="An ISO 8601 time; now when omitted")

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parse_instant(value)
        return value


def _when(at: datetime, schedule: Schedule) -> str:
    local = at.astimezone(schedule.tz)
    return f"{local:%a %d %b %H:%M} {schedule.tz.key} ({at:%Y-%m-%d %H:%M} UTC)"


def _who(user: str | None) -> str:
    """The person as plain text: an answer names the on-call, it does not page them (a
    `<@U…>` mention would notify; front ends escape tool text anyway)."""
    return user or "nobody"


def _shift_dict(shift: Shift) -> dict[str, Any]:
    return {
        "from": iso(shift.start),
        "to": iso(shift.end),
        "primary": shift.primary,
        "secondary": shift.secondary,
        "override": override_dict(shift.override) if shift.override else None,
    }


@dataclass(frozen=True)
class WhoIsOnCall:
    store: OncallStore

    def report(self, name: str, at: datetime) -> tuple[str, dict[str, Any]]:
        schedule = self.store.schedule(name)
        overrides = self.store.overrides(name, at - HORIZON, at + HORIZON)
        around = shifts(schedule, overrides, at - HORIZON, at + HORIZON)
        index = next(i for i, shift in enumerate(around) if shift.start <= at < shift.end)
        now = around[index]
        nxt = around[index + 1] if index + 1 < len(around) else None
        second = f", secondary {_who(now.secondary)}" if now.secondary else ""
        cover = f" (override: {now.override.reason})" if now.override else ""
        since = f" since {_when(now.start, schedule)}" if now.start > at - HORIZON else ""
        lines = [f"*{name}*: {_who(now.primary)} is on call{second}{cover}{since}"]
        if nxt is not None:
            then = f", secondary {_who(nxt.secondary)}" if nxt.secondary else ""
            lines.append(f"  next: {_who(nxt.primary)}{then} from {_when(nxt.start, schedule)}")
        else:
            lines.append(f"  no handoff in the next {HORIZON.days} days")
        data = {
            "schedule": name,
            "tz": schedule.tz.key,
            "at": iso(at),
            "now": _shift_dict(now),
            "next": _shift_dict(nxt) if nxt else None,
        }
        return "\n".join(lines), data

    def run(self, args: WhoIsOnCallArgs, caller: Caller) -> ToolResult:
        at = parse_instant(args.at) if args.at else utcnow()
        names = [args.schedule.strip()] if args.schedule else self.store.names()
        if not names:
            return ToolResult(
                text="No on-call schedule yet (`opsbot oncall rotation add` makes one).",
                data={"schedules": []},
            )
        reports = [self.report(name, at) for name in names]
        head = f"On call at {at:%Y-%m-%d %H:%M} UTC:" if args.at else "On call now:"
        text = "\n".join([head, *(text for text, _ in reports)])
        return ToolResult(text=text, data={"schedules": [data for _, data in reports]})

    def tool(self) -> OpsTool:
        return OpsTool(
            name="who_is_on_call",
            description="Who is on call now (or at a given time) and who is next, per on-call "
            "schedule, with the handoff time in the schedule's time zone and in UTC.",
            args=WhoIsOnCallArgs,
            run=self.run,
        )


def build_oncall_tools(store: OncallStore) -> list[OpsTool]:
    return [WhoIsOnCall(store).tool()]
