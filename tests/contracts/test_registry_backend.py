"""`tools.registry.entities.RegistryBackend`, run on the built-in store and on real MLflow
(in process on a SQLite file, and through `mlflow server` on 127.0.0.1): same operations,
same errors (`RegistryError` with a clear message for unknown names), history kept by the
service beside any backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.db import make_engine, migrate
from tests.mlflow_stores import mlflow_reason
from tools.registry.entities import NewVersion
from tools.registry.errors import RegistryError
from tools.registry.mlflow_backend import MlflowBackend
from tools.registry.service import ModelRegistry
from tools.registry.store import BuiltinBackend


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Any]:
    eng = make_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture(params=["builtin", "mlflow-inprocess", "mlflow-server"])
def backend(request: pytest.FixtureRequest, sqlite_engine: Any) -> Iterator[Any]:
    if request.param == "builtin":
        yield BuiltinBackend(sqlite_engine)
        return
    reason = mlflow_reason()
    if reason:
        pytest.skip(reason)
    if request.param == "mlflow-inprocess":
        yield MlflowBackend(request.getfixturevalue("mlflow_sqlite_uri"))
    else:
        yield MlflowBackend(request.getfixturevalue("mlflow_server"))


def test_models_versions_and_aliases(backend: Any) -> None:
    name = unique("churn")
    backend.create_model(name, "churn model", {"team": "growth"})
    with pytest.raises(RegistryError, match="already registered"):
        backend.create_model(name)
    v1 = backend.create_version(
        name,
        NewVersion(
            source="s3://m/1", metrics={"rmse": 3.5}, params={"alpha": "0.1"}, creator="ann"
        ),
    )
    v2 = backend.create_version(name, NewVersion(source="s3://m/2", metrics={"rmse": 3.1}))
    assert (v1.version, v2.version) == (1, 2)
    assert v1.metrics == {"rmse": 3.5}
    assert v1.params == {"alpha": "0.1"}
    assert v1.status == "READY"
    assert v1.created_at is not None and v1.created_at.tzinfo is not None

    assert backend.get_alias(name, "production") is None
    backend.set_alias(name, "production", 1)
    backend.set_alias(name, "staging", 2)
    assert backend.get_alias(name, "production") == 1
    backend.set_alias(name, "production", 2)
    assert backend.get_alias(name, "production") == 2

    model = backend.get_model(name)
    assert model.description == "churn model"
    assert model.tags == {"team": "growth"}
    assert model.aliases == {"production": 2, "staging": 2}
    assert (model.n_versions, model.latest_version) == (2, 2)

    versions = backend.list_versions(name)
    assert [v.version for v in versions] == [2, 1]  # newest first
    assert versions[0].aliases == ["production", "staging"]
    assert backend.get_version(name, 1).aliases == []

    assert name in backend.model_names()
    listed = backend.list_models(name[:8])
    assert name in [m.name for m in listed]

    backend.delete_alias(name, "staging")
    assert backend.get_alias(name, "staging") is None
    with pytest.raises(RegistryError, match="no alias 'staging'"):
        backend.delete_alias(name, "staging")

    updated = backend.update_model(name, description="new text", tags={"tier": "1"})
    assert updated.description == "new text"
    assert updated.tags == {"team": "growth", "tier": "1"}


def test_unknown_names_are_clear_errors(backend: Any) -> None:
    name = unique("fraud")
    backend.create_model(name)
    backend.create_version(name, NewVersion(source="s3://m/1"))
    with pytest.raises(RegistryError, match=r"unknown model 'nope-model'"):
        backend.get_model("nope-model")
    with pytest.raises(RegistryError, match=r"did you mean"):
        backend.get_model(name + "x")
    with pytest.raises(RegistryError, match=r"has no version 7; it has v1"):
        backend.get_version(name, 7)
    with pytest.raises(RegistryError, match=r"has no version 7"):
        backend.set_alias(name, "production", 7)
    with pytest.raises(RegistryError, match="unknown model"):
        backend.get_alias("nope-model", "production")
    assert backend.get_alias(name, "production") is None


def test_registry_history_works_on_every_backend(backend: Any, sqlite_engine: Any) -> None:
    """The service keeps the alias history beside any backend; rollback is one step back."""
    registry = ModelRegistry(sqlite_engine, backend)
    name = unique("demand")
    for number in (1, 2, 3):
        registry.register_version(name, f"s3://m/{number}", metrics={"rmse": 10.0 - number})
    for number in (1, 2, 3):
        registry.set_alias(name, "production", number, actor="t")
    plan = registry.plan_alias(name, "production")
    assert (plan.current, plan.target, plan.rollback) == (3, 2, True)
    assert [d.verdict for d in plan.deltas] == ["worse"]
    change = registry.set_alias(
        name, "production", None, actor="t", expected_current=3, expected_target=2
    )
    assert (change.from_version, change.to_version, change.kind) == (3, 2, "rollback")
    assert backend.get_alias(name, "production") == 2
    assert [c.to_version for c in registry.alias_history(name)] == [1, 2, 3, 2]
