"""`model_fairness`: fairness by segment of a model version on its stored, labelled predictions
(real database, the built-in registry), with the figures fairlearn computes on the same rows;
bad requests named."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from core.access import Caller
from core.clock import utcnow
from core.errors import Invalid, NotFound
from tests.modelperf.conftest import register
from tools.modelperf.rows import Outcome, Prediction
from tools.modelperf.service import ModelPerf
from tools.modelperf.tools import build_modelperf_tools

CALLER = Caller("U1", "slack")


def _tool(perf: ModelPerf) -> Any:
    return {t.name: t for t in build_modelperf_tools(perf)}["model_fairness"]


def _stored(perf: ModelPerf, registry: Any) -> tuple[list[int], list[int], list[str]]:
    register(registry, "loans", versions=1, accuracy=0.8)
    registry.set_alias("loans", "production", 1, actor="test")
    rng = random.Random(5)
    now = utcnow()
    truth, predicted, sex, predictions, outcomes = [], [], [], [], []
    for i in range(400):
        group = "f" if i % 3 == 0 else "m"
        actual = int(rng.random() < 0.5)
        bias = 0.25 if group == "m" else 0.0  # the model approves men more often
        guess = int(rng.random() < (0.7 if actual else 0.2) + bias)
        features = {"sex": group, "age": 20 + i % 40}
        predictions.append(
            (Prediction(f"r{i}", now - timedelta(hours=i), guess, None, features), 1)
        )
        if i < 360:  # the last 40 have no outcome yet: left out
            outcomes.append(Outcome(f"r{i}", float(actual)))
            truth.append(actual), predicted.append(guess), sex.append(group)
    perf.store.add_predictions("loans", predictions)
    perf.store.add_outcomes("loans", outcomes)
    return truth, predicted, sex


def test_fairness_of_the_live_version_equals_fairlearns(perf: ModelPerf, registry: Any) -> None:
    truth, predicted, sex = _stored(perf, registry)
    tool = _tool(perf)
    result = tool.run(tool.parse({"model": "loans", "features": ["sex"]}), CALLER)
    [feature] = result.data["features"]
    assert result.data["version"] == 1 and result.data["rows"] == 360
    dpd = demographic_parity_difference(truth, predicted, sensitive_features=sex)
    eod = equalized_odds_difference(truth, predicted, sensitive_features=sex)
    assert abs(feature["dpd"] - dpd) < 1e-12 and abs(feature["eod"] - eod) < 1e-12
    assert {g["group"] for g in feature["groups"]} == {"f", "m"}
    assert result.text.startswith("loans v1, outcomes of the last 30d:\nFairness over 360 rows")


def test_bad_requests_are_named(perf: ModelPerf, registry: Any) -> None:
    _stored(perf, registry)
    tool = _tool(perf)
    with pytest.raises(NotFound, match="no model named 'nope'"):
        tool.run(tool.parse({"model": "nope", "features": ["sex"]}), CALLER)
    with pytest.raises(Invalid, match=r"carry no feature race; they carry \['age', 'sex'\]"):
        tool.run(tool.parse({"model": "loans", "features": ["race"]}), CALLER)
    register(registry, "empty", versions=1)
    with pytest.raises(NotFound, match="no predictions of empty are stored yet"):
        tool.run(tool.parse({"model": "empty", "features": ["sex"]}), CALLER)
    registry.set_alias("empty", "production", 1, actor="test")
    with pytest.raises(NotFound, match="no outcomes of empty v1"):
        tool.run(tool.parse({"model": "empty", "features": ["sex"]}), CALLER)
