"""Read-only questions other domain packages ask of the approvals, so that none of them reads
the approval table itself (`bot/incidents` shows the actions of each incident)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.approvals.store import to_view
from bot.approvals.tables import Approval
from bot.storage.db import session
from core.approvals import ApprovalView


def incident_approvals(db_engine: Engine, incident_id: int) -> list[ApprovalView]:
    """The approvals asked for an incident's actions, oldest first."""
    with session(db_engine) as db:
        rows = db.exec(
            select(Approval)
            .where(Approval.incident_id == incident_id)
            .order_by(col(Approval.created_at))
        ).all()
    return [to_view(r) for r in rows]


def incidents_with_approvals(db_engine: Engine, since: datetime) -> list[int]:
    """The incidents that have an approval asked for since `since`."""
    with session(db_engine) as db:
        ids = db.exec(
            select(Approval.incident_id)
            .where(col(Approval.incident_id).is_not(None))
            .where(col(Approval.created_at) >= since)
            .distinct()
        ).all()
    return [int(i) for i in ids if i is not None]
