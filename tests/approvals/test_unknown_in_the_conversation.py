"""A conversation paused on an approval whose execution died (`unknown`) resumes with a failed
tool result that says the outcome is unknown, never with a success."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.approvals.tables import Approval
from bot.storage.db import session
from core.access import Caller
from core.clock import utcnow


def test_a_resumed_conversation_hears_unknown_as_a_failure(  # type: ignore[no-untyped-def]
    make_runtime, tmp_path: Path
) -> None:
    config = tmp_path / "remediation.yaml"
    config.write_text("services:\n  web:\n    restart: [/bin/true]\n")
    runtime: Any = make_runtime(remediation_config=config, oncall_users=["U_ONCALL"])
    thread = "t-unknown"
    turn = runtime.agent.ask(
        "restart web", thread_id=thread, caller=Caller(user="U_REQ", via="slack", channel="C1")
    )
    (pending,) = turn.pending
    runtime.approvals.decide(pending.id, user="U_ONCALL", approve=True, via="slack")
    # the process that claimed the execution is gone: a real, finished process of this host
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with session(runtime.engine) as db:
        db.execute(
            update(Approval)
            .where(Approval.id == pending.id)  # type: ignore[arg-type]
            .values(
                status="executing",
                executor_host=socket.gethostname(),
                executor_pid=gone.pid,
                executor_started=0.0,
                execution_started_at=utcnow(),
            )
        )
        db.commit()
    (marked,) = runtime.approvals.recover_dead()
    assert marked.status == "unknown"

    resumed = runtime.agent.resume(thread, Caller(user="U_ONCALL", via="slack"))
    config_ = {"configurable": {"thread_id": thread}}
    messages = runtime.agent.graph.get_state(config_).values["messages"]
    (tool_message,) = [
        m for m in messages if getattr(m, "tool_call_id", None) and m.name == "run_remediation"
    ]
    assert tool_message.status == "error" and tool_message.artifact["ok"] is False
    assert "the outcome of run_remediation(" in tool_message.content
    assert "is unknown" in tool_message.content and "Check by hand" in tool_message.content
    assert "ran:" not in tool_message.content
    assert "unknown" in resumed.answer
