"""What the agent graph needs from the outside world to gate and audit tool calls.

The graph owns *when* a call is gated (its tool's `Access`), the application owns *how*
approvals are stored, authorised and executed (`bot.approvals.ApprovalService`). Keeping the
contract here lets graphs stay free of database and Slack code.
"""

from __future__ import annotations

from typing import Any, Protocol

from core.access import Caller, Risk
from core.approvals import ApprovalView
from tools.base import OpsTool, ToolResult


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
