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
from typing import TYPE_CHECKING, Any

from bot.identity import TerminalIdentity, os_user, terminal_identity
from bot.settings import Settings
from core.errors import StartupError
from tools.base import Caller, OpsTool, Toolbox

if TYPE_CHECKING:
    from bot.approvals import ApprovalFlow, ApprovalService, AuditLogger, Decision

log = logging.getLogger(__name__)


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
    def audit(self) -> AuditLogger:
        from bot.approvals import AuditLogger

        return AuditLogger(self.engine)

    @cached_property
    def approvals(self) -> ApprovalService:
        from bot.approvals import ApprovalPolicy, ApprovalService

        s = self.settings
        policy = ApprovalPolicy(
            oncall_users=set(s.oncall_users),
            ttl_seconds=s.approval_ttl_seconds,
            allow_self=s.approval_allow_self,
            two_person_risk=s.approval_two_person_risk,
            terminal=self.terminal if self.console_mode else None,
            execution_limit_seconds=s.approval_execution_limit_seconds,
        )
        group = self.oncall_group_members if s.oncall_usergroup else None
        service = ApprovalService(self.engine, self.audit, policy, group_members=group)
        service.set_toolbox(self.toolbox)
        return service

    @cached_property
    def terminal(self) -> TerminalIdentity:
        """The person at this terminal: the OS user, mapped to a Slack user by CLI_USERS.
        Every CLI and console command acts as this identity (bot/identity.py)."""
        if self.settings.legacy_console_user is not None:
            log.warning(
                "OPSBOT_CONSOLE_USER=%s is ignored: the terminal user is the OS user (%s); "
                "map it to a Slack user with CLI_USERS",
                self.settings.legacy_console_user,
                os_user(),
            )
        return terminal_identity(self.settings.cli_users)

    @cached_property
    def approval_flow(self) -> ApprovalFlow:
        """Deciding, resuming and recovering approvals (bot.approvals.resume)."""
        from bot.approvals import ApprovalFlow

        return ApprovalFlow(
            self.approvals,
            agent=lambda: self.agent,
            approval_changed=lambda approval_id: self.incidents.approval_changed(approval_id),
        )

    def recover_approvals(
        self, *, run_never_started: bool, grace_seconds: float | None = None
    ) -> list[str]:
        """At start: settle dead executions; maybe run those never started (ApprovalFlow;
        `grace_seconds` None: its STUCK_GRACE)."""
        return self.approval_flow.recover(
            run_never_started=run_never_started, grace_seconds=grace_seconds
        )

    @cached_property
    def slack(self) -> Any:
        """The Slack front end (bot.slack.app.SlackFrontEnd); built without network access,
        `start()` reaches Slack."""
        from bot.slack.app import SlackFrontEnd

        front = SlackFrontEnd(self)
        self._closers.append(front.close)
        return front

    def oncall_group_members(self) -> set[str]:
        """Members of ONCALL_USERGROUP, read through Slack's usergroups.users.list, cached."""
        return self.slack.oncall_members()

    @cached_property
    def runbooks(self) -> Any:
        """The runbook index (Chroma + BM25 hybrid) over `knowledge/runbooks` or KNOWLEDGE_DIR."""
        from tools.runbooks import index_from_settings

        settings = self.settings.model_copy(update={"data_dir": self.data_dir})
        return index_from_settings(settings)

    def ingest_runbooks(self) -> Any:
        """Index the knowledge folder (incremental: unchanged files cost milliseconds)."""
        return self.runbooks.ingest([self.settings.resolved_knowledge_dir()], progress=False)

    @cached_property
    def prompts(self) -> Any:
        """The prompt registry; opsbot's own prompts are seeded on first use (first start)."""
        from graphs.prompts import (
            INCIDENT_SUMMARY_PROMPT,
            INCIDENT_SUMMARY_PROMPT_NAME,
            SYSTEM_PROMPT,
            SYSTEM_PROMPT_NAME,
        )
        from tools.prompts.seed import seed_own_prompts
        from tools.prompts.store import PromptStore

        store = PromptStore(self.engine, max_chars=self.settings.prompt_max_chars)
        seed_own_prompts(
            store,
            {
                SYSTEM_PROMPT_NAME: (SYSTEM_PROMPT, "opsbot's own system prompt"),
                INCIDENT_SUMMARY_PROMPT_NAME: (
                    INCIDENT_SUMMARY_PROMPT,
                    "opsbot's incident summary prompt",
                ),
            },
        )
        return store

    @cached_property
    def registry(self) -> Any:
        """The model registry: built-in, or MLflow when MLFLOW_TRACKING_URI is set."""
        from tools.registry.service import build_registry

        registry = build_registry(
            self.engine,
            self.settings.mlflow_tracking_uri,
            drift_max_age_seconds=self.settings.drift_check_interval_seconds,
        )
        self._closers.append(registry.close)
        return registry

    @cached_property
    def prompt_server(self) -> Any:
        """Cached, always-fresh reads of live prompt versions (HTTP endpoint, system prompt)."""
        from tools.prompts.serving import PromptServer

        server = PromptServer(self.prompts)
        self._closers.append(server.close)
        return server

    @cached_property
    def remediation(self) -> Any:
        """The remediation catalogue, allowlisted by the REMEDIATION_CONFIG file."""
        from tools.remediation import RemediationCatalogue, RemediationConfigError, load_config

        try:
            config = load_config(self.settings.remediation_config)
        except RemediationConfigError as exc:
            raise StartupError(str(exc)) from None
        return RemediationCatalogue(config, lookup=lambda name: self.toolbox.get(name))

    @cached_property
    def incidents(self) -> Any:
        """Incidents: monitors, Alertmanager intake, triage, delivery to the front ends."""
        from bot.incidents.wiring import build_service

        service = build_service(self)
        self._closers.append(service.close)
        return service

    # ------------------------------------------------------------------ tools
    def infra_config(self) -> Any:
        from tools.infra.levels import Thresholds
        from tools.infra.tools import InfraConfig

        s = self.settings
        return InfraConfig(
            thresholds=Thresholds(**s.thresholds(), warn_margin=s.host_warn_margin_pct),
            endpoints=dict(s.endpoints),
            endpoint_timeout=s.endpoint_timeout_seconds,
            tls_warn_days=s.tls_warn_days,
            prometheus_url=s.prometheus_url,
        )

    def capability_builders(self) -> list[Callable[[], list[OpsTool]]]:
        """Each capability contributes its tools; order is the order the model sees them."""
        from bot.incidents.tools import build_incident_tools
        from tools.infra.tools import build_infra_tools
        from tools.prompts.tools import build_prompt_tools
        from tools.registry.tools import build_registry_tools
        from tools.remediation.tools import build_remediation_tools
        from tools.runbooks import build_runbook_tools

        return [
            lambda: build_infra_tools(self.infra_config()),
            lambda: build_runbook_tools(self.runbooks),
            lambda: build_prompt_tools(self.prompts, self.data_dir / "files"),
            lambda: build_registry_tools(self.registry, self.data_dir),
            lambda: build_remediation_tools(self.remediation),
            lambda: build_incident_tools(self.incidents),
        ]

    @cached_property
    def toolbox(self) -> Toolbox:
        from bot.metrics import count_tool_calls

        count_tool_calls()  # opsbot_tool_calls_total hears of every call of this process
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
        vocab = Vocabulary(
            endpoints=tuple(self.settings.endpoints),
            prompts=self.prompts.names(),
            models=self._model_names(),
            labels=self.prompts.label_names(),
            services=tuple(self.remediation.services()),
            scripts=tuple(self.remediation.scripts()),
        )
        self._vocab_cache = (now, vocab)
        return vocab

    def _model_names(self) -> tuple[str, ...]:
        """Registered model names for the planner; an unreachable MLflow must not stop the
        chat (the registry tools report that error themselves)."""
        from tools.base import ToolError

        try:
            return tuple(self.registry.model_names())
        except ToolError as exc:
            log.warning("model names unavailable for the offline planner: %s", exc)
            return ()

    def system_prompt(self) -> str:
        """The `production` version of `opsbot-system` from the prompt registry (one indexed
        read per call, cached by revision), or the built-in default if the registry cannot
        serve it, so a broken registry never silences the bot."""
        from graphs.prompts import SYSTEM_PROMPT, SYSTEM_PROMPT_NAME

        try:
            view = self.prompt_server.fetch(SYSTEM_PROMPT_NAME, label="production").view
        except Exception as exc:
            log.warning("system prompt from the registry unavailable, using the default: %s", exc)
            return SYSTEM_PROMPT
        if view.kind != "text" or view.variables:
            log.warning(
                "%s v%s is not plain text without variables; using the built-in default",
                SYSTEM_PROMPT_NAME,
                view.version,
            )
            return SYSTEM_PROMPT
        return view.template

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

    def console_caller(self, thread: str | None = None, via: str = "console") -> Caller:
        """The terminal user as a caller: `via` is "console" (chat) or "cli" (one command)."""
        return Caller(user=self.terminal.user, via=via, thread=thread)

    def decide_and_resume(
        self,
        approval_id: str,
        *,
        user: str,
        approve: bool,
        via: str,
        reason: str | None = None,
        on_decided: Callable[[Decision], None] | None = None,
    ) -> tuple[Decision, Any]:
        """Record a decision and resume its conversation (ApprovalFlow.decide_and_resume)."""
        return self.approval_flow.decide_and_resume(
            approval_id, user=user, approve=approve, via=via, reason=reason, on_decided=on_decided
        )

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as exc:  # closing is best effort, but say what failed
                log.warning("error while closing: %s", exc)
