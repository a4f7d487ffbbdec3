"""What escalation and handoff messages have gone out, so each goes out once.

A message is claimed (a row under a unique key) before it is sent; a send that fails
releases its claim, so the next cycle tries again. Two replicas (or a restart in between)
cannot both claim the same step or handoff.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import as_utc
from tools.oncall.tables import HandoffRow, PageRow


class Ledger:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _claim(self, row: PageRow | HandoffRow) -> bool:
        with Session(self._engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                return False
            return True

    # ------------------------------------------------------------------ escalation
    def done_steps(self, incident_id: int, episode: int) -> set[int]:
        query = (
            select(PageRow.step)
            .where(PageRow.incident_id == incident_id)
            .where(PageRow.episode == episode)
        )
        with Session(self._engine) as session:
            return set(session.exec(query))

    def claim_step(self, incident_id: int, episode: int, step: int, targets: str) -> bool:
        """True when this caller is the one to send step `step` of this episode."""
        return self._claim(
            PageRow(incident_id=incident_id, episode=episode, step=step, targets=targets)
        )

    def release_step(self, incident_id: int, episode: int, step: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(PageRow)
                .where(col(PageRow.incident_id) == incident_id)
                .where(col(PageRow.episode) == episode)
                .where(col(PageRow.step) == step)
            )

    # ------------------------------------------------------------------ handoffs
    def claim_handoff(self, schedule: str, at: datetime) -> bool:
        """True when this caller is the one to post the handoff of `schedule` at `at`."""
        return self._claim(HandoffRow(schedule=schedule, at=as_utc(at)))

    def release_handoff(self, schedule: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(HandoffRow)
                .where(col(HandoffRow.schedule) == schedule)
                .where(col(HandoffRow.at) == as_utc(at))
            )
