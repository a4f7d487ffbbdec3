"""Scheduled drift checks report a finding only on dataset drift; the demo workspace is
idempotent and gives the known answers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.registry.conftest import BIKE_CURRENT, BIKE_DRIFTED, BIKE_REFERENCE, add_model
from tools.registry.checks import CHECK_FAILED, MODEL_DRIFT, check_drift, check_model, drift_checks
from tools.registry.demo import seed_registry
from tools.registry.service import ModelRegistry


def test_drift_check_reports_dataset_drift_with_labels(registry: ModelRegistry) -> None:
    add_model(registry, production_path=(3,))
    findings = check_drift(registry)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.kind == MODEL_DRIFT
    assert finding.key == "bike-demand:v3"
    assert finding.labels["alertname"] == "ModelDataDrift"
    assert (finding.labels["model"], finding.labels["version"]) == ("bike-demand", "3")
    assert "6 of 11 features" in finding.title
    for name in BIKE_DRIFTED:
        assert f"• {name}:" in finding.evidence
    stored = registry.drift_history("bike-demand", 3)[0]
    assert stored.trigger == "scheduler"  # the check stored a fresh report
    assert str(stored.id) == finding.labels["report_id"]


def test_no_finding_without_drift_or_without_data(registry: ModelRegistry, tmp_path: Path) -> None:
    registry.register_version(
        "calm", "s3://m/1", reference=str(BIKE_REFERENCE), current=str(BIKE_REFERENCE),
        drift_options={"columns": ["temp", "hum"]},
    )  # fmt: skip
    registry.set_alias("calm", "production", 1, actor="t")
    add_model(registry, "no-data", versions=1, with_data=False, production_path=(1,))
    add_model(registry, "not-live", versions=1, production_path=())
    assert set(drift_checks(registry)) == {"calm", "no-data", "not-live"}
    assert check_drift(registry) == []


def test_a_broken_check_is_reported_not_hidden(registry: ModelRegistry, tmp_path: Path) -> None:
    cur = tmp_path / "cur.csv"
    shutil.copy(BIKE_CURRENT, cur)
    registry.register_version("m", "s3://m/1", reference=str(BIKE_REFERENCE), current=str(cur))
    registry.set_alias("m", "production", 1, actor="t")
    cur.unlink()
    [finding] = check_model(registry, "m")
    assert finding.kind == CHECK_FAILED
    assert finding.labels["alertname"] == "ModelDriftCheckFailed"
    assert "data file not found" in finding.summary


def test_demo_is_idempotent_and_gives_the_known_answers(registry: ModelRegistry) -> None:
    first = seed_registry(registry)
    assert any("bike-demand: created, 3 versions" in line for line in first)
    snapshot = _state(registry)
    second = seed_registry(registry)
    assert _state(registry) == snapshot
    assert any(
        "bike-demand: present, 3 versions; production → v3, staging → v2" in line for line in second
    )
    bike = registry.drift("bike-demand").report
    assert {f.name for f in bike.drifted_features} == BIKE_DRIFTED and bike.dataset_drift
    fraud = registry.drift("fraud-detector").report
    assert not fraud.dataset_drift and fraud.n_drifted == 0 and fraud.n_features == 7
    assert registry.plan_alias("bike-demand", "production").target == 2


def test_demo_leaves_a_moved_alias_alone(registry: ModelRegistry) -> None:
    seed_registry(registry)
    registry.set_alias("bike-demand", "production", actor="ann")  # roll back to v2
    seed_registry(registry)
    assert registry.get_model("bike-demand").aliases["production"] == 2


def _state(registry: ModelRegistry) -> Any:
    return [
        (m.name, m.n_versions, m.aliases, len(registry.alias_history(m.name)))
        for m in registry.list_models()
    ]
