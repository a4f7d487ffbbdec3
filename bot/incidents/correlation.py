"""Findings that start together on a related entity become one incident with several signals.

A disk filling on web-1, then web-1's endpoint failing and its CPU turning anomalous a minute
later are one problem, not three pages. When a monitor finding would open a new incident,
it is folded instead into an open incident that was opened within `correlate_minutes` and is
about the same entity: the same host, service, model or prompt, read from the labels (`host`,
`instance` without its port, `service`, `job`, `endpoint`, `model`, `prompt`, …) or named
by the finding itself in `details["entities"]`. It becomes a row of `incident_signal`; the
incident's timeline and thread say so, its severity takes the worse of the two, and its card
lists the signals in the order they started, the incident's own first.

The incident stays open while any of its signals fires; a signal clears as its monitor's
incidents do (`autoresolve_checks` clear checks in a row) and, once cleared, the same finding
coming back opens or joins an incident again. Resolving the incident clears its signals.

Only monitor findings are folded (no claim, no merge): Prometheus's alerts own their alert
identity across sources, and an Alertmanager group is Alertmanager's own grouping, which a
team configures with `group_by`; neither is second-guessed here, but either may be the
incident that later findings join.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.incidents.contract import SignalView
from bot.incidents.spec import IncidentSpec
from bot.incidents.tables import Incident, IncidentSignal
from core.clock import as_utc
from core.incidents import worse

# label -> the kind of entity it names; the first label present of a kind is used
ENTITY_LABELS: tuple[tuple[str, str], ...] = (
    ("host", "host"),
    ("hostname", "host"),
    ("nodename", "host"),
    ("node", "host"),
    ("instance", "host"),
    ("service", "service"),
    ("service_name", "service"),
    ("app", "service"),
    ("job", "service"),
    ("endpoint", "service"),
    ("deployment", "service"),
    ("model", "model"),
    ("prompt", "prompt"),
)
_PORT = re.compile(r"^(?P<host>[^\[\]:]+|\[[^\]]+\]):\d{1,5}$")
MAX_ENTITY = 300
# details key: the severity of an incident's own finding, once signals may raise the incident's
OWN_SEVERITY = "own_severity"


def _host(value: str) -> str:
    """`web-1:9100` and `10.0.0.7:9100` name the host without the exporter's port."""
    match = _PORT.match(value)
    host = match.group("host") if match else value
    return host.strip("[]").lower()


def entities(labels: Mapping[str, Any], details: Mapping[str, Any] | None = None) -> frozenset[str]:
    """What a finding is about, as `kind:name` strings (`host:web-1`, `model:churn`)."""
    found: dict[str, str] = {}
    for label, kind in ENTITY_LABELS:
        value = str(labels.get(label) or "").strip()
        if not value or kind in found:
            continue
        found[kind] = _host(value) if kind == "host" else value
    named = (details or {}).get("entities") or ()
    extra = {str(e).strip() for e in named if isinstance(e, str) and ":" in e}
    return frozenset(
        {f"{kind}:{name}"[:MAX_ENTITY] for kind, name in found.items()}
        | {e[:MAX_ENTITY] for e in extra}
    )


class Correlation:
    """The signal rows of the engine's transactions (`Upsert` and the clear checks call it)."""

    def __init__(self, minutes: float) -> None:
        self.window = timedelta(minutes=minutes)

    @property
    def enabled(self) -> bool:
        return self.window > timedelta(0)

    def firing(self, db: Session, fingerprint: str) -> IncidentSignal | None:
        """The firing signal of this fingerprint, locked for the transaction."""
        return db.exec(
            select(IncidentSignal).where(IncidentSignal.open_key == fingerprint).with_for_update()
        ).first()

    def related(
        self, db: Session, spec: IncidentSpec, now: datetime
    ) -> tuple[Incident, str] | None:
        """The earliest open incident opened within the window on an entity of `spec`, with
        the entity they share; None when the finding stands alone."""
        mine = entities(spec.labels, spec.details)
        if not mine or not self.enabled:
            return None
        since = now - self.window
        rows = db.exec(
            select(Incident)
            .where(col(Incident.open_key).is_not(None))
            .where(col(Incident.first_seen) >= since)
            # its own incident, opened by another replica since this transaction looked,
            # is not a related one: the insert of its open key fails and the retry updates it
            .where(col(Incident.fingerprint) != spec.fingerprint)
            .order_by(col(Incident.first_seen), col(Incident.id))
            .with_for_update()
        ).all()
        for row in rows:
            shared = mine & entities(row.labels or {}, row.details or {})
            if shared and as_utc(row.first_seen) >= since:
                return row, sorted(shared)[0]
        return None

    def attach(
        self, db: Session, row: Incident, spec: IncidentSpec, entity: str, now: datetime
    ) -> IncidentSignal:
        assert row.id is not None
        signal = IncidentSignal(
            incident_id=row.id,
            fingerprint=spec.fingerprint,
            open_key=spec.fingerprint,
            monitor=spec.monitor,
            alertname=spec.alertname[:200],
            title=spec.title[:500],
            severity=spec.severity,
            entity=entity,
            first_seen=now,
            last_seen=now,
        )
        db.add(signal)
        db.flush()  # IntegrityError if another replica folded the same finding meanwhile
        return signal

    def clear(
        self, db: Session, monitors: Iterable[str], firing: set[str], needed: int, now: datetime
    ) -> tuple[list[IncidentSignal], set[int]]:
        """Count a clear check for each firing signal of these monitors that was not reported;
        returns the signals that cleared now, and the incidents that still have one firing."""
        rows = db.exec(
            select(IncidentSignal)
            .where(col(IncidentSignal.open_key).is_not(None))
            .with_for_update()
        ).all()
        checked = set(monitors)
        cleared: list[IncidentSignal] = []
        held: set[int] = set()
        for signal in rows:
            if signal.monitor in checked and signal.fingerprint not in firing:
                signal.clear_checks += 1
                if signal.clear_checks >= needed:
                    signal.open_key = None
                    signal.cleared_at = now
                    cleared.append(signal)
                db.add(signal)
            if signal.open_key is not None:
                held.add(signal.incident_id)
        return cleared, held

    def severity(self, db: Session, incident_id: int, own: str) -> str:
        """The incident's severity: the worse of its own finding's and its firing signals'."""
        rows = db.exec(
            select(IncidentSignal.severity)
            .where(IncidentSignal.incident_id == incident_id)
            .where(col(IncidentSignal.open_key).is_not(None))
        ).all()
        for severity in rows:
            own = worse(own, severity)
        return own

    def release(self, db: Session, incident_id: int, now: datetime) -> None:
        """The incident resolved: its signals stop firing with it."""
        rows = db.exec(
            select(IncidentSignal)
            .where(IncidentSignal.incident_id == incident_id)
            .where(col(IncidentSignal.open_key).is_not(None))
        ).all()
        for signal in rows:
            signal.open_key = None
            signal.cleared_at = now
            db.add(signal)


def signal_views(db: Engine, row: Incident) -> tuple[SignalView, ...]:
    """The incident's signals in the order they started, its own first; () when it has none
    but its own."""
    assert row.id is not None
    with Session(db) as session:
        rows = session.exec(
            select(IncidentSignal)
            .where(IncidentSignal.incident_id == row.id)
            .order_by(col(IncidentSignal.first_seen), col(IncidentSignal.id))
        ).all()
    if not rows:
        return ()
    own = SignalView(
        alertname=row.alertname,
        title=row.title,
        severity=str((row.details or {}).get(OWN_SEVERITY) or row.severity),
        entity="",
        first_seen=as_utc(row.first_seen),
        firing=row.open_key is not None and row.clear_checks == 0,
    )
    others = [
        SignalView(
            alertname=s.alertname,
            title=s.title,
            severity=s.severity,
            entity=s.entity,
            first_seen=as_utc(s.first_seen),
            firing=s.open_key is not None,
        )
        for s in rows
    ]
    return (own, *others)
