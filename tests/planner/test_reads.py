"""Read arguments the planner extracts: counts, several names or paths in one message, number
words as versions, and help words inside a real question."""

from __future__ import annotations

import pytest

from graphs.offline.planner import Planner
from tests.core.test_planner import ALL, VOCAB


def calls(text: str, history: list[str] | None = None) -> list[tuple[str, dict]]:
    return Planner(VOCAB, ALL).plan(text, history).calls


@pytest.mark.parametrize(
    ("text", "by", "limit"),
    [("show me the top 3 processes by memory", "memory", 3), ("top 5 mem", "memory", 5),
     ("top processes", "cpu", 10), ("the 7 busiest processes", "cpu", 7)],
)  # fmt: skip
def test_top_processes_takes_the_count_asked_for(text: str, by: str, limit: int) -> None:
    assert calls(text) == [("top_processes", {"by": by, "limit": limit})]


def test_each_named_model_is_read() -> None:
    assert calls("drift for bike-demand and fraud-detector") == [
        ("model_drift", {"name": "bike-demand"}),
        ("model_drift", {"name": "fraud-detector"}),
    ]
    assert calls("status of bike-demand and fraud-detector") == [
        ("model_status", {"name": "bike-demand"}),
        ("model_status", {"name": "fraud-detector"}),
    ]


def test_each_named_path_is_read() -> None:
    assert calls("disk usage of /var and /home") == [
        ("disk_usage", {"path": "/var"}),
        ("disk_usage", {"path": "/home"}),
    ]


def test_a_version_in_words_is_a_version() -> None:
    assert calls("show support-triage version two") == [
        ("show_prompt", {"name": "support-triage", "version": 2})
    ]


@pytest.mark.parametrize(
    ("text", "tool"),
    [("disk usage for /srv please help", "disk_usage"), ("help, what is eating memory?", "top_processes"),
     ("mem?", "host_health"), ("cpu hogs", "top_processes")],
)  # fmt: skip
def test_a_question_with_a_help_word_is_that_question(text: str, tool: str) -> None:
    assert [name for name, _ in calls(text)] == [tool]


@pytest.mark.parametrize("text", ["help", "usage", "what can you do", "help me"])
def test_a_bare_help_request_still_lists_capabilities(text: str) -> None:
    plan = Planner(VOCAB, ALL).plan(text)
    assert plan.calls == []
    assert plan.reply is not None and plan.reply.startswith("Here is what I can do")
