"""The offline planner understands the everyday phrasings about models, versions,
aliases and drift."""

from __future__ import annotations

from typing import Any

import pytest

from graphs.offline.entities import Vocabulary
from graphs.offline.planner import Planner

VOCAB = Vocabulary(
    models=("bike-demand", "fraud-detector"),
    prompts=("support-triage",),
    labels=("production", "staging"),
)
AVAILABLE = {
    "list_models", "model_status", "model_drift", "set_model_alias", "list_prompts",
    "show_prompt", "diff_prompts", "set_prompt_label", "search_runbooks", "host_health",
    "list_incidents", "show_incident", "run_remediation", "top_processes", "disk_usage",
}  # fmt: skip

DRIFT_BIKE = ("model_drift", {"name": "bike-demand"})
STATUS_BIKE = ("model_status", {"name": "bike-demand"})
ROLLBACK_BIKE = ("set_model_alias", {"name": "bike-demand", "alias": "production", "version": None})


def plan(text: str, history: list[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    return Planner(VOCAB, AVAILABLE).plan(text, history).calls


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("is bike-demand drifting?", [DRIFT_BIKE]),
        ("check drift on bike demand", [DRIFT_BIKE]),
        ("data drift bike-demand", [DRIFT_BIKE]),
        ("is the bike model drifting", [DRIFT_BIKE]),
        ("has the data for fraud-detector shifted?", [("model_drift", {"name": "fraud-detector"})]),
        ("is fraud detector drifting", [("model_drift", {"name": "fraud-detector"})]),
        (
            "is any model drifting?",
            [DRIFT_BIKE, ("model_drift", {"name": "fraud-detector"})],
        ),
        (
            "which bike-demand version is in production, and is it drifting?",
            [DRIFT_BIKE, STATUS_BIKE],
        ),
        ("status of bike-demand", [STATUS_BIKE]),
        ("what version of bike-demand is live?", [STATUS_BIKE]),
        ("bike-demand metrics", [STATUS_BIKE]),
        ("compare bike-demand versions", [STATUS_BIKE]),
        ("show fraud-detector versions", [("model_status", {"name": "fraud-detector"})]),
        ("list models", [("list_models", {})]),
        ("what models do we have?", [("list_models", {})]),
        ("roll back bike-demand", [ROLLBACK_BIKE]),
        ("rollback the bike demand model", [ROLLBACK_BIKE]),
        ("revert bike-demand to the previous version", [ROLLBACK_BIKE]),
        ("undo the last bike-demand change", [ROLLBACK_BIKE]),
        (
            "roll back bike-demand to v1",
            [("set_model_alias", {"name": "bike-demand", "alias": "production", "version": 1})],
        ),
        (
            "roll back bike-demand staging",
            [("set_model_alias", {"name": "bike-demand", "alias": "staging", "version": None})],
        ),
        (
            "promote bike-demand v2 to production",
            [("set_model_alias", {"name": "bike-demand", "alias": "production", "version": 2})],
        ),
        (
            "set production of bike-demand to version 2",
            [("set_model_alias", {"name": "bike-demand", "alias": "production", "version": 2})],
        ),
        (
            "move staging of fraud-detector to v1",
            [("set_model_alias", {"name": "fraud-detector", "alias": "staging", "version": 1})],
        ),
        (
            "point the champion of bike-demand at v3",
            [("set_model_alias", {"name": "bike-demand", "alias": "champion", "version": 3})],
        ),
    ],
)
def test_model_phrasings(text: str, calls: list[tuple[str, dict[str, Any]]]) -> None:
    assert plan(text) == calls


def test_follow_up_keeps_the_model_from_the_conversation() -> None:
    assert plan("and is it drifting?", ["status of bike-demand"]) == [DRIFT_BIKE]
    assert plan("roll it back", ["is bike-demand drifting?"]) == [ROLLBACK_BIKE]


def test_ambiguous_partial_names_are_not_guessed() -> None:
    vocab = Vocabulary(models=("bike-demand", "bike-supply"))
    calls = Planner(vocab, AVAILABLE).plan("is the bike model drifting?").calls
    assert calls == [
        ("model_drift", {"name": "bike-demand"}),
        ("model_drift", {"name": "bike-supply"}),
    ]


def test_a_drift_report_request_never_becomes_a_promotion() -> None:
    assert all(name != "set_model_alias" for name, _ in plan("drift report for bike-demand v2"))
