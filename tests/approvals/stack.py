"""An approval service and an offline agent over a real database (SQLite, and PostgreSQL via
the `database_url` fixture), with a gated test tool that records each real run in a file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.approvals import ApprovalFlow, ApprovalPolicy, ApprovalService, AuditLogger
from bot.storage.db import make_engine, migrate
from graphs.agent import Agent, AgentDeps
from graphs.checkpoint import open_checkpointer
from graphs.offline.entities import Vocabulary
from graphs.offline.model import OfflinePlanner
from tests.slack.stack import counting_remediation
from tools.base import OpsTool, Toolbox


@dataclass
class Stack:
    agent: Agent
    approvals: ApprovalService
    flow: ApprovalFlow
    audit: AuditLogger
    tool: OpsTool
    log: Path
    close: Callable[[], None]

    def runs(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def build_stack(database_url: str | None, tmp_path: Path, **policy: Any) -> Stack:
    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'opsbot.sqlite3'}")
    migrate(engine)
    defaults: dict[str, Any] = {"oncall_users": {"U_ONCALL", "U_OTHER"}, "ttl_seconds": 600}
    audit = AuditLogger(engine)
    service = ApprovalService(engine, audit, ApprovalPolicy(**(defaults | policy)))
    log = tmp_path / "actions.log"
    tool = counting_remediation(log)
    toolbox = Toolbox([tool])
    service.set_toolbox(toolbox)
    saver, close_cp = open_checkpointer(database_url, tmp_path / "checkpoints.sqlite3")
    model = OfflinePlanner(vocabulary=lambda: Vocabulary(services=("web", "worker")))
    agent = Agent(
        AgentDeps(model=model, toolbox=toolbox, backend=service, system_prompt=lambda: "test"),
        saver,
    )
    flow = ApprovalFlow(service, lambda: agent, lambda _id: None)

    def close() -> None:
        close_cp()
        engine.dispose()

    return Stack(agent, service, flow, audit, tool, log, close)
