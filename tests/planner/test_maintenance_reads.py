"""The offline planner routes maintenance-window questions to maintenance_windows."""

from __future__ import annotations

import pytest

from graphs.offline.maintenance_reads import maintenance_reads
from graphs.offline.planner import Planner
from tests.core.test_planner import ALL, VOCAB


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("any maintenance windows?", None),
        ("any maintenance?", None),
        ("what is in maintenance right now", None),
        ("upcoming maintenance", "upcoming"),
        ("show the planned maintenance windows", "upcoming"),
        ("past maintenance windows", "ended"),
        ("which alerts are suppressed? show suppressed alerts", None),
    ],
)
def test_maintenance_questions_plan_the_tool(text: str, state: str | None) -> None:
    args = {"state": state} if state else {}
    assert maintenance_reads(text.lower(), lambda name: True) == [("maintenance_windows", args)]


@pytest.mark.parametrize(
    "text", ["restart nginx", "maintain the model registry", "who is on call?", "what changed?"]
)
def test_other_questions_do_not(text: str) -> None:
    assert maintenance_reads(text.lower(), lambda name: True) == []


def test_the_planner_routes_it_and_only_when_the_tool_is_there() -> None:
    calls = Planner(VOCAB, ALL).plan("any maintenance windows?", None).calls
    assert calls == [("maintenance_windows", {})]
    without = Planner(VOCAB, ALL - {"maintenance_windows"}).plan("any maintenance?", None).calls
    assert "maintenance_windows" not in {name for name, _ in without}
