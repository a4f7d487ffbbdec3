"""Wires settings, storage, tools, approvals and the agent together, lazily.

Everything heavy is built on first use, so `opsbot search` never imports LangGraph and
`opsbot ask` never imports Slack. One `Runtime` per process; `close()` releases connections.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from bot.settings import Settings
from tools.base import Caller, OpsTool, Toolbox

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up failed for a reason the operator can fix; the message says how."""


class Runtime:
    def __init__(self, settings: Settings, *, console_mode: bool = False) -> None:
        self.settings = settings
        self.console_mode = console_mode
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.RLock()
        self._vocab_cache: tuple[float, Any] | None = None

    # ------------------------------------------------------------------ storage
    @cached_property
    def data_dir(self) -> Path:
        path = self.settings.data_dir.expanduser().resolve()
        if not path.exists():
            if not path.parent.exists():
                raise StartupError(
                    f"OPSBOT_DATA_DIR {path} cannot be created: its parent {path.parent} does not exist"
                )
            path.mkdir()
        if not path.is_dir():
            raise StartupError(f"OPSBOT_DATA_DIR {path} is not a directory")
        return path

    @cached_property
    def engine(self) -> Any:
        from bot.storage.db import make_engine, migrate

        if not self.settings.database_url:
            _ = self.data_dir
        engine = make_engine(self.settings.sqlalchemy_url)
        migrate(engine)
        self._closers.append(engine.dispose)
        return engine

    @cached_property
    def audit(self) -> Any:
        from bot.audit import AuditLogger

        return AuditLogger(self.engine)

    @cached_property
    def approvals(self) -> Any:
        from bot.approvals import ApprovalPolicy, ApprovalService

        s = self.settings
        policy = ApprovalPolicy(
            oncall_users=set(s.oncall_users),
            ttl_seconds=s.approval_ttl_seconds,
            allow_self=s.approval_allow_self,
            two_person_risk=s.approval_two_person_risk,
            local_operator=s.console_user if self.console_mode else None,
        )
        service = ApprovalService(self.engine, self.audit, policy)
        service.set_toolbox(self.toolbox)
        return service

    # ------------------------------------------------------------------ tools
    def infra_config(self) -> Any:
        from tools.infra.levels import Thresholds
        from tools.infra.tools import InfraConfig

        s = self.settings
        return InfraConfig(
            thresholds=Thresholds(
                cpu=s.host_cpu_pct,
                memory=s.host_mem_pct,
                disk=s.host_disk_pct,
                swap=s.host_swap_pct,
                inodes=s.host_disk_pct,
                warn_margin=s.host_warn_margin_pct,
            ),
            endpoints=dict(s.endpoints),
            endpoint_timeout=s.endpoint_timeout_seconds,
            tls_warn_days=s.tls_warn_days,
            prometheus_url=s.prometheus_url,
        )

    def capability_builders(self) -> list[Callable[[], list[OpsTool]]]:
        """Each capability contributes its tools; order is the order the model sees them."""
        from tools.infra.tools import build_infra_tools

        return [lambda: build_infra_tools(self.infra_config())]

    @cached_property
    def toolbox(self) -> Toolbox:
        box = Toolbox()
        for build in self.capability_builders():
            box.extend(build())
        return box

    def vocabulary(self) -> Any:
        """Names the offline planner can recognise; cached for a few seconds."""
        from graphs.offline.entities import Vocabulary

        now = time.monotonic()
        cached = self._vocab_cache
        if cached is not None and now - cached[0] < 5.0:
            return cached[1]
        vocab = Vocabulary(endpoints=tuple(self.settings.endpoints))
        self._vocab_cache = (now, vocab)
        return vocab

    def system_prompt(self) -> str:
        from graphs.prompts import SYSTEM_PROMPT

        return SYSTEM_PROMPT

    # ------------------------------------------------------------------ agent
    @cached_property
    def checkpointer(self) -> Any:
        from graphs.checkpoint import open_checkpointer

        database_url = self.settings.database_url if self.settings.is_postgres else None
        path = self.data_dir / "checkpoints.sqlite3" if not database_url else Path()
        saver, close = open_checkpointer(database_url, path)
        self._closers.append(close)
        return saver

    @cached_property
    def model(self) -> Any:
        from graphs.llm import ModelConfig, build_chat_model

        s = self.settings
        config = ModelConfig(
            use_anthropic=s.use_anthropic,
            model=s.llm_model,
            api_key=s.anthropic_api_key.get_secret_value() if s.anthropic_api_key else None,
            base_url=s.anthropic_base_url,
            max_tokens=s.llm_max_tokens,
            timeout=s.llm_timeout_seconds,
            max_retries=s.llm_max_retries,
        )
        return build_chat_model(config, self.vocabulary)

    @cached_property
    def agent(self) -> Any:
        from graphs.agent import Agent, AgentDeps

        deps = AgentDeps(
            model=self.model,
            toolbox=self.toolbox,
            backend=self.approvals,
            system_prompt=self.system_prompt,
            max_steps=self.settings.agent_max_steps,
        )
        return Agent(deps, self.checkpointer)

    def console_caller(self, thread: str | None = None) -> Caller:
        return Caller(user=self.settings.console_user, via="console", thread=thread)

    def decide_and_resume(
        self, approval_id: str, *, user: str, approve: bool, via: str, reason: str | None = None
    ) -> tuple[Any, Any]:
        """Record a decision; when it settles the approval, resume the paused conversation.

        Returns (Decision, TurnResult or None). Raises ApprovalError for refused decisions.
        """
        view = self.approvals.find(approval_id)
        if view is None:
            from bot.approvals import ApprovalError

            raise ApprovalError(f"no approval with id {approval_id}")
        decision = self.approvals.decide(
            view.id, user=user, approve=approve, via=via, reason=reason
        )
        turn = None
        if decision.ready:
            if view.thread_id and self.agent.is_paused(view.thread_id):
                turn = self.agent.resume(view.thread_id, Caller(user=user, via=via))
            elif approve:
                # not paused in a conversation (e.g. an incident's suggested action): run it here
                self.approvals.execute(view.id)
        return decision, turn

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as exc:  # closing is best effort, but say what failed
                log.warning("error while closing: %s", exc)
