"""The application container: wires settings, storage, tools, approvals and the agent, lazily.

Wiring only: each part is a typed cached property built on first use (its imports inside
the property, its types under `TYPE_CHECKING`), so `opsbot search` never imports LangGraph
and `opsbot ask` never imports Slack. Behaviour lives in the parts themselves (the system
prompt's fallback in `graphs.prompts.SystemPrompt`, the planner's vocabulary in
`graphs.offline.vocabulary`, deciding and resuming in `bot.approvals.ApprovalFlow`). Front
ends never receive the container: `slack_deps()`, `http_deps()`, `console_deps()` and
`scheduler_deps()` hand each one the few typed parts it uses. CLI command handlers (the
composition root of one command) and `opsbot run`'s assembly (`bot.serve`) take it typed.
One `Runtime` per process; `close()` releases connections.

Size: over 400 lines because it is the one composition root: about 30 typed parts of a few
lines of wiring each; split, the order in which the parts build each other would be spread
over several files.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.identity import TerminalIdentity, os_user, terminal_identity
from bot.settings import Settings
from core.access import Caller
from core.errors import StartupError, UserError
from tools.base import OpsTool, Toolbox

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from sqlalchemy.engine import Engine

    from bot.approvals import ApprovalFlow, ApprovalService, AuditLogger
    from bot.children import ChildSettings
    from bot.console import ConsoleDeps
    from bot.http.deps import HttpDeps
    from bot.incidents.service import IncidentService
    from bot.maintenance import MaintenanceService
    from bot.scheduler import PeriodicJob, SchedulerDeps
    from bot.slack.app import SlackFrontEnd
    from bot.slack.deps import SlackDeps
    from graphs.agent import Agent
    from graphs.offline.vocabulary import VocabularyCache
    from graphs.prompts import SystemPrompt
    from tools.anomaly.states import DetectorStates
    from tools.changes.store import ChangeStore
    from tools.infra.tools import InfraConfig
    from tools.llmops.metrics import LlmMetrics
    from tools.llmops.scores import ScoreStore
    from tools.llmops.store import SpanStore
    from tools.llmops.watch import RegressionWatch
    from tools.logs.loki import LokiConfig
    from tools.modelperf.service import ModelPerf
    from tools.oncall.store import OncallStore
    from tools.prompts.serving import PromptServer
    from tools.prompts.store import PromptStore
    from tools.registry.service import ModelRegistry
    from tools.remediation.catalogue import RemediationCatalogue
    from tools.runbooks import IngestReport, RunbookIndex

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, console_mode: bool = False) -> None:
        self.settings = settings
        self.console_mode = console_mode
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.RLock()

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
    def engine(self) -> Engine:
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
        on_call = None
        if s.oncall_approver_schedules:  # who is on call is read at each decision
            from tools.oncall.approvers import approvers_now

            on_call = approvers_now(self.oncall, s.oncall_approver_schedules)
        service = ApprovalService(
            self.engine,
            self.audit,
            policy,
            group_members=group,
            changes=self.changes,
            on_call_now=on_call,
        )
        service.set_toolbox(self.toolbox)
        return service

    @cached_property
    def changes(self) -> ChangeStore:
        """The change log: what executed actions and posted deploys changed (tools/changes)."""
        from tools.changes.store import ChangeStore

        return ChangeStore(self.engine)

    @cached_property
    def llm_spans(self) -> SpanStore:
        """LLM calls received over OTLP (`POST /v1/traces`; tools/llmops), bounded."""
        from datetime import timedelta

        from tools.llmops.store import SpanStore

        s = self.settings
        retention = timedelta(days=s.llm_span_retention_days)
        return SpanStore(self.engine, retention, s.llm_span_max_rows)

    @cached_property
    def llm_scores(self) -> ScoreStore:
        """Scores on traces (`POST /scores`, Slack's 👍/👎), bounded like the spans."""
        from tools.llmops.scores import ScoreStore

        spans = self.llm_spans
        return ScoreStore(self.engine, spans.retention, spans.max_rows)

    @cached_property
    def llm_metrics(self) -> LlmMetrics:
        from tools.llmops.metrics import LlmMetrics
        from tools.llmops.prices import PriceTable

        prices = PriceTable.with_overrides(self.settings.llm_prices)
        return LlmMetrics(self.engine, prices)

    @cached_property
    def llm_regression(self) -> RegressionWatch:
        """Label moves and model changes, their calls compared (tools/llmops/watch.py)."""
        from tools.changes.store import ChangeKind
        from tools.llmops.watch import RegressionWatch

        config = self.settings.llm_regression_config()
        moves = lambda since: self.changes.list(since, kind=ChangeKind.PROMPT_LABEL, limit=500)  # noqa: E731
        feedback = self.llm_scores.values  # 👍/👎 and POST /scores on each side's traces
        return RegressionWatch(self.engine, self.llm_metrics.prices, config, moves, feedback)

    def _fairness_card(self) -> Any:
        """The fairness section of the model card (tools/modelperf/fairness_check.py)."""
        from tools.modelperf.fairness_check import card_section

        return card_section(lambda: self.model_perf, self.settings.fairness_config())

    @cached_property
    def model_perf(self) -> ModelPerf:
        """Predictions, outcomes and model performance (tools/modelperf)."""
        from datetime import timedelta

        from tools.modelperf.options import Options
        from tools.modelperf.service import ModelPerf
        from tools.modelperf.store import PredictionStore

        s = self.settings
        retention = timedelta(days=s.modelperf_retention_days)
        store = PredictionStore(self.engine, retention, s.modelperf_max_rows)
        options = Options.parse(
            s.modelperf_window,
            s.modelperf_reference,
            s.modelperf_min_outcomes,
            s.modelperf_tolerance,
        )
        return ModelPerf(store, lambda: self.registry, options)

    @cached_property
    def oncall(self) -> OncallStore:
        """On-call schedules and overrides (tools/oncall)."""
        from tools.oncall.store import OncallStore

        return OncallStore(self.engine)

    @cached_property
    def oncall_jobs(self) -> tuple[PeriodicJob, ...]:
        """Escalation and handoff messages, run by the scheduler (bot/oncall_jobs.py)."""
        from bot.oncall_jobs import oncall_jobs

        return oncall_jobs(self)

    @cached_property
    def model_jobs(self) -> tuple[PeriodicJob, ...]:
        """New model versions announced with a promotion offer (bot/model_jobs.py)."""
        from bot.model_jobs import model_jobs

        return model_jobs(self)

    @cached_property
    def maintenance(self) -> MaintenanceService:
        """Maintenance windows (tools/maintenance), made and ended through bot/maintenance.py."""
        from datetime import timedelta

        from bot.maintenance import MaintenanceService
        from tools.maintenance.store import MaintenanceStore

        hours = timedelta(hours=self.settings.maintenance_max_hours)
        release = lambda window_id: self.incidents.engine.release_window(window_id)  # noqa: E731
        store = MaintenanceStore(self.engine, max_length=hours)
        return MaintenanceService(store, lambda: self.approvals, lambda: self.audit, release)

    @cached_property
    def anomaly_states(self) -> DetectorStates:
        """Each watched series' stored detector (tools/anomaly; bot/monitors/anomaly.py)."""
        from tools.anomaly.detector import DetectorConfig
        from tools.anomaly.states import DetectorStates

        return DetectorStates(self.engine, DetectorConfig())

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

    @cached_property
    def slack(self) -> SlackFrontEnd:
        """The Slack front end (bot.slack.app.SlackFrontEnd); built without network access,
        `start()` reaches Slack."""
        from bot.slack.app import SlackFrontEnd

        front = SlackFrontEnd(self.slack_deps())
        self._closers.append(front.close)
        return front

    def oncall_group_members(self) -> set[str]:
        """Members of ONCALL_USERGROUP, read through Slack's usergroups.users.list, cached."""
        return self.slack.oncall_members()

    @cached_property
    def runbooks(self) -> RunbookIndex:
        """The runbook index (Chroma + BM25 hybrid) over `knowledge/runbooks` or KNOWLEDGE_DIR."""
        from tools.runbooks import index_from_settings

        settings = self.settings.model_copy(update={"data_dir": self.data_dir})
        return index_from_settings(settings)

    def ingest_runbooks(self) -> IngestReport:
        """Index the knowledge folder (incremental: unchanged files cost milliseconds)."""
        return self.runbooks.ingest([self.settings.resolved_knowledge_dir()], progress=False)

    @cached_property
    def prompts(self) -> PromptStore:
        """The prompt registry; opsbot's own prompts are seeded on first use (first start)."""
        from graphs.prompts import (
            INCIDENT_SUMMARY_PROMPT,
            INCIDENT_SUMMARY_PROMPT_NAME,
            PREVIOUS_SYSTEM_PROMPTS,
            SYSTEM_PROMPT,
            SYSTEM_PROMPT_NAME,
        )
        from tools.prompts.seed import seed_own_prompts, upgrade_own_prompts
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
        # an existing registry gets a newer built-in default, unless the team edited its own
        upgrade_own_prompts(store, {SYSTEM_PROMPT_NAME: (SYSTEM_PROMPT, PREVIOUS_SYSTEM_PROMPTS)})
        return store

    @cached_property
    def registry(self) -> ModelRegistry:
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
    def prompt_server(self) -> PromptServer:
        """Cached, always-fresh reads of live prompt versions (HTTP endpoint, system prompt)."""
        from tools.prompts.serving import PromptServer

        server = PromptServer(self.prompts)
        self._closers.append(server.close)
        return server

    @cached_property
    def remediation(self) -> RemediationCatalogue:
        """The remediation catalogue, allowlisted by the REMEDIATION_CONFIG file."""
        from tools.remediation.catalogue import RemediationCatalogue
        from tools.remediation.config import RemediationConfigError, load_config

        try:
            config = load_config(self.settings.remediation_config)
        except RemediationConfigError as exc:
            raise StartupError(str(exc)) from None
        return RemediationCatalogue(
            config, lambda name: self.toolbox.get(name), self.settings.pipeline_targets()
        )

    @cached_property
    def anomaly_queries(self) -> dict[str, str]:
        """The Prometheus queries the anomaly monitor watches: ANOMALY_QUERIES and the
        ANOMALY_QUERIES_FILE, merged; a bad file or a name in both stops the start."""
        from tools.anomaly.queries import load_queries_file

        queries = dict(self.settings.anomaly_queries)
        path = self.settings.anomaly_queries_file
        if path is None:
            return queries
        try:
            loaded = load_queries_file(path)
        except UserError as exc:
            raise StartupError(str(exc)) from None
        twice = sorted(set(queries) & set(loaded))
        if twice:
            raise StartupError(
                f"{', '.join(twice)} is both in ANOMALY_QUERIES and in ANOMALY_QUERIES_FILE {path}"
            )
        return {**queries, **loaded}

    @cached_property
    def incidents(self) -> IncidentService:
        """Incidents: monitors, Alertmanager intake, triage, delivery to the front ends."""
        from bot.incidents.wiring import build_service

        service = build_service(self)
        self._closers.append(service.close)
        return service

    # ------------------------------------------------------------------ tools
    def infra_config(self) -> InfraConfig:
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
        from tools.anomaly.tools import build_anomaly_tools
        from tools.changes.tools import build_change_tools
        from tools.infra.tools import build_infra_tools
        from tools.llmops.tools import build_llmops_tools
        from tools.logs.tools import build_log_tools
        from tools.maintenance.tools import build_maintenance_tools
        from tools.modelperf.tools import build_modelperf_tools
        from tools.oncall.tools import build_oncall_tools
        from tools.prompts.tools import build_prompt_tools
        from tools.registry.tools import build_registry_tools
        from tools.remediation.tools import build_remediation_tools
        from tools.runbooks import build_runbook_tools

        return [
            lambda: build_infra_tools(self.infra_config()),
            lambda: build_runbook_tools(self.runbooks),
            lambda: build_prompt_tools(self.prompts, self.data_dir / "files"),
            lambda: build_registry_tools(
                self.registry, self.data_dir, {"fairness": self._fairness_card()}
            ),
            lambda: build_remediation_tools(self.remediation),
            lambda: build_incident_tools(self.incidents),
            lambda: build_change_tools(self.changes),
            lambda: build_llmops_tools(
                self.llm_metrics, self.data_dir / "files", self.llm_regression
            ),
            lambda: build_oncall_tools(self.oncall),
            lambda: build_modelperf_tools(self.model_perf),
            lambda: build_maintenance_tools(self.maintenance.store),
            lambda: build_anomaly_tools(self.anomaly_states, tuple(self.settings.anomaly_series)),
            lambda: build_log_tools(
                tuple(self.settings.log_sources), self.settings.log_journal_dir, self._loki()
            ),
        ]

    @cached_property
    def toolbox(self) -> Toolbox:
        from bot.metrics import count_tool_calls

        count_tool_calls()  # opsbot_tool_calls_total hears of every call of this process
        box = Toolbox()
        for build in self.capability_builders():
            box.extend(build())
        return box

    @cached_property
    def vocabulary(self) -> VocabularyCache:
        """Names the offline planner can recognise (callable; cached for a few seconds)."""
        from graphs.offline.vocabulary import VocabularyCache, VocabularySources

        sources = VocabularySources(
            endpoints=lambda: self.settings.endpoints,
            prompts=lambda: self.prompts.names(),
            labels=lambda: self.prompts.label_names(),
            models=lambda: self.registry.model_names(),
            services=lambda: self.remediation.services(),
            scripts=lambda: self.remediation.scripts(),
            metrics=self._metric_names(),
        )
        return VocabularyCache(sources)

    def _loki(self) -> LokiConfig | None:
        """Where `loki:` log sources are read, when LOKI_URL is set."""
        s = self.settings
        if not s.loki_url:
            return None
        from tools.logs.loki import LokiConfig

        token = s.loki_token.get_secret_value() if s.loki_token else None
        return LokiConfig(s.loki_url, token, s.loki_tenant)

    def _metric_names(self) -> Callable[[], frozenset[str]]:
        """Prometheus's metric names for the planner (cached for minutes), or none."""
        if not self.settings.prometheus_url:
            return frozenset
        from tools.infra.metric_names import MetricNames

        return MetricNames(self.settings.prometheus_url)

    @cached_property
    def system_prompt(self) -> SystemPrompt:
        """The agent's system prompt from the registry, or the default (callable)."""
        from graphs.prompts import SystemPrompt

        return SystemPrompt(lambda: self.prompt_server)

    # ------------------------------------------------------------------ agent
    @cached_property
    def checkpointer(self) -> BaseCheckpointSaver[Any]:
        from graphs.checkpoint import open_checkpointer

        database_url = self.settings.database_url if self.settings.is_postgres else None
        path = self.data_dir / "checkpoints.sqlite3" if not database_url else Path()
        saver, close = open_checkpointer(database_url, path)
        self._closers.append(close)
        return saver

    @cached_property
    def model(self) -> BaseChatModel:
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
        # the offline planner's semantic layer shares the runbook search's embedder (one model)
        return build_chat_model(
            config, self.vocabulary, lambda: self.runbooks.embedder, self.data_dir / "semantic"
        )

    @cached_property
    def agent(self) -> Agent:
        from bot.self_traces import SelfTraces
        from graphs.agent import Agent, AgentDeps

        deps = AgentDeps(
            model=self.model,
            toolbox=self.toolbox,
            backend=self.approvals,
            system_prompt=self.system_prompt,
            max_steps=self.settings.agent_max_steps,
            recorder=SelfTraces(self.llm_spans) if self.settings.llm_self_traces else None,
        )
        return Agent(deps, self.checkpointer)

    def console_caller(self, thread: str | None = None, via: str = "console") -> Caller:
        """The terminal user as a caller: `via` is "console" (chat) or "cli" (one command)."""
        return Caller(user=self.terminal.user, via=via, thread=thread)

    # ------------------------------------------------------------------ front ends' deps
    def slack_deps(self) -> SlackDeps:
        from bot.home import HomeSources
        from bot.slack.deps import SlackDeps
        from bot.storage.dedupe import EventDeduper
        from tools.oncall.swaps import SwapStore

        return SlackDeps(
            settings=self.settings,
            approvals=self.approvals,
            flow=self.approval_flow,
            agent=lambda: self.agent,
            toolbox=self.toolbox,
            dedupe=EventDeduper(self.engine),
            scores=lambda: self.llm_scores,
            swaps=SwapStore(self.engine, self.oncall),
            maintenance=lambda: self.maintenance,
            home=HomeSources(
                lambda: self.approvals,
                oncall=lambda: self.oncall,
                incidents=lambda: self.incidents,
                windows=lambda: self.maintenance.store,
            ),
            declare=self._declare,
        )

    def _declare(self, title: str, severity: str, description: str, user: str) -> int:
        from bot.incidents.declare import declare

        return declare(self.incidents.engine, title, severity, description, user)

    def http_deps(self) -> HttpDeps:
        from bot.http.deps import HttpDeps
        from bot.storage.db import ping

        return HttpDeps(
            settings=self.settings,
            ping_database=lambda: ping(self.engine),
            prompt_server=lambda: self.prompt_server,
            ingest_alertmanager=lambda: self.incidents.ingest_alertmanager,
            changes=lambda: self.changes,
            llm_spans=lambda: self.llm_spans,
            llm_scores=lambda: self.llm_scores,
            model_intake=lambda: self.model_perf.intake,
        )

    def console_deps(self) -> ConsoleDeps:
        from bot.console import ConsoleDeps

        return ConsoleDeps(
            agent=lambda: self.agent,
            approvals=self.approvals,
            flow=self.approval_flow,
            terminal=self.terminal,
        )

    def scheduler_deps(self) -> SchedulerDeps:
        from bot.scheduler import SchedulerDeps, lock_for

        return SchedulerDeps(
            incidents=self.incidents,
            agent=lambda: self.agent,
            check_interval_seconds=float(self.settings.check_interval_seconds),
            leader_lock=lambda: lock_for(self.engine, self.data_dir),
            recover_approvals=self._recover_approvals,
            jobs=self.oncall_jobs + self.model_jobs,
        )

    def _recover_approvals(self) -> list[str]:
        """The scheduler's recovery (`SchedulerDeps.recover_approvals`)."""
        from bot.approvals import SWEEP_GRACE

        return self.approval_flow.recover(run_never_started=True, grace_seconds=SWEEP_GRACE)

    def child_settings(self) -> ChildSettings:
        """What a child `opsbot` process is started with (bot/children.py)."""
        from bot.children import ChildSettings

        return ChildSettings(settings=self.settings, data_dir=self.data_dir)

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as exc:  # closing is best effort, but say what failed
                log.warning("error while closing: %s", exc)
