"""ONCALL_APPROVER_SCHEDULES: whoever is on call at the moment of the decision may approve,
beside ONCALL_USERS (a union), through the real ApprovalService decide path on SQLite and
PostgreSQL; the one whose shift ended is refused with a message naming who is on call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.approvals import ApprovalPolicy, ApprovalService, AuditLogger
from bot.approvals.policy import ApprovalError
from bot.settings import SettingsError, load_settings
from bot.storage.db import make_engine, migrate
from core.access import Caller, Risk
from core.approvals import APPROVED, EXECUTED
from tests.incidents.conftest import Clock
from tests.slack.stack import counting_remediation
from tools.base import Toolbox
from tools.oncall.approvers import approvers_now
from tools.oncall.store import OncallStore

REQUESTER = Caller(user="U0REQ", via="slack", channel="C1")
# sre hands over at 09:00 Berlin (08:00 UTC in winter): U1AA on 30 Nov, U2BB on 1 Dec, ...
BEFORE_HANDOFF = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
AFTER_HANDOFF = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


@dataclass
class Setup:
    service: ApprovalService
    oncall: OncallStore
    clock: Clock
    log: Path

    def request(self, call: str = "c1") -> str:
        view = self.service.request(
            thread_id=f"t-{call}", tool_call_id=call, tool=counting_remediation(self.log),
            args={"action": "restart_service", "params": {"service": "web"}},
            caller=REQUESTER, preview="would restart web", risk=Risk.MEDIUM,
        )  # fmt: skip
        return view.id

    def approve(self, approval_id: str, user: str) -> Any:
        return self.service.decide(approval_id, user=user, approve=True, via="slack")


def build(database_url: str | None, tmp_path: Path, schedules: list[str], **policy: Any) -> Any:
    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'opsbot.sqlite3'}")
    migrate(engine)
    oncall = OncallStore(engine)
    oncall.add_rotation("sre", people="U1AA,U2BB,U3CC", every="daily", handoff="09:00",
                        tz="Europe/Berlin", start="2026-11-30", secondary="next")  # fmt: skip
    clock = Clock(BEFORE_HANDOFF)
    log = tmp_path / "actions.log"
    service = ApprovalService(
        engine,
        AuditLogger(engine),
        ApprovalPolicy(**({"ttl_seconds": 600} | policy)),
        on_call_now=approvers_now(oncall, schedules, clock),
    )
    service.set_toolbox(Toolbox([counting_remediation(log)]))
    return Setup(service, oncall, clock, log), engine


@pytest.fixture
def setup(database_url: str | None, tmp_path: Path) -> Iterator[Setup]:
    built, engine = build(database_url, tmp_path, ["sre:primary"], oncall_users={"U0LEAD"})
    yield built
    engine.dispose()


def test_a_handoff_between_request_and_decision_moves_who_may_approve(setup: Setup) -> None:
    approval = setup.request()  # at 08:30 Berlin: U1AA is on call
    setup.clock.now = AFTER_HANDOFF  # 09:30 Berlin: U2BB took over
    with pytest.raises(ApprovalError) as refused:
        setup.approve(approval, "U1AA")  # their shift ended
    message = str(refused.value)
    assert "only on-call engineers can approve or reject actions" in message
    assert "on call now: U2BB (primary of sre)" in message
    assert setup.service.view(approval).status == "pending"  # the refusal changed nothing
    decision = setup.approve(approval, "U2BB")
    assert decision.approval.status == APPROVED and decision.ready
    assert setup.service.execute(approval).status == EXECUTED
    assert setup.log.read_text().count("restart_service") == 1


def test_the_lists_still_count_and_an_override_takes_the_shift(setup: Setup) -> None:
    first = setup.request("c1")
    assert setup.approve(first, "U0LEAD").approval.status == APPROVED  # ONCALL_USERS: a union
    setup.oncall.add_override("sre", user="U9ZZ", start=BEFORE_HANDOFF, end=AFTER_HANDOFF,
                              reason="swap with U1AA")  # fmt: skip
    second = setup.request("c2")
    with pytest.raises(ApprovalError, match=r"on call now: U9ZZ \(primary of sre\)"):
        setup.approve(second, "U1AA")  # the override replaced them
    assert setup.approve(second, "U9ZZ").approval.status == APPROVED


def test_a_whole_schedule_lets_its_secondary_approve(
    database_url: str | None, tmp_path: Path
) -> None:
    built, engine = build(database_url, tmp_path, ["sre"])
    try:
        approval = built.request()
        with pytest.raises(ApprovalError) as refused:
            built.approve(approval, "U3CC")  # 30 Nov: U1AA primary, U2BB secondary
        assert "on call now: U1AA (primary of sre), U2BB (secondary of sre)" in str(refused.value)
        assert built.approve(approval, "U2BB").approval.status == APPROVED  # the secondary
    finally:
        engine.dispose()


def test_a_schedule_that_does_not_exist_grants_nothing(tmp_path: Path) -> None:
    built, engine = build(None, tmp_path, ["gone"])
    try:
        approval = built.request()
        with pytest.raises(ApprovalError, match="on call now: nobody"):
            built.approve(approval, "U1AA")
    finally:
        engine.dispose()


def test_a_failing_schedule_lookup_refuses_and_changes_nothing(tmp_path: Path) -> None:
    built, engine = build(None, tmp_path, ["sre"])
    unreadable = make_engine(f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}")  # no tables
    service = ApprovalService(
        engine,
        AuditLogger(engine),
        ApprovalPolicy(ttl_seconds=600),
        on_call_now=approvers_now(
            OncallStore(unreadable), ["sre"]
        ),  # a database without its tables
    )
    try:
        approval = built.request()
        with pytest.raises(ApprovalError, match="could not check who is on call right now"):
            service.decide(approval, user="U1AA", approve=True, via="slack")
        assert built.service.view(approval).status == "pending"
    finally:
        engine.dispose()
        unreadable.dispose()


def test_bad_approver_schedules_are_a_clear_startup_error() -> None:
    with pytest.raises(SettingsError, match="bad on-call approver schedule 'sre:tertiary'"):
        load_settings(oncall_approver_schedules="sre,sre:tertiary")
    assert load_settings(oncall_approver_schedules="sre, db:primary").oncall_approver_schedules == [
        "sre",
        "db:primary",
    ]
