"""The approval gate: gated calls pend until an authorised person decides; approved actions
run exactly once; rejected and expired ones never run; restarts keep pending approvals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bot.approvals import ApprovalError, ApprovalPolicy, ApprovalService, AuditLogger
from bot.storage.db import make_engine, migrate
from core.access import Access, Caller, Risk
from graphs.agent import Agent, AgentDeps
from graphs.checkpoint import open_checkpointer
from graphs.offline.entities import Vocabulary
from graphs.offline.model import OfflinePlanner
from tools.base import OpsTool, ToolResult


class RemediationArgs(BaseModel):
    action: str
    params: dict[str, Any] = {}


def counting_tool(log: Path) -> OpsTool:
    """A gated test tool that appends a line to a file each time it really runs."""

    def run(args: RemediationArgs, caller: Caller) -> ToolResult:
        with log.open("a") as fh:
            fh.write(f"{args.action} {args.params} by {caller.user}\n")
        return ToolResult(text=f"{args.action} done")

    def preview(args: RemediationArgs) -> str:
        return f"would run {args.action} with {args.params}"

    def risk(args: RemediationArgs) -> Risk:
        return Risk.HIGH if args.action == "kill_process" else Risk.MEDIUM

    return OpsTool(
        name="run_remediation",
        description="test remediation",
        args=RemediationArgs,
        run=run,
        access=Access.GATED,
        preview=preview,
        risk_for=risk,
    )


@dataclass
class Stack:
    agent: Agent
    approvals: ApprovalService
    audit: AuditLogger
    log: Path
    close: Callable[[], None]

    def runs(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def stack_factory(tmp_path: Path, database_url: str | None) -> Iterator[Callable[..., Stack]]:
    url = database_url or f"sqlite:///{tmp_path / 'opsbot.sqlite3'}"
    log = tmp_path / "actions.log"
    closers: list[Callable[[], None]] = []

    def build(**policy: Any) -> Stack:
        engine = make_engine(url)
        migrate(engine)
        audit = AuditLogger(engine)
        defaults: dict[str, Any] = {"oncall_users": {"U_ONCALL", "U_OTHER"}, "ttl_seconds": 600}
        service = ApprovalService(engine, audit, ApprovalPolicy(**(defaults | policy)))
        tool = counting_tool(log)
        from tools.base import Toolbox

        toolbox = Toolbox([tool])
        service.set_toolbox(toolbox)
        saver, close_cp = open_checkpointer(database_url, tmp_path / "checkpoints.sqlite3")
        model = OfflinePlanner(vocabulary=lambda: Vocabulary(services=("web", "worker")))
        agent = Agent(
            AgentDeps(model=model, toolbox=toolbox, backend=service, system_prompt=lambda: "test"),
            saver,
        )

        def close() -> None:
            close_cp()
            engine.dispose()

        closers.append(close)
        return Stack(agent, service, audit, log, close)

    yield build
    for close in closers:
        close()  # closing twice (after a simulated restart) is harmless


REQUESTER = Caller(user="U_REQ", via="slack", channel="C1")


def _ask_restart(stack: Stack, thread: str = "t1"):  # type: ignore[no-untyped-def]
    turn = stack.agent.ask("please restart web", thread_id=thread, caller=REQUESTER)
    assert [c.name for c in turn.tool_calls] == ["run_remediation"]
    assert len(turn.pending) == 1
    assert stack.runs() == []  # nothing ran yet
    return turn


def test_pending_then_approve_runs_exactly_once(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory()
    turn = _ask_restart(stack)
    approval = turn.pending[0]
    assert approval.status == "pending"
    assert approval.preview == "would run restart_service with {'service': 'web'}"
    assert "Approval needed" in turn.answer
    assert turn.to_json()["pending_approval"]["action"] == "run_remediation"

    decision = stack.approvals.decide(approval.id, user="U_ONCALL", approve=True, via="slack")
    assert decision.ready and decision.changed
    final = stack.agent.resume("t1", Caller(user="U_ONCALL", via="slack"))
    assert stack.runs() == ["restart_service {'service': 'web'} by U_REQ"]
    assert "ran: restart_service done" in final.answer
    assert not final.pending

    # double click and a replayed resume do nothing more
    again = stack.approvals.decide(approval.id, user="U_OTHER", approve=True, via="slack")
    assert not again.changed and "already executed" in again.message
    stack.agent.resume("t1", Caller(user="U_ONCALL", via="slack"))
    stack.approvals.execute(approval.id)
    assert len(stack.runs()) == 1
    outcomes = [row.outcome for row in stack.audit.for_approval(approval.id)]
    assert outcomes == ["requested", "approved", "ok"]


def test_reject_never_runs(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory()
    approval = _ask_restart(stack).pending[0]
    decision = stack.approvals.decide(
        approval.id, user="U_ONCALL", approve=False, via="slack", reason="not now"
    )
    assert decision.ready
    final = stack.agent.resume("t1", Caller(user="U_ONCALL", via="slack"))
    assert "Rejected by U_ONCALL" in final.answer
    assert stack.runs() == []
    late = stack.approvals.decide(approval.id, user="U_OTHER", approve=True, via="slack")
    assert not late.changed and late.approval.status == "rejected"
    stack.approvals.execute(approval.id)
    assert stack.runs() == []


def test_unauthorised_and_bot_users_are_refused(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory(bot_users={"U_BOT"})
    approval = _ask_restart(stack).pending[0]
    with pytest.raises(ApprovalError, match="only on-call engineers"):
        stack.approvals.decide(approval.id, user="U_RANDOM", approve=True, via="slack")
    with pytest.raises(ApprovalError, match="bot"):
        stack.approvals.decide(approval.id, user="U_BOT", approve=True, via="slack")
    assert stack.approvals.view(approval.id).status == "pending"
    assert stack.runs() == []


def test_requester_cannot_self_approve_when_configured(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory(allow_self=False, oncall_users={"U_REQ", "U_ONCALL"})
    approval = _ask_restart(stack).pending[0]
    with pytest.raises(ApprovalError, match="another on-call engineer"):
        stack.approvals.decide(approval.id, user="U_REQ", approve=True, via="slack")
    stack.approvals.decide(approval.id, user="U_ONCALL", approve=True, via="slack")
    stack.agent.resume("t1", Caller(user="U_ONCALL", via="slack"))
    assert len(stack.runs()) == 1


def test_expired_approval_never_runs(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory(ttl_seconds=1)
    approval = _ask_restart(stack).pending[0]
    time.sleep(1.2)
    with pytest.raises(ApprovalError, match="expired"):
        stack.approvals.decide(approval.id, user="U_ONCALL", approve=True, via="slack")
    final = stack.agent.resume("t1", Caller(user="opsbot", via="system"))
    assert "expired" in final.answer
    assert stack.runs() == []


def test_restart_between_pending_and_approve(stack_factory) -> None:  # type: ignore[no-untyped-def]
    first = stack_factory()
    approval = _ask_restart(first).pending[0]
    first.close()  # the process goes away

    second = stack_factory()  # a new process: new connections, new graph
    assert [v.id for v in second.agent.pending("t1")] == [approval.id]
    second.approvals.decide(approval.id, user="U_ONCALL", approve=True, via="slack")
    final = second.agent.resume("t1", Caller(user="U_ONCALL", via="slack"))
    assert "ran: restart_service done" in final.answer
    assert len(second.runs()) == 1


def test_concurrent_approvals_run_once(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory()
    approval = _ask_restart(stack).pending[0]
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def click(user: str) -> None:
        barrier.wait()
        try:
            stack.approvals.decide(approval.id, user=user, approve=True, via="slack")
            stack.approvals.execute(approval.id)
        except ApprovalError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=click, args=(u,)) for u in ("U_ONCALL", "U_OTHER") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stack.runs()) == 1
    assert stack.approvals.view(approval.id).status == "executed"


def test_high_risk_needs_two_approvers(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory(two_person_risk="high")
    turn = stack.agent.ask("kill pid 4242", thread_id="t2", caller=REQUESTER)
    approval = turn.pending[0]
    assert approval.risk == "high" and approval.approvals_needed == 2
    first = stack.approvals.decide(approval.id, user="U_ONCALL", approve=True, via="slack")
    assert not first.ready and "1 of 2" in first.message
    with pytest.raises(ApprovalError, match="already approved"):
        stack.approvals.decide(approval.id, user="U_ONCALL", approve=True, via="slack")
    stack.agent.resume("t2", Caller(user="U_ONCALL", via="slack"))  # still waiting
    assert stack.runs() == []
    second = stack.approvals.decide(approval.id, user="U_OTHER", approve=True, via="slack")
    assert second.ready
    final = stack.agent.resume("t2", Caller(user="U_OTHER", via="slack"))
    assert len(stack.runs()) == 1
    assert "kill_process done" in final.answer


def test_new_question_while_waiting_is_answered_aside(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory()
    approval = _ask_restart(stack).pending[0]
    other = stack.agent.ask("restart worker", thread_id="t1", caller=REQUESTER)
    assert other.note and approval.id in other.note
    assert other.thread_id == "t1~aside"
    assert [v.id for v in stack.agent.pending("t1")] == [approval.id]


def test_the_aside_thread_starts_with_the_conversation_so_far(stack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = stack_factory()
    stack.agent.ask("how's the box?", thread_id="t3", caller=REQUESTER)
    _ask_restart(stack, "t3")
    stack.agent.ask("and the disk?", thread_id="t3", caller=REQUESTER)
    state = stack.agent.graph.get_state({"configurable": {"thread_id": "t3~aside"}})
    messages = state.values["messages"]
    humans = [m.content for m in messages if m.type == "human"]
    assert humans == ["how's the box?", "please restart web", "and the disk?"]
    # no tool call is carried over: the paused one has no result in the aside thread
    results = {m.tool_call_id for m in messages if m.type == "tool"}
    calls = {c["id"] for m in messages if m.type == "ai" for c in m.tool_calls}
    assert calls == results
    # the main thread still waits for its one approval, untouched
    main = stack.agent.graph.get_state({"configurable": {"thread_id": "t3"}})
    assert [m.content for m in main.values["messages"] if m.type == "human"] == humans[:2]
    # the next aside question continues the aside thread, not a new copy
    stack.agent.ask("and memory?", thread_id="t3", caller=REQUESTER)
    again = stack.agent.graph.get_state({"configurable": {"thread_id": "t3~aside"}})
    assert [m.content for m in again.values["messages"] if m.type == "human"] == [
        *humans,
        "and memory?",
    ]
