"""Maintenance windows in the incident engine (`IncidentEngine.upsert`, `release_window`).

Before a finding can open or update an incident, the `Suppressor` (tools/maintenance, wired
in `wiring.py`) is asked whether an active window covers it; it records what it holds back.
A covered finding with no open incident opens nothing ("suppressed"). An incident already
open for it is kept and still updated (counts, auto-resolve), but snoozed until the window
ends (`snoozed_by` "maintenance #N"): no thread notes, and a card not posted yet stays
unposted (`IncidentOutbox`); `release` ends that snooze at once when the window is ended
early. Once the window is over, the next finding opens as usual. A failing check lets the
finding through: a broken window must not hide an outage.
"""

from __future__ import annotations

import logging

from sqlmodel import col, select

from bot.incidents.spec import IncidentSpec, Suppressor, WindowHit
from bot.incidents.tables import Incident
from bot.incidents.writes import Effects, IncidentWriter
from core.clock import as_utc, iso

log = logging.getLogger(__name__)


def marker(window_id: int) -> str:
    return f"maintenance #{window_id}"


def held_back(writer: IncidentWriter, suppressor: Suppressor | None, spec: IncidentSpec) -> bool:
    """True when a window holds `spec` back and no incident is open for it."""
    if suppressor is None:
        return False
    try:
        hit = suppressor(spec.fingerprint, spec.label_sets(), spec.title, writer.clock())
    except Exception:
        log.exception("maintenance window check failed; %s goes through", spec.alertname)
        return False
    return hit is not None and hold_open(writer, spec.fingerprint, hit) is None


def hold_open(writer: IncidentWriter, fingerprint: str, hit: WindowHit) -> int | None:
    """Snooze the open incident of `fingerprint` until the window ends (once: a longer snooze
    is kept); its id, or None when none is open."""
    effects = Effects()
    with writer.tx() as db:
        row = writer.open_row(db, fingerprint)
        if row is None:
            return None
        assert row.id is not None
        until = hit.ends_at
        if row.snoozed_until is None or as_utc(row.snoozed_until) < until:
            row.snoozed_until = until
            row.snoozed_by = marker(hit.window_id)
            text = (
                f"Inside maintenance window #{hit.window_id} until {iso(until)}: kept open, "
                "but no thread notes or pages until it ends"
            )
            writer.event(db, row, "maintenance", text, data={"window": hit.window_id})
            writer.touch(row, effects)
            db.add(row)
        db.commit()
        incident_id = row.id
    writer.emit(effects)
    return incident_id


def release(writer: IncidentWriter, window_id: int) -> int:
    """Make the snoozes window `window_id` set end now; how many there were."""
    now = writer.clock()
    with writer.tx() as db:
        rows = db.exec(
            select(Incident)
            .where(Incident.snoozed_by == marker(window_id))
            .where(col(Incident.snoozed_until) > now)
        ).all()
        for row in rows:
            row.snoozed_until = now
            db.add(row)
        db.commit()
    return len(rows)
