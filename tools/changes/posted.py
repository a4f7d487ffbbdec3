"""A change reported from outside opsbot (a deploy from CI through `POST /events/change`, or
`opsbot changes add`): validated whole before anything is stored.

Body: {"service": "checkout", "version": "1.4.2", "who": "ci", "link": "https://ci/run/9",
"summary": "deployed 1.4.2", "kind": "deploy", "at": "2026-12-03T07:00:00Z"}; `service` (or
`target`) is required, the rest optional. A time more than `MAX_SKEW` in the future (a CI
runner's clock ahead of ours) or older than `MAX_AGE` is refused with the reason, not stored
with a time that would mislead triage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.clock import as_utc, iso, utcnow
from core.errors import Invalid
from tools.changes.store import Change, ChangeKind, ChangeStore

MAX_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
FIELDS = {"service", "target", "version", "who", "link", "summary", "kind", "at"}
_LIMITS = {"target": 300, "version": 200, "who": 200, "link": 1000, "summary": 2000}


def _text(name: str, value: Any, problems: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{name} must be a string")
        return ""
    value = value.strip()
    if len(value) > _LIMITS[name]:
        problems.append(f"{name} is longer than {_LIMITS[name]} characters")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        problems.append(f"{name} holds control characters")
    return value


def _time(value: Any, problems: list[str], now: datetime) -> datetime | None:
    if value is None:
        return None
    try:
        at = as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        problems.append(f"at must be an ISO 8601 time such as 2026-12-03T07:00:00Z, got {value!r}")
        return None
    if at > now + MAX_SKEW:
        problems.append(
            f"at ({iso(at)}) is {at - now} ahead of opsbot's clock ({iso(now)}); fix the "
            "sender's clock or leave `at` out"
        )
    elif at < now - MAX_AGE:
        problems.append(f"at ({iso(at)}) is more than {MAX_AGE.days} days old")
    return at


@dataclass(frozen=True)
class PostedChange:
    kind: ChangeKind
    target: str
    summary: str
    version: str
    who: str
    link: str
    at: datetime | None

    @classmethod
    def from_fields(cls, **fields: Any) -> PostedChange:
        return cls.parse(fields)

    @classmethod
    def parse(cls, body: Any, now: datetime | None = None) -> PostedChange:
        """The change in `body`, or Invalid naming every problem found."""
        if not isinstance(body, dict):
            raise Invalid('the body must be a JSON object such as {"service": "checkout"}')
        now = now or utcnow()
        problems: list[str] = []
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            problems.append(
                f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}"
            )
        target = _text("target", body.get("service", body.get("target")), problems)
        if not target:
            problems.append("service (what changed) is required")
        kind = ChangeKind.DEPLOY
        try:
            kind = ChangeKind.parse(str(body.get("kind") or "deploy"))
        except Invalid as exc:
            problems.append(str(exc))
        version = _text("version", body.get("version"), problems)
        link = _text("link", body.get("link"), problems)
        if link and not link.startswith(("https://", "http://")):
            problems.append("link must be an http(s) URL")
        summary = _text("summary", body.get("summary"), problems)
        who = _text("who", body.get("who"), problems)
        at = _time(body.get("at"), problems, now)
        if problems:
            raise Invalid("; ".join(problems))
        if not summary:
            summary = f"{kind.value} of {target}" + (f" {version}" if version else "")
        return cls(kind, target, summary, version, who, link, at)

    def record(self, store: ChangeStore, *, via: str) -> Change:
        return store.record(
            self.kind,
            self.target,
            summary=self.summary,
            after=self.version,
            who=self.who,
            via=via,
            link=self.link,
            source="posted",
            at=self.at,
        )
