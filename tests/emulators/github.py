"""A small emulator of GitHub Actions' workflow REST API on 127.0.0.1, for GITHUB_API_URL.

`POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches` with a JSON body
{ref, inputs, return_run_details} creates a queued `workflow_dispatch` run and answers as
GitHub does: 200 {workflow_run_id, run_url, html_url} when asked with `return_run_details`
(the 2026 API), else 204 with no body; `legacy=True` always answers 204, as an older GitHub
Enterprise Server does. `GET .../workflows/{workflow_id}/runs?event=&branch=&per_page=`
lists them newest first ({total_count, workflow_runs}); with `runs_hidden_for=N` the first
N listings do not show a new run yet (GitHub's lag). Errors are GitHub's: 401 "Bad
credentials" for another token, 404 "Not Found" for an unknown repository or workflow, 422
"No ref found for: X" for an unknown branch and "Unexpected inputs provided" for inputs the
workflow does not declare. `delay` seconds before each answer. Every request is recorded.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from tests.emulators.http_server import Request, serve

DOCS = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"


@dataclass
class Workflow:
    id: int
    path: str  # .github/workflows/retrain.yml
    inputs: tuple[str, ...] = ()


@dataclass
class GitHubEmulator:
    token: str = "ghp_" + "e" * 36
    # "owner/repo" -> workflows by file name, and the branches that exist
    workflows: dict[str, list[Workflow]] = field(default_factory=dict)
    branches: dict[str, set[str]] = field(default_factory=dict)
    legacy: bool = False
    runs_hidden_for: int = 0
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(9_000_001))

    def add(
        self,
        repo: str,
        file: str,
        inputs: tuple[str, ...] = (),
        branches: tuple[str, ...] = ("main",),
    ) -> None:
        flows = self.workflows.setdefault(repo, [])
        flows.append(Workflow(161_335 + len(flows), f".github/workflows/{file}", inputs))
        self.branches.setdefault(repo, set()).update(branches)

    def _workflow(self, repo: str, key: str) -> Workflow | None:
        for flow in self.workflows.get(repo, []):
            if key in (str(flow.id), flow.path.rsplit("/", 1)[-1]):
                return flow
        return None

    def answer(self, request: Request) -> tuple[int, Any]:
        self.requests.append(request)
        if request.headers.get("authorization") not in (
            f"Bearer {self.token}",
            f"token {self.token}",
        ):
            return 401, {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
                "status": "401",
            }
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        if len(parts) != 7 or parts[0] != "repos" or parts[3:5] != ["actions", "workflows"]:
            return 404, {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest",
                "status": "404",
            }
        repo, key, verb = f"{parts[1]}/{parts[2]}", parts[5], parts[6]
        flow = self._workflow(repo, key)
        if flow is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
        if request.method == "POST" and verb == "dispatches":
            return self._dispatch(repo, flow, request.json() or {})
        if request.method == "GET" and verb == "runs":
            return self._list(flow, request.params)
        return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}

    def _dispatch(self, repo: str, flow: Workflow, body: dict[str, Any]) -> tuple[int, Any]:
        ref = str(body.get("ref") or "")
        branch = ref.removeprefix("refs/heads/")
        if branch not in self.branches.get(repo, set()):
            return 422, {
                "message": f"No ref found for: {ref}",
                "documentation_url": DOCS,
                "status": "422",
            }
        extra = sorted(set(body.get("inputs") or {}) - set(flow.inputs))
        if extra:
            listed = ", ".join(f'"{k}"' for k in extra)
            return 422, {
                "message": f"Unexpected inputs provided: [{listed}]",
                "documentation_url": DOCS,
                "status": "422",
            }
        run_id = next(self._ids)
        run = {
            "id": run_id,
            "name": flow.path.rsplit("/", 1)[-1],
            "head_branch": branch,
            "event": "workflow_dispatch",
            "status": "queued",
            "conclusion": None,
            "workflow_id": flow.id,
            "url": f"{self.url}/repos/{repo}/actions/runs/{run_id}",
            "html_url": f"https://github.com/{repo}/actions/runs/{run_id}",
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "inputs": body.get("inputs") or {},
            "hidden": self.runs_hidden_for,
        }
        self.runs.insert(0, run)
        if body.get("return_run_details") and not self.legacy:
            return 200, {
                "workflow_run_id": run_id,
                "run_url": run["url"],
                "html_url": run["html_url"],
            }
        return 204, None

    def _list(self, flow: Workflow, params: dict[str, str]) -> tuple[int, Any]:
        shown = []
        for run in self.runs:
            if run["workflow_id"] != flow.id:
                continue
            if run["hidden"] > 0:
                run["hidden"] -= 1
                continue
            if params.get("event") and run["event"] != params["event"]:
                continue
            if params.get("branch") and run["head_branch"] != params["branch"]:
                continue
            shown.append({k: v for k, v in run.items() if k not in ("hidden", "inputs")})
        per_page = int(params.get("per_page", 30))
        return 200, {"total_count": len(shown), "workflow_runs": shown[:per_page]}


@contextmanager
def github_emulator(emulator: GitHubEmulator | None = None) -> Iterator[GitHubEmulator]:
    emulator = emulator or GitHubEmulator()
    with serve(emulator.answer, lambda: emulator.delay) as url:
        emulator.url = url
        yield emulator
