"""Real MLflow stores for the tests (a pytest plugin, tests/conftest.py): in process on a
SQLite file copied from a template made once, and as `mlflow server` on 127.0.0.1, one per
session. Shared by tests/registry and tests/contracts."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot_process import free_port, wait_ok


@functools.cache
def mlflow_reason() -> str | None:
    """Why MLflow cannot be used here, or None. Asked lazily: importing mlflow takes seconds,
    and this plugin loads in every test session."""
    try:
        import mlflow  # noqa: F401
    except Exception as exc:  # the reason is shown in the skip message
        return f"mlflow is not importable ({type(exc).__name__}: {exc}); install the 'mlflow' extra"
    return None


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite database with its schema created once (first use runs Alembic)."""
    reason = mlflow_reason()
    if reason:
        pytest.skip(reason)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    client = MlflowClient(tracking_uri=f"sqlite:///{path}", registry_uri=f"sqlite:///{path}")
    client.search_registered_models()
    client.search_experiments()
    return path


@pytest.fixture
def mlflow_sqlite_uri(mlflow_template: Path, tmp_path: Path) -> str:
    """A fresh in-process MLflow store (a copy of the template)."""
    path = tmp_path / "mlflow.db"
    shutil.copy(mlflow_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def mlflow_server(mlflow_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` on 127.0.0.1 with a SQLite backend, for the whole session."""
    base = tmp_path_factory.mktemp("mlflow-server")
    db = base / "mlflow.db"
    shutil.copy(mlflow_template, db)
    port = free_port()
    exe = Path(sys.executable).with_name("mlflow")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "mlflow"]
    log = (base / "server.log").open("w")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.Popen(
        [
            *command,
            "server",
            "--backend-store-uri",
            f"sqlite:///{db}",
            "--default-artifact-root",
            str(base / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group, so teardown stops its workers too
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_ok(f"{url}/health", proc, 180):
            if proc.poll() is not None:
                log.flush()
                raise RuntimeError(
                    f"mlflow server exited with {proc.returncode}:\n"
                    + (base / "server.log").read_text()[-3000:]
                )
            raise RuntimeError("mlflow server did not answer /health within 180 s")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
