"""Predictions and outcomes into the store (SQLite and PostgreSQL): each bad row rejected with
its index and reason, the rest kept; repeats idempotent; stored rows never overwritten."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.clock import utcnow
from core.errors import Invalid, NotFound
from tests.modelperf.conftest import register
from tools.modelperf.service import ModelPerf
from tools.registry.service import ModelRegistry

T0 = "2026-11-01T10:00:00Z"


def row(i: int | str, **extra: Any) -> dict[str, Any]:
    return {"id": i, "timestamp": T0, "prediction": 1, "score": 0.8, **extra}


def reasons(report: Any) -> dict[int, str]:
    return {r.index: r.reason for r in report.rejected}


def test_bad_rows_are_named_by_index_and_the_rest_kept(
    perf: ModelPerf, registry: ModelRegistry
) -> None:
    register(registry, versions=2)
    future = (utcnow() + timedelta(hours=1)).isoformat()
    rows = [
        row("a"),
        {"timestamp": T0, "prediction": 1},  # no id
        row("b", prediction=float("nan"), score=None),  # NaN prediction
        row("c", score=1.5),
        row("d", prediction=0.4),  # a score with a prediction that is not a class
        row("e", timestamp="yesterday"),
        row("f", timestamp=future),
        row("g", version=7),
        row("h", features={"plan": {"nested": 1}}),
        "not an object",
        row("i", version="v2", features={"plan": "pro", "age": 41}),
        {"id": "j", "timestamp": 1_700_000_000, "prediction": 12.5},  # a regressor's, epoch
    ]
    report = perf.intake.predictions("churn", rows, batch_version=1)
    assert (report.received, report.stored, report.duplicates) == (12, 3, 0)
    why = reasons(report)
    assert sorted(why) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert why[1] == "id is missing (text or a whole number)"
    assert why[2] == "prediction is not a finite number (nan)"
    assert why[3] == "score must be a probability in [0, 1], got 1.5"
    assert "prediction must be 0 or 1" in why[4]
    assert why[5] == "timestamp must be ISO 8601 or epoch seconds, got 'yesterday'"
    assert "is in the future" in why[6]
    assert why[7] == "churn has no version 7; its versions: v1, v2"
    assert "feature 'plan' must be a number" in why[8]
    assert why[9] == "a prediction must be an object"
    assert report.rejected[0].id is None and report.rejected[1].id == "b"
    stored = perf.store.find("churn", ["a", "i", "j", "b"])
    assert sorted(stored) == ["a", "i", "j"]
    assert (stored["i"].version, stored["i"].features) == (2, {"age": 41, "plan": "pro"})
    assert stored["j"].score is None and stored["j"].prediction == 12.5


def test_unknown_model_and_bad_batch_version_store_nothing(
    perf: ModelPerf, registry: ModelRegistry
) -> None:
    register(registry)
    with pytest.raises(NotFound, match="no model named 'nope' in the registry"):
        perf.intake.predictions("nope", [row("a")])
    with pytest.raises(NotFound, match="no model named 'nope'"):
        perf.intake.outcomes("nope", [{"id": "a", "actual": 1}])
    with pytest.raises(Invalid, match="churn has no version 4; its versions: v1"):
        perf.intake.predictions("churn", [row("a")], batch_version=4)
    with pytest.raises(Invalid, match="version must be a positive whole number"):
        perf.intake.predictions("churn", [row("a")], batch_version="latest!")
    with pytest.raises(Invalid, match="at most 10000 rows per batch"):
        perf.intake.predictions("churn", [row(i) for i in range(10_001)], batch_version=1)
    assert perf.store.count() == 0


def test_no_version_without_a_live_alias_is_a_row_problem(
    perf: ModelPerf, registry: ModelRegistry
) -> None:
    register(registry, versions=2)
    report = perf.intake.predictions("churn", [row("a"), row("b", version=1)])
    assert reasons(report) == {0: "no version given and churn has no production or champion alias"}
    registry.set_alias("churn", "production", 2, actor="ann")
    report = perf.intake.predictions("churn", [row("c")])
    assert report.stored == 1 and perf.store.find("churn", ["c"])["c"].version == 2


def test_repeats_are_idempotent_and_changes_refused(
    perf: ModelPerf, registry: ModelRegistry
) -> None:
    register(registry)
    first = perf.intake.predictions("churn", [row("a"), row("b")], batch_version=1)
    assert (first.stored, first.duplicates) == (2, 0)
    again = perf.intake.predictions(
        "churn", [row("a"), row("b", score=0.3), row("c"), row("c"), row("c", score=0.1)], 1
    )
    assert (again.stored, again.duplicates) == (1, 2)
    assert reasons(again) == {
        1: "id b is already stored with another prediction",
        4: "id c is already earlier in this batch with another prediction",
    }
    assert perf.store.find("churn", ["b"])["b"].score == 0.8  # never overwritten


def test_outcomes_fill_stored_predictions_once(perf: ModelPerf, registry: ModelRegistry) -> None:
    register(registry)
    perf.intake.predictions(
        "churn", [row("a"), row("b"), {"id": "r", "timestamp": T0, "prediction": 3.5}], 1
    )
    report = perf.intake.outcomes(
        "churn",
        [
            {"id": "a", "actual": 1},
            {"id": "zz", "actual": 1},  # no such prediction
            {"id": "b", "actual": 0.5},  # a classifier's outcome must be a class
            {"id": "r", "actual": "NaN"},
            {"id": "r", "actual": 2.25},
            {"id": "b"},
            {"id": "a", "actual": True},  # the same outcome again
        ],
    )
    assert (report.stored, report.duplicates) == (2, 1)
    assert reasons(report) == {
        1: "no prediction with id zz for churn: post the prediction first",
        2: "the prediction is a classifier's: actual must be 0 or 1",
        3: "actual is not a finite number ('NaN')",
        5: "actual is missing",
    }
    again = perf.intake.outcomes("churn", [{"id": "a", "actual": 0}, {"id": "r", "actual": 2.25}])
    assert reasons(again) == {0: "id a already has the outcome 1"}
    assert again.duplicates == 1
    stored = perf.store.find("churn", ["a", "r"])
    assert (stored["a"].actual, stored["r"].actual) == (1.0, 2.25)


def test_retention_counts_from_arrival_and_caps_rows(
    perf: ModelPerf, registry: ModelRegistry
) -> None:
    register(registry)
    old = [{"id": i, "timestamp": "2011-01-01T00:00:00", "prediction": i} for i in range(30)]
    assert perf.intake.predictions("churn", old, 1).stored == 30
    assert perf.store.prune() == 0  # a year-old timestamp, received now: kept
    perf.store.max_rows = 10
    assert perf.store.prune() == 20 and perf.store.count() == 10
    assert perf.store.prune(now=utcnow() + timedelta(days=91)) == 10
