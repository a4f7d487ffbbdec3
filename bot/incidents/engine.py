"""The incident lifecycle: open or update by fingerprint, dedupe exact events, track
severity, auto-resolve after the condition has cleared for N checks, reopen (not re-post)
a problem that comes back soon after resolving, damp flapping, snooze with expiry.

Side effects (notifications, triage) are collected while a change is made and emitted only
after its transaction commits, so a rolled-back change never reaches Slack. Decisions are
keyed on fingerprints and event hashes, never on generated text, so nondeterministic model
output can never cause a re-post.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.incidents.model import (
    ACKNOWLEDGED,
    OPEN,
    RESOLVED,
    SEVERITY_ORDER,
    Finding,
)
from bot.incidents.redaction import redacted_spec
from bot.incidents.spec import (
    EngineConfig,
    EngineListener,
    IncidentError,
    IncidentSpec,
    Merge,
    NullListener,
)
from bot.incidents.tables import Incident, IncidentEvent
from bot.storage.db import session
from tools.clock import as_utc, iso, utcnow

log = logging.getLogger(__name__)

SYSTEM = "opsbot"
# list filters: "open" means not resolved yet (acknowledged ones included)
LIST_STATUSES: dict[str, tuple[str, ...]] = {
    "open": (OPEN, ACKNOWLEDGED),
    "unacknowledged": (OPEN,),
    "acknowledged": (ACKNOWLEDGED,),
    "resolved": (RESOLVED,),
    "all": (),
}


@dataclass
class _Effects:
    changed: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _snoozed(row: Incident, now: datetime) -> bool:
    until = _aware(row.snoozed_until)
    return until is not None and until > now


def _flapping(row: Incident) -> bool:
    return bool((row.details or {}).get("flapping"))


class IncidentEngine:
    def __init__(
        self,
        db: Engine,
        config: EngineConfig | None = None,
        listener: EngineListener | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.config = config or EngineConfig()
        self.listener: EngineListener = listener or NullListener()
        self.clock = clock
        self._lock = threading.RLock()
        self._postgres = db.dialect.name == "postgresql"

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """A session for one change, serialised with other writers of incidents.

        PostgreSQL: the rows read for a change are locked (`SELECT ... FOR UPDATE`).
        SQLite: a no-op write takes the database write lock before anything is read, so two
        processes cannot both read a count and both write count + 1.
        """
        with self._lock, session(self.db) as db:
            if not self._postgres:
                db.execute(text("UPDATE incident SET revision = revision WHERE 1 = 0"))
            yield db

    @contextmanager
    def _change(self, incident_id: int) -> Iterator[tuple[Session, Incident, _Effects]]:
        """One change to one incident, by id: its row locked, saved and committed when the
        block ends (rolled back if it raises), and the effects emitted after the commit."""
        effects = _Effects()
        with self._tx() as db:
            row = self._get(db, incident_id)
            yield db, row, effects
            db.add(row)
            db.commit()
        self._emit(effects)

    # ---------------------------------------------------------------- effects
    def _emit(self, effects: _Effects) -> None:
        for incident_id in dict.fromkeys(effects.changed):
            self._safely(self.listener.changed, incident_id)
        for incident_id in effects.opened:
            self._safely(self.listener.opened, incident_id)

    @staticmethod
    def _safely(fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a front end failing must not undo or block the incident change
            log.exception("incident listener %s failed", getattr(fn, "__name__", fn))

    def _event(
        self,
        db: Session,
        row: Incident,
        kind: str,
        text: str,
        actor: str = SYSTEM,
        data: dict[str, Any] | None = None,
        note: str | None = None,
        force_note: bool = False,
    ) -> None:
        """Add a timeline event; with `note`, also post it in the incident's thread unless
        the incident is snoozed or flapping (then it stays in the timeline only)."""
        assert row.id is not None
        now = self.clock()
        posted = note is not None and (force_note or not (_snoozed(row, now) or _flapping(row)))
        db.add(
            IncidentEvent(
                incident_id=row.id,
                at=now,
                kind=kind,
                actor=actor,
                text=text,
                data=data or {},
                note=note if posted else None,
                delivered_at=None if posted else now,
            )
        )

    def _touch(self, row: Incident, effects: _Effects) -> None:
        """Mark the root message for re-rendering by whichever process delivers."""
        row.notify_pending = True
        row.revision += 1
        assert row.id is not None
        effects.changed.append(row.id)

    # ---------------------------------------------------------------- observe
    def observe(self, finding: Finding, event_hash: str) -> tuple[int, str]:
        """Record that a monitor saw `finding` now. Returns (incident id, change)."""
        return self.upsert(IncidentSpec.from_finding(finding), event_hash)

    def upsert(
        self,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None = None,
    ) -> tuple[int, str]:
        """Open, update or reopen the incident for `spec.fingerprint`.

        `merge(db, row, first)` folds extra detail into the row (Alertmanager group members);
        it returns whether that was a significant change. `first` is True for a new or
        reopened incident, whose own message already says everything.
        """
        duplicate = self._duplicate(spec.fingerprint, event_hash)
        if duplicate is not None:
            return duplicate, "duplicate"
        spec = redacted_spec(spec)  # secrets in alerts are never stored, posted or triaged
        for _attempt in range(5):
            effects = _Effects()
            with self._tx() as db:
                try:
                    result = self._upsert(db, spec, event_hash, merge, effects)
                    db.commit()
                except IntegrityError:
                    # another replica opened the same fingerprint at the same moment: use theirs
                    db.rollback()
                    continue
            self._emit(effects)
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

    def _open_row(self, db: Session, fingerprint: str) -> Incident | None:
        return db.exec(
            select(Incident).where(Incident.open_key == fingerprint).with_for_update()
        ).first()

    def _upsert(
        self,
        db: Session,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: _Effects,
    ) -> tuple[int, str]:
        """Update the open incident of this fingerprint, else reopen its last one if it was
        resolved within the reopen window, else open a new one."""
        now = self.clock()
        row = self._open_row(db, spec.fingerprint)
        if row is not None:
            return self._update(db, row, spec, event_hash, merge, effects, now)
        previous = db.exec(
            select(Incident)
            .where(Incident.fingerprint == spec.fingerprint)
            .order_by(col(Incident.id).desc())
            .limit(1)
        ).first()
        window = timedelta(minutes=self.config.reopen_minutes)
        resolved_at = _aware(previous.resolved_at) if previous is not None else None
        if previous is not None and resolved_at is not None and now - resolved_at <= window:
            return self._reopen(db, previous, spec, event_hash, merge, effects, now)
        return self._open(db, previous, spec, event_hash, merge, effects, now)

    def _update(
        self,
        db: Session,
        row: Incident,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: _Effects,
        now: datetime,
    ) -> tuple[int, str]:
        """A new event for an open incident: count it, take the latest figures; re-render
        the message only for a significant change or when the last render is stale."""
        assert row.id is not None
        if row.last_event_hash == event_hash:
            row.last_seen = now
            db.add(row)
            return row.id, "duplicate"
        significant = self._severity_change(db, row, spec.severity)
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
        if merge is not None and merge(db, row, False):
            significant = True
        notified = _aware(row.notified_at)  # None: the first delivery is still pending
        stale = notified is not None and (now - notified).total_seconds() >= (
            self.config.refresh_seconds
        )
        if significant or stale:
            self._touch(row, effects)
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
        self._event(db, row, "severity", text, data={"from": row.severity}, note=text)
        row.severity = severity
        return True

    def _open(
        self,
        db: Session,
        previous: Incident | None,
        spec: IncidentSpec,
        event_hash: str,
        merge: Merge | None,
        effects: _Effects,
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
        if previous is not None and _snoozed(previous, now):
            # the problem came back while muted: stay muted until the snooze ends
            row.snoozed_until = previous.snoozed_until
            row.snoozed_by = previous.snoozed_by
        db.add(row)
        db.flush()  # assigns the id; raises IntegrityError if another replica won the race
        if merge is not None:
            merge(db, row, True)
        self._event(db, row, "opened", f"Opened: {row.title}", data={"severity": row.severity})
        self._touch(row, effects)
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
        effects: _Effects,
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
        details = dict(row.details or {})
        quiet = row.reopen_count >= self.config.flap_quiet_after
        text = f"Reopened: the problem came back (reopen #{row.reopen_count})"
        if quiet and not details.get("flapping"):
            text += (
                "; it is flapping, so further flaps update this message without thread notes "
                "until it stays resolved"
            )
        db.add(row)
        db.flush()
        if merge is not None:
            merge(db, row, True)
        self._event(db, row, "reopened", text, data={"reopen_count": row.reopen_count}, note=text)
        if quiet:
            details["flapping"] = True  # after the note above: that one is the last
        elif row.triage_status != "running":
            effects.opened.append(row.id)
        row.details = details
        self._touch(row, effects)
        return row.id, "reopened"

    # ---------------------------------------------------------------- clearing
    def clear_checked(self, checked: Iterable[str], firing: set[str]) -> list[tuple[int, str]]:
        """Count a clear check for every open incident of a monitor that ran and did not
        report it; resolve those clear for `autoresolve_checks` checks in a row."""
        monitors = sorted(set(checked))
        if not monitors:
            return []
        changes: list[tuple[int, str]] = []
        effects = _Effects()
        with self._tx() as db:
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
                needed = self.config.autoresolve_checks
                if row.clear_checks >= needed:
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
        self._emit(effects)
        return changes

    def _resolve(
        self, db: Session, row: Incident, actor: str, text: str, effects: _Effects
    ) -> None:
        now = self.clock()
        row.status = RESOLVED
        row.open_key = None
        row.resolved_at = now
        row.resolved_by = actor
        self._event(db, row, "resolved", text, actor=actor, note=text)
        self._touch(row, effects)

    def resolve_fingerprint(self, fingerprint: str, actor: str, text: str) -> int | None:
        """Resolve the open incident with this fingerprint (e.g. Alertmanager said so)."""
        effects = _Effects()
        with self._tx() as db:
            row = self._open_row(db, fingerprint)
            if row is None:
                return None
            self._resolve(db, row, actor, text, effects)
            db.add(row)
            db.commit()
            incident_id = row.id
        self._emit(effects)
        return incident_id

    # ---------------------------------------------------------------- people
    def _get(self, db: Session, incident_id: int, lock: bool = True) -> Incident:
        row = db.get(Incident, incident_id, with_for_update=lock)
        if row is None:
            raise IncidentError(f"no incident #{incident_id}")
        return row

    def acknowledge(self, incident_id: int, user: str) -> None:
        with self._change(incident_id) as (db, row, effects):
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
            self._event(db, row, "acknowledged", text, actor=user, note=text, force_note=True)
            self._touch(row, effects)

    def resolve(self, incident_id: int, user: str) -> None:
        with self._change(incident_id) as (db, row, effects):
            if row.status == RESOLVED:
                raise IncidentError(
                    f"incident #{incident_id} is already resolved (by {row.resolved_by})"
                )
            self._resolve(db, row, user, f"Resolved by {user}", effects)

    def snooze(self, incident_id: int, user: str, minutes: int) -> datetime:
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 10080:
            raise IncidentError(f"snooze minutes must be 1 to 10080 (7 days), got {minutes!r}")
        with self._change(incident_id) as (db, row, effects):
            if row.status == RESOLVED:
                raise IncidentError(f"incident #{incident_id} is resolved; nothing to snooze")
            until = self.clock() + timedelta(minutes=minutes)
            text = (
                f"Snoozed by {user} for {minutes} min (until {iso(until)}): "
                "no thread notes until then"
            )
            self._event(db, row, "snoozed", text, actor=user, data={"until": iso(until)}, note=text)
            row.snoozed_until = until
            row.snoozed_by = user
            self._touch(row, effects)
        return until

    def end_snoozes(self) -> list[int]:
        """End every snooze whose time is up; say so when the incident is still open."""
        now = self.clock()
        effects = _Effects()
        ended: list[int] = []
        with self._tx() as db:
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
                    self._event(db, row, "snooze_ended", text, note=text)
                    self._touch(row, effects)
                ended.append(row.id)
                db.add(row)
            db.commit()
        self._emit(effects)
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
        with self._change(incident_id) as (db, row, effects):
            if update is not None:
                update(row)
            self._event(
                db, row, kind, text, actor=actor, data=data, note=note, force_note=force_note
            )
            self._touch(row, effects)

    def sync_approvals(
        self, incident_id: int, views: list[Any], describe: Callable[[Any], str | None]
    ) -> list[str]:
        """Announce every change of this incident's suggested actions exactly once.

        `views` are the incident's ApprovalViews; `describe(view)` gives the thread note for
        its current state (None: nothing to say, e.g. still waiting). What was announced is
        kept in the incident row and updated with a compare-and-set on its revision, so two
        processes seeing the same decision (the clicker's and the scheduler's) post it once.
        Returns the ids of approvals newly seen as executed (to re-check the condition).
        """
        for _attempt in range(5):
            effects = _Effects()
            executed: list[str] = []
            with self._tx() as db:
                row = self._get(db, incident_id)
                revision = row.revision
                announced: dict[str, str] = dict((row.details or {}).get("approvals") or {})
                changed = False
                said = False  # something to show: the message is re-rendered
                for view in views:
                    state = f"{view.status}:{len(view.approvers)}"
                    if announced.get(view.id) == state:
                        continue
                    announced[view.id] = state
                    changed = True
                    text = describe(view)
                    if text:
                        said = True
                        actor = view.decided_by or (
                            view.approvers[-1] if view.approvers else SYSTEM
                        )
                        self._event(
                            db,
                            row,
                            "action",
                            text,
                            actor=actor,
                            data={"approval_id": view.id, "status": view.status},
                            note=text,
                            force_note=True,
                        )
                    if view.status == "executed":
                        executed.append(view.id)
                if not changed:
                    return []
                result = db.execute(
                    update(Incident)
                    .where(col(Incident.id) == incident_id)
                    .where(col(Incident.revision) == revision)
                    .values(
                        details={**(row.details or {}), "approvals": announced},
                        # a silent bookkeeping change keeps the revision, so a delivery
                        # in flight still counts as up to date
                        revision=revision + 1 if said else revision,
                        notify_pending=row.notify_pending or said,
                    )
                )
                if cast("CursorResult[Any]", result).rowcount != 1:
                    db.rollback()  # someone changed the incident meanwhile: look again
                    continue
                db.commit()
                if said:
                    effects.changed.append(incident_id)
            self._emit(effects)
            return executed
        log.warning("could not record approval changes of incident #%s: busy", incident_id)
        return []

    # ---------------------------------------------------------------- reads
    def get(self, incident_id: int) -> Incident:
        with session(self.db) as db:
            return self._get(db, incident_id, lock=False)

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
