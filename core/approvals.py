"""Approval states and the view of one approval that the graph and the front ends share.

The graph decides *when* a call is gated; the application decides *how* approvals are stored,
authorised and executed (`graphs.gate.GateBackend` is that contract).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.clock import iso

# Approval states. Only forward moves are allowed (see bot.storage.tables.Approval).
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
EXPIRED = "expired"
EXECUTING = "executing"
EXECUTED = "executed"
FAILED = "failed"
# the process executing it died mid-action: what it did is unknown, and it is never re-run
UNKNOWN = "unknown"

FINAL = {REJECTED, EXPIRED, EXECUTED, FAILED, UNKNOWN}


@dataclass(frozen=True)
class ApprovalView:
    """A pending or decided approval as the graph and the front ends see it."""

    id: str
    tool: str
    args: dict[str, Any]
    risk: str
    preview: str
    status: str
    requested_by: str
    expires_at: datetime
    approvals_needed: int = 1
    approvers: tuple[str, ...] = ()
    decided_by: str | None = None
    result: str | None = None
    verification: str | None = None
    thread_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The `pending_approval` object of `opsbot ask --json`."""
        return {
            "id": self.id,
            "action": self.tool,
            "args": self.args,
            "risk": self.risk,
            "preview": self.preview,
            "status": self.status,
            "expires_at": iso(self.expires_at),
        }


def approval_id_for(thread_id: str, tool_call_id: str) -> str:
    """Deterministic id, so re-running the gate node after a resume finds the same row."""
    digest = hashlib.sha256(f"{thread_id}\x00{tool_call_id}".encode()).hexdigest()
    return "ap-" + digest[:12]
