"""The offline planner understands the everyday ways people ask about incidents."""

from __future__ import annotations

import pytest

from graphs.offline.entities import Vocabulary
from graphs.offline.planner import Planner

TOOLS = {"list_incidents", "show_incident", "host_health", "disk_usage", "search_runbooks"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what's open?", [("list_incidents", {"status": "open"})]),
        ("anything open?", [("list_incidents", {"status": "open"})]),
        ("is anything still open?", [("list_incidents", {"status": "open"})]),
        ("what's going on?", [("list_incidents", {"status": "open"})]),
        ("any alerts firing?", [("list_incidents", {"status": "open"})]),
        ("list resolved incidents", [("list_incidents", {"status": "resolved"})]),
        ("show all incidents", [("list_incidents", {"status": "all"})]),
        ("show all resolved incidents", [("list_incidents", {"status": "all"})]),
        ("show acknowledged incidents", [("list_incidents", {"status": "acknowledged"})]),
        ("which incidents are unacknowledged?", [("list_incidents", {"status": "unacknowledged"})]),
        ("incident #3", [("show_incident", {"id": 3})]),
        ("tell me about inc-12", [("show_incident", {"id": 12})]),
        ("what happened with incident 2?", [("show_incident", {"id": 2})]),
    ],
)
def test_incident_questions(text: str, expected: list) -> None:  # type: ignore[type-arg]
    assert Planner(Vocabulary(), TOOLS).plan(text).calls == expected
