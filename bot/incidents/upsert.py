"""Open, update or reopen the incident of a fingerprint, inside one transaction.

`Upsert` decides which of the three a new event is (the open incident of the fingerprint is
updated; one resolved within the reopen window is reopened, with flap damping; otherwise a
new one is opened, muted if the previous one is still snoozed) and records it through the
`IncidentWriter`. The caller (`IncidentEngine.upsert`) owns the retry and the commit.

A monitor finding (no claim, no merge) with no incident of its own may instead be a signal of
an open incident on the same entity (`bot.incidents.correlation`): "signal" when it already
is one, "correlated" when it joins one now.

With a `Claim` (the identities of the alerts it is about: `bot.incidents.identity`), alerts
already owned by another open incident are only recorded there as a sighting; when all of
them are, nothing is opened ("sighted"). What is left is claimed for this incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.incidents import identity
from bot.incidents.contract import after
from bot.incidents.correlation import OWN_SEVERITY, Correlation
from bot.incidents.identity import Claim
from bot.incidents.model import OPEN
from bot.incidents.spec import EngineConfig, IncidentSpec, Merge
from bot.incidents.tables import Incident, IncidentSignal
from bot.incidents.writes import Effects, IncidentWriter, aware, snoozed
from core.incidents import SEVERITY_ORDER, worse


class Upsert:
    def __init__(self, writer: IncidentWriter, config: EngineConfig) -> None:
        self.writer = writer
        self.config = config
        self.correlation = Correlation(config.correlate_minutes)

    def __call__(
        self,
        db: Session,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: Effects,
        claim: Claim | None = None,
    ) -> tuple[int, str]:
        """Update the open incident of this fingerprint, else reopen its last one if it was
        resolved within the reopen window, else open a new one (unless every alert of
        `claim` already has an incident of its own: then "sighted", with that one's id)."""
        row = self.writer.open_row(db, spec.fingerprint)
        if claim is None:
            if row is None and merge is None:
                folded = self._signal(db, spec, effects)
                if folded is not None:
                    return folded
            return self._upsert(db, row, spec, event_hash, merge, effects)
        found = identity.owners(db, claim.identities | claim.related)
        own = row.id if row is not None else None
        claim.owners = {i: owner for i, owner in found.items() if owner != own}
        others = {i: owner for i, owner in claim.owners.items() if i in claim.identities}
        identity.record_sightings(db, self.writer, others.values(), claim)
        mine = set(claim.identities - others.keys())
        if row is None and not mine and others:
            return min(others.values()), "sighted"
        incident_id, change = self._upsert(db, row, spec, event_hash, merge, effects)
        held = {i for i, owner in found.items() if owner == own}
        identity.hold(db, incident_id, mine, claim.source, held, fresh=row is None)
        return incident_id, change

    def _upsert(
        self,
        db: Session,
        row: Incident | None,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: Effects,
    ) -> tuple[int, str]:
        now = self.writer.clock()
        if row is not None:
            return self._update(db, row, spec, event_hash, merge, effects, now)
        previous = db.exec(
            select(Incident)
            .where(Incident.fingerprint == spec.fingerprint)
            .order_by(col(Incident.id).desc())
            .limit(1)
        ).first()
        window = timedelta(minutes=self.config.reopen_minutes)
        resolved_at = aware(previous.resolved_at) if previous is not None else None
        if previous is not None and resolved_at is not None and now - resolved_at <= window:
            return self._reopen(db, previous, spec, event_hash, merge, effects, now)
        return self._open(db, previous, spec, event_hash, merge, effects, now)

    def _signal(self, db: Session, spec: IncidentSpec, effects: Effects) -> tuple[int, str] | None:
        """The finding as a signal of a related open incident, if it is (or now becomes) one;
        a finding whose own incident was resolved within the reopen window reopens that."""
        now = self.writer.clock()
        signal = self.correlation.firing(db, spec.fingerprint)
        if signal is not None:
            return self._signal_seen(db, signal, spec, effects, now)
        previous = db.exec(
            select(Incident.resolved_at)
            .where(Incident.fingerprint == spec.fingerprint)
            .order_by(col(Incident.id).desc())
            .limit(1)
        ).first()
        resolved_at = aware(previous)
        if resolved_at is not None and now - resolved_at <= timedelta(
            minutes=self.config.reopen_minutes
        ):
            return None
        found = self.correlation.related(db, spec, now)
        if found is None:
            return None
        row, entity = found
        assert row.id is not None
        self.correlation.attach(db, row, spec, entity, now)
        first = aware(row.first_seen) or now
        text = (
            f"Related signal on {entity}: {spec.title[:300]} — started {after(first, now)} after "
            f"{row.alertname}, which came first"
        )
        data = {"alertname": spec.alertname, "fingerprint": spec.fingerprint, "entity": entity}
        self.writer.event(db, row, "signal", text, data=data, note=text)
        if OWN_SEVERITY not in (row.details or {}):
            row.details = {**(row.details or {}), OWN_SEVERITY: row.severity}
        self._severity_change(db, row, worse(row.severity, spec.severity))
        row.last_seen = now
        self.writer.touch(row, effects)
        db.add(row)
        return row.id, "correlated"

    def _signal_seen(
        self,
        db: Session,
        signal: IncidentSignal,
        spec: IncidentSpec,
        effects: Effects,
        now: datetime,
    ) -> tuple[int, str]:
        """A firing signal seen again: count it; a worse severity moves the incident's up."""
        row = db.get(Incident, signal.incident_id)
        signal.count += 1
        signal.last_seen = now
        signal.clear_checks = 0
        if spec.title:
            signal.title = spec.title[:500]
        changed = signal.severity != spec.severity
        signal.severity = spec.severity
        db.add(signal)
        if row is not None:
            row.last_seen = now
            if changed and self._severity_change(db, row, worse(row.severity, spec.severity)):
                self.writer.touch(row, effects)
            db.add(row)
        return signal.incident_id, "signal"

    def _merge(self, merge: Merge | None, db: Session, row: Incident, first: bool) -> bool:
        """Run the caller's merge and add the event it asks for; whether it was significant."""
        if merge is None:
            return False
        merged = merge(db, row, first)
        if merged.event is not None:
            self.writer.add(db, row, merged.event)
        return merged.significant

    def _update(
        self,
        db: Session,
        row: Incident,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: Effects,
        now: datetime,
    ) -> tuple[int, str]:
        """A new event for an open incident: count it, take the latest figures; re-render
        the message only for a significant change or when the last render is stale."""
        assert row.id is not None
        if row.last_event_hash == event_hash:
            row.last_seen = now
            db.add(row)
            return row.id, "duplicate"
        severity = self.correlation.severity(db, row.id, spec.severity)
        if severity != spec.severity or OWN_SEVERITY in (row.details or {}):
            # its signals may hold it higher than its own finding: the card shows both
            row.details = {**(row.details or {}), OWN_SEVERITY: spec.severity}
        significant = self._severity_change(db, row, severity)
        if spec.title:
            # titles carry the latest figure; a new figure alone is not worth a message edit
            row.title = spec.title[:500]
        row.count += 1
        row.last_seen = now
        row.last_event_hash = event_hash
        row.clear_checks = 0
        if spec.fields:
            row.fields = spec.fields
        if spec.summary and row.triage_status != "done":
            row.summary = spec.summary
        if spec.details:
            row.details = {**(row.details or {}), **spec.details}
        if self._merge(merge, db, row, False):
            significant = True
        notified = aware(row.notified_at)  # None: the first delivery is still pending
        stale = notified is not None and (now - notified).total_seconds() >= (
            self.config.refresh_seconds
        )
        if significant or stale:
            self.writer.touch(row, effects)
        db.add(row)
        return row.id, "updated"

    def _severity_change(self, db: Session, row: Incident, severity: str) -> bool:
        """Move the row to `severity` with a thread note; False when it is unchanged."""
        if severity == row.severity:
            return False
        way = (
            "up"
            if SEVERITY_ORDER.get(severity, 1) > SEVERITY_ORDER.get(row.severity, 1)
            else "down"
        )
        text = f"Severity {row.severity} → {severity} ({way})"
        self.writer.event(db, row, "severity", text, data={"from": row.severity}, note=text)
        row.severity = severity
        return True

    def _open(
        self,
        db: Session,
        previous: Incident | None,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: Effects,
        now: datetime,
    ) -> tuple[int, str]:
        """A new incident (muted if the fingerprint's previous one is still snoozed)."""
        row = Incident(
            fingerprint=spec.fingerprint,
            open_key=spec.fingerprint,
            source=spec.source,
            monitor=spec.monitor,
            kind=spec.kind,
            alertname=spec.alertname,
            title=spec.title[:500],
            severity=spec.severity,
            status=OPEN,
            summary=spec.summary,
            fields=spec.fields,
            labels=spec.labels,
            details=spec.details,
            runbook=spec.runbook,
            count=1,
            first_seen=now,
            last_seen=now,
            last_event_hash=event_hash,
        )
        if previous is not None and snoozed(previous, now):
            # the problem came back while muted: stay muted until the snooze ends
            row.snoozed_until = previous.snoozed_until
            row.snoozed_by = previous.snoozed_by
        db.add(row)
        db.flush()  # assigns the id; raises IntegrityError if another replica won the race
        self._merge(merge, db, row, True)
        self.writer.event(
            db, row, "opened", f"Opened: {row.title}", data={"severity": row.severity}
        )
        self.writer.touch(row, effects)
        assert row.id is not None
        effects.opened.append(row.id)
        return row.id, "opened"

    def _reopen(
        self,
        db: Session,
        row: Incident,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: Effects,
        now: datetime,
    ) -> tuple[int, str]:
        assert row.id is not None
        row.open_key = spec.fingerprint
        row.status = OPEN
        row.reopen_count += 1
        row.count += 1
        row.last_seen = now
        row.last_event_hash = event_hash
        row.clear_checks = 0
        row.severity = spec.severity
        row.title = spec.title[:500] or row.title
        if spec.fields:
            row.fields = spec.fields
        row.resolved_at = None
        row.resolved_by = None
        row.acknowledged_at = None
        row.acknowledged_by = None
        quiet = row.reopen_count >= self.config.flap_quiet_after
        text = f"Reopened: the problem came back (reopen #{row.reopen_count})"
        if quiet and not (row.details or {}).get("flapping"):
            text += (
                "; it is flapping, so further flaps update this message without thread notes "
                "until it stays resolved"
            )
        db.add(row)
        db.flush()
        self._merge(
            merge, db, row, True
        )  # may rewrite row.details (an Alertmanager group's alerts)
        self.writer.event(
            db, row, "reopened", text, data={"reopen_count": row.reopen_count}, note=text
        )
        if quiet:
            # after the note above: that one is the last; read after the merge, so what the
            # merge wrote is kept
            row.details = {**(row.details or {}), "flapping": True}
        elif row.triage_status != "running":
            effects.opened.append(row.id)
        self.writer.touch(row, effects)
        return row.id, "reopened"
