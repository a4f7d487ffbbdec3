"""The demo workspace the cases run on: `opsbot demo` loaded once into a template data dir,
copied for each group of cases, with a Runtime over the copy. Cases without a setup share
one copy (each in its own thread); cases that plant content share another, with every
planted runbook, prompt, alert and file in place before the first of them runs."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.evals.cases import Setup

if TYPE_CHECKING:
    from bot.runtime import Runtime

# a closed port: the endpoint demo-web is down, quickly
DEMO_ENDPOINTS = {"demo-web": "http://127.0.0.1:9/healthz"}


def build_template(data: Path, overrides: dict[str, Any]) -> Path:
    """`opsbot demo` into `data` (about 10 s); returns `data`."""
    from bot.commands.demo import SEEDERS
    from bot.commands.deps import demo_commands

    data.mkdir(parents=True, exist_ok=True)
    runtime = _runtime(data, overrides)
    try:
        deps = demo_commands(runtime)
        for seed in SEEDERS:
            seed(deps)
    finally:
        runtime.close()
    return data


def copy_template(template: Path, data: Path) -> Path:
    """A copy of the template data dir; its YAML files that name the template (the demo's
    remediation allowlist) are rewritten to name the copy."""
    shutil.copytree(template, data)
    for path in data.rglob("*.yaml"):
        path.write_text(path.read_text().replace(str(template), str(data)))
    return data


@dataclass
class Workspace:
    data: Path
    runtime: Runtime

    def close(self) -> None:
        """Close the Runtime, and stop demo-web if a case's approved restart started it."""
        self.runtime.close()
        from bot.incidents.demo import paths
        from bot.incidents.demo_service import stop

        pidfile = paths(self.data)[3]
        if pidfile.exists():
            with contextlib.redirect_stdout(io.StringIO()):
                stop(pidfile)


def open_workspace(data: Path, overrides: dict[str, Any], setups: Iterable[Setup]) -> Workspace:
    """A Runtime over `data` with the setups planted."""
    runtime = _runtime(data, overrides)
    workspace = Workspace(data, runtime)
    planted = [s for s in setups if not s.empty]
    if planted:
        runtime.incidents.disable_triage()  # planted alerts are data; no background triage
        for setup in planted:
            plant(workspace, setup)
        if any(s.runbooks for s in planted):
            runtime.runbooks.ingest(
                [runtime.settings.resolved_knowledge_dir(), data / "planted-runbooks"],
                progress=False,
            )
    return workspace


def plant(workspace: Workspace, setup: Setup) -> None:
    from bot.incidents.alertmanager import parse_payload

    runtime = workspace.runtime
    for name, text in setup.runbooks.items():
        target = workspace.data / "planted-runbooks" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for path, text in setup.files.items():
        target = workspace.data / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for prompt in setup.prompts:
        runtime.prompts.create_version(
            prompt["name"],
            prompt["template"],
            prompt.get("message", "planted by the evaluation suite"),
            author="evals",
        )
    for payload in setup.alerts:
        runtime.incidents.ingest_alertmanager(parse_payload(payload))


def _runtime(data: Path, overrides: dict[str, Any]) -> Runtime:
    from bot.runtime import Runtime
    from bot.settings import load_settings

    settings: dict[str, Any] = {"data_dir": data, "endpoints": DEMO_ENDPOINTS}
    allowlist = data / "demo" / "remediation.yaml"
    if allowlist.exists():
        settings["remediation_config"] = allowlist
    return Runtime(load_settings(**(settings | overrides)), console_mode=True)
