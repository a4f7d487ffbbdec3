"""The last result's items are read from the tools' structured results, and found in the
thread's messages: the last earlier turn that ran tools."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from graphs.offline.model import last_result
from graphs.offline.recall import (
    FeatureItem,
    IncidentItem,
    LastResult,
    RunbookItem,
    VersionItem,
    merged,
    recall,
)
from graphs.offline.verdicts.base import Outcome

INCIDENTS = [
    {"id": 4, "status": "open", "alertname": "MemoryPressureHigh", "title": "Memory pressure on worker-3"},
    {"id": 5, "status": "acknowledged", "alertname": "ReplicationLagPrimary", "title": "Replication lag on db-primary"},
]  # fmt: skip
STATUS = {
    "model": {"name": "bike-demand", "aliases": {"production": 3, "staging": 2}},
    "versions": [
        {"version": 3, "aliases": ["production"]},
        {"version": 2, "aliases": ["staging"]},
        {"version": 1, "aliases": []},
    ],
}
DRIFT = {
    "model": "bike-demand",
    "version": 3,
    "features": [
        {"name": "mnth", "test": "z", "statistic": 0.0, "drifted": True},
        {"name": "temp", "test": "ks", "statistic": 6e-32, "drifted": True},
        {"name": "hr", "test": "ks", "statistic": 0.99, "drifted": False},
    ],
}
HITS = {
    "query": "disk full",
    "hits": [{"title": "Disk full or filling up", "section": "Diagnosis", "source": "runbooks/host-disk-full.md"}],
}  # fmt: skip


def _outcome(tool: str, data: Any, ok: bool = True, **args: Any) -> Outcome:
    return Outcome(name=tool, args=args, text="", data=data, ok=ok)


def test_incident_ids_titles_and_alert_words_are_kept() -> None:
    last = recall("open incidents?", [_outcome("list_incidents", INCIDENTS, status="open")])
    assert last.incidents == (
        IncidentItem(4, "Memory pressure on worker-3", "MemoryPressureHigh", "open"),
        IncidentItem(5, "Replication lag on db-primary", "ReplicationLagPrimary", "acknowledged"),
    )
    assert {"memory", "pressure", "worker-3", "high"} <= last.incidents[0].words
    assert last.calls == (("list_incidents", {"status": "open"}),)


def test_an_incident_card_gives_the_incident_and_its_runbook() -> None:
    card = {
        "id": 4,
        "title": "Memory pressure on worker-3",
        "status": "open",
        "labels": {"alertname": "MemoryPressureHigh"},
        "runbook": {"title": "Memory pressure", "section": "Steps", "source": "runbooks/memory.md"},
    }
    last = recall("show incident 4", [_outcome("show_incident", card, id=4)])
    assert last.incidents == (
        IncidentItem(4, "Memory pressure on worker-3", "MemoryPressureHigh", "open"),
    )
    assert last.runbooks == (RunbookItem("Memory pressure", "Steps", "runbooks/memory.md"),)


def test_versions_with_their_aliases_and_drift_features_in_report_order() -> None:
    last = recall(
        "status and drift",
        [_outcome("model_status", STATUS, name="bike-demand"), _outcome("model_drift", DRIFT)],
    )
    assert last.versions == (
        VersionItem("bike-demand", 3, ("production",)),
        VersionItem("bike-demand", 2, ("staging",)),
        VersionItem("bike-demand", 1),
        VersionItem("bike-demand", 3),
    )
    assert [f.name for f in last.features] == ["mnth", "temp", "hr"]
    assert last.features[1] == FeatureItem("bike-demand", 3, "temp", True, "ks", 6e-32)


def test_runbook_hits_are_kept_and_failed_or_unknown_results_give_nothing() -> None:
    last = recall("runbook?", [_outcome("search_runbooks", HITS)])
    assert last.runbooks == (
        RunbookItem("Disk full or filling up", "Diagnosis", "runbooks/host-disk-full.md"),
    )
    failed = recall(
        "x", [_outcome("list_incidents", INCIDENTS, ok=False), _outcome("disk_usage", {})]
    )
    assert failed.empty and [name for name, _ in failed.calls] == ["list_incidents", "disk_usage"]
    odd = recall("x", [_outcome("list_incidents", [{"id": "x"}, "junk", {"title": "no id"}])])
    assert odd.incidents == ()


def _turn(text: str, name: str | None, data: Any, number: int) -> list[BaseMessage]:
    messages: list[BaseMessage] = [HumanMessage(content=text)]
    if name is not None:
        call_id = f"call_{number}"
        messages.append(
            AIMessage(content="", tool_calls=[{"name": name, "args": {}, "id": call_id}])
        )
        messages.append(
            ToolMessage(content="result", tool_call_id=call_id, name=name, artifact={"data": data})
        )
    messages.append(AIMessage(content="answer"))
    return messages


def test_the_last_result_is_the_last_earlier_turn_that_ran_tools() -> None:
    messages = [
        *_turn("disk?", "disk_usage", {}, 1),
        *_turn("open incidents?", "list_incidents", INCIDENTS, 2),
        *_turn("open the replication one", None, None, 3),  # "which one?": no tools
        HumanMessage(content="the one about db-primary"),
    ]
    last = last_result(messages)
    assert last.question == "open incidents?"
    assert [i.id for i in last.incidents] == [4, 5]


def test_no_earlier_turn_means_an_empty_result_and_this_turn_does_not_count() -> None:
    assert last_result([HumanMessage(content="open incidents?")]) == LastResult()
    only_now = [
        HumanMessage(content="hi"),
        *_turn("open incidents?", "list_incidents", INCIDENTS, 1),
    ]
    assert last_result(only_now).question == ""


def test_incidents_versions_and_features_carry_over_a_turn_without_them() -> None:
    messages = [
        *_turn("which version of bike-demand is in staging?", "model_status", STATUS, 1),
        *_turn("open incidents?", "list_incidents", INCIDENTS, 2),
        *_turn("runbook for disk full?", "search_runbooks", HITS, 3),
        HumanMessage(content="open the memory one"),
    ]
    last = last_result(messages)
    assert last.question == "runbook for disk full?"
    assert [i.id for i in last.incidents] == [4, 5] and len(last.versions) == 3
    assert last.carried == frozenset({"incidents", "versions"})
    assert last.versions_question == "which version of bike-demand is in staging?"
    assert [r.title for r in last.runbooks] == ["Disk full or filling up"]


def test_the_newest_turn_keeps_its_own_items_and_runbook_hits_are_never_carried() -> None:
    older = recall("runbook for disk full?", [_outcome("search_runbooks", HITS)])
    newer = recall("open incidents?", [_outcome("list_incidents", INCIDENTS[:1])])
    assert merged([newer, older]) == newer  # nothing to carry: runbooks stay behind
    both = recall("open incidents?", [_outcome("list_incidents", INCIDENTS)])
    assert merged([newer, both]).incidents == newer.incidents
    assert merged([]) == LastResult()
