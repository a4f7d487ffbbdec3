"""The incident engine's vocabulary: what an incident is about (`IncidentSpec`), its
settings (`EngineConfig`), who hears of changes (`EngineListener`), its error, what a merge
returns (`Merged`, `TimelineEvent`), and the event hash of a monitor check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from bot.incidents.tables import Incident
from core.errors import UserError
from core.incidents import Finding, digest


class IncidentError(UserError, ValueError):
    """An unknown incident or an impossible transition; the message is for the person."""


class EngineListener(Protocol):
    def changed(self, incident_id: int) -> None:
        """Something to deliver was committed (root update and/or thread notes)."""

    def opened(self, incident_id: int) -> None:
        """A new (or reopened, not flapping) incident needs triage."""


class NullListener:
    def changed(self, incident_id: int) -> None:
        pass

    def opened(self, incident_id: int) -> None:
        pass


@dataclass
class EngineConfig:
    autoresolve_checks: int = 3  # consecutive clear checks before a monitor incident resolves
    reopen_minutes: float = 30.0  # a problem back within this time reopens its incident
    flap_quiet_after: int = 3  # reopens after which thread notes stop until it settles
    refresh_seconds: float = 900.0  # re-render the root message at most this often for counts
    # a finding on the entity of an incident opened this recently joins it as a signal; 0: off
    correlate_minutes: float = 10.0


@dataclass
class IncidentSpec:
    """What an incident is about, from a finding or an Alertmanager group."""

    fingerprint: str
    source: str
    kind: str
    alertname: str
    title: str
    severity: str
    labels: dict[str, Any]
    summary: str = ""
    fields: list[list[str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    monitor: str | None = None
    runbook: dict[str, Any] | None = None

    @classmethod
    def from_finding(cls, finding: Finding) -> IncidentSpec:
        return cls(
            fingerprint=finding.fingerprint,
            source=finding.source,
            kind=finding.kind,
            alertname=finding.alertname,
            title=finding.title,
            severity=finding.severity,
            labels=dict(finding.labels),
            summary=finding.summary,
            fields=[[str(k), str(v)] for k, v in finding.fields],
            details=dict(finding.details),
            monitor=finding.monitor,
        )


@dataclass(frozen=True)
class TimelineEvent:
    """A timeline event (and thread note, when `note` is set) a merge asks the engine to add."""

    kind: str
    text: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True)
class Merged:
    """What a merge did: whether it was a significant change, and the event that says so."""

    significant: bool = False
    event: TimelineEvent | None = None


# Folds extra detail into a row (Alertmanager group members); see `IncidentEngine.upsert`.
Merge = Callable[[Session, Incident, bool], Merged]


def event_hash_for_cycle(finding: Finding, slot: int) -> str:
    """Monitor events: one per check slot, so two replicas running the same cycle (or a
    re-run within the same interval) count once, while each new check counts again."""
    return digest({"fp": finding.fingerprint, "severity": finding.severity, "slot": slot})
