"""run_script: run one of the operator's named scripts (argv from the configuration only)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.access import Risk
from tools.base import ToolError, ToolResult
from tools.remediation.catalogue import Action
from tools.remediation.config import RemediationConfig, ScriptConfig
from tools.remediation.runner import command_result, run_argv


class ScriptParams(BaseModel):
    script: str = Field(..., min_length=1, max_length=64, description="A configured script name")


class RunScriptAction(Action):
    name = "run_script"
    params = ScriptParams

    def __init__(self, config: RemediationConfig) -> None:
        self.config = config
        names = ", ".join(sorted(config.scripts)) or "none configured"
        self.summary = f"run_script(script): run a named, configured script. Scripts: {names}"

    def available(self) -> bool:
        return bool(self.config.scripts)

    def _script(self, name: str) -> ScriptConfig:
        script = self.config.scripts.get(name.strip())
        if script is None:
            allowed = (
                ", ".join(sorted(self.config.scripts)) or "none (add scripts to REMEDIATION_CONFIG)"
            )
            raise ToolError(f"unknown script {name!r}; configured scripts: {allowed}")
        return script

    def risk(self, params: ScriptParams) -> Risk:
        try:
            return self._script(params.script).risk
        except ToolError:
            return Risk.MEDIUM

    def dry_run(self, params: ScriptParams) -> str:
        script = self._script(params.script)
        what = f" ({script.description})" if script.description else ""
        return (
            f"Would run script {params.script}{what}: `{' '.join(script.argv)}` "
            f"(timeout {script.timeout_seconds:g}s)."
        )

    def execute(self, params: ScriptParams) -> ToolResult:
        script = self._script(params.script)
        outcome = run_argv(script.argv, script.timeout_seconds)
        return command_result(outcome, script=params.script)

    def verify(self, params: ScriptParams, result: ToolResult) -> str:
        data = result.data if isinstance(result.data, dict) else {}
        return f"the script exited with status {data.get('exit_code')}"
