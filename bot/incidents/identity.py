"""One alert, one open incident, whichever path saw it first.

With `PROMETHEUS_URL` set and Prometheus also forwarding through Alertmanager, the same alert
arrives twice: as a finding of the Prometheus monitor (`/api/v1/alerts`) and as a member of
an Alertmanager group. Both are reduced to one identity: the alert's labels as Alertmanager
receives them (so with Prometheus's `external_labels`, which the Prometheus monitor adds from
`/api/v1/status/config`), minus `severity`. Alertmanager's own `fingerprint` hashes the full
label set differently and is never compared.

`incident_claim` maps an identity to the open incident that owns it. Its primary key makes
"at most one open incident per alert" a database rule across replicas: a second claim of the
same identity raises IntegrityError, the engine retries the whole change, and the retry sees
the owner. The other path's sighting is one timeline event on the owner ("also reported
by ..."), recorded once per reporter. An incident's claims go when it resolves, so a
still-firing sighting through the other path then takes over.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from bot.incidents.tables import Incident, IncidentClaim
from bot.incidents.writes import IncidentWriter
from core.incidents import digest

log = logging.getLogger(__name__)

CHUNK = 500  # identities per IN (...) list: well inside SQLite's bound-parameter limit


def alert_identity(labels: Mapping[str, str]) -> str:
    """The identity of one alert from its labels (alertname included), as Alertmanager
    receives them; severity is not part of it (an alert that escalates is the same alert)."""
    return digest({str(k): str(v) for k, v in labels.items() if k != "severity"})


def with_external(labels: Mapping[str, str], external: Mapping[str, str]) -> dict[str, str]:
    """The labels Prometheus sends to Alertmanager: its external labels are added where the
    alert has no label of that name."""
    return {**{str(k): str(v) for k, v in external.items()}, **labels}


@dataclass
class Claim:
    """What an incident change claims: the identities of its firing alerts, and who reports
    them (`reporter`: the fingerprint of the reporting path's incident, e.g. the Alertmanager
    group's; one sighting event each)."""

    identities: frozenset[str]
    source: str  # prometheus | alertmanager
    reporter: str
    sighting: str  # the owner's timeline text, e.g. "Also reported by Alertmanager (group …)"
    related: frozenset[str] = frozenset()  # looked up too, never claimed (resolved alerts)
    # identity -> the other incident owning it, of `identities | related`: set by `Upsert` in
    # each attempt's transaction before the merge runs, so the merge need not ask again
    owners: dict[str, int] | None = field(default=None, compare=False)


def _chunks(values: Iterable[str]) -> list[list[str]]:
    ordered = sorted(set(values))
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def owners(
    db: Session, identities: Iterable[str], exclude: int | None = None, lock: bool = True
) -> dict[str, int]:
    """identity → the open incident that owns it, for those owned by an incident other than
    `exclude`. Locked for the transaction on PostgreSQL (`lock`)."""
    found: dict[str, int] = {}
    for chunk in _chunks(identities):
        query = select(IncidentClaim.identity, IncidentClaim.incident_id).where(
            col(IncidentClaim.identity).in_(chunk)
        )
        if exclude is not None:
            query = query.where(IncidentClaim.incident_id != exclude)
        if lock:
            query = query.with_for_update()
        found.update({identity: int(owner) for identity, owner in db.exec(query).all()})
    return found


def hold(
    db: Session,
    incident_id: int,
    wanted: set[str],
    source: str,
    held: set[str],
    fresh: bool = False,
) -> None:
    """Make `wanted` the claims of this incident, knowing it already holds `held` of them:
    new ones are inserted (IntegrityError if another incident took one meanwhile: the caller
    retries); the others it holds are released, unless it is `fresh` (just opened or
    reopened: it holds none)."""
    if not fresh:
        mine = col(IncidentClaim.incident_id) == incident_id
        if len(wanted) <= CHUNK:  # one statement for the usual group
            db.execute(
                delete(IncidentClaim).where(mine).where(col(IncidentClaim.identity).not_in(wanted))
            )
        else:
            now = set(db.exec(select(IncidentClaim.identity).where(mine)))
            for chunk in _chunks(now - wanted):
                db.execute(
                    delete(IncidentClaim).where(mine).where(col(IncidentClaim.identity).in_(chunk))
                )
    new = sorted(wanted - held)
    if new:
        rows = [{"identity": i, "incident_id": incident_id, "source": source} for i in new]
        db.execute(insert(IncidentClaim), rows)


def release(db: Session, row: Incident) -> None:
    """The incident resolved: its alerts are free for the next sighting to take over. The
    open incidents that reported them too (an Alertmanager group holding other alerts) forget
    their last event hash, so their next re-send, identical as it may be, is no duplicate and
    takes the alerts over. Should this one reopen, sightings are news again."""
    db.execute(delete(IncidentClaim).where(col(IncidentClaim.incident_id) == row.id))
    reporters = sorted((row.details or {}).get("also_reported_by") or {})
    if not reporters:
        return
    row.details = {k: v for k, v in row.details.items() if k != "also_reported_by"}
    for chunk in _chunks(reporters):
        db.execute(
            update(Incident).where(col(Incident.open_key).in_(chunk)).values(last_event_hash="")
        )


def record_sightings(
    db: Session, writer: IncidentWriter, owner_ids: Iterable[int], claim: Claim
) -> None:
    """One timeline event on each owner the first time this reporter saw its alerts (no
    thread note, no new post); remembered in the owner's `details.also_reported_by`."""
    for owner_id in sorted(set(owner_ids)):
        row = db.get(Incident, owner_id, with_for_update=True)
        if row is None:  # claims go with their incident; a stray one is not worth a failure
            log.warning("incident_claim points at missing incident #%s; skipped", owner_id)
            continue
        seen = dict((row.details or {}).get("also_reported_by") or {})
        if claim.reporter in seen:
            continue
        seen[claim.reporter] = claim.sighting
        row.details = {**(row.details or {}), "also_reported_by": seen}
        writer.event(
            db,
            row,
            "also_reported",
            claim.sighting,
            actor=claim.source,
            data={"reporter": claim.reporter},
        )
        db.add(row)
