"""Fixtures for the registry tests: registries on SQLite/PostgreSQL, and real MLflow
(in process on a SQLite file, and as `mlflow server` on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.storage.db import make_engine, migrate
from tools.registry.service import ModelRegistry
from tools.registry.store import BuiltinBackend

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "tools" / "registry" / "demo_data"
BIKE_REF = DEMO / "bike-sharing" / "reference_2011-01-01_2011-01-28.csv"
BIKE_CUR = DEMO / "bike-sharing" / "current_2011-01-29_2011-02-28.csv"
FRAUD_REF = DEMO / "fraud-detector" / "reference.csv"
FRAUD_CUR = DEMO / "fraud-detector" / "current.csv"
BIKE_FEATURES = [
    "season", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit",
    "temp", "atemp", "hum", "windspeed",
]  # fmt: skip
BIKE_DRIFTED = {"temp", "atemp", "hum", "windspeed", "mnth", "weathersit"}


def _mlflow_reason() -> str | None:
    try:
        import mlflow  # noqa: F401
    except Exception as exc:  # the reason is shown in the skip message
        return f"mlflow is not importable ({type(exc).__name__}: {exc}); install the 'mlflow' extra"
    return None


MLFLOW_REASON = _mlflow_reason()


@pytest.fixture
def engine(database_url: str | None, tmp_path: Path) -> Iterator[Any]:
    """A migrated engine on SQLite and on PostgreSQL (parametrised by `database_url`)."""
    eng = make_engine(database_url or f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Any]:
    eng = make_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def registry(engine: Any) -> ModelRegistry:
    return ModelRegistry(engine, BuiltinBackend(engine))


@pytest.fixture
def sqlite_registry(sqlite_engine: Any) -> ModelRegistry:
    return ModelRegistry(sqlite_engine, BuiltinBackend(sqlite_engine))


def add_model(
    registry: ModelRegistry,
    name: str = "bike-demand",
    versions: int = 3,
    *,
    with_data: bool = True,
    production_path: tuple[int, ...] = (1, 2, 3),
) -> None:
    """A model with `versions` READY versions (rmse falling), drift data and a production path."""
    for number in range(1, versions + 1):
        registry.register_version(
            name,
            f"s3://models/{name}/{number}",
            metrics={"rmse": 60.0 - 5 * number, "r2": 0.7 + 0.05 * number},
            params={"algorithm": "gbm"},
            creator="tester",
            reference=str(BIKE_REF) if with_data else None,
            current=str(BIKE_CUR) if with_data else None,
            drift_options={"columns": BIKE_FEATURES, "numerical": BIKE_FEATURES}
            if with_data
            else None,
        )
    for number in production_path:
        registry.set_alias(name, "production", number, actor="tester", reason="setup")


# ---------------------------------------------------------------------- MLflow
@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite database with its schema created once (first use runs Alembic)."""
    if MLFLOW_REASON:
        pytest.skip(MLFLOW_REASON)
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                log.flush()
                raise RuntimeError(
                    f"mlflow server exited with {proc.returncode}:\n"
                    + (base / "server.log").read_text()[-3000:]
                )
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not answer /health within 180 s")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


BackendFactory = Callable[[Any], Any]
