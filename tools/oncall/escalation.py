"""Escalation chains, as pure values and functions: who is paged when an incident stays
unacknowledged.

A policy maps a severity (info, warning, critical, or `*` for any other) to steps; a step
fires `after_minutes` after the incident opened (or reopened) and notifies one or more
targets:

    schedule:NAME              the primary on call of schedule NAME (a direct message)
    schedule:NAME:secondary    its secondary
    user:U123                  a person (a direct message)
    usergroup:S123             a user group, mentioned (`<!subteam^S123>`) in the step's channel
    channel:C123               a message in a channel

Configured as JSON or YAML (`ESCALATION_POLICIES`), e.g.

    {"critical": [{"after_minutes": 5, "notify": "schedule:primary"},
                  {"after_minutes": 15, "notify": ["schedule:primary:secondary", "channel:C1"]},
                  {"after_minutes": 30, "notify": ["usergroup:S1", "channel:C1"]}]}

A user-group mention needs a channel to be posted in: the step's `channel:` target, else the
policy's `channel` (`{"channel": "C1", "critical": [...]}`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml

from core.errors import Invalid
from core.incidents import SEVERITY_ORDER

ANY = "*"
MAX_STEPS = 10
MAX_MINUTES = 7 * 24 * 60
SLACK_ID = {
    "user": re.compile(r"^[UW][A-Z0-9]{1,30}$"),
    "usergroup": re.compile(r"^S[A-Z0-9]{1,30}$"),
    "channel": re.compile(r"^[CG][A-Z0-9]{1,30}$"),
}
SCHEDULE_NAME = re.compile(r"^[^\s:]{1,100}$")
FORMS = "schedule:NAME, schedule:NAME:secondary, user:U123, usergroup:S123 or channel:C123"


@dataclass(frozen=True)
class Target:
    kind: str  # schedule | user | usergroup | channel
    id: str  # the schedule's name or the Slack id
    role: str = "primary"  # for a schedule: primary or secondary

    @classmethod
    def parse(cls, text: str) -> Target:
        kind, _, rest = str(text).strip().partition(":")
        kind = kind.lower()
        if kind == "schedule":
            name, _, role = rest.partition(":")
            role = role or "primary"
            if not SCHEDULE_NAME.match(name) or role not in ("primary", "secondary"):
                raise Invalid(f"bad escalation target {text!r}; use {FORMS}")
            return cls("schedule", name, role)
        pattern = SLACK_ID.get(kind)
        if pattern is None or not pattern.match(rest):
            raise Invalid(f"bad escalation target {text!r}; use {FORMS}")
        return cls(kind, rest)

    def __str__(self) -> str:
        suffix = ":secondary" if self.kind == "schedule" and self.role == "secondary" else ""
        return f"{self.kind}:{self.id}{suffix}"


@dataclass(frozen=True)
class Step:
    after_minutes: int
    notify: tuple[Target, ...]

    def due(self, opened: datetime, now: datetime) -> bool:
        return now >= opened + timedelta(minutes=self.after_minutes)


@dataclass(frozen=True)
class Policies:
    chains: Mapping[str, tuple[Step, ...]]
    channel: str | None = None  # where a user group is mentioned when a step names no channel

    def steps(self, severity: str) -> tuple[Step, ...]:
        """The chain of `severity` (else the `*` chain, else none)."""
        return self.chains.get(severity) or self.chains.get(ANY) or ()

    def schedules(self) -> set[str]:
        return {t.id for steps in self.chains.values() for s in steps for t in s.notify
                if t.kind == "schedule"}  # fmt: skip

    def __bool__(self) -> bool:
        return any(self.chains.values())


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, Mapping) or set(raw) - {"after_minutes", "notify"}:
        raise Invalid(f"{where}: a step is {{after_minutes: N, notify: TARGET or [TARGETS]}}")
    minutes = raw.get("after_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= MAX_MINUTES:
        raise Invalid(f"{where}: after_minutes must be a whole number from 0 to {MAX_MINUTES}")
    notify = raw.get("notify")
    targets = [notify] if isinstance(notify, str) else notify
    if not isinstance(targets, list) or not targets:
        raise Invalid(f"{where}: notify names at least one target ({FORMS})")
    return Step(minutes, tuple(Target.parse(t) for t in targets))


def load_text(value: Any) -> Any:
    """JSON or YAML text as its value (anything else as it is); blank text is {}."""
    if not isinstance(value, str):
        return {} if value is None else value
    if not value.strip():
        return {}
    try:
        return json.loads(value)
    except ValueError:
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise Invalid(f"escalation policies are neither JSON nor YAML: {exc}") from None


def parse_policies(value: str | Mapping[str, Any] | None) -> Policies:
    """Policies from JSON or YAML text (or a parsed mapping); Invalid names what is wrong."""
    value = load_text(value)
    if not isinstance(value, Mapping):
        raise Invalid("escalation policies are a mapping of severity to a list of steps")
    channel = value.get("channel")
    if channel is not None and not (
        isinstance(channel, str) and SLACK_ID["channel"].match(channel)
    ):
        raise Invalid(f"the escalation channel must be a Slack channel id (C…), not {channel!r}")
    chains: dict[str, tuple[Step, ...]] = {}
    for severity, raw in value.items():
        if severity == "channel":
            continue
        if severity not in SEVERITY_ORDER and severity != ANY:
            known = ", ".join([*SEVERITY_ORDER, ANY])
            raise Invalid(f"unknown severity {severity!r} in escalation policies; use {known}")
        if not isinstance(raw, list) or len(raw) > MAX_STEPS:
            raise Invalid(f"{severity}: a list of 1 to {MAX_STEPS} steps")
        steps = tuple(_step(s, f"{severity} step {i + 1}") for i, s in enumerate(raw))
        minutes = [s.after_minutes for s in steps]
        if minutes != sorted(minutes):
            raise Invalid(f"{severity}: the steps must be in order of after_minutes")
        for i, step in enumerate(steps):
            groups = any(t.kind == "usergroup" for t in step.notify)
            if groups and channel is None and not any(t.kind == "channel" for t in step.notify):
                raise Invalid(
                    f"{severity} step {i + 1}: a usergroup is mentioned in a channel; add "
                    "channel:C… to the step or a top-level channel"
                )
        chains[str(severity)] = steps
    return Policies(chains, channel)


def due_steps(
    steps: tuple[Step, ...], opened: datetime, now: datetime, done: Collection[int]
) -> list[int]:
    """The indexes of the steps due at `now` for an incident opened at `opened` and not
    acknowledged, leaving out those already `done`."""
    return [i for i, step in enumerate(steps) if i not in done and step.due(opened, now)]


@dataclass(frozen=True)
class Page:
    """One message of a step: to `to` (a user id: a direct message; or a channel id), about
    the incident `title`, mentioning `groups` (user-group ids) in a channel."""

    to: str
    title: str
    why: str  # "not acknowledged after 5 min (escalation step 1)"
    target: Target
    groups: tuple[str, ...] = ()

    @property
    def direct(self) -> bool:
        return self.target.kind in ("schedule", "user")


def pages(
    step: Step,
    index: int,
    *,
    title: str,
    on_call: Mapping[Target, str | None],
    default_channel: str | None,
) -> tuple[list[Page], list[str]]:
    """The messages of step `index` (0-based), and what could not be paged (a schedule with
    nobody on call). `on_call` gives the person of each schedule target."""
    why = f"not acknowledged after {step.after_minutes} min (escalation step {index + 1})"
    groups = tuple(t.id for t in step.notify if t.kind == "usergroup")
    channels = [t for t in step.notify if t.kind == "channel"]
    out: list[Page] = []
    missed: list[str] = []
    for target in step.notify:
        if target.kind in ("schedule", "user"):
            person = on_call.get(target) if target.kind == "schedule" else target.id
            if person is None:
                missed.append(f"nobody is on call for {target}")
                continue
            out.append(Page(person, title, why, target))
        elif target.kind == "channel":
            out.append(Page(target.id, title, why, target, groups))
    if groups and not channels and default_channel:
        group = next(t for t in step.notify if t.kind == "usergroup")
        out.append(Page(default_channel, title, why, group, groups))
    return out, missed
