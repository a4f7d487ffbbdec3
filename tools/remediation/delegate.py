"""Rollbacks that belong to other capabilities (model aliases, prompt labels).

`run_remediation(action="set_model_alias", ...)` hands over to the registry's own gated tool:
its argument model validates the params, its preview is the dry run, its run the execution
and its risk the risk. The catalogue only adds them so that incident triage can suggest a
rollback with the same approval flow as every other action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from core.access import Caller, Risk
from tools.base import OpsTool, ToolError, ToolResult
from tools.remediation.catalogue import Action

SYSTEM = Caller(user="opsbot", via="approval")


class DelegatedParams(BaseModel):
    """Placeholder: the target tool's own argument model validates the params."""


class DelegatedAction(Action):
    params = DelegatedParams

    def __init__(self, name: str, owner: str, find: Callable[[str], OpsTool | None]) -> None:
        self.name = name
        self.owner = owner
        self._find = find
        self.summary = (
            f"{name}(...): hand over to {owner}'s {name} (same arguments); version None "
            "rolls back to the previous holder"
        )

    def _tool(self) -> OpsTool:
        tool = self._find(self.name)
        if tool is None:
            raise ToolError(f"{self.name} is not available: {self.owner} is not enabled here")
        return tool

    def available(self) -> bool:
        try:
            self._tool()
        except ToolError:
            return False
        return True

    def listed(self) -> bool:
        return True  # availability is checked when it is used, not while tools are built

    def parse(self, raw: dict[str, Any] | None) -> BaseModel:
        return self._tool().parse(raw)

    def risk(self, params: Any) -> Risk:
        return self._tool().risk_of(params)

    def dry_run(self, params: Any) -> str:
        tool = self._tool()
        if tool.preview is None:
            raise ToolError(f"{self.name} has no dry run")
        return tool.preview(params)

    def execute(self, params: Any) -> ToolResult:
        return self.execute_as(params, SYSTEM)

    def execute_as(self, params: Any, caller: Caller) -> ToolResult:
        """Run the target tool as the person whose request was approved."""
        return self._tool().run(params, caller)

    def verify(self, params: Any, result: ToolResult) -> str:
        tool = self._tool()
        if tool.verify is None:
            return result.text.splitlines()[0] if result.text else "done"
        return tool.verify(params, result)
