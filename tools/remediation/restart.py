"""restart_service: run the operator's restart command for a service on the allowlist."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.access import Risk
from tools.base import ToolError, ToolResult
from tools.remediation.catalogue import Action
from tools.remediation.config import RemediationConfig, ServiceConfig
from tools.remediation.runner import command_result, run_argv


class RestartParams(BaseModel):
    service: str = Field(..., min_length=1, max_length=64, description="A configured service")


class RestartServiceAction(Action):
    name = "restart_service"
    params = RestartParams

    def __init__(self, config: RemediationConfig) -> None:
        self.config = config
        names = ", ".join(sorted(config.services)) or "none configured"
        self.summary = (
            f"restart_service(service): run the service's restart command. Services: {names}"
        )

    def available(self) -> bool:
        return bool(self.config.services)

    def _service(self, name: str) -> ServiceConfig:
        service = self.config.services.get(name.strip())
        if service is None:
            allowed = (
                ", ".join(sorted(self.config.services))
                or "none (add services to REMEDIATION_CONFIG)"
            )
            raise ToolError(f"unknown service {name!r}; restartable services: {allowed}")
        return service

    def risk(self, params: RestartParams) -> Risk:
        try:
            return self._service(params.service).risk
        except ToolError:
            return Risk.MEDIUM

    def dry_run(self, params: RestartParams) -> str:
        service = self._service(params.service)
        text = (
            f"Would restart {params.service} by running `{' '.join(service.restart)}` "
            f"(timeout {service.timeout_seconds:g}s)"
        )
        if service.check:
            text += f", then check it with `{' '.join(service.check)}`"
        return text + "."

    def execute(self, params: RestartParams) -> ToolResult:
        service = self._service(params.service)
        outcome = run_argv(service.restart, service.timeout_seconds)
        return command_result(outcome, service=params.service)

    def verify(self, params: RestartParams, result: ToolResult) -> str:
        service = self._service(params.service)
        if not service.check:
            return (
                f"the restart command exited with status 0; no check command is configured "
                f"for {params.service}, so its health was not re-checked"
            )
        outcome = run_argv(service.check, min(service.timeout_seconds, 60.0))
        if outcome.ok:
            return f"it worked: `{' '.join(service.check)}` succeeded after the restart"
        return f"the check failed after the restart: {outcome.describe()}"
