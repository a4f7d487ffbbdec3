"""What a settled approval is said to have done (`core.approvals.outcome_text`), and whether it
counts as done (`outcome_ok`), for every final state; `unknown` (the process running the action
died) is never a success."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.approvals import (
    EXECUTED,
    EXECUTING,
    EXPIRED,
    FAILED,
    FINAL,
    REJECTED,
    UNKNOWN,
    ApprovalView,
    outcome_ok,
    outcome_text,
)

VIEW = ApprovalView(
    id="ap-000000000001",
    tool="run_remediation",
    args={"action": "restart_service"},
    risk="medium",
    preview="would restart web",
    status=EXECUTED,
    requested_by="U_REQ",
    expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    decided_by="U_ONCALL",
    result="restarted",
)
ACTION = "run_remediation(action='restart_service')"


def test_unknown_is_not_ok_and_says_the_outcome_is_unknown_and_what_to_check() -> None:
    view = replace(
        VIEW,
        status=UNKNOWN,
        result="outcome unknown (process died): process 4242 on web-1, which started ...",
    )
    text = outcome_text(view, display=lambda user: f"<{user}>")
    assert not outcome_ok(view)
    assert text.startswith(f"Approved by <U_ONCALL>, but the outcome of {ACTION} is unknown")
    assert "died" in text and "not re-run" in text
    assert "Check by hand whether it took effect" in text
    assert "ran:" not in text and f"{ACTION} is unknown." not in text  # the old wording


@pytest.mark.parametrize(
    ("status", "ok", "start"),
    [
        (EXECUTED, True, f"Approved by U_ONCALL. {ACTION} ran: restarted"),
        (FAILED, False, f"Approved by U_ONCALL, but {ACTION} failed: restarted"),
        (REJECTED, False, f"Rejected by U_ONCALL. {ACTION} was not run"),
        (EXPIRED, False, f"The approval for {ACTION} expired without a decision"),
        (UNKNOWN, False, f"Approved by U_ONCALL, but the outcome of {ACTION} is unknown"),
    ],
)
def test_every_final_state(status: str, ok: bool, start: str) -> None:
    view = replace(VIEW, status=status)
    assert outcome_ok(view) is ok
    assert outcome_text(view).startswith(start)


def test_the_table_covers_every_final_state_and_executing_is_in_progress() -> None:
    assert {EXECUTED, FAILED, REJECTED, EXPIRED, UNKNOWN} == FINAL
    assert "being executed by another worker" in outcome_text(replace(VIEW, status=EXECUTING))


def test_outcome_text_needs_no_langgraph() -> None:
    """The Slack incident notifier renders outcomes; that must not load the graph layer."""
    code = (
        "import sys, core.approvals, bot.slack.incidents; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('langgraph', 'graphs')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "langgraph" not in out and "graphs.agent" not in out
