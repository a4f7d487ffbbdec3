"""Approval states, the view of one approval that the graph and the front ends share, and
what a settled approval is said to have done (`outcome_text`, `outcome_ok`).

The graph decides *when* a call is gated; the application decides *how* approvals are stored,
authorised and executed (`graphs.gate.GateBackend` is that contract).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.clock import iso

# Approval states. Only forward moves are allowed (see bot.approvals.tables.Approval).
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
# final states in which the action did not (or may not have) run as asked
NOT_OK = frozenset({REJECTED, EXPIRED, FAILED, UNKNOWN})


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
    reason: str | None = None  # the decider's words, when they gave any

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


# a question asked while a conversation waits for a decision is answered in this side thread
ASIDE = "~aside"


def conversation_threads(thread_id: str) -> tuple[str, str]:
    """The agent threads of one conversation: itself and its aside (`ASIDE`)."""
    return (thread_id, thread_id + ASIDE)


def approval_id_for(thread_id: str, tool_call_id: str) -> str:
    """Deterministic id, so re-running the gate node after a resume finds the same row."""
    digest = hashlib.sha256(f"{thread_id}\x00{tool_call_id}".encode()).hexdigest()
    return "ap-" + digest[:12]


def action_key(tool: str, args: dict[str, Any]) -> str:
    """The same action with the same (parsed, canonical) arguments has the same key: at most
    one approval per key is pending at a time, wherever it was asked for."""
    canonical = json.dumps(args, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{tool}\x00{canonical}".encode()).hexdigest()


def outcome_ok(view: ApprovalView) -> bool:
    """False when the approved action did not run as asked: rejected, expired, failed, or
    its outcome is unknown (the process running it died)."""
    return view.status not in NOT_OK


def outcome_text(view: ApprovalView, display: Callable[[str], str] | None = None) -> str:
    """One sentence on what became of an approval. `display` turns a user id into a name."""
    action = f"{view.tool}({', '.join(f'{k}={v!r}' for k, v in view.args.items())})"
    who = view.decided_by or "nobody"
    if display is not None and view.decided_by:
        who = display(view.decided_by)
    if view.status == EXECUTED:
        text = f"Approved by {who}. {action} ran: {view.result or 'done'}"
        if view.verification:
            text += f"\nVerification: {view.verification}"
        return text
    if view.status == FAILED:
        return f"Approved by {who}, but {action} failed: {view.result}"
    if view.status == UNKNOWN:
        return (
            f"Approved by {who}, but the outcome of {action} is unknown: the process running "
            "it died mid-action, and it was not re-run. Check by hand whether it took effect "
            "(the target's state and logs) before asking for it again."
        )
    if view.status == REJECTED:
        return f"Rejected by {who}. {action} was not run; nothing was changed."
    if view.status == EXPIRED:
        return f"The approval for {action} expired without a decision; nothing was changed."
    if view.status == EXECUTING:
        return f"{action} is being executed by another worker; its outcome will be posted."
    return f"{action} is {view.status}."
