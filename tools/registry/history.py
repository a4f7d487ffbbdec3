"""Alias history: every move of an alias, and what "roll back" means.

MLflow stores only the current alias -> version mapping (mlflow/mlflow#2169), so opsbot
keeps its own log. Rolling back is one step back along that log, like an undo stack:
each "set" pushes the new holder, each "rollback" pops one. After 1 -> 2 -> 3, a rollback
goes to 2 and a second one to 1; a rollback never bounces back to the version it left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import iso, utcnow
from tools.registry.tables import AliasChangeRow

SET, ROLLBACK, DELETE = "set", "rollback", "delete"


@dataclass(frozen=True)
class AliasChange:
    id: int
    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    kind: str
    actor: str
    reason: str
    at: datetime
    approval_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "kind": self.kind,
            "actor": self.actor,
            "reason": self.reason,
            "at": iso(self.at),
            "approval_id": self.approval_id,
        }

    def describe(self) -> str:
        old = f"v{self.from_version}" if self.from_version is not None else "(unset)"
        new = f"v{self.to_version}" if self.to_version is not None else "(removed)"
        why = f": {self.reason}" if self.reason else ""
        return f"{iso(self.at)} {self.alias} {old} → {new} ({self.kind} by {self.actor}){why}"


def _change(row: AliasChangeRow) -> AliasChange:
    assert row.id is not None
    return AliasChange(
        id=row.id,
        model=row.model,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        kind=row.kind,
        actor=row.actor,
        reason=row.reason,
        at=row.at,
        approval_id=row.approval_id,
    )


def holder_stack(changes: list[AliasChange]) -> list[int]:
    """The undo stack of holders, oldest first; its last item is the current holder."""
    stack: list[int] = []
    for change in changes:
        if change.kind == ROLLBACK:
            if stack:
                stack.pop()
            if change.to_version is not None and (not stack or stack[-1] != change.to_version):
                stack.append(change.to_version)
        elif change.kind == DELETE:
            stack = []
        else:
            if not stack and change.from_version is not None:
                stack.append(change.from_version)
            if change.to_version is not None and (not stack or stack[-1] != change.to_version):
                stack.append(change.to_version)
    return stack


class AliasHistory:
    """The alias_change table for one registry (backend key)."""

    def __init__(self, engine: Engine, registry_key: str) -> None:
        self._engine = engine
        self.registry_key = registry_key

    def record(
        self,
        *,
        model: str,
        alias: str,
        from_version: int | None,
        to_version: int | None,
        kind: str,
        actor: str,
        reason: str = "",
        approval_id: str | None = None,
    ) -> AliasChange:
        row = AliasChangeRow(
            registry=self.registry_key,
            model=model,
            alias=alias,
            from_version=from_version,
            to_version=to_version,
            kind=kind,
            actor=actor[:200],
            reason=reason,
            approval_id=approval_id,
            at=utcnow(),
        )
        with Session(self._engine, expire_on_commit=False) as db:
            db.add(row)
            db.commit()
        return _change(row)

    def changes(
        self, model: str, alias: str | None = None, limit: int | None = None
    ) -> list[AliasChange]:
        """Oldest first (the newest `limit` when given)."""
        with Session(self._engine) as db:
            query = (
                select(AliasChangeRow)
                .where(AliasChangeRow.registry == self.registry_key)
                .where(AliasChangeRow.model == model)
            )
            if alias is not None:
                query = query.where(AliasChangeRow.alias == alias)
            query = query.order_by(col(AliasChangeRow.id).desc())
            if limit is not None:
                query = query.limit(limit)
            rows = list(db.exec(query))
        return [_change(r) for r in reversed(rows)]

    def stack(self, model: str, alias: str) -> list[int]:
        return holder_stack(self.changes(model, alias))
