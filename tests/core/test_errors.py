"""One error root, and the three places that map it: tool results, exit codes, HTTP statuses.

Every exception class opsbot defines must descend from `core.errors.OpsbotError`: the classes
are found by importing every module of our packages and walking the subclasses, so a new
class without the root fails here. And `core` itself imports nothing of ours.
"""

from __future__ import annotations

import ast
import http.server
import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from core.access import Caller
from core.errors import (
    Conflict,
    Invalid,
    NotFound,
    OpsbotError,
    Refused,
    StartupError,
    Unavailable,
    UserError,
)
from tests.bot_process import REPO, free_port, opsbot

OURS = ("core", "bot", "tools", "graphs", "knowledge")
CALLER = Caller("U1", "cli")


# Exceptions used as control flow that must NOT be an OpsbotError, each with the reason.
SIGNALS = {
    # raised inside the app after the body-limit middleware has already answered 413; as an
    # OpsbotError, Starlette's exception handler would catch it and answer a second time
    "bot.http.limits.BodyTooLarge": "stops the handler of an already-refused request",
    # raised by the supervisor's SIGTERM handler to unwind run_tree; it never leaves the
    # supervisor process, and as an OpsbotError a generic handler could swallow the stop
    "tools.remediation.supervisor._Stopped": "unwinds the supervisor on SIGTERM",
}


def _import_everything() -> list[str]:
    """Import every module under our packages (not `__main__`, which runs the CLI, nor the
    Alembic scripts, which are not packages). Returns the names imported."""
    names = []
    for top in OURS:
        package = importlib.import_module(top)
        names.append(top)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{top}."):
            if info.name.rsplit(".", 1)[-1] == "__main__":
                continue
            importlib.import_module(info.name)
            names.append(info.name)
    return names


def _all_subclasses(root: type) -> Iterator[type]:
    for sub in root.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_opsbot_exception_has_the_one_root() -> None:
    imported = _import_everything()
    assert len(imported) > 100  # the walk really went through the packages
    ours = {
        cls for cls in _all_subclasses(BaseException) if cls.__module__.split(".", 1)[0] in OURS
    }
    names = {cls.__name__ for cls in ours}
    # the classes the issue lists, so the walk cannot silently find nothing
    assert {"ToolError", "PromptNotFound", "ChromaUnavailable", "ApprovalError"} <= names
    assert {"SettingsError", "StorageError", "PrometheusError", "EndpointNotAllowed"} <= names
    outside = sorted(
        f"{c.__module__}.{c.__qualname__}"
        for c in ours
        if not issubclass(c, OpsbotError) and f"{c.__module__}.{c.__qualname__}" not in SIGNALS
    )
    assert outside == [], f"not under core.errors.OpsbotError: {outside}"


def test_each_class_is_the_kind_it_claims() -> None:
    from bot.approvals import ApprovalError
    from bot.cli import CliError
    from bot.incidents.alertmanager import PayloadError
    from bot.runtime import StartupError as RuntimeStartupError
    from bot.settings import SettingsError
    from bot.slack.usergroups import UsergroupLookupError
    from bot.storage.db import StorageError
    from knowledge.markdown import MarkdownError
    from tools.base import ToolError
    from tools.infra.endpoints import EndpointNotAllowed
    from tools.infra.prometheus import PrometheusQueryError, PrometheusUnavailable
    from tools.prompts.errors import PromptConflict, PromptError, PromptNotFound
    from tools.registry.errors import RegistryError
    from tools.runbooks.client import ChromaUnavailable
    from tools.runbooks.embedding import EmbeddingSetupError, EmbeddingUnavailable
    from tools.runbooks.hits import RunbookError

    assert RuntimeStartupError is StartupError
    kinds: dict[type, type] = {
        ToolError: UserError,
        CliError: UserError,
        PromptNotFound: NotFound,
        PromptConflict: Conflict,
        RegistryError: UserError,
        RunbookError: Invalid,
        MarkdownError: Invalid,
        PayloadError: Invalid,
        PrometheusQueryError: Invalid,
        ApprovalError: Refused,
        EndpointNotAllowed: Refused,
        ChromaUnavailable: Unavailable,
        PrometheusUnavailable: Unavailable,
        EmbeddingUnavailable: Unavailable,
        UsergroupLookupError: Unavailable,
        SettingsError: StartupError,
        StorageError: StartupError,
        EmbeddingSetupError: StartupError,
    }
    for cls, kind in kinds.items():
        assert issubclass(cls, kind), f"{cls.__name__} should be a {kind.__name__}"
    # the other bases callers catch them by stay
    assert issubclass(PromptNotFound, PromptError) and issubclass(PromptError, ValueError)
    assert issubclass(RegistryError, ToolError) and issubclass(RegistryError, ValueError)
    assert issubclass(ChromaUnavailable, RuntimeError)
    assert issubclass(EndpointNotAllowed, ValueError)
    # a class is one kind: never both a user error and unavailable, or unavailable and startup
    for cls in _all_subclasses(OpsbotError):
        kinds_of = [k for k in (UserError, Unavailable, StartupError) if issubclass(cls, k)]
        assert len(kinds_of) <= 1, f"{cls.__name__} is {kinds_of}"


def test_hint_follows_the_message() -> None:
    error = NotFound("unknown model 'x'", hint="try `opsbot models list`")
    assert str(error) == "unknown model 'x'"
    assert error.for_person() == "unknown model 'x' (try `opsbot models list`)"
    assert Invalid("bad").hint is None and Invalid("bad").for_person() == "bad"


# ---------------------------------------------------------------------------- tool results


def _tool(raises: Exception) -> object:
    from tools.base import NoArgs, OpsTool

    def run(_: BaseModel, __: Caller) -> object:
        raise raises

    return OpsTool(name="probe", description="raises what the test gives it", args=NoArgs, run=run)


@pytest.mark.parametrize(
    "error",
    [
        NotFound("unknown prompt 'x'"),
        Conflict("the label moved since the preview"),
        Invalid("k must be 1 to 20"),
        Refused("not one of the configured endpoints"),
    ],
)
def test_a_user_error_is_its_message(error: UserError) -> None:
    result = _tool(error).invoke({}, CALLER)  # type: ignore[attr-defined]
    assert not result.ok and result.text == str(error)


def test_unavailable_says_what_is_down() -> None:
    error = Unavailable("cannot reach the Chroma server at 127.0.0.1:1")
    result = _tool(error).invoke({}, CALLER)  # type: ignore[attr-defined]
    assert not result.ok
    assert (
        result.text == "probe cannot run right now: cannot reach the Chroma server at 127.0.0.1:1"
    )


@pytest.mark.parametrize("error", [KeyError("boom"), StartupError("no data directory")])
def test_anything_else_is_logged_with_its_traceback(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tools.base"):
        result = _tool(error).invoke({}, CALLER)  # type: ignore[attr-defined]
    assert not result.ok
    assert result.text == f"probe failed unexpectedly: {type(error).__name__}: {error}"
    logged = [r for r in caplog.records if r.name == "tools.base"]
    assert logged and logged[0].exc_info is not None and logged[0].exc_info[1] is error


def test_bad_arguments_are_still_a_tool_error() -> None:
    from tools.base import OpsTool

    class Args(BaseModel):
        k: int

    tool = OpsTool(name="probe", description="d", args=Args, run=lambda a, c: None)  # type: ignore[arg-type,return-value]
    result = tool.invoke({"k": "many"}, CALLER)
    assert not result.ok and result.text.startswith("bad arguments for probe: k:")


class _Prometheus(http.server.BaseHTTPRequestHandler):
    """Answers like Prometheus does to a bad query and to a server-side failure."""

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        blame = "bad_data" if "bad" in self.path else "internal"
        body = f'{{"status":"error","errorType":"{blame}","error":"{blame} here"}}'.encode()
        self.send_response(400 if blame == "bad_data" else 500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def prometheus() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_prometheus_splits_bad_queries_from_prometheus_being_down(prometheus: str) -> None:
    from tools.infra.prometheus import PrometheusError, query

    with pytest.raises(PrometheusError) as bad:
        query(prometheus, "bad(")
    assert isinstance(bad.value, Invalid) and "bad_data here" in str(bad.value)
    with pytest.raises(PrometheusError) as broken:
        query(prometheus, "up")
    assert isinstance(broken.value, Unavailable) and "internal here" in str(broken.value)
    with pytest.raises(PrometheusError) as down:
        query(f"http://127.0.0.1:{free_port()}", "up", timeout=5)
    assert isinstance(down.value, Unavailable) and "could not reach Prometheus" in str(down.value)


def test_an_unreachable_embedding_api_is_unavailable_and_a_bad_name_is_setup() -> None:
    from tools.runbooks.embedding import EmbeddingError, OpenAICompatibleEmbedder, make_embedder

    api = OpenAICompatibleEmbedder("m", base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(EmbeddingError, match="unreachable") as down:
        api.embed(["disk full"])
    assert isinstance(down.value, Unavailable)
    with pytest.raises(EmbeddingError, match="unknown embedding") as unknown:
        make_embedder("nosuch")
    assert isinstance(unknown.value, StartupError)


# ---------------------------------------------------------------------------- exit codes


def _one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("opsbot: ")
    return lines[0]


def test_cli_not_found_exits_1(tmp_path: Path) -> None:
    result = opsbot(
        "models", "show", "nosuch", cwd=tmp_path, env={"OPSBOT_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 1
    assert "unknown model 'nosuch'" in _one_clear_line(result.stderr)


def test_cli_bad_setting_exits_2(tmp_path: Path) -> None:
    result = opsbot("search", "disk", cwd=tmp_path, env={"PORT": "not-a-port"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "PORT" in result.stderr


def test_cli_startup_error_exits_1(tmp_path: Path) -> None:
    # a broken remediation allowlist is a StartupError (an unusable data directory is a bad
    # setting, exit 2: tests/core/test_operator_errors.py)
    config = tmp_path / "remediation.yml"
    config.write_text("services: [not, a, mapping\n")
    result = opsbot(
        "ask",
        "hi",
        cwd=tmp_path,
        env={"OPSBOT_DATA_DIR": str(tmp_path), "REMEDIATION_CONFIG": str(config)},
    )
    assert result.returncode == 1
    assert "remediation.yml" in _one_clear_line(result.stderr)


def test_cli_refused_exits_3(tmp_path: Path) -> None:
    result = opsbot("approve", "ap-nosuch", cwd=tmp_path, env={"OPSBOT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 3
    assert "no approval with id ap-nosuch" in _one_clear_line(result.stderr)


def test_cli_unavailable_exits_4(tmp_path: Path) -> None:
    env = {
        "OPSBOT_DATA_DIR": str(tmp_path),
        "OPSBOT_EMBEDDING": "hashing",
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(free_port()),
    }
    result = opsbot("ingest", "--quiet", cwd=tmp_path, env=env)
    assert result.returncode == 4, result.stderr
    assert "cannot reach the Chroma server at 127.0.0.1" in _one_clear_line(result.stderr)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("x"), 1),
        (Conflict("x"), 1),
        (Invalid("x"), 1),
        (UserError("x"), 1),
        (Refused("x"), 3),
        (Unavailable("x"), 4),
        (StartupError("x"), 1),
        (OpsbotError("x"), 1),
    ],
)
def test_exit_code_of_each_kind(error: OpsbotError, code: int) -> None:
    from bot.cli import CliError, exit_code
    from bot.settings import SettingsError

    assert exit_code(error) == code
    assert exit_code(SettingsError("PORT: not a number")) == 2
    assert exit_code(CliError("its own", 7)) == 7


# ---------------------------------------------------------------------------- HTTP statuses


def _raising(error: Exception) -> Callable[[Request], object]:
    def endpoint(_: Request) -> object:
        raise error

    return endpoint


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("unknown prompt 'x'"), 404),
        (Conflict("the label moved"), 409),
        (Invalid("invalid version 'x'"), 400),
        (Refused("not allowed"), 403),
        (UserError("cannot do that"), 400),
        (Unavailable("the database is down"), 503),
        (StartupError("misconfigured"), 500),
    ],
)
def test_http_status_of_each_kind(
    error: OpsbotError, status: int, make_runtime: Callable[..., object]
) -> None:
    from bot.http.app import create_app

    app = create_app(
        make_runtime().http_deps(), [Route("/probe", _raising(error), methods=["GET"])]
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/probe")
    assert response.status_code == status
    assert response.json() == {"error": str(error)}


def test_http_leaves_other_exceptions_to_the_server(make_runtime: Callable[..., object]) -> None:
    from bot.http.app import create_app

    app = create_app(
        make_runtime().http_deps(), [Route("/probe", _raising(KeyError("bug")), methods=["GET"])]
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/probe")
    assert response.status_code == 500 and "bug" not in response.text


# ---------------------------------------------------------------------------- the kernel


def test_core_imports_nothing_of_ours() -> None:
    ours = set(OURS) - {"core"}
    found = []
    files = sorted((REPO / "core").glob("*.py"))
    assert files
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] if node.level == 0 else []
            else:
                continue
            found += [f"{path.name}: {m}" for m in modules if m.split(".")[0] in ours]
    assert found == []
