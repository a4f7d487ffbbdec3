"""The audit log: every state-changing call and every approval decision, append-only."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.approvals.tables import AuditLog
from bot.storage.db import session

log = logging.getLogger(__name__)

_MAX_RESULT = 20_000


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def audit_entry(
    *,
    actor: str,
    via: str,
    action: str,
    args: dict[str, Any] | None,
    outcome: str,
    result: str = "",
    approval_id: str | None = None,
    thread_id: str | None = None,
) -> AuditLog:
    """One audit row, not yet stored."""
    return AuditLog(
        actor=actor,
        via=via,
        action=action,
        args=_jsonable(args or {}),
        outcome=outcome,
        result=result[:_MAX_RESULT],
        approval_id=approval_id,
        thread_id=thread_id,
    )


def add_entry(db: Session, **fields: Any) -> AuditLog:
    """Add an audit row inside the caller's transaction (the caller commits), so a state
    change and its audit row are stored together or not at all."""
    row = audit_entry(**fields)
    db.add(row)
    return row


def logged(row: AuditLog) -> None:
    """Log a stored audit row (after its transaction committed)."""
    log.info("audit %s by %s:%s -> %s", row.action, row.via, row.actor, row.outcome)


class AuditLogger:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(
        self,
        *,
        actor: str,
        via: str,
        action: str,
        args: dict[str, Any] | None,
        outcome: str,
        result: str = "",
        approval_id: str | None = None,
        thread_id: str | None = None,
    ) -> AuditLog:
        row = audit_entry(
            actor=actor,
            via=via,
            action=action,
            args=args,
            outcome=outcome,
            result=result,
            approval_id=approval_id,
            thread_id=thread_id,
        )
        with session(self._engine) as db:
            db.add(row)
            db.commit()
            db.refresh(row)
        logged(row)
        return row

    def recent(self, limit: int = 50, action: str | None = None) -> list[AuditLog]:
        with session(self._engine) as db:
            query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
            if action:
                query = query.where(AuditLog.action == action)
            return list(db.exec(query))

    def for_approval(self, approval_id: str) -> list[AuditLog]:
        with session(self._engine) as db:
            query = (
                select(AuditLog)
                .where(AuditLog.approval_id == approval_id)
                .order_by(col(AuditLog.id))
            )
            return list(db.exec(query))
