"""`tools.registry.entities.RegistryBackend`, run on the built-in store and on real MLflow
(in process on a SQLite file, and through `mlflow server` on 127.0.0.1): same operations,
same errors (`RegistryError` with a clear message for unknown names), history kept by the
service beside any backend."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.db import make_engine, migrate
from tests.mlflow_stores import mlflow_reason
from tools.registry.entities import NewVersion
from tools.registry.errors import RegistryError
from tools.registry.mlflow_backend import EXPERIMENT_NAME, MlflowBackend
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


# ---------------------------------------------------------------------- MLflow 3 logged models
@pytest.mark.parametrize(
    ("source", "model_id", "message"),
    [
        ("models:/churn/3", None, "registered-model reference"),
        ("models:/churn@production", None, "registered-model reference"),
        ("models:/bogus!", None, "not an MLflow 3 logged model"),
        ("s3://m/1", "model-7", "invalid model id"),
        ("models:/m-abc123", "m-def456", "different logged models"),
    ],
)
def test_bad_sources_are_refused_before_anything_is_written(
    backend: Any, sqlite_engine: Any, source: str, model_id: str | None, message: str
) -> None:
    registry = ModelRegistry(sqlite_engine, backend)
    name = unique("bad-src")
    with pytest.raises(RegistryError, match=message) as caught:
        registry.register_version(name, source, model_id=model_id)
    if "different" not in message:
        assert "models:/m-<id>" in str(caught.value)  # says what is accepted
    assert name not in backend.model_names()


def test_builtin_keeps_the_logged_model_and_shows_it(sqlite_engine: Any) -> None:
    from tools.registry.render import status_text

    registry = ModelRegistry(sqlite_engine, BuiltinBackend(sqlite_engine))
    name = unique("logged")
    v1 = registry.register_version(name, "models:/m-0a1b2c")
    v2 = registry.register_version(name, "s3://m/2", model_id="m-ffee01")
    v3 = registry.register_version(name, "s3://m/3")
    assert (v1.model_id, v2.model_id, v3.model_id) == ("m-0a1b2c", "m-ffee01", None)
    assert registry.version(name, 1).to_dict()["model_id"] == "m-0a1b2c"
    text = status_text(registry.status(name))
    assert "From MLflow logged models: v2 ← m-ffee01, v1 ← m-0a1b2c" in text


class _Echo:
    """A pyfunc model that returns its input (the smallest model MLflow will log)."""

    def predict(self, context: Any, model_input: list[Any], params: Any = None) -> list[Any]:
        return model_input


def _log_tiny_model(uri: str, artifacts: Path) -> tuple[str, str, str]:
    """Log a model with MLflow 3's own API; (model_uri, model_id, run_id)."""
    import mlflow
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    class Echo(_Echo, mlflow.pyfunc.PythonModel):
        pass

    with _use_tracking_uri(uri):
        experiment_id = mlflow.create_experiment(unique("train"), artifacts.as_uri())
        with mlflow.start_run(experiment_id=experiment_id) as run:
            info = mlflow.pyfunc.log_model(
                name="model", python_model=Echo(), pip_requirements=["mlflow"]
            )
    return info.model_uri, info.model_id, run.info.run_id


@pytest.fixture(params=["mlflow-inprocess", "mlflow-server"])
def mlflow_backend(request: pytest.FixtureRequest) -> MlflowBackend:
    reason = mlflow_reason()
    if reason:
        pytest.skip(reason)
    fixture = "mlflow_sqlite_uri" if request.param == "mlflow-inprocess" else "mlflow_server"
    return MlflowBackend(request.getfixturevalue(fixture))


def test_mlflow_registers_a_logged_model_from_its_models_uri(
    mlflow_backend: MlflowBackend, sqlite_engine: Any, tmp_path: Path
) -> None:
    model_uri, model_id, run_id = _log_tiny_model(mlflow_backend.uri, tmp_path / "artifacts")
    assert model_uri == f"models:/{model_id}" and model_id.startswith("m-")
    registry = ModelRegistry(sqlite_engine, mlflow_backend)
    name = unique("logged")
    version = registry.register_version(name, model_uri)
    assert (version.version, version.source, version.model_id) == (1, model_uri, model_id)
    assert version.run_id == run_id  # MLflow takes the run from the logged model
    again = registry.register_version(name, "s3://copies/model", model_id=model_id)
    assert again.model_id == model_id
    logged = mlflow_backend.client.get_logged_model(model_id)
    links = json.loads(logged.tags["mlflow.modelVersions"])
    assert [(link["name"], str(link["version"])) for link in links] == [(name, "1"), (name, "2")]


def _opsbot_runs(backend: MlflowBackend) -> set[str]:
    """Ids of the live runs opsbot made (the server store is shared by the session)."""
    experiment = backend.client.get_experiment_by_name(EXPERIMENT_NAME)
    if experiment is None:
        return set()
    return {r.info.run_id for r in backend.client.search_runs([experiment.experiment_id])}


def test_a_refused_registration_leaves_no_orphan_run(
    mlflow_backend: MlflowBackend, sqlite_engine: Any
) -> None:
    registry = ModelRegistry(sqlite_engine, mlflow_backend)
    name = unique("orphan")
    before = _opsbot_runs(mlflow_backend)
    with pytest.raises(RegistryError, match="has no logged model 'm-0000deadbeef'"):
        registry.register_version(name, "s3://m/1", model_id="m-0000deadbeef", metrics={"a": 1})
    with pytest.raises(RegistryError, match="has no logged model"):
        registry.register_version(name, "models:/m-0000deadbeef", metrics={"a": 1})
    # a tag opsbot allows but MLflow refuses: the run exists when MLflow says no
    with pytest.raises(RegistryError, match="refused to register a version"):
        registry.register_version(name, "s3://m/1", metrics={"rmse": 1.0}, tags={"bad!key": "x"})
    assert _opsbot_runs(mlflow_backend) == before
    assert mlflow_backend.list_versions(name) == []
    kept = registry.register_version(name, "s3://m/1", metrics={"rmse": 1.0})
    assert _opsbot_runs(mlflow_backend) == before | {kept.run_id}
