"""Announcing the changes of an incident's suggested actions, each exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import col

from bot.incidents.tables import Incident
from bot.incidents.writes import SYSTEM, Effects, IncidentWriter

log = logging.getLogger(__name__)


def sync_approvals(
    writer: IncidentWriter,
    incident_id: int,
    views: list[Any],
    describe: Callable[[Any], str | None],
) -> list[str]:
    """Announce every change of this incident's suggested actions exactly once.

    `views` are the incident's ApprovalViews; `describe(view)` gives the thread note for
    its current state (None: nothing to say, e.g. still waiting). What was announced is
    kept in the incident row and updated with a compare-and-set on its revision, so two
    processes seeing the same decision (the clicker's and the scheduler's) post it once.
    Returns the ids of approvals newly seen as executed (to re-check the condition).
    """
    for _attempt in range(5):
        effects = Effects()
        executed: list[str] = []
        with writer.tx() as db:
            row = writer.row(db, incident_id)
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
                    actor = view.decided_by or (view.approvers[-1] if view.approvers else SYSTEM)
                    writer.event(
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
        writer.emit(effects)
        return executed
    log.warning("could not record approval changes of incident #%s: busy", incident_id)
    return []
