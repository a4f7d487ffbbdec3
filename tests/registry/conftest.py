"""Fixtures for the registry tests: registries on the migrated `engine` (SQLite and
PostgreSQL, tests/conftest.py), and real MLflow (in process on a SQLite file, and as
`mlflow server` on 127.0.0.1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.db import make_engine, migrate
from tests.mlflow_stores import mlflow_reason
from tools.registry.demo import BIKE_CURRENT, BIKE_FEATURES, BIKE_REFERENCE
from tools.registry.service import ModelRegistry
from tools.registry.store import BuiltinBackend

# the demo's bike-sharing data (tools/registry/demo.py); on these features, these drift
BIKE_DRIFTED = {"temp", "atemp", "hum", "windspeed", "mnth", "weathersit"}

MLFLOW_REASON = mlflow_reason()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Any]:
    eng = make_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def registry(engine: Any) -> ModelRegistry:
    return ModelRegistry(engine, BuiltinBackend(engine))


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
            reference=str(BIKE_REFERENCE) if with_data else None,
            current=str(BIKE_CURRENT) if with_data else None,
            drift_options={"columns": BIKE_FEATURES, "numerical": BIKE_FEATURES}
            if with_data
            else None,
        )
    for number in production_path:
        registry.set_alias(name, "production", number, actor="tester", reason="setup")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


BackendFactory = Callable[[Any], Any]
