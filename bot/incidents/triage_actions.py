"""A triage's suggested action as a pending approval of `run_remediation`: previewed (with a
note when it is a valid tidy-up that does not fix the incident), redacted, and keyed by the
incident, its reopen count and the arguments, so asking again returns the same approval."""

from __future__ import annotations

from typing import Any

from bot.incidents.contract import THREAD_PREFIX
from core.access import Caller
from core.incidents import digest
from tools.base import OpsTool
from tools.redact import redact


def request_action_approval(approvals: Any, tool: OpsTool, incident: Any, action: Any) -> str:
    """The id of the pending approval for `action` (a `ProposedAction`) on `incident` (an
    `IncidentInput`), asked of `approvals` (the `ApprovalService`)."""
    raw = {"action": action.action, "params": action.params}
    args = tool.parse(raw)
    preview = tool.preview(args) if tool.preview else ""
    if not action.fixes:  # a valid tidy-up that does not fix the incident
        preview += f"\nNote: not the fix for this incident: {action.reason}"
    reopen = incident.details.get("reopen_count", 0)
    view = approvals.request(
        thread_id=f"{THREAD_PREFIX}{incident.id}",
        tool_call_id=f"triage:{reopen}:{digest(raw)[:16]}",
        tool=tool,
        args=args.model_dump(mode="json"),
        caller=Caller(user="opsbot", via="scheduler"),
        preview=redact(preview),
        risk=tool.risk_of(args),
        incident_id=incident.id,
    )
    return str(view.id)
