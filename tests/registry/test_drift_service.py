"""Drift through the registry: data registered per version, every report stored, reused
while it describes the data, re-run when the data changes; bad data is a clear error and
stores nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.registry.conftest import (
    BIKE_CURRENT,
    BIKE_DRIFTED,
    BIKE_FEATURES,
    BIKE_REFERENCE,
    add_model,
)
from tools.base import ToolError
from tools.registry.service import ModelRegistry


def test_bike_demand_drifts_like_evidently_and_the_report_is_stored(
    registry: ModelRegistry,
) -> None:
    add_model(registry, production_path=(3,))
    assert registry.drift_history("bike-demand", 3)[0].trigger == "preview"  # set_alias looked
    first = registry.drift("bike-demand", actor="ann", refresh=True)
    assert not first.reused
    report = first.report
    assert report.dataset_drift is True
    assert (report.n_drifted, report.n_features) == (6, 11)
    assert {f.name for f in report.drifted_features} == BIKE_DRIFTED
    assert first.stored.version == 3  # the production version by default

    again = registry.drift("bike-demand")
    assert again.reused and again.stored.id == first.stored.id
    forced = registry.drift("bike-demand", refresh=True)
    assert not forced.reused and forced.stored.id != first.stored.id

    history = registry.drift_history("bike-demand", 3)
    assert [h.id for h in history][:2] == [forced.stored.id, first.stored.id]
    stored = history[1].report
    feature = stored.feature("temp")
    assert (feature.test, feature.threshold, feature.drifted) == ("ks", 0.05, True)
    assert feature.statistic < 1e-20


def test_changed_data_file_triggers_a_new_run(registry: ModelRegistry, tmp_path: Path) -> None:
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    shutil.copy(BIKE_REFERENCE, ref)
    shutil.copy(BIKE_REFERENCE, cur)  # same data: no drift
    registry.register_version(
        "m",
        "s3://m/1",
        reference=str(ref),
        current=str(cur),
        drift_options={"columns": BIKE_FEATURES},
    )
    registry.set_alias("m", "production", 1, actor="t")
    calm = registry.drift("m")
    assert calm.reused  # the dry run of set_alias stored it
    assert calm.report.dataset_drift is False and calm.report.n_drifted == 0
    shutil.copy(BIKE_CURRENT, cur)
    os.utime(cur, ns=(1, 1))  # a different mtime even on coarse clocks
    moved = registry.drift("m")
    assert not moved.reused
    assert moved.report.dataset_drift is True


def test_old_reports_are_not_reused(engine: Any) -> None:
    from tools.registry.store import BuiltinBackend

    registry = ModelRegistry(engine, BuiltinBackend(engine), drift_max_age_seconds=0)
    add_model(registry, versions=1, production_path=(1,))
    first = registry.drift("bike-demand")
    assert registry.drift("bike-demand").stored.id != first.stored.id


def test_missing_data_file_is_a_clear_error_and_stores_nothing(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    cur = tmp_path / "cur.csv"
    shutil.copy(BIKE_CURRENT, cur)
    registry.register_version("m", "s3://m/1", reference=str(BIKE_REFERENCE), current=str(cur))
    cur.unlink()
    with pytest.raises(ToolError, match=r"data file not found: .*cur\.csv"):
        registry.drift("m", 1)
    assert registry.drift_history("m") == []


def test_unknown_model_version_or_missing_data(registry: ModelRegistry) -> None:
    add_model(registry, versions=2, production_path=(1,))
    registry.register_version("bike-demand", "s3://m/3")  # v3 without data
    with pytest.raises(ToolError, match="unknown model 'bike-demnd'; did you mean 'bike-demand'"):
        registry.drift("bike-demnd")
    with pytest.raises(ToolError, match="has no version 8"):
        registry.drift("bike-demand", 8)
    with pytest.raises(
        ToolError,
        match=r"no reference/current data is registered for bike-demand v3 \(versions with data: v1, v2\)",
    ):
        registry.drift("bike-demand", 3)


@pytest.mark.parametrize(
    ("ref", "cur", "options", "message"),
    [
        ("a,b\n1,2\n3,4\n", "c,d\n1,2\n", {}, "mismatched schemas"),
        (
            "a,b\n1,2\n3,4\n",
            "a,b\n1,2\n",
            {"columns": ["a", "zz"]},
            "column\\(s\\) 'zz' not in the reference",
        ),
        ("a,b\n,2\n,4\n", "a,b\n,2\n,3\n", {"columns": ["a"]}, "column 'a' has no usable values"),
        ("a,b\n1,2\n", "a,b\n", {}, "no rows"),
    ],
)
def test_bad_data_is_a_clear_error(
    registry: ModelRegistry,
    tmp_path: Path,
    ref: str,
    cur: str,
    options: dict[str, Any],
    message: str,
) -> None:
    (tmp_path / "r.csv").write_text(ref)
    (tmp_path / "c.csv").write_text(cur)
    registry.register_version(
        "m", "s3://m/1", reference=str(tmp_path / "r.csv"), current=str(tmp_path / "c.csv"),
        drift_options=options,
    )  # fmt: skip
    with pytest.raises(ToolError, match=message):
        registry.drift("m", 1)
    assert registry.drift_history("m") == []


def test_all_nan_column_is_refused(registry: ModelRegistry, tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("a,b\nnan,1\nnan,2\nnan,3\n")
    (tmp_path / "c.csv").write_text("a,b\nnan,1\nnan,2\nnan,3\n")
    registry.register_version(
        "m", "s3://m/1", reference=str(tmp_path / "r.csv"), current=str(tmp_path / "c.csv")
    )
    with pytest.raises(ToolError, match="column 'a' has no usable values"):
        registry.drift("m", 1)


def test_sql_sources_run_on_the_registry_database(registry: ModelRegistry) -> None:
    with registry.engine.begin() as conn:
        conn.execute(text("CREATE TABLE scores_demo (day INTEGER, score REAL)"))
        rows = [{"day": d, "score": (d % 7) / 10} for d in range(60)]
        conn.execute(text("INSERT INTO scores_demo (day, score) VALUES (:day, :score)"), rows)
    try:
        from tools.registry.drift import DataSource

        registry.register_version(
            "scorer",
            "s3://m/1",
            reference=DataSource.sql("SELECT score FROM scores_demo WHERE day < 30"),
            current=DataSource.sql("SELECT score FROM scores_demo WHERE day >= 30"),
        )
        outcome = registry.drift("scorer", 1)
        assert outcome.report.n_features == 1
        assert outcome.report.dataset_drift is False
        assert "registry database" in outcome.spec.reference.describe()
    finally:
        with registry.engine.begin() as conn:
            conn.execute(text("DROP TABLE scores_demo"))


def test_plot_of_drifted_features(registry: ModelRegistry, tmp_path: Path) -> None:
    add_model(registry, versions=1, production_path=(1,))
    stored = registry.drift("bike-demand").stored
    path = registry.plot(stored, tmp_path / "plots")
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert registry.plot(stored, tmp_path / "plots") == path  # reused
