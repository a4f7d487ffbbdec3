"""Promote and roll back through the real agent (offline planner) and approval gate:
nothing moves until an authorised on-call engineer approves; rejected, expired and
outdated requests change nothing; the history records each move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.approvals import ApprovalError
from bot.approvals.tables import Approval
from core.access import Caller
from core.clock import utcnow
from tools.prompts.demo import seed_demo

REQUESTER = Caller(user="U_REQ", via="slack", channel="C1")


@pytest.fixture
def runtime(make_runtime, database_url):  # type: ignore[no-untyped-def]
    rt = make_runtime(
        console_mode=False, oncall_users=["U_ONCALL", "U_OTHER"], database_url=database_url
    )
    seed_demo(rt.prompts)
    return rt


def _ask(runtime, text: str, thread: str = "C1:1.0"):  # type: ignore[no-untyped-def]
    return runtime.agent.ask(text, thread_id=thread, caller=REQUESTER)


def _production(runtime) -> int:  # type: ignore[no-untyped-def]
    return runtime.prompts.get("support-triage").version


def test_promote_pends_until_an_oncall_engineer_approves(runtime) -> None:  # type: ignore[no-untyped-def]
    turn = _ask(runtime, "promote support-triage v3 to production")
    assert [c.name for c in turn.tool_calls] == ["set_prompt_label"]
    assert len(turn.pending) == 1
    approval = turn.pending[0]
    assert approval.risk == "medium"
    # the preview is the diff against the current holder, and pins what was approved
    assert approval.preview.startswith("Move production of support-triage from v2 to v3.")
    assert (
        "```diff" in approval.preview and "+Also rate the customer's sentiment" in approval.preview
    )
    assert approval.args["expected_version"] == 2 and approval.args["version"] == 3
    assert _production(runtime) == 2
    # the requester and random users cannot approve; nothing moves
    for user in ("U_REQ", "U_RANDOM"):
        with pytest.raises(ApprovalError, match="only on-call engineers"):
            runtime.approval_flow.decide_and_resume(
                approval.id, user=user, approve=True, via="slack"
            )
    assert _production(runtime) == 2
    decision, resumed = runtime.approval_flow.decide_and_resume(
        approval.id, user="U_ONCALL", approve=True, via="slack"
    )
    assert decision.ready and resumed is not None
    assert "Moved production of support-triage: v2 → v3" in resumed.answer
    assert "Verification: production of support-triage now resolves to v3." in resumed.answer
    assert _production(runtime) == 3
    change = runtime.prompts.history("support-triage", "production")[0]
    assert (change.from_version, change.to_version, change.kind, change.actor) == (
        2, 3, "set", "U_REQ",
    )  # fmt: skip
    # a double click changes nothing more
    again, _ = runtime.approval_flow.decide_and_resume(
        approval.id, user="U_OTHER", approve=True, via="slack"
    )
    assert not again.changed and len(runtime.prompts.history("support-triage", "production")) == 3
    outcomes = [r.outcome for r in runtime.audit.for_approval(approval.id)]
    assert outcomes == ["requested", "approved", "ok"]


def test_rollback_pends_then_moves_to_the_previous_holder(runtime) -> None:  # type: ignore[no-untyped-def]
    turn = _ask(runtime, "roll back support-triage")
    approval = turn.pending[0]
    assert approval.preview.startswith(
        "Roll back production of support-triage from v2 to v1 (rollback to the previous holder)."
    )
    assert approval.args["rollback"] is True and approval.args["version"] == 1
    assert _production(runtime) == 2
    runtime.approval_flow.decide_and_resume(approval.id, user="U_ONCALL", approve=True, via="slack")
    assert _production(runtime) == 1
    latest = runtime.prompts.history("support-triage", "production")[0]
    assert (latest.from_version, latest.to_version, latest.kind) == (2, 1, "rollback")


def test_rejected_and_expired_requests_change_nothing(runtime) -> None:  # type: ignore[no-untyped-def]
    rejected = _ask(runtime, "promote support-triage v3", thread="C1:2.0").pending[0]
    decision, turn = runtime.approval_flow.decide_and_resume(
        rejected.id, user="U_ONCALL", approve=False, via="slack", reason="not reviewed"
    )
    assert decision.approval.status == "rejected"
    assert turn is not None and "nothing was changed" in turn.answer
    expiring = _ask(runtime, "roll back support-triage", thread="C1:3.0").pending[0]
    with runtime.prompts.engine.begin() as conn:
        conn.execute(
            update(Approval)
            .where(Approval.id == expiring.id)  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(ApprovalError, match="expired"):
        runtime.approval_flow.decide_and_resume(
            expiring.id, user="U_ONCALL", approve=True, via="slack"
        )
    assert runtime.approvals.view(expiring.id).status == "expired"
    assert _production(runtime) == 2
    assert len(runtime.prompts.history("support-triage", "production")) == 2  # the demo's


def test_an_approval_is_refused_if_the_label_moved_while_it_waited(runtime) -> None:  # type: ignore[no-untyped-def]
    first = _ask(runtime, "promote support-triage v3", thread="C1:4.0").pending[0]
    second = _ask(runtime, "roll back support-triage", thread="C1:5.0").pending[0]
    runtime.approval_flow.decide_and_resume(first.id, user="U_ONCALL", approve=True, via="slack")
    assert _production(runtime) == 3
    _, turn = runtime.approval_flow.decide_and_resume(
        second.id, user="U_ONCALL", approve=True, via="slack"
    )
    final = runtime.approvals.view(second.id)
    assert final.status == "failed"
    assert "pointed to v2 then and points to v3 now. Nothing was changed" in (final.result or "")
    assert turn is not None and "failed" in turn.answer
    assert _production(runtime) == 3


def test_impossible_moves_never_create_an_approval(runtime) -> None:  # type: ignore[no-untyped-def]
    turn = _ask(runtime, "promote support-triage v9 to production")
    assert turn.pending == []
    assert "has no version 9" in turn.answer
    turn = _ask(runtime, "promote support-triage v2 to production", thread="C1:6.0")
    assert turn.pending == [] and "already points to v2" in turn.answer
    turn = _ask(runtime, "roll back incident-summary staging", thread="C1:7.0")
    assert turn.pending == [] and "no earlier version to roll back to" in turn.answer
    assert runtime.approvals.pending() == []


def test_create_prompt_version_is_audited_and_moves_no_label(runtime) -> None:  # type: ignore[no-untyped-def]
    tool = runtime.toolbox.get("create_prompt_version")
    result = tool.invoke(
        {"name": "support-triage", "template": "Short: {{ ticket }}", "message": "shorter"},
        REQUESTER,
    )
    assert result.ok and "Created support-triage v4" in result.text
    assert "production stays on v2" in result.text
    assert _production(runtime) == 2
    assert runtime.prompts.get("support-triage", version=4).author == "U_REQ"
    bad = tool.invoke({"name": "support-triage", "template": "{{ oops", "message": "m"}, REQUESTER)
    assert not bad.ok and "invalid placeholder" in bad.text
