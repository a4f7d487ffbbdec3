"""`graphs.gate.GateBackend`, the agent graph's approval gate, run on its implementation,
`bot.approvals.ApprovalService`, on each database (SQLite and PostgreSQL, as LangGraph's
conformance suite runs on each saver): a request for the same call is the same approval;
`view` expires it when its time is up; `execute` runs an approved action exactly once and is
a no-op otherwise; `audit` records a WRITE call."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel

from bot.approvals import ApprovalPolicy, ApprovalService, AuditLogger
from core.access import Access, Caller, Risk
from core.approvals import EXECUTED, EXPIRED, PENDING, REJECTED
from graphs.gate import GateBackend
from tools.base import OpsTool, Toolbox, ToolResult

REQUESTER = Caller(user="U_REQ", via="slack", channel="C1")
APPROVER = "U_ONCALL"


class RestartArgs(BaseModel):
    service: str


@dataclass
class Gate:
    backend: GateBackend
    decide: Callable[[str, bool], None]  # an authorised person approves or rejects
    audited: Callable[[str], list[tuple[str, str]]]  # (actor, outcome) rows of one tool
    tool: OpsTool
    runs: list[str] = field(default_factory=list)


def _restart_tool(runs: list[str]) -> OpsTool:
    def run(args: RestartArgs, caller: Caller) -> ToolResult:
        runs.append(args.service)
        return ToolResult(text=f"restarted {args.service}")

    return OpsTool(
        name="restart_service",
        description="restart a service",
        args=RestartArgs,
        run=run,
        access=Access.GATED,
        preview=lambda args: f"would restart {args.service}",
        risk_for=lambda _args: Risk.MEDIUM,
    )


def _approval_service(engine: Any, ttl_seconds: int) -> Gate:
    runs: list[str] = []
    tool = _restart_tool(runs)
    audit = AuditLogger(engine)
    service = ApprovalService(
        engine, audit, ApprovalPolicy(oncall_users={APPROVER}, ttl_seconds=ttl_seconds)
    )
    service.set_toolbox(Toolbox([tool]))

    def decide(approval_id: str, approve: bool) -> None:
        service.decide(approval_id, user=APPROVER, approve=approve, via="slack")

    def audited(tool_name: str) -> list[tuple[str, str]]:
        return [(row.actor, row.outcome) for row in audit.recent(action=tool_name)]

    return Gate(service, decide, audited, tool, runs)


@pytest.fixture
def make_gate(engine: Any) -> Callable[..., Gate]:
    """Every GateBackend there is, on each database (`engine`: SQLite, PostgreSQL)."""

    def make(ttl_seconds: int = 600) -> Gate:
        return _approval_service(engine, ttl_seconds)

    return make


def _request(gate: Gate, call: str = "call-1", thread: str = "t1", service: str = "web") -> Any:
    return gate.backend.request(
        thread_id=thread,
        tool_call_id=call,
        tool=gate.tool,
        args={"service": service},
        caller=REQUESTER,
        preview="would restart web",
        risk=Risk.MEDIUM,
    )


def test_request_creates_one_pending_approval_per_action(make_gate: Callable[..., Gate]) -> None:
    gate = make_gate()
    first = _request(gate)
    assert first.status == PENDING and first.tool == "restart_service"
    assert first.args == {"service": "web"} and first.requested_by == "U_REQ"
    assert first.preview == "would restart web" and first.thread_id == "t1"
    again = _request(gate)
    assert again.id == first.id and again.status == PENDING  # the same call: the same one
    # the same action and arguments from another call or thread: the pending one
    assert _request(gate, call="call-2").id == first.id
    assert _request(gate, call="call-3", thread="t2").id == first.id
    other = _request(gate, call="call-4", service="worker")  # another action: its own
    assert other.id != first.id and other.status == PENDING
    assert gate.backend.view(first.id) == first
    assert gate.runs == []  # requesting runs nothing


def test_execute_runs_an_approved_action_exactly_once(make_gate: Callable[..., Gate]) -> None:
    gate = make_gate()
    approval = _request(gate)
    assert gate.backend.execute(approval.id).status == PENDING  # not approved: a no-op
    assert gate.runs == []
    gate.decide(approval.id, True)
    done = gate.backend.execute(approval.id)
    assert done.status == EXECUTED and gate.runs == ["web"]
    assert gate.backend.execute(approval.id).status == EXECUTED  # again: no second run
    assert gate.runs == ["web"]
    assert gate.backend.view(approval.id).status == EXECUTED


def test_a_rejected_action_never_runs(make_gate: Callable[..., Gate]) -> None:
    gate = make_gate()
    approval = _request(gate)
    gate.decide(approval.id, False)
    assert gate.backend.execute(approval.id).status == REJECTED
    assert gate.runs == []


def test_view_expires_an_approval_whose_time_is_up(make_gate: Callable[..., Gate]) -> None:
    gate = make_gate(ttl_seconds=1)
    approval = _request(gate)
    time.sleep(1.2)
    assert gate.backend.view(approval.id).status == EXPIRED
    assert gate.backend.execute(approval.id).status == EXPIRED
    assert gate.runs == []


def test_audit_records_a_write_call(make_gate: Callable[..., Gate]) -> None:
    gate = make_gate()
    gate.backend.audit(
        caller=REQUESTER,
        tool="create_prompt_version",
        args={"name": "triage"},
        result=ToolResult(text="created triage v2"),
        thread_id="t1",
    )
    assert ("U_REQ", "ok") in gate.audited("create_prompt_version")
