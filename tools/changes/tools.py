"""The agent tool `what_changed(since, target, kind)`: the change log, newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, Field, field_validator

from core.access import Caller
from core.clock import iso, utcnow
from core.errors import Invalid
from tools.base import OpsTool, ToolResult
from tools.changes.store import Change, ChangeKind, ChangeStore

_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|min|mins|minutes?|h|hours?|d|days?)\s*$", re.I)
MAX_WINDOW = timedelta(days=90)


def parse_window(text: str) -> timedelta:
    """ "30m", "2h", "7d" (also "90 minutes", "1 day") as a duration of at most 90 days."""
    match = _DURATION.match(text or "")
    if match is None:
        raise Invalid(f"cannot read {text!r} as a time window; use e.g. 30m, 2h or 7d")
    amount, unit = int(match.group(1)), match.group(2).lower()
    window = (
        timedelta(minutes=amount)
        if unit.startswith("m")
        else timedelta(hours=amount)
        if unit.startswith("h")
        else timedelta(days=amount)
    )
    if window <= timedelta(0) or window > MAX_WINDOW:
        raise Invalid(f"the window {text!r} must be more than 0 and at most 90 days")
    return window


class WhatChangedArgs(BaseModel):
    since: str = Field("24h", description="How far back: 30m, 2h, 7d (at most 90d)")
    target: str | None = Field(
        None, max_length=300, description="Only changes to this model, prompt or service"
    )
    kind: str | None = Field(
        None, description="Only this kind: model_alias, prompt_label, remediation, config, deploy"
    )
    limit: int = Field(20, ge=1, le=200, description="At most this many changes")

    @field_validator("since")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        return None if value in (None, "") else ChangeKind.parse(value).value


def change_line(change: Change) -> str:
    """One change as a line: when, kind, target, what, who, through what."""
    who = f" by {change.who}" if change.who else ""
    via = f" via {change.via}" if change.via else ""
    link = f" <{change.link}>" if change.link.startswith(("http://", "https://")) else ""
    return (
        f"{iso(change.at)} [{change.kind.value}] {change.target}: {change.summary}{who}{via}{link}"
    )


@dataclass(frozen=True)
class WhatChanged:
    store: ChangeStore

    def run(self, args: WhatChangedArgs, caller: Caller) -> ToolResult:
        window = parse_window(args.since)
        kind = ChangeKind(args.kind) if args.kind else None
        changes = self.store.list(
            utcnow() - window, target=args.target or None, kind=kind, limit=args.limit
        )
        scope = " and ".join(
            part for part in (f"to {args.target}" if args.target else "", args.kind or "") if part
        )
        scope = f" ({scope})" if scope else ""
        if not changes:
            text = f"No change recorded in the last {args.since}{scope}."
        else:
            head = f"{len(changes)} change(s) in the last {args.since}{scope}, newest first:"
            text = "\n".join([head, *(f"- {change_line(c)}" for c in changes)])
        return ToolResult(text=text, data={"changes": [c.to_dict() for c in changes]})

    def tool(self) -> OpsTool:
        return OpsTool(
            name="what_changed",
            description="What changed recently: model alias moves, prompt label moves, "
            "remediations opsbot ran, and deploys posted by CI, newest first. Use it when "
            "something broke to see what changed just before.",
            args=WhatChangedArgs,
            run=self.run,
        )


def build_change_tools(store: ChangeStore) -> list[OpsTool]:
    return [WhatChanged(store).tool()]
