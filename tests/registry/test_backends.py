"""The backend contract, run on the built-in store and on real MLflow (in process on a
SQLite file, and through `mlflow server` on 127.0.0.1): same operations, same errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.registry.conftest import MLFLOW_REASON, unique
from tools.registry.entities import NewVersion
from tools.registry.errors import RegistryError
from tools.registry.mlflow_backend import MlflowBackend, safe_uri
from tools.registry.service import ModelRegistry
from tools.registry.store import BuiltinBackend


@pytest.fixture(params=["builtin", "mlflow-inprocess", "mlflow-server"])
def backend(request: pytest.FixtureRequest, sqlite_engine: Any) -> Iterator[Any]:
    if request.param == "builtin":
        yield BuiltinBackend(sqlite_engine)
        return
    if MLFLOW_REASON:
        pytest.skip(MLFLOW_REASON)
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


@pytest.mark.skipif(MLFLOW_REASON is not None, reason=MLFLOW_REASON or "")
def test_mlflow_reads_metrics_from_the_run_and_refuses_mixed_input(mlflow_sqlite_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_sqlite_uri, registry_uri=mlflow_sqlite_uri)
    experiment = client.create_experiment("training")
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "auc", 0.91)
    client.log_param(run.info.run_id, "depth", "6")
    client.create_registered_model("fraud")
    client.create_model_version("fraud", "s3://m/1", run_id=run.info.run_id)
    backend = MlflowBackend(mlflow_sqlite_uri)
    version = backend.get_version("fraud", 1)
    assert version.metrics == {"auc": 0.91}
    assert version.params == {"depth": "6"}
    assert version.run_id == run.info.run_id
    with pytest.raises(RegistryError, match="either run_id or metrics"):
        backend.create_version(
            "fraud", NewVersion(source="s3://m/2", run_id=run.info.run_id, metrics={"auc": 0.9})
        )
    with pytest.raises(RegistryError, match="status itself"):
        backend.create_version(
            "fraud", NewVersion(source="s3://m/2", status="PENDING_REGISTRATION")
        )
    assert backend.get_model("fraud").n_versions == 1  # nothing was added


@pytest.mark.skipif(MLFLOW_REASON is not None, reason=MLFLOW_REASON or "")
def test_unreachable_mlflow_server_is_a_clear_error_quickly() -> None:
    from tests.bot_process import free_port

    backend = MlflowBackend(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RegistryError, match=r"MLflow at http://127\.0\.0\.1:\d+ is unreachable"):
        backend.model_names()


def test_safe_uri_hides_passwords() -> None:
    assert "secret" not in safe_uri("http://user:secret@mlflow:5000")
    assert "secret" not in safe_uri("postgresql://user:secret@db/mlflow")
    assert safe_uri("sqlite:///x.db") == "sqlite:///x.db"
