"""A small emulator of GitLab's pipeline trigger API on 127.0.0.1, for GITLAB_URL.

`POST /api/v4/projects/{id}/trigger/pipeline` with the form fields `token`, `ref` and
`variables[KEY]` (the project's numeric id or its URL-encoded path) creates a pipeline and
answers 201 with it ({id, iid, project_id, sha, ref, status, source, web_url, ...}). Errors are
GitLab's: 404 {"message": "404 Not Found"} for an unknown project or a wrong trigger token,
400 {"error": "ref is missing"} without a ref, 400 {"message": {"base": ["Reference not
found"]}} for a ref that does not exist. `delay` seconds before each answer. Every request is
recorded.
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


@dataclass
class Project:
    id: int
    path: str  # group/name
    token: str
    refs: set[str] = field(default_factory=lambda: {"main"})


@dataclass
class GitLabEmulator:
    projects: list[Project] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_204_001))

    def add(self, path: str, token: str, refs: tuple[str, ...] = ("main",)) -> Project:
        project = Project(278_964 + len(self.projects), path, token, set(refs))
        self.projects.append(project)
        return project

    def answer(self, request: Request) -> tuple[int, Any]:
        self.requests.append(request)
        parts = request.path.strip("/").split("/")
        if (
            request.method != "POST"
            or len(parts) != 6
            or parts[:3] != ["api", "v4", "projects"]
            or parts[4:] != ["trigger", "pipeline"]
        ):
            return 404, {"error": "404 Not Found"}
        key = unquote(parts[3])
        project = next((p for p in self.projects if key in (str(p.id), p.path)), None)
        form = request.form()
        if "ref" not in form or "token" not in form:
            missing = [k for k in ("ref", "token") if k not in form]
            return 400, {"error": ", ".join(f"{k} is missing" for k in missing)}
        if project is None or form["token"] != project.token:
            return 404, {"message": "404 Not Found"}
        if form["ref"] not in project.refs:
            return 400, {"message": {"base": ["Reference not found"]}}
        pipeline_id = next(self._ids)
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        variables = {k[10:-1]: v for k, v in form.items() if k.startswith("variables[")}
        pipeline = {
            "id": pipeline_id,
            "iid": len(self.pipelines) + 1,
            "project_id": project.id,
            "sha": "a91957a858320c0e17f3a0eca7cfacbff50ea29a",
            "ref": form["ref"],
            "status": "created",
            "source": "trigger",
            "created_at": now,
            "updated_at": now,
            "web_url": f"https://gitlab.example.com/{project.path}/-/pipelines/{pipeline_id}",
        }
        self.pipelines.append({**pipeline, "variables": variables})
        return 201, pipeline


@contextmanager
def gitlab_emulator(emulator: GitLabEmulator | None = None) -> Iterator[GitLabEmulator]:
    emulator = emulator or GitLabEmulator()
    with serve(emulator.answer, lambda: emulator.delay) as url:
        emulator.url = url
        yield emulator
