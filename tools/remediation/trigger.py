"""trigger_pipeline: start one of the operator's named pipelines (a retraining, usually).

GitHub Actions `workflow_dispatch`, a GitLab pipeline trigger or a configured script
(`tools/remediation/pipelines.py`). Approval-gated like every catalogue action; the outcome's
text carries the run's link, which the approval flow posts in the thread.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from core.access import Risk
from tools.base import ToolError, ToolResult
from tools.redact import redact
from tools.remediation.catalogue import Action
from tools.remediation.pipelines import (
    GitHubPipeline,
    GitLabPipeline,
    Pipeline,
    PipelineTargets,
    ScriptPipeline,
    dispatch_github,
    trigger_gitlab,
)
from tools.remediation.runner import run_argv

_URL = re.compile(r"https?://[^\s<>\"']+")


class PipelineParams(BaseModel):
    pipeline: str = Field(..., min_length=1, max_length=64, description="A configured pipeline")


class TriggerPipelineAction(Action):
    name = "trigger_pipeline"
    params = PipelineParams

    def __init__(self, targets: PipelineTargets) -> None:
        self.targets = targets
        names = ", ".join(sorted(targets.pipelines)) or "none configured"
        self.summary = (
            "trigger_pipeline(pipeline): start a named, configured CI pipeline (e.g. a "
            f"retraining). Pipelines: {names}"
        )

    def available(self) -> bool:
        return bool(self.targets.pipelines)

    def risk(self, params: PipelineParams) -> Risk:
        try:
            return self.targets.get(params.pipeline).risk
        except ToolError:
            return Risk.MEDIUM

    def dry_run(self, params: PipelineParams) -> str:
        item = self.targets.get(params.pipeline)
        what = f" ({item.description})" if item.description else ""
        extra = _extra(item)
        return f"Would start pipeline {params.pipeline}{what}: {item.where()}{extra}."

    def execute(self, params: PipelineParams) -> ToolResult:
        name = params.pipeline.strip()
        item = self.targets.get(name)
        data: dict[str, object] = {"pipeline": name, "kind": item.kind, "url": None}
        if isinstance(item, ScriptPipeline):
            outcome = run_argv(item.command, item.timeout_seconds)
            links = _URL.findall(outcome.stdout)
            data.update(url=links[-1] if links else None, exit_code=outcome.exit_code)
            head = f"Pipeline {name}: " + (f"run {links[-1]}\n" if links and outcome.ok else "")
            return ToolResult(text=redact(head + outcome.describe()), data=data, ok=outcome.ok)
        try:
            if isinstance(item, GitHubPipeline):
                url = dispatch_github(self.targets, item)
            else:
                url = trigger_gitlab(self.targets, item)
        except ToolError as exc:
            data["error"] = str(exc)
            return ToolResult(text=f"Pipeline {name} was not started: {exc}", data=data, ok=False)
        data["url"] = url
        if url is None:
            text = (
                f"Started pipeline {name} ({item.where()}); its run did not show up within "
                f"{self.targets.run_lookup_seconds:g}s, so there is no link: see the workflow's runs."
            )
        else:
            text = f"Started pipeline {name} ({item.where()}): {url}"
        return ToolResult(text=text, data=data)

    def verify(self, params: PipelineParams, result: ToolResult) -> str:
        data = result.data if isinstance(result.data, dict) else {}
        if not result.ok:
            return "the pipeline did not start"
        if data.get("url"):
            return f"the pipeline's run is at {data['url']}"
        return "the pipeline was started; its run's link is not known"


def _extra(item: Pipeline) -> str:
    if isinstance(item, GitHubPipeline) and item.inputs:
        return " with inputs " + ", ".join(f"{k}={v}" for k, v in sorted(item.inputs.items()))
    if isinstance(item, GitLabPipeline) and item.variables:
        return " with variables " + ", ".join(f"{k}={v}" for k, v in sorted(item.variables.items()))
    if isinstance(item, ScriptPipeline):
        return f" (timeout {item.timeout_seconds:g}s)"
    return ""
