"""What the agent graph needs from the outside world to gate and audit tool calls.

The graph owns *when* a call is gated (its tool's `Access`), the application owns *how*
approvals are stored, authorised and executed (`bot.approvals.ApprovalService`). Keeping the
contract here lets graphs stay free of database and Slack code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tools.base import Caller, OpsTool, Risk, ToolResult
from tools.clock import iso

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


class GateBackend(Protocol):
    def request(
        self,
        *,
        thread_id: str,
        tool_call_id: str,
        tool: OpsTool,
        args: dict[str, Any],
        caller: Caller,
        preview: str,
        risk: Risk,
    ) -> ApprovalView:
        """Create the pending approval, or return the existing one for the same call."""
        ...

    def view(self, approval_id: str) -> ApprovalView:
        """Current state (expiring it first when its time is up)."""
        ...

    def execute(self, approval_id: str) -> ApprovalView:
        """Run an approved action exactly once; return the final state. No-op otherwise."""
        ...

    def audit(
        self, *, caller: Caller, tool: str, args: dict[str, Any], result: ToolResult, thread_id: str
    ) -> None:
        """Record a state-changing (WRITE) call."""
        ...


def approval_id_for(thread_id: str, tool_call_id: str) -> str:
    """Deterministic id, so re-running the gate node after a resume finds the same row."""
    import hashlib

    digest = hashlib.sha256(f"{thread_id}\x00{tool_call_id}".encode()).hexdigest()
    return "ap-" + digest[:12]
