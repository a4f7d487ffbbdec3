"""The offline planner routes on-call questions to who_is_on_call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import iso
from graphs.offline.oncall_reads import later, oncall_reads
from graphs.offline.planner import Planner
from tests.core.test_planner import ALL, VOCAB

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("who is on call?", None),
        ("who's on call", None),
        ("Who’s on-call right now?", None),
        ("whos oncall", None),
        ("who is on call tomorrow", 1),
        ("who's on call next week", 7),
        ("who will be on call in 3 days?", 3),
        ("who is the secondary on call in 2 weeks", 14),
        ("on-call schedule", None),
        ("who has the pager", None),
    ],
)
def test_on_call_questions_plan_who_is_on_call_at_the_time_they_name(
    text: str, days: int | None
) -> None:
    args = {} if days is None else {"at": iso(NOW + timedelta(days=days))}
    assert oncall_reads(text.lower(), NOW, lambda name: True) == [("who_is_on_call", args)]


@pytest.mark.parametrize(
    "text", ["what changed?", "call the api", "is checkout up?", "restart the on-call bot"]
)
def test_other_questions_do_not(text: str) -> None:
    assert oncall_reads(text.lower(), NOW, lambda name: True) == []
    assert later("what changed", NOW) is None


def test_the_planner_routes_it_and_only_when_the_tool_is_there() -> None:
    assert Planner(VOCAB, ALL).plan("who is on call?", None).calls == [("who_is_on_call", {})]
    (name, args), *rest = Planner(VOCAB, ALL).plan("who's on call next week", None).calls
    assert (name, rest) == ("who_is_on_call", []) and set(args) == {"at"}
    without = Planner(VOCAB, ALL - {"who_is_on_call"}).plan("who is on call?", None).calls
    assert "who_is_on_call" not in {name for name, _ in without}
