"""Record and list changes in opsbot's database (SQLite or PostgreSQL).

Callers record a change only after it really happened, so a row is a fact, not an intent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import as_utc, iso, utcnow
from core.errors import Invalid
from tools.changes.tables import ChangeRow


class ChangeKind(StrEnum):
    """What sort of thing changed."""

    MODEL_ALIAS = "model_alias"
    PROMPT_LABEL = "prompt_label"
    REMEDIATION = "remediation"
    CONFIG = "config"
    DEPLOY = "deploy"

    @classmethod
    def parse(cls, value: str) -> ChangeKind:
        """The kind named by `value`, or Invalid naming the allowed kinds."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            allowed = ", ".join(kind.value for kind in cls)
            raise Invalid(f"unknown change kind {value!r}; use one of: {allowed}") from None


@dataclass(frozen=True)
class Change:
    """One recorded change."""

    id: int
    at: datetime
    kind: ChangeKind
    target: str
    summary: str
    before: str
    after: str
    who: str
    via: str
    link: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"at": iso(self.at), "kind": self.kind.value}


def _change(row: ChangeRow) -> Change:
    assert row.id is not None
    return Change(
        id=row.id,
        at=as_utc(row.at),
        kind=ChangeKind(row.kind),
        target=row.target,
        summary=row.summary,
        before=row.before,
        after=row.after,
        who=row.who,
        via=row.via,
        link=row.link,
        source=row.source,
    )


class ChangeStore:
    """The change log."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(
        self,
        kind: ChangeKind,
        target: str,
        *,
        summary: str = "",
        before: str = "",
        after: str = "",
        who: str = "",
        via: str = "",
        link: str = "",
        source: str = "",
        at: datetime | None = None,
    ) -> Change:
        """Store one change (in its own transaction) and return it."""
        if not target.strip():
            raise Invalid("a change needs a target (a model, prompt or service name)")
        row = ChangeRow(
            at=as_utc(at) if at is not None else utcnow(),
            kind=ChangeKind(kind).value,
            target=target.strip(),
            summary=summary,
            before=before,
            after=after,
            who=who,
            via=via,
            link=link,
            source=source,
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return _change(row)

    def list(
        self,
        since: datetime,
        until: datetime | None = None,
        target: str | None = None,
        kind: ChangeKind | None = None,
        limit: int = 100,
    ) -> list[Change]:
        """Changes at or after `since` (and before `until`), newest first."""
        query = select(ChangeRow).where(col(ChangeRow.at) >= as_utc(since))
        if until is not None:
            query = query.where(col(ChangeRow.at) < as_utc(until))
        if target:
            query = query.where(col(ChangeRow.target) == target)
        if kind is not None:
            query = query.where(col(ChangeRow.kind) == ChangeKind(kind).value)
        query = query.order_by(col(ChangeRow.at).desc(), col(ChangeRow.id).desc()).limit(limit)
        with Session(self._engine) as session:
            return [_change(row) for row in session.exec(query)]
