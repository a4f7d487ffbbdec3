"""An in-process opsbot with the Slack front end on real HTTP (uvicorn on 127.0.0.1), talking
to the Slack emulator, with a gated test tool so approvals can be exercised before the real
remediation catalogue is present."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.http.app import create_app
from bot.http.server import HttpServer
from bot.runtime import Runtime
from bot.settings import load_settings
from core.access import Access, Caller, Risk
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import BOT_TOKEN, SECRET, SlackSender
from tools.base import OpsTool, ToolResult


class RemediationArgs(BaseModel):
    action: str
    params: dict[str, Any] = {}


def counting_remediation(log: Path) -> OpsTool:
    """A gated `run_remediation` that appends one line to `log` each time it really runs."""

    def run(args: RemediationArgs, caller: Caller) -> ToolResult:
        with log.open("a") as fh:
            fh.write(f"{args.action} {args.params} requested by {caller.user}\n")
        return ToolResult(text=f"{args.action} done")

    return OpsTool(
        name="run_remediation",
        description="test remediation",
        args=RemediationArgs,
        run=run,
        access=Access.GATED,
        preview=lambda a: f"would run {a.action} with {a.params} <for real>",
        risk_for=lambda a: Risk.HIGH if a.action == "kill_process" else Risk.MEDIUM,
    )


class TestRuntime(Runtime):
    """A Runtime whose toolbox has the counting remediation tool and knows service names."""

    __test__ = False
    extra_tools: list[OpsTool] = []

    def capability_builders(self) -> list[Callable[[], list[OpsTool]]]:
        builders = super().capability_builders()

        def without_remediation(build: Callable[[], list[OpsTool]]) -> Callable[[], list[OpsTool]]:
            return lambda: [t for t in build() if t.name != "run_remediation"]

        return [without_remediation(b) for b in builders] + [lambda: list(self.extra_tools)]

    def vocabulary(self) -> Any:
        return dataclasses.replace(super().vocabulary(), services=("web", "worker"))


@dataclass
class Stack:
    runtime: TestRuntime
    emulator: SlackEmulator
    server: HttpServer
    sender: SlackSender
    log: Path

    def runs(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def close(self) -> None:
        self.sender.close()
        self.server.stop()
        self.runtime.close()


def start_stack(tmp_path: Path, emulator: SlackEmulator, **settings: Any) -> Stack:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    log = tmp_path / "actions.log"
    values: dict[str, Any] = {
        "data_dir": data,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": emulator.url,
        "oncall_users": "U0ONCALL,U0OTHER",
    }
    values.update(settings)
    runtime = TestRuntime(load_settings(**values))
    runtime.extra_tools = [counting_remediation(log)]
    front = runtime.slack
    front.start()
    server = HttpServer(create_app(runtime.http_deps(), front.routes()), "127.0.0.1", 0)
    port = server.start()
    return Stack(runtime, emulator, server, SlackSender(f"http://127.0.0.1:{port}"), log)
