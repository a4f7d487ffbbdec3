"""Approvals in one package: who may decide (`policy`), asking and expiring (`requests`),
deciding (`decide`), running exactly once (`execute`), recovery after a crash (`recovery`,
`executors`), the audit log (`audit`), the change feed a chat front end reads (`events`), and
resuming the conversation after a decision (`resume`). `ApprovalService` (`service`) is the
object the rest of opsbot holds; front ends import only from here and from `core.approvals`.

The tables (`Approval`, `ApprovalEvent`, `AuditLog`) are in `tables`; their Alembic revisions
are in the core branch (`bot/storage/schema.py`), where they were first created.
"""

from __future__ import annotations

from bot.approvals.audit import AuditLogger
from bot.approvals.decide import Decision
from bot.approvals.events import (
    ANSWER,
    MAX_ATTEMPTS,
    OUTCOME,
    STATE_KINDS,
    ApprovalEvents,
    announced,
    stored_turn,
)
from bot.approvals.policy import ApprovalError, ApprovalPolicy, Approvers
from bot.approvals.resume import STUCK_GRACE, SWEEP_GRACE, ApprovalFlow, ResumableAgent
from bot.approvals.service import ApprovalService
from bot.approvals.store import ShownApproval
from bot.approvals.tables import ApprovalEvent as FeedRow

__all__ = [
    "ANSWER",
    "MAX_ATTEMPTS",
    "OUTCOME",
    "STATE_KINDS",
    "STUCK_GRACE",
    "SWEEP_GRACE",
    "ApprovalError",
    "ApprovalEvents",
    "ApprovalFlow",
    "ApprovalPolicy",
    "ApprovalService",
    "Approvers",
    "AuditLogger",
    "Decision",
    "FeedRow",
    "ResumableAgent",
    "ShownApproval",
    "announced",
    "stored_turn",
]
