"""The approvals' tables: the audit log, approvals and their change feed for the chat front ends.

They belong to the approvals package, and are registered on `SQLModel.metadata` with the core
schema area (`bot/storage/schema.py`): their revisions stay in the core Alembic branch, where
they were first created, so deployed databases keep one unbroken history. A new revision of
these tables goes in that branch too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class AuditLog(SQLModel, table=True):
    """One row per state-changing tool call or decision: who, what, args, result, when."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    via: str = Field(max_length=32)
    action: str = Field(max_length=100, index=True)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    outcome: str = Field(max_length=32)  # ok | error | requested | approved | rejected | expired
    result: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    approval_id: str | None = Field(default=None, max_length=64, index=True)
    thread_id: str | None = Field(default=None, max_length=300)


class Approval(SQLModel, table=True):
    """A pending (or decided) request to run a gated action.

    The id is derived from the conversation and the tool call, so re-running the graph node
    that creates it is idempotent. Status moves only forward, by compare-and-set updates:
    pending -> approved -> executing -> executed | failed | unknown (the process executing it
    died: never re-run), or pending -> rejected | expired. Who executes (host, pid and that
    process's start time) is recorded when claiming `executing`, so a start-up can tell a
    dead executor from a live one.
    """

    __tablename__ = "approval"
    __table_args__ = (
        Index("ix_approval_status_expires", "status", "expires_at"),
        # one pending approval per action and arguments (`core.approvals.action_key`)
        Index(
            "ux_approval_pending_action",
            "action_key",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    thread_id: str = Field(max_length=300, index=True)
    tool_call_id: str = Field(max_length=200)
    tool: str = Field(max_length=100)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    risk: str = Field(max_length=16)
    preview: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    requested_by: str = Field(max_length=200)
    requested_via: str = Field(max_length=32)
    channel: str | None = Field(default=None, max_length=100)
    status: str = Field(default="pending", max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    approvals_needed: int = Field(default=1)
    approvers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    revision: int = Field(default=0)  # optimistic lock for concurrent decisions
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = None
    decided_via: str | None = Field(default=None, max_length=32)  # slack | cli | console
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    verification: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    executed_at: datetime | None = None
    executor_host: str | None = Field(default=None, max_length=255)
    executor_pid: int | None = None
    executor_started: float | None = None  # the executing process's start (epoch seconds)
    execution_started_at: datetime | None = None
    incident_id: int | None = Field(default=None, index=True)
    message_channel: str | None = Field(default=None, max_length=100)
    message_ts: str | None = Field(default=None, max_length=64)
    # the tool and its canonical arguments (`core.approvals.action_key`); NULL on rows from
    # before it, and on identical ones that were already pending when it came
    action_key: str | None = Field(default=None, max_length=64)


class ApprovalEvent(SQLModel, table=True):
    """A change to an approval that a chat front end must show: the outbox between the
    process that changed the approval (a Slack click, `opsbot approve` in a terminal, another
    replica, the expiry sweep) and the process that runs the front end.

    State changes are written in the same transaction as the approval's compare-and-set, so
    none is lost; `answer` rows carry the reply of the conversation resumed by a decision.
    A front end claims a row (`claimed_by`, lease until `claimed_until`), shows it, then sets
    `delivered_at`; an expired lease (a crashed front end) lets another one deliver it.
    """

    __tablename__ = "approval_event"

    id: int | None = Field(default=None, primary_key=True)
    approval_id: str = Field(max_length=64, index=True)
    thread_id: str = Field(max_length=300)
    # pending (one of two approvals) | approved | rejected | expired | executed | failed |
    # unknown (its executor died) |
    # answer (the resumed turn's reply) | outcome (no conversation resumed: say how it went)
    kind: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    delivered_at: datetime | None = Field(default=None, index=True)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None
    attempts: int = Field(default=0)
