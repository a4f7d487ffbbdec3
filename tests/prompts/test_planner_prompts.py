"""The offline planner understands the everyday prompt phrasings: list, show, "what
changed between", promote, roll back; and never turns a promote into a rollback."""

from __future__ import annotations

from typing import Any

import pytest

from graphs.offline.entities import Vocabulary
from graphs.offline.planner import Planner

VOCAB = Vocabulary(
    prompts=("support-triage", "incident-summary", "opsbot-system", "opsbot-incident-summary"),
    models=("bike-demand",),
    labels=("production", "staging"),
)
TOOLS = {
    "list_prompts", "show_prompt", "diff_prompts", "set_prompt_label", "create_prompt_version",
    "search_runbooks", "host_health", "list_models", "model_status", "set_model_alias",
}  # fmt: skip


def plan(text: str) -> list[tuple[str, dict[str, Any]]]:
    return Planner(VOCAB, TOOLS).plan(text).calls


@pytest.mark.parametrize(
    "text", ["list prompts", "what prompts do we have?", "show me the prompts",
             "which prompts are in production?"],
)  # fmt: skip
def test_list(text: str) -> None:
    assert plan(text) == [("list_prompts", {})]


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("show support-triage", {"name": "support-triage"}),
        ("show support-triage production", {"name": "support-triage", "label": "production"}),
        ("what's live for support-triage?", {"name": "support-triage", "label": "production"}),
        ("show support-triage v3", {"name": "support-triage", "version": 3}),
        ("show me the staging version of incident-summary",
         {"name": "incident-summary", "label": "staging"}),
        ("show the opsbot system prompt", {"name": "opsbot-system"}),
    ],
)  # fmt: skip
def test_show(text: str, args: dict[str, Any]) -> None:
    assert plan(text) == [("show_prompt", args)]


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        ("what changed between v1 and v2 of support-triage", "v1", "v2"),
        ("diff support-triage v1 v2", "v1", "v2"),
        ("diff support-triage 2 3", "v2", "v3"),
        ("what changed between versions 2 and 3 of support-triage", "v2", "v3"),
        ("what changed in support-triage", "production", "latest"),
        ("compare support-triage production and latest", "production", "latest"),
    ],
)
def test_what_changed(text: str, old: str, new: str) -> None:
    assert plan(text) == [("diff_prompts", {"name": "support-triage", "old": old, "new": new})]


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("promote support-triage v3", {"label": "production", "version": 3}),
        ("promote support-triage v3 to production", {"label": "production", "version": 3}),
        ("promote support-triage 3 to production", {"label": "production", "version": 3}),
        ("put v3 of support-triage in production", {"label": "production", "version": 3}),
        ("release support-triage version 3 to prod", {"label": "production", "version": 3}),
        ("set production of support-triage to version 1", {"label": "production", "version": 1}),
        ("roll back support-triage", {"label": "production", "version": None}),
        ("rollback the support-triage prompt", {"label": "production", "version": None}),
        ("revert support-triage", {"label": "production", "version": None}),
    ],
)
def test_promote_and_roll_back(text: str, args: dict[str, Any]) -> None:
    assert plan(text) == [("set_prompt_label", {"name": "support-triage", **args})]


def test_other_labels_and_the_system_prompt() -> None:
    assert plan("move staging of incident-summary to v1") == [
        ("set_prompt_label", {"name": "incident-summary", "label": "staging", "version": 1})
    ]
    assert plan("roll back incident-summary staging") == [
        ("set_prompt_label", {"name": "incident-summary", "label": "staging", "version": None})
    ]
    assert plan("roll back the system prompt") == [
        ("set_prompt_label", {"name": "opsbot-system", "label": "production", "version": None})
    ]


def test_a_promote_without_a_version_asks_instead_of_rolling_back() -> None:
    result = Planner(VOCAB, TOOLS).plan("promote support-triage to production")
    assert result.calls == []
    assert (
        result.reply is not None
        and "Which version should production of support-triage" in result.reply
    )
    # same for models: "promote bike-demand to champion" must not become a rollback
    result = Planner(VOCAB, TOOLS).plan("promote bike-demand to champion")
    assert result.calls == [] and "Which version should champion of bike-demand" in (
        result.reply or ""
    )
