"""The offline planner's reads of the change log and the anomaly detectors."""

from __future__ import annotations

import pytest

from graphs.offline.change_reads import change_reads, window
from graphs.offline.entities import Entities


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("what changed in the last 2h?", "2h"),
        ("changes in the past 30 minutes", "30m"),
        ("deploys over the last 3 days", "3d"),
        ("what changed in the last hour", "1h"),
        ("anything changed this week?", "7d"),
        ("what changed?", "24h"),
    ],
)
def test_the_window_is_read_from_the_message(text: str, since: str) -> None:
    assert window(text) == since


def _calls(text: str, ents: Entities | None = None, prompt: str | None = None) -> list:  # type: ignore[type-arg]
    return change_reads(text.lower(), ents or Entities(), None, prompt, lambda name: True)


def test_change_questions_plan_what_changed_with_target_and_kind() -> None:
    assert _calls("who deployed checkout today?", Entities(services=["checkout"])) == [
        ("what_changed", {"since": "24h", "target": "checkout", "kind": "deploy"})
    ]
    assert _calls("any anomalies?") == [("series_anomalies", {})]


def test_a_prompt_diff_is_not_the_change_log() -> None:
    assert _calls("what changed between v1 and v2", Entities(versions=[1, 2]), "triage") == []
    assert _calls("how is the box doing?") == []


def test_log_questions_plan_search_logs_with_text_level_and_window() -> None:
    assert _calls("any errors in the logs?") == [("search_logs", {"since": "1h", "level": "error"})]
    assert _calls("grep the logs for 'connection refused' in the last 2h") == [
        ("search_logs", {"since": "2h", "text": "connection refused"})
    ]
    assert _calls("show me the runbook for logs") == []
