"""The approval change feed: how a decision taken anywhere reaches the chat thread it belongs to.

An approval requested in a Slack thread can be decided by a click in that thread, by
`opsbot approve` in a terminal, by another replica, or expire. Whichever process changes it
writes an `approval_event` row (state changes in the same transaction as the approval's
compare-and-set, so none is lost), plus an `answer` row carrying the reply of the
conversation the decision resumed. The process running the chat front end reads the feed
and shows each row once: the card updated in place, the answer posted in the thread.

Delivery is at least once and in order per approval: a reader may only work on an
approval's oldest undelivered row, and only after claiming it with a compare-and-set lease.
So two readers (replicas) never show the same row twice or two rows of one approval out of
order, and a reader that dies mid-delivery loses nothing: its lease runs out and another
reader (or itself after a restart) delivers the row. A row is posted twice only when a
reader dies between Slack accepting the message and the row being marked delivered.

Only threads a chat front end reads from are recorded (`ANNOUNCED_THREAD_PREFIXES`), so a
console conversation or an incident's suggested action (which the incident timeline
announces) never fills the table with rows nobody will read.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from bot.approvals.tables import ApprovalEvent
from bot.storage.db import session
from core.approvals import ApprovalView
from core.clock import utcnow

log = logging.getLogger(__name__)

# thread ids of conversations whose front end reads this feed (the Slack front end)
ANNOUNCED_THREAD_PREFIXES = ("slack:",)

# kinds written with the approval's state change; the card shows the approval's current state
PENDING_MORE = "pending"  # one of two approvals recorded
STATE_KINDS = frozenset(
    {PENDING_MORE, "approved", "rejected", "expired", "executed", "failed", "unknown"}
)
ANSWER = "answer"  # the reply of the conversation the decision resumed: post it in the thread
OUTCOME = "outcome"  # decided, but no conversation was resumed: say in the thread how it went
KINDS = STATE_KINDS | {ANSWER, OUTCOME}

# A claimed row not delivered within LEASE is claimed again (its reader crashed); long enough
# for a conversation resumed after an expiry with a slow model call.
LEASE = timedelta(seconds=180)
# A row that failed this often is dropped (logged), so it cannot hold up its approval's rows.
MAX_ATTEMPTS = 6
KEEP_DELIVERED = timedelta(days=7)


def announced(thread_id: str | None) -> bool:
    """True when a chat front end shows this conversation's approvals."""
    return bool(thread_id) and str(thread_id).startswith(ANNOUNCED_THREAD_PREFIXES)


def add_event(
    db: Session,
    *,
    approval_id: str,
    thread_id: str,
    kind: str,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Add a row inside the caller's transaction (the caller commits). False when the thread
    is not announced and nothing was added."""
    if kind not in KINDS:
        raise ValueError(f"unknown approval event kind {kind!r}; allowed: {sorted(KINDS)}")
    if not announced(thread_id):
        return False
    db.add(
        ApprovalEvent(
            approval_id=approval_id, thread_id=thread_id, kind=kind, payload=payload or {}
        )
    )
    return True


def default_owner() -> str:
    """Who holds a claim: host, process and a random part (two front ends in one process
    are two owners)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ApprovalEvents:
    """Writing and claiming rows of the feed."""

    def __init__(self, engine: Engine, owner: str | None = None, lease: timedelta = LEASE) -> None:
        self._engine = engine
        self.owner = owner or default_owner()
        self.lease = lease

    # ---------------------------------------------------------------- writing
    def record(
        self, approval_id: str, thread_id: str, kind: str, payload: dict[str, Any] | None = None
    ) -> bool:
        """Add one row in its own transaction; False when the thread is not announced."""
        with session(self._engine) as db:
            added = add_event(
                db, approval_id=approval_id, thread_id=thread_id, kind=kind, payload=payload
            )
            if added:
                db.commit()
        return added

    # ---------------------------------------------------------------- reading
    def backlog(self, limit: int = 100) -> list[str]:
        """Approvals with undelivered rows, the one waiting longest first."""
        with session(self._engine) as db:
            rows = db.exec(
                select(ApprovalEvent.approval_id, func.min(ApprovalEvent.id))
                .where(col(ApprovalEvent.delivered_at).is_(None))
                .group_by(col(ApprovalEvent.approval_id))
                .order_by(func.min(ApprovalEvent.id))
                .limit(limit)
            ).all()
        return [str(approval_id) for approval_id, _ in rows]

    def oldest(self, approval_id: str) -> ApprovalEvent | None:
        """The approval's oldest undelivered row: the only one a reader may work on."""
        with session(self._engine) as db:
            return db.exec(
                select(ApprovalEvent)
                .where(ApprovalEvent.approval_id == approval_id)
                .where(col(ApprovalEvent.delivered_at).is_(None))
                .order_by(col(ApprovalEvent.id))
                .limit(1)
            ).first()

    def superseded(self, event: ApprovalEvent) -> bool:
        """True when a later undelivered state change of the same approval exists: showing
        this one's card would be overwritten at once (the card shows the current state)."""
        with session(self._engine) as db:
            later = db.exec(
                select(ApprovalEvent.id)
                .where(ApprovalEvent.approval_id == event.approval_id)
                .where(col(ApprovalEvent.id) > event.id)
                .where(col(ApprovalEvent.kind).in_(sorted(STATE_KINDS)))
                .where(col(ApprovalEvent.delivered_at).is_(None))
                .limit(1)
            ).first()
        return later is not None

    def for_approval(self, approval_id: str) -> list[ApprovalEvent]:
        with session(self._engine) as db:
            return list(
                db.exec(
                    select(ApprovalEvent)
                    .where(ApprovalEvent.approval_id == approval_id)
                    .order_by(col(ApprovalEvent.id))
                )
            )

    # ---------------------------------------------------------------- claiming
    def claim(self, event: ApprovalEvent) -> bool:
        """Take the row for `lease` if nobody holds it and it is not waiting for a retry."""
        now = utcnow()
        with session(self._engine) as db:
            result = db.execute(
                update(ApprovalEvent)
                .where(col(ApprovalEvent.id) == event.id)
                .where(col(ApprovalEvent.delivered_at).is_(None))
                .where(
                    or_(
                        col(ApprovalEvent.claimed_until).is_(None),
                        col(ApprovalEvent.claimed_until) < now,
                    )
                )
                .values(claimed_by=self.owner, claimed_until=now + self.lease)
            )
            db.commit()
            return cast("CursorResult[Any]", result).rowcount == 1

    def done(self, event: ApprovalEvent) -> bool:
        """Mark a claimed row delivered; False when the claim was lost meanwhile (the lease
        ran out and another reader took it)."""
        with session(self._engine) as db:
            result = db.execute(
                update(ApprovalEvent)
                .where(col(ApprovalEvent.id) == event.id)
                .where(col(ApprovalEvent.claimed_by) == self.owner)
                .where(col(ApprovalEvent.delivered_at).is_(None))
                .values(delivered_at=utcnow())
            )
            db.commit()
            return cast("CursorResult[Any]", result).rowcount == 1

    def failed(self, event: ApprovalEvent, error: str) -> bool:
        """Give the row back to be retried after a backoff; after MAX_ATTEMPTS it is dropped
        (marked delivered) so the approval's later rows are not held up for ever. Returns
        True when the row will be retried."""
        attempts = event.attempts + 1
        now = utcnow()
        values: dict[str, Any] = {"attempts": attempts, "claimed_by": None}
        if attempts >= MAX_ATTEMPTS:
            log.error(
                "giving up on %s event %s of %s after %d attempts: %s",
                event.kind,
                event.id,
                event.approval_id,
                attempts,
                error,
            )
            values["delivered_at"] = now
        else:
            values["claimed_until"] = now + timedelta(seconds=min(60, 2**attempts))
        with session(self._engine) as db:
            db.execute(
                update(ApprovalEvent)
                .where(col(ApprovalEvent.id) == event.id)
                .where(col(ApprovalEvent.claimed_by) == self.owner)
                .values(**values)
            )
            db.commit()
        return attempts < MAX_ATTEMPTS

    def prune(self, keep: timedelta = KEEP_DELIVERED) -> int:
        """Delete rows delivered longer ago than `keep`."""
        with session(self._engine) as db:
            result = db.execute(
                delete(ApprovalEvent)
                .where(col(ApprovalEvent.delivered_at).is_not(None))
                .where(col(ApprovalEvent.delivered_at) < utcnow() - keep)
            )
            db.commit()
            return int(cast("CursorResult[Any]", result).rowcount or 0)


# ---------------------------------------------------------------------- stored answers
@dataclass
class StoredCall:
    name: str
    files: list[str] = field(default_factory=list)


@dataclass
class StoredTurn:
    """What `bot.reply.reply_from_turn` needs of a turn, read back from an `answer` row."""

    thread_id: str
    answer: str
    tool_calls: list[StoredCall] = field(default_factory=list)
    pending: list[ApprovalView] = field(default_factory=list)
    note: str | None = None
    trace_id: str = ""  # the resumed run's trace (its answer's 👍/👎 score it)

    @property
    def files(self) -> list[str]:
        return [f for call in self.tool_calls for f in call.files]


def turn_payload(turn: Any) -> dict[str, Any]:
    """The parts of a `graphs.agent.TurnResult` a front end shows, as JSON."""
    return {
        "thread_id": turn.thread_id,
        "answer": turn.answer,
        "tool_calls": [{"name": c.name, "files": list(c.files)} for c in turn.tool_calls],
        "pending": [v.id for v in turn.pending],
        "note": turn.note,
        "trace_id": getattr(turn, "trace_id", "") or "",
    }


def stored_turn(payload: dict[str, Any], view: Any) -> StoredTurn:
    """Rebuild a turn from `turn_payload`; `view(approval_id)` gives an approval's current
    state (pending approvals are shown as they are now, not as they were)."""
    pending: list[ApprovalView] = []
    for approval_id in payload.get("pending") or []:
        found = view(str(approval_id))
        if found is not None:
            pending.append(found)
    return StoredTurn(
        thread_id=str(payload.get("thread_id") or ""),
        answer=str(payload.get("answer") or ""),
        tool_calls=[
            StoredCall(str(c.get("name")), [str(f) for f in c.get("files") or []])
            for c in payload.get("tool_calls") or []
            if isinstance(c, dict)
        ],
        pending=pending,
        note=payload.get("note"),
        trace_id=str(payload.get("trace_id") or ""),
    )
