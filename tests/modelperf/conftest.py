"""Fixtures for the model performance tests: the intake and reports on a migrated database
(SQLite and PostgreSQL) with the built-in model registry, and the bike-sharing data."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tools.modelperf.options import Options
from tools.modelperf.service import ModelPerf
from tools.modelperf.store import PredictionStore
from tools.registry.service import ModelRegistry
from tools.registry.store import BuiltinBackend

BIKE = Path("/work/shared/data/drift/bike-sharing/hour.csv")
FEATURES = ["yr", "season", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit",
            "temp", "atemp", "hum", "windspeed"]  # fmt: skip


@pytest.fixture
def registry(engine: Any) -> ModelRegistry:
    return ModelRegistry(engine, BuiltinBackend(engine))


@pytest.fixture
def perf(engine: Any, registry: ModelRegistry) -> ModelPerf:
    return ModelPerf(PredictionStore(engine), lambda: registry, Options())


def register(
    registry: ModelRegistry, name: str = "churn", versions: int = 1, **metrics: float
) -> None:
    for number in range(1, versions + 1):
        registry.register_version(
            name, f"s3://models/{name}/{number}", metrics=dict(metrics), creator="tester"
        )


@dataclass
class Bike:
    """hour.csv as arrays: features, counts, hourly timestamps (UTC)."""

    x: np.ndarray
    y: np.ndarray
    ts: list[datetime]

    def features(self, i: int) -> dict[str, float]:
        return {name: float(self.x[i, j]) for j, name in enumerate(FEATURES)}


@pytest.fixture(scope="session")
def bike() -> Bike:
    with BIKE.open() as handle:
        rows = list(csv.DictReader(handle))
    x = np.array([[float(r[f]) for f in FEATURES] for r in rows])
    y = np.array([float(r["cnt"]) for r in rows])
    ts = [
        datetime.fromisoformat(r["dteday"]).replace(tzinfo=UTC) + timedelta(hours=int(r["hr"]))
        for r in rows
    ]
    return Bike(x, y, ts)
