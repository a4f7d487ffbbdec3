"""Drift answers draw the conclusions the data supports, on the real bike-sharing split
(reference 2011-01-01..28, current 2011-01-29..02-28; /work/shared/data/drift): `mnth`
drifts only because the reference window is one month, and a rollback will not fix input
drift."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.access import Caller
from graphs.offline.compose import compose
from graphs.offline.verdicts import Outcome, verdict_of
from graphs.offline.verdicts.drift import NO_ROLLBACK, calendar_artefact
from tools.registry.demo import seed_demo


@pytest.fixture
def runtime(make_runtime: Callable[..., Any]) -> Any:
    rt = make_runtime()
    seed_demo(rt.registry)
    return rt


def _drift(runtime: Any, name: str) -> Outcome:
    result = runtime.toolbox.get("model_drift").invoke({"name": name}, Caller("u"))
    assert result.ok, result.text
    return Outcome("model_drift", {"name": name}, result.text, result.data, True)


def test_the_drift_data_says_what_the_reference_holds(runtime: Any) -> None:
    features = {f["name"]: f for f in _drift(runtime, "bike-demand").data["features"]}
    month = features["mnth"]
    assert month["drifted"] and month["reference_distinct"] == 1
    assert month["reference_value"] == "1"
    assert month["new_share"] == pytest.approx(0.903, abs=0.001)  # February rows
    assert features["season"]["reference_distinct"] == 1  # winter only, and not drifting
    assert "reference_distinct" not in features["temp"]  # many values: not counted


def test_a_month_feature_drifting_against_a_one_month_reference_is_an_artefact(
    runtime: Any,
) -> None:
    outcome = _drift(runtime, "bike-demand")
    features = {f["name"]: f for f in outcome.data["features"]}
    why = calendar_artefact(features["mnth"])
    assert why == (
        "mnth drifted because the reference window holds a single month (mnth = 1 in every "
        "reference row): an artefact of the reference window, not a real shift."
    )
    for real in ("temp", "atemp", "hum", "weathersit", "windspeed", "season"):
        assert calendar_artefact(features[real]) is None, real
    verdict = verdict_of(outcome, "is bike-demand drifting?")
    assert verdict.level == "bad"
    assert verdict.headline == (
        "Yes, bike-demand is drifting: 6 of 11 features drifted (mnth, temp, atemp, hum, "
        "weathersit, windspeed); without mnth (an artefact of the reference window), 5 of 10 "
        "are real shifts."
    )
    assert verdict.evidence[0] == why
    assert verdict.evidence[1].startswith("temp: mean rose from 0.197 to 0.276")
    assert verdict.next_step is not None and NO_ROLLBACK in verdict.next_step


def test_a_drift_answer_asked_about_a_rollback_says_it_will_not_help(runtime: Any) -> None:
    answer = compose([_drift(runtime, "bike-demand")], "bike-demand drifts, should we roll back?")
    head, evidence, step = answer.split("\n\n")[:3]
    assert head.startswith("Yes, bike-demand is drifting")
    assert evidence.startswith("Evidence:\n• mnth drifted because the reference window")
    assert step.startswith("Next step: Retrain bike-demand on recent data")
    assert "a rollback will not fix input drift: the older version sees the same inputs." in step
    assert "runbook *Model input data drift* › Mitigation" in step


def test_no_drift_says_so_without_a_next_step(runtime: Any) -> None:
    answer = compose([_drift(runtime, "fraud-detector")], "any drift on fraud-detector?")
    assert answer.startswith("No drift for fraud-detector: none of its 7 features drifted.")
    assert "Next step" not in answer and "artefact" not in answer


def test_only_calendar_drift_is_not_called_a_real_shift() -> None:
    month = {
        "name": "month",
        "drifted": True,
        "reference_distinct": 2,
        "new_share": 0.8,
    }
    data = {
        "dataset_drift": True,
        "n_features": 2,
        "drift_share_threshold": 0.5,
        "features": [month, {"name": "temp", "drifted": False}],
    }
    verdict = verdict_of(Outcome("model_drift", {"name": "m"}, "", data, True), "")
    assert verdict.level == "warn"
    assert "month only reflect the reference window: 0 of 1 other features drifted" in (
        verdict.headline
    )
    assert (
        "80% of current rows fall in a month the reference window never saw"
        in (verdict.evidence[0])
    )


def test_the_rollback_preview_says_a_rollback_will_not_fix_input_drift(runtime: Any) -> None:
    _drift(runtime, "bike-demand")  # v3's report is stored
    tool = runtime.toolbox.get("set_model_alias")
    args = tool.parse({"name": "bike-demand"})
    assert tool.preview is not None
    preview = tool.preview(args)
    assert (
        "Note: v3 (current production) has input drift (DRIFT: 6 of 11 features drifted " in preview
    )
    assert preview.endswith("a rollback will not fix input drift: v2 sees the same inputs.")
    fraud = tool.preview(tool.parse({"name": "fraud-detector", "version": 1}))
    assert "Note:" not in fraud  # no input drift: nothing to warn about


def test_what_drifted_most_leads_with_the_top_ranked_feature(runtime: Any) -> None:
    bikes = verdict_of(_drift(runtime, "bike-demand"), "what drifted most?")
    assert bikes.headline.startswith(
        "Most drifted in bike-demand: mnth (z test p-value 0) — an artefact of the reference "
        "window, then temp, atemp, hum. Yes, bike-demand is drifting"
    )
    fraud = _drift(runtime, "fraud-detector")
    top = fraud.data["features"][0]["name"]
    assert verdict_of(fraud, "which feature drifted most?").headline.startswith(
        f"Nothing drifted in fraud-detector; the closest is {top} ("
    )
    plain = verdict_of(fraud, "is fraud-detector drifting?").headline
    assert plain.startswith("No drift for fraud-detector")
