"""The incident lifecycle: open or update by fingerprint, dedupe exact events, track
severity, auto-resolve after the condition has cleared for N checks, reopen (not re-post)
a problem that comes back soon after resolving, damp flapping, snooze with expiry.

Side effects (notifications, triage) are collected while a change is made and emitted only
after its transaction commits, so a rolled-back change never reaches Slack. Decisions are
keyed on fingerprints and event hashes, never on generated text, so nondeterministic model
output can never cause a re-post.

This module is the engine's public API; its parts: the write primitives (transactions,
timeline events, effects) in `writes.py`, open/update/reopen in `upsert.py`, announcing
suggested actions in `announce.py`, the vocabulary in `spec.py`.

Maintenance windows: `upsert` asks the `Suppressor` first (`windows.py`): a finding an
active window covers opens nothing ("suppressed", no id), an incident already open for it is
kept but snoozed until the window ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.incidents import identity, windows
from bot.incidents.announce import sync_approvals
from bot.incidents.identity import Claim
from bot.incidents.model import ACKNOWLEDGED, OPEN, RESOLVED
from bot.incidents.redaction import redacted_spec
from bot.incidents.spec import (
    EngineConfig,
    EngineListener,
    IncidentError,
    IncidentSpec,
    Merge,
    NullListener,
    Suppressor,
)
from bot.incidents.tables import Incident, IncidentEvent
from bot.incidents.untrusted import flagged_spec
from bot.incidents.upsert import Upsert
from bot.incidents.writes import SYSTEM, Effects, IncidentWriter
from bot.storage.db import session
from core.clock import iso, utcnow
from core.incidents import Finding

__all__ = ["LIST_STATUSES", "SYSTEM", "IncidentEngine"]

# list filters: "open" means not resolved yet (acknowledged ones included)
LIST_STATUSES: dict[str, tuple[str, ...]] = {
    "open": (OPEN, ACKNOWLEDGED),
    "unacknowledged": (OPEN,),
    "acknowledged": (ACKNOWLEDGED,),
    "resolved": (RESOLVED,),
    "all": (),
}


class IncidentEngine:
    def __init__(
        self,
        db: Engine,
        config: EngineConfig | None = None,
        listener: EngineListener | None = None,
        clock: Callable[[], datetime] = utcnow,
        suppressor: Suppressor | None = None,
    ) -> None:
        self.db = db
        self.suppressor = suppressor
        self.config = config or EngineConfig()
        self.clock = clock
        self.writer = IncidentWriter(db, listener or NullListener(), clock)
        self._upsert = Upsert(self.writer, self.config)

    @property
    def listener(self) -> EngineListener:
        return self.writer.listener

    # ---------------------------------------------------------------- observe
    def observe(self, finding: Finding, event_hash: str) -> tuple[int | None, str]:
        """Record that a monitor saw `finding` now. Returns (incident id, change); a finding
        with an alert `identity` (Prometheus's alerts) that another open incident already
        owns is recorded there: (that incident's id, "sighted")."""
        claim = None
        if finding.details.get("identity"):
            claim = Claim(
                frozenset({str(finding.details["identity"])}),
                finding.source,
                reporter=finding.fingerprint,
                sighting=f"Also reported by {finding.source.title()} ({finding.alertname})",
            )
        return self.upsert(IncidentSpec.from_finding(finding), event_hash, claim=claim)

    def upsert(
        self,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None = None,
        claim: Claim | None = None,
    ) -> tuple[int | None, str]:
        """Open, update or reopen the incident for `spec.fingerprint` (unless a maintenance
        window holds it back: (None, "suppressed")).

        `merge(db, row, first)` folds extra detail into the row (Alertmanager group members);
        it returns a `Merged`: whether that was a significant change, and the timeline event
        (with its thread note) that says what changed. `first` is True for a new or reopened
        incident, whose own message already says everything. `claim` names the alerts it is
        about (`bot.incidents.identity`): those another open incident owns are a sighting
        there, and when all are, nothing opens ("sighted").
        """
        duplicate = self._duplicate(spec.fingerprint, event_hash)
        if duplicate is not None:
            return duplicate, "duplicate"
        spec = redacted_spec(spec)  # secrets in alerts are never stored, posted or triaged
        spec = flagged_spec(spec)  # instruction-like alert text is kept, with a warning
        if windows.held_back(self.writer, self.suppressor, spec):
            return None, "suppressed"
        for _attempt in range(5):
            effects = Effects()
            with self.writer.tx() as db:
                try:
                    result = self._upsert(db, spec, event_hash, merge, effects, claim)
                    db.commit()
                except IntegrityError:
                    # another replica opened the same fingerprint at the same moment: use theirs
                    db.rollback()
                    continue
            self.writer.emit(effects)
            return result
        raise IncidentError(f"could not record incident {spec.alertname}: too much contention")

    def _duplicate(self, fingerprint: str, event_hash: str) -> int | None:
        """The fast path for re-deliveries (Alertmanager's repeat_interval, a re-run check):
        one UPDATE of `last_seen` when the open incident's last event has this very hash."""
        table = Incident.__table__  # type: ignore[attr-defined]
        with self.db.begin() as conn:
            found = conn.execute(
                update(table)
                .where(table.c.open_key == fingerprint)
                .where(table.c.last_event_hash == event_hash)
                .values(last_seen=self.clock())
                .returning(table.c.id)
            ).first()
        return int(found[0]) if found is not None else None

    def release_window(self, window_id: int) -> list[int]:
        """A window ended early: end the snoozes it set now (`end_snoozes` says so)."""
        return self.end_snoozes() if windows.release(self.writer, window_id) else []

    # ---------------------------------------------------------------- clearing
    def clear_checked(self, checked: Iterable[str], firing: set[str]) -> list[tuple[int, str]]:
        """Count a clear check for every open incident of a monitor that ran and did not
        report it; resolve those clear for `autoresolve_checks` checks in a row."""
        monitors = sorted(set(checked))
        if not monitors:
            return []
        changes: list[tuple[int, str]] = []
        effects = Effects()
        needed = self.config.autoresolve_checks
        correlation = self._upsert.correlation
        with self.writer.tx() as db:
            cleared, held = correlation.clear(db, monitors, firing, needed, self.clock())
            for signal in cleared:
                parent = db.get(Incident, signal.incident_id)
                if parent is not None:
                    text = f"Signal cleared: {signal.title}"
                    self.writer.event(db, parent, "signal_cleared", text, note=text)
                    self.writer.touch(parent, effects)
                    db.add(parent)
            rows = db.exec(
                select(Incident)
                .where(col(Incident.open_key).is_not(None))
                .where(col(Incident.monitor).in_(monitors))
                .with_for_update()
            ).all()
            for row in rows:
                if row.fingerprint in firing:
                    continue
                assert row.id is not None
                row.clear_checks += 1
                if row.clear_checks >= needed and row.id in held:
                    changes.append((row.id, "held"))  # a related signal still fires
                elif row.clear_checks >= needed:
                    checks = "check" if needed == 1 else f"{needed} consecutive checks"
                    self._resolve(
                        db,
                        row,
                        SYSTEM,
                        f"Resolved automatically: the condition cleared for {checks}",
                        effects,
                    )
                    changes.append((row.id, "resolved"))
                else:
                    changes.append((row.id, "clearing"))
                db.add(row)
            db.commit()
        self.writer.emit(effects)
        return changes

    def _resolve(self, db: Session, row: Incident, actor: str, text: str, effects: Effects) -> None:
        now = self.clock()
        row.status = RESOLVED
        row.open_key = None
        row.resolved_at = now
        row.resolved_by = actor
        identity.release(db, row)
        assert row.id is not None
        self._upsert.correlation.release(db, row.id, now)
        self.writer.event(db, row, "resolved", text, actor=actor, note=text)
        self.writer.touch(row, effects)

    def resolve_fingerprint(
        self, fingerprint: str, actor: str, text: str, merge: Merge | None = None
    ) -> int | None:
        """Resolve the open incident with this fingerprint (e.g. Alertmanager said so);
        `merge` first folds the last word into the row (its final counts), its event unused."""
        effects = Effects()
        with self.writer.tx() as db:
            row = self.writer.open_row(db, fingerprint)
            if row is None:
                return None
            if merge is not None:
                merge(db, row, False)
            self._resolve(db, row, actor, text, effects)
            db.add(row)
            db.commit()
            incident_id = row.id
        self.writer.emit(effects)
        return incident_id

    # ---------------------------------------------------------------- people
    def acknowledge(self, incident_id: int, user: str) -> None:
        with self.writer.change(incident_id) as (db, row, effects):
            if row.status == RESOLVED:
                raise IncidentError(f"incident #{incident_id} is already resolved")
            if row.status == ACKNOWLEDGED:
                raise IncidentError(
                    f"incident #{incident_id} was already acknowledged by {row.acknowledged_by}"
                )
            row.status = ACKNOWLEDGED
            row.acknowledged_by = user
            row.acknowledged_at = self.clock()
            text = f"Acknowledged by {user}"
            self.writer.event(db, row, "acknowledged", text, actor=user, note=text, force_note=True)
            self.writer.touch(row, effects)

    def resolve(self, incident_id: int, user: str) -> None:
        with self.writer.change(incident_id) as (db, row, effects):
            if row.status == RESOLVED:
                raise IncidentError(
                    f"incident #{incident_id} is already resolved (by {row.resolved_by})"
                )
            self._resolve(db, row, user, f"Resolved by {user}", effects)

    def snooze(self, incident_id: int, user: str, minutes: int) -> datetime:
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 10080:
            raise IncidentError(f"snooze minutes must be 1 to 10080 (7 days), got {minutes!r}")
        with self.writer.change(incident_id) as (db, row, effects):
            if row.status == RESOLVED:
                raise IncidentError(f"incident #{incident_id} is resolved; nothing to snooze")
            until = self.clock() + timedelta(minutes=minutes)
            text = (
                f"Snoozed by {user} for {minutes} min (until {iso(until)}): "
                "no thread notes until then"
            )
            self.writer.event(
                db, row, "snoozed", text, actor=user, data={"until": iso(until)}, note=text
            )
            row.snoozed_until = until
            row.snoozed_by = user
            self.writer.touch(row, effects)
        return until

    def end_snoozes(self) -> list[int]:
        """End every snooze whose time is up; say so when the incident is still open."""
        now = self.clock()
        effects = Effects()
        ended: list[int] = []
        with self.writer.tx() as db:
            rows = db.exec(
                select(Incident)
                .where(col(Incident.snoozed_until).is_not(None))
                .where(col(Incident.snoozed_until) <= now)
            ).all()
            for row in rows:
                assert row.id is not None
                row.snoozed_until = None
                if row.status != RESOLVED:
                    text = (
                        f"Snooze ended; still {row.status} (seen {row.count}×, last "
                        f"{iso(row.last_seen)})"
                    )
                    self.writer.event(db, row, "snooze_ended", text, note=text)
                    self.writer.touch(row, effects)
                ended.append(row.id)
                db.add(row)
            db.commit()
        self.writer.emit(effects)
        return ended

    # ---------------------------------------------------------------- triage & actions
    def record(
        self,
        incident_id: int,
        kind: str,
        text: str,
        *,
        actor: str = SYSTEM,
        note: str | None = None,
        update: Callable[[Incident], None] | None = None,
        data: dict[str, Any] | None = None,
        force_note: bool = False,
    ) -> None:
        """Add a timeline event, optionally change the row and post a thread note."""
        with self.writer.change(incident_id) as (db, row, effects):
            if update is not None:
                update(row)
            self.writer.event(
                db, row, kind, text, actor=actor, data=data, note=note, force_note=force_note
            )
            self.writer.touch(row, effects)

    def sync_approvals(
        self, incident_id: int, views: list[Any], describe: Callable[[Any], str | None]
    ) -> list[str]:
        """Announce every change of this incident's suggested actions exactly once (see
        `bot.incidents.announce.sync_approvals`); the ids of approvals newly executed."""
        return sync_approvals(self.writer, incident_id, views, describe)

    # ---------------------------------------------------------------- reads
    def get(self, incident_id: int) -> Incident:
        with session(self.db) as db:
            return self.writer.row(db, incident_id, lock=False)

    def timeline(self, incident_id: int, limit: int = 200) -> list[IncidentEvent]:
        with session(self.db) as db:
            return list(
                db.exec(
                    select(IncidentEvent)
                    .where(IncidentEvent.incident_id == incident_id)
                    .order_by(col(IncidentEvent.id))
                    .limit(limit)
                )
            )

    def list(self, status: str = "open", limit: int = 50) -> list[Incident]:
        with session(self.db) as db:
            query = select(Incident)
            wanted = LIST_STATUSES.get(status)
            if wanted is None:
                raise IncidentError(
                    f"status must be one of {', '.join(LIST_STATUSES)}; got {status!r}"
                )
            if wanted:
                query = query.where(col(Incident.status).in_(wanted))
            return list(db.exec(query.order_by(col(Incident.id).desc()).limit(limit)))

    def open_count(self) -> int:
        with session(self.db) as db:
            query = select(func.count()).where(col(Incident.open_key).is_not(None))
            return int(db.exec(query).one())
