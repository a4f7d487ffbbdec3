"""The agent tools of the model registry.

`list_models`, `model_status` and `model_drift` read (any user); `set_model_alias` changes
what production serves, so it is GATED: its dry run (`preview`) shows the current holder,
the target, the metric diff between them and the target's drift status, and pins what it
saw (`expected_current`, `expected_target`) into the approved arguments, so `run` refuses
if the alias moved while the approval waited. `run` re-validates everything.

Each tool is one small class; `build_registry_tools` only assembles them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from core.access import Access, Caller, Risk
from tools.base import OpsTool, ToolResult
from tools.registry import render
from tools.registry.drift import DriftError
from tools.registry.service import ModelRegistry
from tools.registry.validation import parse_version
from tools.registry.views import live_of

LIVE_LIKE = {"production", "prod", "champion", "live"}

# model name -> (text, data) of a further section of the model card, None when the model has
# none; given by the wiring (the fairness gaps: tools/modelperf/fairness_check.py)
CardSection = Callable[[str], tuple[str, dict[str, Any]] | None]


def _version_arg(value: Any) -> Any:
    """Numbers and 'v3' become ints (a clear error for 0 or negatives); alias names stay text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"version must be a positive whole number such as 3 or v3, got {value!r}")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("vV").isdigit()):
        return parse_version(value)
    return value.strip() if isinstance(value, str) else value


class ListModelsArgs(BaseModel):
    filter: str | None = Field(
        None, max_length=200, description="Only models whose name contains this text"
    )


class ModelStatusArgs(BaseModel):
    name: str = Field(..., min_length=1, max_length=200, description="Registered model name")


class ModelDriftArgs(BaseModel):
    name: str = Field(..., min_length=1, max_length=200, description="Registered model name")
    version: int | str | None = Field(
        None,
        description="Version number (3 or 'v3') or alias; default: the production version",
    )
    refresh: bool = Field(
        False, description="Run the drift tests again even if a current stored report exists"
    )

    @field_validator("version", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return _version_arg(value)


class SetAliasArgs(BaseModel):
    name: str = Field(..., min_length=1, max_length=200, description="Registered model name")
    alias: str = Field(
        "production", min_length=1, max_length=255, description="Alias to move, e.g. production"
    )
    version: int | None = Field(
        None,
        description="Version to point the alias at (3 or 'v3'); omit to roll back one step "
        "to the alias's previous holder",
    )
    reason: str | None = Field(None, max_length=1000, description="Why; kept in the history")
    expected_current: int | None = Field(
        None,
        description="Filled in by the dry run: the version the alias pointed to when the "
        "change was previewed. The change is refused if the alias moved since.",
    )
    expected_target: int | None = Field(
        None,
        description="Filled in by the dry run: the version a rollback resolved to.",
    )

    @field_validator("version", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return _version_arg(value)


@dataclass(frozen=True)
class ListModels:
    """Registered models, with the stored drift status of each live version."""

    registry: ModelRegistry

    def run(self, args: ListModelsArgs, _: Caller) -> ToolResult:
        models = self.registry.list_models(args.filter)
        drift = {}
        for model in models:
            _alias, live = live_of(model.aliases)
            stored = (
                self.registry.drift_store.latest(model.name, live) if live is not None else None
            )
            if stored is not None:
                drift[model.name] = stored
        return ToolResult(
            text=render.models_text(models, drift, self.registry.describe()),
            data=render.models_data(models, drift),
        )

    def tool(self) -> OpsTool:
        return OpsTool(
            name="list_models",
            description="List registered ML models with their version count, aliases (e.g. "
            "production → v3) and the drift status of the live version.",
            args=ListModelsArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class ModelStatus:
    """One model's versions, production holder, metric diffs and last changes: its card,
    with the further sections the wiring gives (`sections`, by data key)."""

    registry: ModelRegistry
    sections: Mapping[str, CardSection] = field(default_factory=dict)

    def run(self, args: ModelStatusArgs, _: Caller) -> ToolResult:
        status = self.registry.status(args.name)
        text, data = render.status_text(status), render.status_data(status)
        for key, section in self.sections.items():
            part = section(args.name)
            if part is not None:
                text += "\n\n" + part[0]
                data[key] = part[1]
        return ToolResult(text=text, data=data)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="model_status",
            description="One model: its versions (status, aliases, key metrics), which version "
            "is in production, each version's metric diff against production, the latest drift "
            "check, the last alias change and, when configured, the fairness gaps by segment.",
            args=ModelStatusArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class ModelDrift:
    """A version's drift report (stored while current, else run and stored), with a plot."""

    registry: ModelRegistry
    plots: Path

    def run(self, args: ModelDriftArgs, caller: Caller) -> ToolResult:
        outcome = self.registry.drift(
            args.name, args.version, refresh=args.refresh, actor=caller.label, trigger=caller.via
        )
        live_alias, live = self.registry.live_version(outcome.stored.model)
        label = live_alias if live == outcome.stored.version else None
        files: list[Path] = []
        data = render.drift_data(outcome)
        text = render.drift_text(outcome, label)
        try:
            plot = self.registry.plot(outcome.stored, self.plots)
        except (DriftError, OSError) as exc:
            text += f"\n(No picture: {exc})"
        else:
            if plot is not None:
                files.append(plot)
                data["plot"] = str(plot)
        return ToolResult(text=text, data=data, files=files)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="model_drift",
            description="Is a model's live data drifting? Compares the version's current data "
            "with its reference data feature by feature (Evidently's default tests), drifted "
            "features first, with a PNG of their distributions. Reads the stored report while "
            "it is current, else runs the tests and stores the result.",
            args=ModelDriftArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class SetModelAlias:
    """An alias move: previewed and pinned, run after approval, verified on the backend."""

    registry: ModelRegistry

    def preview(self, args: SetAliasArgs) -> str:
        plan = self.registry.plan_alias(args.name, args.alias, args.version)
        # pin what the reviewer sees, so `run` can refuse if it changed meanwhile
        args.expected_current = plan.current
        args.expected_target = plan.target if plan.rollback else None
        return plan.text()

    def run(self, args: SetAliasArgs, caller: Caller) -> ToolResult:
        reason = args.reason or ("rollback" if args.version is None else "set")
        change = self.registry.set_alias(
            args.name,
            args.alias,
            args.version,
            actor=caller.label,
            reason=reason,
            expected_current=args.expected_current,
            expected_target=args.expected_target,
        )
        old = f"v{change.from_version}" if change.from_version is not None else "(unset)"
        verb = "rolled back" if change.kind == "rollback" else "moved"
        text = (
            f"{change.alias} of {change.model} {verb} from {old} to v{change.to_version}; "
            f"recorded in the alias history (#{change.id})."
        )
        return ToolResult(text=text, data=change.to_dict())

    def verify(self, args: SetAliasArgs, result: ToolResult) -> str:
        data = result.data or {}
        registry = self.registry
        holder = registry.backend.get_alias(data["model"], data["alias"])
        if holder == data["to_version"]:
            return f"{registry.describe()} now resolves {data['alias']} of {data['model']} to v{holder}."
        return (
            f"WARNING: {registry.describe()} resolves {data['alias']} of {data['model']} to "
            f"v{holder}, not v{data['to_version']}"
        )

    @staticmethod
    def risk(args: SetAliasArgs) -> Risk:
        return Risk.HIGH if args.alias.lower() in LIVE_LIKE else Risk.MEDIUM

    def tool(self) -> OpsTool:
        return OpsTool(
            name="set_model_alias",
            description="Point a model alias (production, staging, champion...) at a version, or "
            "omit version to roll the alias back one step to its previous holder. Needs an "
            "on-call approval; the approval shows the metric diff and the target's drift status.",
            args=SetAliasArgs,
            run=self.run,
            access=Access.GATED,
            preview=self.preview,
            verify=self.verify,
            risk=Risk.HIGH,
            risk_for=self.risk,
        )


def build_registry_tools(
    registry: ModelRegistry, data_dir: Path, card: Mapping[str, CardSection] | None = None
) -> list[OpsTool]:
    """The four model registry tools; drift plots are written under `data_dir`/plots; `card`:
    further sections of the model card (`model_status`)."""
    return [
        ListModels(registry).tool(),
        ModelStatus(registry, dict(card or {})).tool(),
        ModelDrift(registry, data_dir / "plots").tool(),
        SetModelAlias(registry).tool(),
    ]


__all__ = ["build_registry_tools"]
