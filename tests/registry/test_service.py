"""Alias moves, rollback and history on SQLite and PostgreSQL; every bad input is a clear
error and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.registry.conftest import BIKE_CURRENT, BIKE_REFERENCE, add_model
from tools.base import ToolError
from tools.registry.errors import RegistryError
from tools.registry.service import ModelRegistry
from tools.registry.tables import AliasChangeRow


def _snapshot(registry: ModelRegistry, name: str) -> tuple[Any, ...]:
    model = registry.get_model(name)
    return (model.aliases, model.n_versions, len(registry.alias_history(name)))


def test_register_versions_and_read_them_back(registry: ModelRegistry) -> None:
    add_model(registry, production_path=(3,))
    versions = registry.versions("bike-demand")
    assert [v.version for v in versions] == [3, 2, 1]
    assert versions[0].metrics == {"rmse": 45.0, "r2": 0.85}
    assert versions[0].creator == "tester"
    assert registry.version("bike-demand", "production").version == 3
    assert registry.version("bike-demand", "latest").version == 3
    assert registry.version("bike-demand", "v2").version == 2
    assert registry.drift_spec("bike-demand", 2) is not None


def test_rollback_walks_back_one_step_at_a_time(registry: ModelRegistry) -> None:
    add_model(registry)  # production: 1 -> 2 -> 3
    plan = registry.plan_alias("bike-demand", "production")
    assert (plan.current, plan.target, plan.rollback, plan.stack) == (3, 2, True, [1, 2, 3])
    text = plan.text()
    assert "from v3 to v2" in text
    assert "rmse: 50 vs 45 (+5, +11.1%, worse)" in text
    assert "Drift of v2: DRIFT: 6 of 11 features drifted" in text

    registry.set_alias("bike-demand", "production", actor="ann", reason="bad release")
    assert registry.get_model("bike-demand").aliases["production"] == 2
    registry.set_alias("bike-demand", "production", actor="ann")
    assert registry.get_model("bike-demand").aliases["production"] == 1
    with pytest.raises(RegistryError, match="no earlier holder"):
        registry.plan_alias("bike-demand", "production")
    history = registry.alias_history("bike-demand", "production")
    assert [(c.from_version, c.to_version, c.kind) for c in history] == [
        (None, 1, "set"),
        (1, 2, "set"),
        (2, 3, "set"),
        (3, 2, "rollback"),
        (2, 1, "rollback"),
    ]
    assert history[3].actor == "ann" and history[3].reason == "bad release"
    assert history[3].at.tzinfo is not None
    # setting forward again starts a new step: a rollback now returns to 1
    registry.set_alias("bike-demand", "production", 3, actor="ann")
    assert registry.plan_alias("bike-demand", "production").target == 1


def test_alias_changed_since_preview_is_refused(registry: ModelRegistry) -> None:
    add_model(registry)
    plan = registry.plan_alias("bike-demand", "production")
    registry.set_alias("bike-demand", "production", 1, actor="someone-else")
    before = _snapshot(registry, "bike-demand")
    with pytest.raises(RegistryError, match="changed since this was previewed"):
        registry.set_alias(
            "bike-demand",
            "production",
            actor="ann",
            expected_current=plan.current,
            expected_target=plan.target,
        )
    assert _snapshot(registry, "bike-demand") == before


def test_rollback_target_changed_since_preview_is_refused(registry: ModelRegistry) -> None:
    add_model(registry)
    with pytest.raises(RegistryError, match="rollback target"):
        registry.set_alias(
            "bike-demand", "production", actor="ann", expected_current=3, expected_target=1
        )
    assert registry.get_model("bike-demand").aliases["production"] == 3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.plan_alias("nope", "production", 1), "unknown model 'nope'"),
        (
            lambda r: r.plan_alias("bike-demand", "production", 9),
            "has no version 9; it has v1, v2, v3",
        ),
        (lambda r: r.plan_alias("bike-demand", "latest", 2), "reserved"),
        (lambda r: r.plan_alias("bike-demand", "v2", 2), "reserved"),
        (lambda r: r.plan_alias("bike-demand", "prod uction", 2), "only contain"),
        (lambda r: r.plan_alias("bike-demand", "production", 3), "already points to v3"),
        (lambda r: r.plan_alias("bike-demand", "production", "two"), "positive whole number"),
        (
            lambda r: r.plan_alias("bike-demand", "staging"),
            "not set, so there is nothing to roll back",
        ),
        (lambda r: r.set_alias("bike-demand", "production", 4, actor="x"), "PENDING_REGISTRATION"),
        (
            lambda r: r.resolve("bike-demand", "canary"),
            "no alias 'canary'; its aliases: production",
        ),
    ],
)
def test_bad_alias_requests_change_nothing(
    registry: ModelRegistry, call: Any, message: str
) -> None:
    add_model(registry)
    registry.register_version("bike-demand", "s3://models/4", status="PENDING_REGISTRATION")
    before = _snapshot(registry, "bike-demand")
    with pytest.raises(RegistryError, match=message):
        call(registry)
    assert _snapshot(registry, "bike-demand") == before


def test_alias_moved_outside_opsbot_needs_an_explicit_version(registry: ModelRegistry) -> None:
    add_model(registry)
    registry.backend.set_alias("bike-demand", "production", 1)  # behind opsbot's back
    with pytest.raises(RegistryError, match="moved outside opsbot"):
        registry.plan_alias("bike-demand", "production")
    change = registry.set_alias("bike-demand", "production", 2, actor="ann")
    assert (change.from_version, change.to_version) == (1, 2)


def test_bad_registrations_change_nothing(registry: ModelRegistry, tmp_path: Any) -> None:
    add_model(registry, production_path=(1,))
    before = _snapshot(registry, "bike-demand")
    bad: list[tuple[dict[str, Any], str]] = [
        ({"source": ""}, "source"),
        ({"source": "s3://m", "metrics": {"rmse": "high"}}, "metric 'rmse' must be a number"),
        ({"source": "s3://m", "status": "DONE"}, "invalid version status"),
        ({"source": "s3://m", "reference": str(BIKE_REFERENCE)}, "both a reference and a current"),
        (
            {"source": "s3://m", "reference": str(BIKE_REFERENCE), "current": str(tmp_path / "x.xlsx")},
            "unsupported data file type",
        ),
        (
            {"source": "s3://m", "reference": str(BIKE_REFERENCE), "current": str(BIKE_CURRENT),
             "drift_options": {"method": "magic"}},
            "unknown drift test 'magic'",
        ),
    ]  # fmt: skip
    for kwargs, message in bad:
        with pytest.raises(ToolError, match=message):
            registry.register_version("bike-demand", **kwargs)
    with pytest.raises(RegistryError, match="invalid model name"):
        registry.register_version("bad name", "s3://m")
    assert _snapshot(registry, "bike-demand") == before
    assert registry.model_names() == ["bike-demand"]


def test_history_is_kept_per_registry_backend(registry: ModelRegistry, engine: Any) -> None:
    add_model(registry)
    from sqlmodel import Session, select

    with Session(engine) as db:
        keys = set(db.exec(select(AliasChangeRow.registry)))
    assert keys == {"builtin"}


def test_status_compares_versions_with_production(registry: ModelRegistry) -> None:
    add_model(registry, production_path=(2,))
    registry.drift("bike-demand")
    status = registry.status("bike-demand")
    assert (status.live_alias, status.live_version) == ("production", 2)
    assert {k: [d.verdict for d in v] for k, v in status.comparisons.items()} == {
        3: ["better", "better"],
        1: ["worse", "worse"],
    }
    assert status.drift[2].report.n_drifted == 6
