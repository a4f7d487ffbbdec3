"""The incident engine's vocabulary: what an incident is about (`IncidentSpec`), its
settings (`EngineConfig`), who hears of changes (`EngineListener`), its error, what a merge
returns (`Merged`, `TimelineEvent`), the maintenance-window port (`Suppressor`), and the
event hash of a monitor check."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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


class WindowHit(Protocol):
    """A maintenance window covering a finding (tools/maintenance `Hit`)."""

    @property
    def window_id(self) -> int: ...

    @property
    def ends_at(self) -> datetime: ...


class Suppressor(Protocol):
    """Asked for every finding before it can open an incident: the active maintenance window
    that holds it back (having recorded it), or None. Wired by bot/incidents/wiring.py to
    `tools.maintenance.store.MaintenanceStore.suppress`."""

    def __call__(
        self,
        fingerprint: str,
        label_sets: Sequence[Mapping[str, str]],
        title: str,
        now: datetime,
    ) -> WindowHit | None: ...


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
    # the label sets of the alerts it is about (an Alertmanager group's firing alerts), for
    # maintenance windows; empty: the labels with the alertname (`label_sets`)
    alerts: list[dict[str, str]] = field(default_factory=list)

    def label_sets(self) -> list[dict[str, str]]:
        """What maintenance windows match: each alert's labels, or the spec's own with its
        alertname and monitor."""
        if self.alerts:
            return [dict(a) for a in self.alerts]
        labels = {str(k): str(v) for k, v in self.labels.items()}
        labels.setdefault("alertname", self.alertname)
        if self.monitor:
            labels.setdefault("monitor", self.monitor)
        return [labels]

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
