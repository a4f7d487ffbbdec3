"""Retraining (or any CI) pipelines the operator allows `trigger_pipeline` to start, by name.

PIPELINES (JSON or YAML, `bot/settings_pipelines.py`) maps a name to one of:

    train-churn:
      kind: github                      # GitHub Actions workflow_dispatch
      repo: acme/churn-model
      workflow: retrain.yml             # the workflow's file name or id
      ref: main
      inputs: {reason: drift}           # the workflow's inputs (strings)
      token_env: GITHUB_TOKEN           # where the token is (default GITHUB_TOKEN)
      models: [churn]                   # triage suggests it for these models' incidents
    train-fraud:
      kind: gitlab                      # GitLab pipeline trigger
      project: ml/fraud                 # the project's id or path
      ref: main
      variables: {REASON: drift}
      token_env: GITLAB_TRIGGER_TOKEN   # a pipeline trigger token (default that name)
    train-local:
      kind: script
      command: [/opt/ml/retrain, --model, churn]   # an argv, never a shell string
      timeout_seconds: 600

Everything is fixed here: the model may only pick a name, never a repository, a ref or an input.
The API calls (`dispatch_github`, `trigger_gitlab`) return the run's link or raise ToolError
with what the server said (bad token, unknown workflow or project, bad ref, timeout).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from core.access import Risk
from core.errors import Invalid
from tools.base import ToolError
from tools.remediation.config import _check_argv

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
GITHUB_API_VERSION = "2022-11-28"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_GITLAB_URL = "https://gitlab.com"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    risk: Risk = Risk.MEDIUM
    models: list[str] = Field(default_factory=list)  # suggested for these models' incidents
    alerts: list[str] = Field(default_factory=list)  # ...and for these alert names

    @field_validator("token_env", check_fields=False)
    @classmethod
    def _env(cls, value: str) -> str:
        if not _ENV.match(value):
            raise ValueError(f"{value!r} is not an environment variable name (A-Z, 0-9, _)")
        return value


class GitHubPipeline(_Strict):
    kind: Literal["github"]
    repo: str
    workflow: str = Field(..., min_length=1, max_length=200)
    ref: str = Field("main", min_length=1, max_length=250)
    inputs: dict[str, str] = Field(default_factory=dict, max_length=25)
    token_env: str = "GITHUB_TOKEN"

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if not _REPO.match(value):
            raise ValueError(f"{value!r} is not owner/name")
        return value

    def where(self) -> str:
        return f"GitHub Actions workflow {self.workflow} of {self.repo} on {self.ref}"


class GitLabPipeline(_Strict):
    kind: Literal["gitlab"]
    project: str = Field(..., min_length=1, max_length=250)
    ref: str = Field("main", min_length=1, max_length=250)
    variables: dict[str, str] = Field(default_factory=dict, max_length=50)
    token_env: str = "GITLAB_TRIGGER_TOKEN"

    def where(self) -> str:
        return f"GitLab pipeline of {self.project} on {self.ref}"


class ScriptPipeline(_Strict):
    kind: Literal["script"]
    command: list[str]
    timeout_seconds: float = Field(600.0, gt=0, le=86400)

    @field_validator("command", mode="before")
    @classmethod
    def _argv(cls, value: Any) -> list[str]:
        return _check_argv(value, "command")

    def where(self) -> str:
        return f"the script `{' '.join(self.command)}`"


Pipeline = Annotated[GitHubPipeline | GitLabPipeline | ScriptPipeline, Field(discriminator="kind")]
_PIPELINES: TypeAdapter[dict[str, Pipeline]] = TypeAdapter(dict[str, Pipeline])


def parse_pipelines(value: Any, source: str = "PIPELINES") -> dict[str, Pipeline]:
    """The pipelines from JSON or YAML text (or parsed data); Invalid naming the key."""
    if isinstance(value, str):
        import yaml

        try:
            value = yaml.safe_load(value) if value.strip() else {}
        except yaml.YAMLError as exc:
            raise Invalid(
                f"{source} is neither JSON nor YAML: {str(exc).splitlines()[0]}"
            ) from None
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise Invalid(f"{source} must map pipeline names to settings, not {type(value).__name__}")
    for name in value:
        if not isinstance(name, str) or not _NAME.match(name):
            raise Invalid(
                f"{source}: pipeline name {name!r} is not allowed: letters, digits, '-', '_', '.'"
            )
    try:
        return _PIPELINES.validate_python(value)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(
                f"{where}: {'unknown key' if err['type'] == 'extra_forbidden' else msg}"
            )
        raise Invalid(f"{source} is invalid: " + "; ".join(problems)) from None


@dataclass(frozen=True)
class PipelineTargets:
    """The allowed pipelines and how to reach them. `token(env_name)` returns the secret."""

    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    github_api_url: str = DEFAULT_GITHUB_API_URL
    gitlab_url: str = DEFAULT_GITLAB_URL
    timeout_seconds: float = 20.0
    token: Callable[[str], str | None] = lambda _name: None
    # how long to look for a dispatched run's link when GitHub does not return it
    run_lookup_seconds: float = 10.0

    def get(self, name: str) -> Pipeline:
        found = self.pipelines.get(name.strip())
        if found is None:
            allowed = ", ".join(sorted(self.pipelines)) or "none (set PIPELINES)"
            raise ToolError(f"unknown pipeline {name!r}; configured pipelines: {allowed}")
        return found


def dispatch_github(targets: PipelineTargets, item: GitHubPipeline) -> str | None:
    """POST .../actions/workflows/{workflow}/dispatches; the run's html_url. GitHub returns it
    (200) when asked with `return_run_details`; an older server answers 204, and then the
    newest workflow_dispatch run on the ref created since the dispatch is looked up (None when
    none shows up within `run_lookup_seconds`: dispatched, link unknown)."""
    token = _token(targets, item.token_env)
    base = f"{targets.github_api_url.rstrip('/')}/repos/{item.repo}/actions/workflows/"
    url = base + quote(item.workflow, safe="") + "/dispatches"
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": GITHUB_API_VERSION,
    }
    body: dict[str, Any] = {"ref": item.ref, "return_run_details": True}
    if item.inputs:
        body["inputs"] = item.inputs
    since = datetime.now(UTC) - timedelta(seconds=5)  # clocks differ a little
    with httpx.Client(timeout=targets.timeout_seconds, headers=headers) as client:
        response = _call(client, "POST", url, json=body, what=f"GitHub ({item.repo})")
        if response.status_code == 200:
            link = _json(response).get("html_url")
            if isinstance(link, str) and link:
                return link
        if response.status_code not in (200, 204):
            raise ToolError(_github_problem(response, item))
        return _find_run(
            client, targets, base + quote(item.workflow, safe="") + "/runs", item, since
        )


def _find_run(
    client: httpx.Client, targets: PipelineTargets, url: str, item: GitHubPipeline, since: datetime
) -> str | None:
    params = {"event": "workflow_dispatch", "branch": item.ref, "per_page": "10"}
    deadline = time.monotonic() + targets.run_lookup_seconds
    while True:
        response = _call(client, "GET", url, params=params, what=f"GitHub ({item.repo})")
        if response.status_code != 200:
            raise ToolError(
                "the workflow was dispatched but its runs cannot be listed: "
                + _github_problem(response, item)
            )
        for run in _json(response).get("workflow_runs") or []:
            created = _when(run.get("created_at"))
            if created is not None and created >= since and run.get("html_url"):
                return str(run["html_url"])
        if time.monotonic() >= deadline:
            return None
        time.sleep(1.0)


def trigger_gitlab(targets: PipelineTargets, item: GitLabPipeline) -> str:
    """POST /api/v4/projects/{id}/trigger/pipeline (token, ref, variables); its web_url."""
    token = _token(targets, item.token_env)
    project = quote(item.project, safe="")
    url = f"{targets.gitlab_url.rstrip('/')}/api/v4/projects/{project}/trigger/pipeline"
    form = {"token": token, "ref": item.ref}
    form.update({f"variables[{k}]": v for k, v in item.variables.items()})
    with httpx.Client(timeout=targets.timeout_seconds) as client:
        response = _call(client, "POST", url, data=form, what=f"GitLab ({item.project})")
    if response.status_code == 201:
        link = _json(response).get("web_url")
        if isinstance(link, str) and link:
            return link
        raise ToolError("GitLab created a pipeline but sent no web_url")
    message = _json(response).get("message") or _json(response).get("error") or response.text[:200]
    if isinstance(message, dict):
        message = "; ".join(f"{' '.join(map(str, v))}" for v in message.values())
    if response.status_code in (401, 403, 404):
        raise ToolError(
            f"GitLab refused the trigger for project {item.project} ({response.status_code} "
            f"{message}): check the project and the trigger token in {item.token_env}"
        )
    if response.status_code == 400:
        raise ToolError(f"GitLab refused ref {item.ref!r} of {item.project}: {message}")
    raise ToolError(f"GitLab answered {response.status_code} for {item.project}: {message}")


def _token(targets: PipelineTargets, env: str) -> str:
    token = targets.token(env)
    if not token:
        raise ToolError(f"no token: set {env} in opsbot's environment")
    return token


def _call(client: httpx.Client, method: str, url: str, *, what: str, **kw: Any) -> httpx.Response:
    try:
        return client.request(method, url, **kw)
    except httpx.TimeoutException:
        raise ToolError(f"{what} did not answer within {client.timeout.read}s") from None
    except httpx.HTTPError as exc:
        raise ToolError(f"{what} cannot be reached: {type(exc).__name__}: {exc}") from None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _github_problem(response: httpx.Response, item: GitHubPipeline) -> str:
    message = _json(response).get("message") or response.text[:200] or response.reason_phrase
    code = response.status_code
    if code == 401:
        return f"GitHub rejected the token in {item.token_env} (401 {message})"
    if code == 403:
        return f"GitHub refused (403 {message}): the token needs actions:write on {item.repo}"
    if code == 404:
        return f"GitHub found no workflow {item.workflow} in {item.repo} (404 {message})"
    if code == 422:
        return f"GitHub refused ref {item.ref!r} or the inputs of {item.workflow} (422 {message})"
    return f"GitHub answered {code} for {item.workflow} of {item.repo}: {message}"


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
