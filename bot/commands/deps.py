"""What each group of CLI commands is given: a small typed record, never the whole application.

A command is `cmd_x(args, deps)`; `register` binds it to the builder of its deps with `bind`,
and `bot.cli.main` calls the bound handler with the `Runtime` of that one command. Only the
builders below read the Runtime (they are the CLI's share of the composition root, as
`Runtime.slack_deps` is Slack's). What costs start-up time and is not needed by every command
of a group (the toolbox, the approval service, the agent) is a factory, called on first use.

`opsbot run` is the exception by design: it assembles the whole application
(`bot.serve.serve`), so its handler takes the Runtime.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.approvals import ApprovalFlow, ApprovalService, AuditLogger
    from bot.console import ConsoleDeps
    from bot.incidents.service import IncidentService
    from bot.maintenance import MaintenanceService
    from bot.runtime import Runtime
    from bot.settings import Settings
    from core.access import Caller
    from graphs.port import AgentPort
    from tools.base import Toolbox
    from tools.changes.store import ChangeStore
    from tools.modelperf.fairness_check import FairnessConfig
    from tools.modelperf.service import ModelPerf
    from tools.oncall.store import OncallStore
    from tools.prompts.store import PromptStore
    from tools.registry.service import ModelRegistry
    from tools.remediation.catalogue import RemediationCatalogue
    from tools.runbooks import IngestReport

D = TypeVar("D")
Handler = Callable[[argparse.Namespace, "Runtime"], int]


def bind(command: Callable[[argparse.Namespace, D], int], deps: Callable[[Runtime], D]) -> Handler:
    """The handler `bot.cli.main` calls: builds `command`'s deps from the Runtime, then runs it."""

    def handler(args: argparse.Namespace, runtime: Runtime) -> int:
        return command(args, deps(runtime))

    handler.__name__ = getattr(command, "__name__", "handler")
    handler.__doc__ = command.__doc__
    return handler


@dataclass(frozen=True)
class Terminal:
    """The person at this terminal and the two ways a command reaches the agent's tools:
    running a read tool, and asking for an approval of a gated one (bot/commands/common.py)."""

    user: str  # who decisions are taken and compared as (CLI_USERS: bot/identity.py)
    label: str  # how the audit log names them
    toolbox: Callable[[], Toolbox]
    approvals: Callable[[], ApprovalService]


def terminal(runtime: Runtime) -> Terminal:
    return Terminal(
        user=runtime.terminal.user,
        label=runtime.terminal.label,
        toolbox=lambda: runtime.toolbox,
        approvals=lambda: runtime.approvals,
    )


@dataclass(frozen=True)
class ConversationCommands:
    """`chat`, `ask`, `approve`/`reject`, `approvals`, `audit`."""

    terminal: Terminal
    agent: Callable[[], AgentPort]
    flow: Callable[[], ApprovalFlow]
    audit: Callable[[], AuditLogger]
    console: Callable[[], ConsoleDeps]
    caller: Callable[[str, str], Caller]  # (thread, via) -> the terminal user as a caller


def conversation_commands(runtime: Runtime) -> ConversationCommands:
    return ConversationCommands(
        terminal=terminal(runtime),
        agent=lambda: runtime.agent,
        flow=lambda: runtime.approval_flow,
        audit=lambda: runtime.audit,
        console=runtime.console_deps,
        caller=lambda thread, via: runtime.console_caller(thread, via=via),
    )


@dataclass(frozen=True)
class PromptCommands:
    """`opsbot prompts ...`."""

    store: PromptStore
    audit: AuditLogger
    terminal: Terminal


def prompt_commands(runtime: Runtime) -> PromptCommands:
    return PromptCommands(store=runtime.prompts, audit=runtime.audit, terminal=terminal(runtime))


@dataclass(frozen=True)
class ModelCommands:
    """`opsbot models ...`. The registry is a factory: `list` and `show` run agent tools."""

    registry: Callable[[], ModelRegistry]
    audit: Callable[[], AuditLogger]
    plots: Path  # where drift checks write their PNGs
    terminal: Terminal


def model_commands(runtime: Runtime) -> ModelCommands:
    return ModelCommands(
        registry=lambda: runtime.registry,
        audit=lambda: runtime.audit,
        plots=runtime.data_dir / "plots",
        terminal=terminal(runtime),
    )


@dataclass(frozen=True)
class PerfCommands:
    """`opsbot models import-predictions|import-outcomes|performance`."""

    perf: Callable[[], ModelPerf]
    pipelines: dict[str, str]  # MODEL_RETRAIN_PIPELINES
    terminal: Terminal
    fairness: FairnessConfig  # MODEL_FAIRNESS_*


def perf_commands(runtime: Runtime) -> PerfCommands:
    return PerfCommands(
        perf=lambda: runtime.model_perf,
        pipelines=dict(runtime.settings.model_retrain_pipelines),
        terminal=terminal(runtime),
        fairness=runtime.settings.fairness_config(),
    )


@dataclass(frozen=True)
class IncidentCommands:
    """`opsbot check` and `opsbot incidents ...`."""

    incidents: IncidentService
    remediation: Callable[[], RemediationCatalogue]
    autoresolve_checks: int
    terminal: Terminal


def incident_commands(runtime: Runtime) -> IncidentCommands:
    return IncidentCommands(
        incidents=runtime.incidents,
        remediation=lambda: runtime.remediation,
        autoresolve_checks=runtime.settings.incident_autoresolve_checks,
        terminal=terminal(runtime),
    )


@dataclass(frozen=True)
class KnowledgeCommands:
    """`opsbot ingest` and `opsbot search`: the runbook index is built from the settings."""

    settings: Settings


def knowledge_commands(runtime: Runtime) -> KnowledgeCommands:
    return KnowledgeCommands(settings=runtime.settings)


@dataclass(frozen=True)
class DemoCommands:
    """`opsbot demo`: what the seeders fill. Factories, so `--stop-service` builds nothing."""

    prompts: Callable[[], PromptStore]
    registry: Callable[[], ModelRegistry]
    ingest_runbooks: Callable[[], IngestReport]
    data_dir: Path


def demo_commands(runtime: Runtime) -> DemoCommands:
    return DemoCommands(
        prompts=lambda: runtime.prompts,
        registry=lambda: runtime.registry,
        ingest_runbooks=runtime.ingest_runbooks,
        data_dir=runtime.data_dir,
    )


@dataclass(frozen=True)
class ChangeCommands:
    """`opsbot changes` (the what_changed tool) and `opsbot changes add`."""

    store: Callable[[], ChangeStore]
    terminal: Terminal


def change_commands(runtime: Runtime) -> ChangeCommands:
    return ChangeCommands(store=lambda: runtime.changes, terminal=terminal(runtime))


@dataclass(frozen=True)
class OncallCommands:
    """`opsbot oncall ...`: `show` runs the who_is_on_call tool, the others write schedules."""

    store: Callable[[], OncallStore]
    terminal: Terminal


def oncall_commands(runtime: Runtime) -> OncallCommands:
    return OncallCommands(store=lambda: runtime.oncall, terminal=terminal(runtime))


def no_deps(runtime: Runtime) -> None:
    """For a command that builds its own workspaces (`opsbot eval`)."""
    return None


@dataclass(frozen=True)
class MaintenanceCommands:
    """`opsbot maintenance ...`: `list` runs the maintenance_windows tool; `add` and `end` go
    through the on-call check and the audit (bot/maintenance.py)."""

    service: Callable[[], MaintenanceService]
    terminal: Terminal


def maintenance_commands(runtime: Runtime) -> MaintenanceCommands:
    return MaintenanceCommands(service=lambda: runtime.maintenance, terminal=terminal(runtime))
