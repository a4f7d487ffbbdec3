"""The gated agent tool `run_remediation(action, params)` over the catalogue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator

from core.access import Access, Caller, Risk
from tools.base import OpsTool, ToolError, ToolResult
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.delegate import DelegatedAction


class RemediationArgs(BaseModel):
    action: str = Field(
        ...,
        min_length=1,
        max_length=64,
        description=(
            "restart_service, clean_directory, kill_process, run_script, trigger_pipeline, "
            "set_model_alias or set_prompt_label"
        ),
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description='The action\'s arguments, e.g. {"service": "web"}'
    )

    @field_validator("params", mode="before")
    @classmethod
    def _json_params(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, str):  # some models send the object as a JSON string
            try:
                return json.loads(value) if value.strip() else {}
            except ValueError:
                raise ValueError('params must be an object such as {"service": "web"}') from None
        return value


@dataclass(frozen=True)
class RunRemediation:
    """One catalogue action: previewed (dry run) for the approver, run after approval (as the
    caller for delegated actions), verified; its risk is the action's own (HIGH if unknown)."""

    catalogue: RemediationCatalogue

    def run(self, args: RemediationArgs, caller: Caller) -> ToolResult:
        action, params = self.catalogue.parse(args.action, args.params)
        if isinstance(action, DelegatedAction):
            return action.execute_as(params, caller)
        return action.execute(params)

    def preview(self, args: RemediationArgs) -> str:
        action, params = self.catalogue.parse(args.action, args.params)
        return action.dry_run(params)

    def risk_for(self, args: RemediationArgs) -> Risk:
        try:
            action, params = self.catalogue.parse(args.action, args.params)
            return action.risk(params)
        except ToolError:
            return Risk.HIGH

    def verify(self, args: RemediationArgs, result: ToolResult) -> str:
        action, params = self.catalogue.parse(args.action, args.params)
        return action.verify(params, result)

    def tool(self) -> OpsTool:
        description = (
            "Run one action from the remediation catalogue. Always needs an on-call engineer's "
            "approval; the dry run is shown to them. There is no free-form shell. Actions:\n"
            + self.catalogue.describe()
        )
        return OpsTool(
            name="run_remediation",
            description=description,
            args=RemediationArgs,
            run=self.run,
            access=Access.GATED,
            risk=Risk.MEDIUM,
            preview=self.preview,
            verify=self.verify,
            risk_for=self.risk_for,
        )


def build_remediation_tools(catalogue: RemediationCatalogue) -> list[OpsTool]:
    return [RunRemediation(catalogue).tool()]
