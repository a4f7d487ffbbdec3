"""What the incident engine and the chat front ends agree on.

The engine (bot/incidents) decides *what* changed; a notifier (console or Slack) decides how
to show it. The Slack notifier keeps one root message per incident, updated in place, and
puts evidence and progress in its thread without pinging anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.approvals import ApprovalView
from tools.injection import warning

# The thread id of an incident's suggested actions (their approvals): "incident:<id>".
THREAD_PREFIX = "incident:"


def incident_of_thread(thread_id: str | None) -> int | None:
    """The incident whose suggested action an approval with this thread id is, if any."""
    if thread_id and thread_id.startswith(THREAD_PREFIX):
        tail = thread_id[len(THREAD_PREFIX) :]
        return int(tail) if tail.isdigit() else None
    return None


@dataclass(frozen=True)
class RunbookRef:
    title: str
    section: str | None
    source: str  # file path relative to the knowledge folder, or a URL
    excerpt: str = ""
    warning: str = ""  # the excerpt holds instruction-like text: shown as data, with this
    url: str = ""  # the alert's own runbook_url, shown even when a local runbook is cited


@dataclass(frozen=True)
class NoteFile:
    """A file posted with a thread note: a file on disk (`path`, e.g. an anomaly's PNG) or
    text made for it (`content`, e.g. the log lines triage pulled)."""

    filename: str
    title: str
    path: str | None = None
    content: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: Any) -> NoteFile | None:
        """The file an event's data describes; None when it is not one (logged by the caller)."""
        if not isinstance(data, dict) or not data.get("filename"):
            return None
        path, content = data.get("path"), data.get("content")
        if not isinstance(path, str) and not isinstance(content, str):
            return None
        return cls(
            filename=str(data["filename"]),
            title=str(data.get("title") or data["filename"]),
            path=path if isinstance(path, str) else None,
            content=content if isinstance(content, str) else None,
        )


@dataclass(frozen=True)
class SignalView:
    """One signal of an incident that several findings joined (`bot.incidents.correlation`)."""

    alertname: str
    title: str
    severity: str
    entity: str  # what relates it to the incident ('' for the incident's own signal)
    first_seen: datetime
    firing: bool


def after(first: datetime, then: datetime) -> str:
    """'+1m40s': how long after the first signal another one started."""
    seconds = max(0, int((then - first).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"+{hours}h{minutes:02d}m"
    return f"+{minutes}m{seconds:02d}s" if minutes else f"+{seconds}s"


@dataclass(frozen=True)
class IncidentCard:
    """Everything needed to render an incident's root message."""

    id: int
    title: str
    status: str  # open | acknowledged | resolved
    severity: str  # info | warning | critical
    kind: str  # host | endpoint | model_drift | alertmanager | prometheus | ...
    summary: str
    fields: tuple[tuple[str, str], ...] = ()  # figures that show the problem
    runbook: RunbookRef | None = None
    actions: tuple[ApprovalView, ...] = ()  # suggested actions awaiting approval (or decided)
    count: int = 1  # how many times the condition was seen
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    acknowledged_by: str | None = None
    resolved_by: str | None = None
    snoozed_until: datetime | None = None
    message_channel: str | None = None  # where the root message lives, once posted
    message_ts: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    # why the alert's own text (title, summary) is flagged as instruction-like ('' if not)
    untrusted: str = ""
    # the findings it holds, in the order they started, its own first; () when only its own
    signals: tuple[SignalView, ...] = ()

    @property
    def alert_warning(self) -> str | None:
        """The warning to show with the alert's own text, or None when it was not flagged."""
        return warning(self.untrusted, "the alert's text") if self.untrusted else None


class IncidentNotifier(Protocol):
    def incident_changed(self, card: IncidentCard) -> tuple[str, str] | None:
        """Post the root message (first time) or update it in place.

        Returns (channel, ts) of the root message when it was posted, so the engine can store it;
        None when the front end has no message identity (the console)."""
        ...

    def thread_note(self, card: IncidentCard, text: str, files: Sequence[NoteFile] = ()) -> None:
        """Add evidence or progress to the incident's thread, without notifying anyone; the
        `files` are attached to the note (a front end without files says where they are)."""
        ...


class IncidentActions(Protocol):
    """What buttons and commands can do to an incident. Raises ValueError with a clear message
    for an unknown incident or an impossible transition."""

    def acknowledge(self, incident_id: int, user: str) -> IncidentCard: ...

    def resolve(self, incident_id: int, user: str) -> IncidentCard: ...

    def snooze(self, incident_id: int, user: str, minutes: int) -> IncidentCard: ...

    def card(self, incident_id: int) -> IncidentCard: ...
