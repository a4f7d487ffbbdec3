"""The `approval` rows: reading them as views, and moving them forward by compare-and-set.

Every state change is one UPDATE matching the row's status and revision, in the same
transaction as its feed row (`events.add_event`) and its audit row (`audit.add_entry`): the
change, what the chat thread hears of it and its audit are stored together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from bot.approvals.audit import add_entry, logged
from bot.approvals.events import STATE_KINDS, ApprovalEvents, add_event
from bot.approvals.policy import ApprovalError
from bot.approvals.tables import Approval
from bot.storage.db import session
from core.approvals import APPROVED, EXECUTING, PENDING, UNKNOWN, ApprovalView
from core.clock import as_utc, utcnow


def to_view(row: Approval) -> ApprovalView:
    return ApprovalView(
        id=row.id,
        tool=row.tool,
        args=dict(row.args),
        risk=row.risk,
        preview=row.preview,
        status=row.status,
        requested_by=row.requested_by,
        expires_at=row.expires_at,
        approvals_needed=row.approvals_needed,
        approvers=tuple(row.approvers),
        decided_by=row.decided_by,
        result=row.result,
        verification=row.verification,
        thread_id=row.thread_id,
        reason=row.reason,
    )


@dataclass(frozen=True)
class ShownApproval:
    """An approval as a front end shows it: its view, how it was decided, and the chat
    message (card) that shows it, if one was posted."""

    view: ApprovalView
    decided_at: datetime | None = None
    decided_via: str | None = None
    message_channel: str | None = None
    message_ts: str | None = None


def db_error(exc: SQLAlchemyError) -> str:
    """The database's own words (e.g. "database or disk is full"), without SQL."""
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0]


class ApprovalStore:
    """Reads and compare-and-set writes of `approval` rows."""

    def __init__(self, engine: Engine, events: ApprovalEvents) -> None:
        self.engine = engine
        self.events = events

    # ---------------------------------------------------------------- reading
    def row(self, approval_id: str) -> Approval:
        with session(self.engine) as db:
            row = db.get(Approval, approval_id)
        if row is None:
            raise ApprovalError(f"no approval with id {approval_id}")
        return row

    def get(self, approval_id: str) -> Approval | None:
        with session(self.engine) as db:
            return db.get(Approval, approval_id)

    def shown(self, approval_id: str) -> ShownApproval | None:
        row = self.get(approval_id)
        if row is None:
            return None
        return ShownApproval(
            view=to_view(row),
            decided_at=row.decided_at,
            decided_via=row.decided_via,
            message_channel=row.message_channel,
            message_ts=row.message_ts,
        )

    def with_status(self, *statuses: str) -> list[Approval]:
        """Rows in any of `statuses`, oldest first."""
        with session(self.engine) as db:
            return list(
                db.exec(
                    select(Approval)
                    .where(col(Approval.status).in_(statuses))
                    .order_by(col(Approval.created_at))
                )
            )

    def pending(self, thread_id: str | None = None) -> list[Approval]:
        with session(self.engine) as db:
            query = select(Approval).where(Approval.status == PENDING)
            if thread_id is not None:
                query = query.where(Approval.thread_id == thread_id)
            return list(db.exec(query.order_by(col(Approval.created_at))))

    def in_conversation(
        self, thread_ids: tuple[str, ...], channel: str | None = None
    ) -> list[Approval]:
        """Every approval asked for in these threads (and, given `channel`, in that chat
        channel: a direct message's), in the order they were asked."""
        where: ColumnElement[bool] = col(Approval.thread_id).in_(thread_ids)
        if channel:
            where = or_(where, col(Approval.channel) == channel)
        with session(self.engine) as db:
            return list(
                db.exec(
                    select(Approval)
                    .where(where)
                    .order_by(col(Approval.created_at), col(Approval.id))
                )
            )

    def due(self) -> list[Approval]:
        """Pending rows past their time."""
        with session(self.engine) as db:
            return list(
                db.exec(
                    select(Approval)
                    .where(Approval.status == PENDING)
                    .where(col(Approval.expires_at) <= utcnow())
                )
            )

    def unsettled(self, unknown_within: timedelta) -> list[Approval]:
        rows = self.with_status(PENDING, APPROVED, EXECUTING, UNKNOWN)
        since = utcnow() - unknown_within
        return [
            r
            for r in rows
            if r.status != UNKNOWN or (r.executed_at and as_utc(r.executed_at) >= since)
        ]

    def approved(self) -> list[Approval]:
        """Rows decided `approved` and never started, in the order they were decided."""
        with session(self.engine) as db:
            return list(
                db.exec(
                    select(Approval)
                    .where(Approval.status == APPROVED)
                    .order_by(col(Approval.decided_at))
                )
            )

    # ---------------------------------------------------------------- writing
    def cas(
        self,
        row: Approval,
        event: str | None = None,
        audit: dict[str, Any] | None = None,
        **values: Any,
    ) -> bool:
        """Move `row` forward if nobody else did since we read it. With `event`, add that
        change to the approval feed, with `audit` (AuditLog fields) its audit row, both in
        the same transaction: the change, its feed row and its audit row are stored together
        or not at all (a full disk raises, and nothing changed)."""
        with session(self.engine) as db:
            result = db.execute(
                update(Approval)
                .where(col(Approval.id) == row.id)
                .where(col(Approval.status) == row.status)
                .where(col(Approval.revision) == row.revision)
                .values(revision=row.revision + 1, **values)
            )
            moved = cast("CursorResult[Any]", result).rowcount == 1
            entry = None
            if moved and event is not None:
                add_event(db, approval_id=row.id, thread_id=row.thread_id, kind=event)
            if moved and audit is not None:
                entry = add_entry(
                    db, action=row.tool, args=row.args, approval_id=row.id,
                    thread_id=row.thread_id, **audit,
                )  # fmt: skip
            db.commit()
        if entry is not None:
            logged(entry)
        return moved

    def attach_message(self, approval_id: str, channel: str, ts: str) -> None:
        """Remember the chat message that shows this approval, to update it in place.

        A decision can land between the card's post and this call (a quick click): its feed
        row then found no message to update. So when the approval has moved on from the
        state the card was rendered in, a state row is added with the attachment, and the
        feed renders the card from the approval's current state."""
        with session(self.engine) as db:
            db.execute(
                update(Approval)
                .where(col(Approval.id) == approval_id)
                .values(message_channel=channel, message_ts=ts)
            )
            row = db.get(Approval, approval_id)
            if row is not None and (row.status != PENDING or row.approvers):
                # pending with an approver is PENDING_MORE; executing shows as approved
                kind = row.status if row.status in STATE_KINDS else APPROVED
                add_event(db, approval_id=row.id, thread_id=row.thread_id, kind=kind)
            db.commit()
