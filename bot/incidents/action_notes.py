"""What the incident thread says about a suggested action: its call (`describe_action`) and
the note for its current approval state (`action_note`). People are named as `<@ID>`
(`core.people`): each front end shows them its way."""

from __future__ import annotations

from core.approvals import EXECUTED, EXPIRED, FAILED, PENDING, REJECTED, ApprovalView
from core.people import mention
from tools.redact import redact


def describe_action(view: ApprovalView) -> str:
    args = view.args
    if view.tool == "run_remediation":
        params = ", ".join(f"{k}={v!r}" for k, v in (args.get("params") or {}).items())
        return f"{args.get('action')}({params})"
    return f"{view.tool}({', '.join(f'{k}={v!r}' for k, v in args.items())})"


def action_note(view: ApprovalView) -> str | None:
    """The thread note for an approval's current state; None while nothing happened yet."""
    what = describe_action(view)
    if view.status == PENDING:
        if view.approvers:
            return (
                f"Approval of {what} recorded by {mention(view.approvers[-1])} ({len(view.approvers)} of "
                f"{view.approvals_needed}); waiting for another on-call engineer"
            )
        return None
    if view.status == EXECUTED:
        first = (view.result or "done").strip().splitlines()[0]
        text = f"✅ {what} ran, approved by {mention(view.decided_by)}: {first}"
        if view.verification:
            text += f"\nVerification: {view.verification}"
        return redact(text)
    if view.status == FAILED:
        return redact(f"❌ {what} failed, approved by {mention(view.decided_by)}: {view.result}")
    if view.status == REJECTED:
        return f"Rejected by {mention(view.decided_by)}: {what} was not run; nothing was changed."
    if view.status == EXPIRED:
        return f"⌛ The approval for {what} expired without a decision; nothing was run."
    return None  # approved / executing: the outcome follows
