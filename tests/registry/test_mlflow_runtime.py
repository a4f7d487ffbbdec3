"""The whole registry on real MLflow: `opsbot demo`, the drift question and an approved
rollback with MLFLOW_TRACKING_URI set (in process on SQLite, and via `mlflow server`).
MLflow holds models, versions (metrics in runs) and aliases; opsbot's database holds the
alias history and drift reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.registry.conftest import MLFLOW_REASON
from tools.registry.demo import seed_demo

pytestmark = pytest.mark.skipif(MLFLOW_REASON is not None, reason=MLFLOW_REASON or "")


def _rollback_flow(runtime: Any, mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    lines = seed_demo(runtime.registry)
    assert any("bike-demand: created, 3 versions" in line for line in lines), lines
    assert runtime.registry.backend.kind == "mlflow"
    client = MlflowClient(tracking_uri=mlflow_uri, registry_uri=mlflow_uri)
    assert client.get_model_version_by_alias("bike-demand", "production").version in (3, "3")
    v2 = client.get_model_version("bike-demand", "2")
    assert client.get_run(v2.run_id).data.metrics["rmse"] == 45.3

    thread = "mlflow-rb"
    turn = runtime.agent.ask(
        "is bike-demand drifting?", thread_id="q", caller=runtime.console_caller("q")
    )
    assert turn.answer.startswith("Yes, bike-demand is drifting: 6 of 11 features drifted")
    turn = runtime.agent.ask(
        "roll back bike-demand", thread_id=thread, caller=runtime.console_caller(thread)
    )
    view = turn.pending[0]
    assert "rmse: 45.3 vs 41.9 (+3.4, +8.1%, worse)" in view.preview
    runtime.approval_flow.decide_and_resume(
        view.id, user=runtime.terminal.user, approve=True, via="console"
    )
    assert runtime.approvals.view(view.id).status == "executed"
    assert str(client.get_model_version_by_alias("bike-demand", "production").version) == "2"
    history = runtime.registry.alias_history("bike-demand", "production")
    assert [(c.from_version, c.to_version) for c in history][-1] == (3, 2)
    assert seed_demo(runtime.registry)  # idempotent on MLflow too
    assert len(client.search_model_versions("name='bike-demand'")) == 3


def test_demo_and_rollback_on_mlflow_in_process(
    make_runtime: Callable[..., Any], mlflow_sqlite_uri: str
) -> None:
    runtime = make_runtime(mlflow_tracking_uri=mlflow_sqlite_uri)
    _rollback_flow(runtime, mlflow_sqlite_uri)


def test_demo_and_rollback_on_an_mlflow_server(
    make_runtime: Callable[..., Any], mlflow_server: str
) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    for name in ("bike-demand", "fraud-detector"):  # the server is shared by the session
        if client.search_registered_models(f"name='{name}'"):
            client.delete_registered_model(name)
    runtime = make_runtime(mlflow_tracking_uri=mlflow_server)
    _rollback_flow(runtime, mlflow_server)
