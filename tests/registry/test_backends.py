"""What only the MLflow backend does (metrics from the run, a clear error when the server is
unreachable, passwords hidden). The contract all backends share: tests/contracts."""

from __future__ import annotations

import pytest

from tests.registry.conftest import MLFLOW_REASON
from tools.registry.entities import NewVersion
from tools.registry.errors import RegistryError
from tools.registry.mlflow_backend import MlflowBackend
from tools.registry.mlflow_convert import safe_uri


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
