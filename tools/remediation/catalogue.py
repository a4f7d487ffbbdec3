"""The catalogue: action name -> typed, validated action with risk, dry run, execute, verify."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from core.access import Risk
from tools.base import OpsTool, ToolError, ToolResult, validation_problems
from tools.remediation.config import RemediationConfig
from tools.remediation.pipelines import PipelineTargets


@dataclass(frozen=True)
class DryRun:
    """A dry run's text, and the bytes the action would free when it frees space."""

    text: str
    frees: int | None = None


class Action(ABC):
    """One kind of change. Subclasses validate against the configuration every time."""

    name: str
    params: type[BaseModel]
    summary: str  # one line for people and the model: what it does and its arguments

    @abstractmethod
    def risk(self, params: Any) -> Risk: ...

    @abstractmethod
    def dry_run(self, params: Any) -> str:
        """Exactly what would change. Raises ToolError when the action is impossible."""

    def dry_run_figures(self, params: Any) -> DryRun:
        """The dry run with the figures that judge it (bytes freed); raises like dry_run."""
        return DryRun(self.dry_run(params))

    @abstractmethod
    def execute(self, params: Any) -> ToolResult:
        """Do it, after validating again (state may have changed while approval waited)."""

    @abstractmethod
    def verify(self, params: Any, result: ToolResult) -> str:
        """A sentence on whether it worked, from a fresh look at the system."""

    def available(self) -> bool:
        """False when the configuration allows nothing for this action."""
        return True

    def listed(self) -> bool:
        """Shown in the tool description (without calling out to other capabilities)."""
        return self.available()

    def parse(self, raw: dict[str, Any] | None) -> BaseModel:
        """Typed params from raw ones; ToolError naming each bad field."""
        try:
            return self.params.model_validate(raw or {})
        except ValidationError as exc:
            fields = ", ".join(self.params.model_fields)
            raise ToolError(
                f"bad params for {self.name}: {validation_problems(exc, 'params')} "
                f"(params: {fields})"
            ) from None


class RemediationCatalogue:
    def __init__(
        self,
        config: RemediationConfig | None = None,
        lookup: Callable[[str], OpsTool | None] | None = None,
        pipelines: PipelineTargets | None = None,
    ) -> None:
        from tools.remediation.clean import CleanDirectoryAction
        from tools.remediation.delegate import DelegatedAction
        from tools.remediation.kill import KillProcessAction
        from tools.remediation.restart import RestartServiceAction
        from tools.remediation.script import RunScriptAction
        from tools.remediation.trigger import TriggerPipelineAction

        self.config = config or RemediationConfig()
        self.pipelines = pipelines or PipelineTargets()
        find = lookup or (lambda _name: None)
        actions: list[Action] = [
            RestartServiceAction(self.config),
            CleanDirectoryAction(self.config),
            KillProcessAction(self.config),
            RunScriptAction(self.config),
            TriggerPipelineAction(self.pipelines),
            DelegatedAction("set_model_alias", "the model registry", find),
            DelegatedAction("set_prompt_label", "the prompt registry", find),
        ]
        self.actions: dict[str, Action] = {a.name: a for a in actions}

    def names(self) -> list[str]:
        return list(self.actions)

    def get(self, name: str) -> Action:
        action = self.actions.get(name.strip())
        if action is None:
            raise ToolError(
                f"unknown remediation action {name!r}; allowed: {', '.join(self.actions)}"
            )
        return action

    def parse(self, name: str, raw: dict[str, Any] | None) -> tuple[Action, BaseModel]:
        action = self.get(name)
        return action, action.parse(raw)

    def services(self) -> list[str]:
        return sorted(self.config.services)

    def scripts(self) -> list[str]:
        return sorted(self.config.scripts)

    def describe(self) -> str:
        """The actions and what the configuration allows, for the tool description."""
        lines = [f"- {a.summary}" for a in self.actions.values() if a.listed()]
        return "\n".join(lines)
