"""Short follow-ups resolve against the previous turn's plan: a new path, a new sort order or
count, the same check again, another model, the same change on another name, "the newer one"."""

from __future__ import annotations

from typing import Any

import pytest

from graphs.offline.entities import Vocabulary
from graphs.offline.intents import CAPABILITIES
from graphs.offline.planner import Planner

VOCAB = Vocabulary(
    models=("bike-demand", "fraud-detector"),
    prompts=("support-triage", "incident-summary"),
    endpoints=("demo-web",),
    services=("demo-web",),
)
ALL = {name for name, _ in CAPABILITIES}


def _after(*turns: str) -> list[tuple[str, dict[str, Any]]]:
    return Planner(VOCAB, ALL).plan(turns[-1], list(turns[:-1])).calls


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (("disk /srv", "and /home?", "and /opt"), [("disk_usage", {"path": "/opt"})]),
        (("top processes by cpu", "by memory instead"), [("top_processes", {"by": "memory", "limit": 10})]),
        (("top processes by cpu", "just the top 3"), [("top_processes", {"by": "cpu", "limit": 3})]),
        (("how's the box?", "who's using the cpu?"), [("top_processes", {"by": "cpu", "limit": 10})]),
        (("is demo-web up?", "check again"), [("check_endpoint", {"target": "demo-web"})]),
        (("drift for bike-demand?", "and for the other model"), [("model_drift", {"name": "fraud-detector"})]),
        (("is bike-demand drifting?", "what about version 2?"), [("model_drift", {"name": "bike-demand", "version": 2})]),
        (("is bike-demand drifting?", "is bike-demand v2 drifting?"), [("model_drift", {"name": "bike-demand", "version": 2})]),
        (
            ("roll back bike-demand production to version 2", "do the same to fraud-detector"),
            [("set_model_alias", {"name": "fraud-detector", "alias": "production", "version": 2})],
        ),
        (("diff support-triage v2 and v3", "show the newer one"), [("show_prompt", {"name": "support-triage", "version": 3})]),
        (
            ("show support-triage v3", "promote that to production"),
            [("set_prompt_label", {"name": "support-triage", "label": "production", "version": 3})],
        ),
        (("list prompts", "show the triage one"), [("show_prompt", {"name": "support-triage"})]),
    ],
)  # fmt: skip
def test_follow_up_resolves_against_the_previous_turn(
    turns: tuple[str, ...], expected: list[tuple[str, dict[str, Any]]]
) -> None:
    assert _after(*turns) == expected


def test_a_new_question_is_not_taken_for_a_follow_up() -> None:
    calls = _after("what's eating memory?", "any runbook for memory pressure?")
    names = [name for name, _ in calls]
    assert "search_runbooks" in names and "top_processes" not in names


def test_advice_about_a_rollback_is_not_a_rollback() -> None:
    calls = _after("is bike-demand drifting?", "should I roll it back?")
    assert all(name != "set_model_alias" for name, _ in calls)
