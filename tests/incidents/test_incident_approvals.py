"""Suggested actions of an incident go through the approval service: only on-call people,
never after expiry, exactly once; every outcome lands in the incident's thread, and an
executed action is followed by a re-check of the condition."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.approvals import ApprovalError
from bot.approvals.tables import Approval
from bot.storage.db import session
from core.clock import utcnow


def setup(make_runtime, tmp_path: Path, database_url, **extra):  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir()
    stamp = time.time() - 10 * 86400
    for i in range(2):
        path = logs / f"old-{i}.log"
        path.write_text("x" * 1000)
        os.utime(path, (stamp, stamp))
    config = tmp_path / "remediation.yaml"
    config.write_text(f"clean_directories:\n  - path: {logs}\n    patterns: ['*.log']\n")
    runtime = make_runtime(
        console_mode=False,
        database_url=database_url,
        oncall_users=["U_ONCALL", "U_OTHER"],
        remediation_config=config,
        monitor_sustain_samples=1,
        disk_forecast_hours=0,
        host_disk_pct=1,
        host_cpu_pct=100,
        incident_correlation_minutes=0,
        host_mem_pct=100,
        host_swap_pct=100,
        **extra,
    )
    service = runtime.incidents
    service.config.background = False
    report = service.run_checks(only={"host"})
    incident_id = next(
        i
        for i, c in report.changes
        if c == "opened" and service.engine.get(i).alertname == "HostDiskFull"
    )
    (action,) = service.card(incident_id).actions
    return runtime, service, incident_id, action, logs


def notes(service, incident_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.note for e in service.engine.timeline(incident_id) if e.note]


def test_not_on_call_and_expired_change_nothing(make_runtime, tmp_path, database_url) -> None:  # type: ignore[no-untyped-def]
    runtime, service, incident_id, action, logs = setup(make_runtime, tmp_path, database_url)
    with pytest.raises(ApprovalError, match="only on-call engineers"):
        runtime.approval_flow.decide_and_resume(
            action.id, user="U_RANDOM", approve=True, via="slack"
        )
    assert runtime.approvals.view(action.id).status == "pending"
    assert len(list(logs.iterdir())) == 2
    # time passes beyond the approval's expiry
    with session(runtime.engine) as db:
        db.execute(
            update(Approval)
            .where(Approval.id == action.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    with pytest.raises(ApprovalError, match="expired"):
        runtime.approval_flow.decide_and_resume(
            action.id, user="U_ONCALL", approve=True, via="slack"
        )
    assert runtime.approvals.view(action.id).status == "expired"
    assert len(list(logs.iterdir())) == 2
    service.sweep_approvals()  # the scheduler's sweep announces it in the incident's thread
    service.sweep_approvals()  # ...once
    expired = [n for n in notes(service, incident_id) if "expired" in n]
    assert expired == [
        f"⌛ The approval for clean_directory(path='{logs}', older_than_days=7) expired "
        "without a decision; nothing was run."
    ]


def test_approved_action_runs_once_and_is_rechecked(make_runtime, tmp_path, database_url) -> None:  # type: ignore[no-untyped-def]
    runtime, service, incident_id, action, logs = setup(make_runtime, tmp_path, database_url)
    decision, turn = runtime.approval_flow.decide_and_resume(
        action.id, user="U_ONCALL", approve=True, via="slack"
    )
    assert decision.ready and turn is None
    assert list(logs.iterdir()) == []
    view = runtime.approvals.view(action.id)
    assert view.status == "executed" and view.verification.startswith("it worked")
    again, _ = runtime.approval_flow.decide_and_resume(
        action.id, user="U_OTHER", approve=True, via="slack"
    )
    assert not again.changed
    said = notes(service, incident_id)
    ran = [n for n in said if n.startswith("✅")]
    # people are named as <@ID> in stored notes; each front end shows them its way
    assert len(ran) == 1 and "approved by <@U_ONCALL>: Deleted 2 files" in ran[0]
    assert "Verification: it worked" in ran[0]
    # the disk is still over 1%: the re-check says so (the incident stays open)
    assert any(n.startswith("Re-check after the action: still seen") for n in said)
    assert service.engine.get(incident_id).status == "open"


def test_reject_is_announced(make_runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runtime, service, incident_id, action, logs = setup(make_runtime, tmp_path, None)
    runtime.approval_flow.decide_and_resume(action.id, user="U_OTHER", approve=False, via="slack")
    assert len(list(logs.iterdir())) == 2
    assert any(n.startswith("Rejected by <@U_OTHER>") for n in notes(service, incident_id))
    card = service.card(incident_id)
    assert card.actions[0].status == "rejected"


def test_two_person_rule_for_incident_actions(make_runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runtime, service, incident_id, action, logs = setup(
        make_runtime, tmp_path, None, approval_two_person_risk="medium"
    )
    assert action.approvals_needed == 2
    first, _ = runtime.approval_flow.decide_and_resume(
        action.id, user="U_ONCALL", approve=True, via="slack"
    )
    assert not first.ready and len(list(logs.iterdir())) == 2
    assert any("(1 of 2)" in n for n in notes(service, incident_id))
    runtime.approval_flow.decide_and_resume(action.id, user="U_OTHER", approve=True, via="slack")
    assert list(logs.iterdir()) == []
