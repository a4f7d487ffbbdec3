"""Follow-ups that point into the last result's items: an incident by what it is about or its
place in the list, the version the last answer was about, the most drifted feature, the runbook
for what was asked. Ambiguous references are asked about; changes stay the gated tool call."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphs.offline.planner import Planner
from graphs.offline.reads import Plan
from graphs.offline.recall import (
    FeatureItem,
    IncidentItem,
    LastResult,
    RunbookItem,
    VersionItem,
)
from tests.planner.test_context import ALL, VOCAB

INCIDENTS = LastResult(
    question="open incidents?",
    calls=(("list_incidents", {"status": "open"}),),
    incidents=(
        IncidentItem(4, "Memory pressure on worker-3", "MemoryPressureHigh", "open"),
        IncidentItem(5, "Replication lag on db-primary", "ReplicationLagPrimary", "open"),
        IncidentItem(6, "Replication broken on db-replica-2", "ReplicationBrokenReplica", "open"),
    ),
)
STATUS = LastResult(
    calls=(("model_status", {"name": "bike-demand"}),),
    versions=(
        VersionItem("bike-demand", 3, ("production",)),
        VersionItem("bike-demand", 2, ("staging",)),
        VersionItem("bike-demand", 1),
    ),
)


def _plan(text: str, last: LastResult, history: list[str] | None = None) -> Plan:
    return Planner(VOCAB, ALL).plan(text, history or [last.question], last)


def _calls(text: str, last: LastResult) -> list[tuple[str, dict[str, Any]]]:
    return _plan(text, last).calls


def test_an_incident_by_what_it_is_about_or_its_place() -> None:
    assert _calls("open the one about memory", INCIDENTS) == [("show_incident", {"id": 4})]
    assert _calls("show me the memory one", INCIDENTS) == [("show_incident", {"id": 4})]
    assert _calls("the one about db-replica-2", INCIDENTS) == [("show_incident", {"id": 6})]
    assert _calls("show the second one", INCIDENTS) == [("show_incident", {"id": 5})]
    assert _calls("open the last one", INCIDENTS) == [("show_incident", {"id": 6})]


def test_two_matching_incidents_are_asked_about_by_listing_them() -> None:
    plan = _plan("show me the replication one", INCIDENTS)
    assert plan.calls == []
    assert plan.reply is not None and plan.reply.startswith("Which one? 2 incidents")
    assert "#5 Replication lag on db-primary" in plan.reply and "#6" in plan.reply
    assert "#4" not in plan.reply
    that = _plan("show me that one", INCIDENTS)
    assert that.calls == [] and that.reply is not None and "3 incidents" in that.reply


def test_a_reference_to_no_listed_incident_says_so() -> None:
    plan = _plan("open the one about kafka", INCIDENTS)
    assert plan.calls == []
    assert plan.reply is not None and plan.reply.startswith("None of the 3 incident(s)")
    assert "kafka" in plan.reply and "#4" in plan.reply
    fifth = _plan(
        "open the third one", LastResult(calls=INCIDENTS.calls, incidents=INCIDENTS.incidents[:2])
    )
    assert fifth.calls == [] and fifth.reply is not None and "only 2" in fifth.reply


def test_an_explicit_id_or_a_new_question_is_not_a_reference() -> None:
    assert _calls("show incident 5", INCIDENTS) == [("show_incident", {"id": 5})]
    names = [name for name, _ in _calls("what's eating memory?", INCIDENTS)]
    assert "show_incident" not in names


def test_the_version_the_last_answer_was_about_becomes_the_gated_alias_move() -> None:
    staging = replace(STATUS, question="which version of bike-demand is in staging?")
    expected = [("set_model_alias", {"name": "bike-demand", "alias": "production", "version": 2})]
    assert _calls("make that the production one", staging) == expected
    assert _calls("promote it to prod", staging) == expected
    named = replace(STATUS, question="show bike-demand v1")
    assert _calls("make that the staging one", named) == [
        ("set_model_alias", {"name": "bike-demand", "alias": "staging", "version": 1})
    ]


def test_an_unclear_version_is_asked_about_and_advice_is_not_a_change() -> None:
    plan = _plan("make that the staging one", STATUS, ["status of bike-demand"])
    assert plan.calls == []
    assert plan.reply is not None and plan.reply.startswith("Which version of bike-demand")
    staging = replace(STATUS, question="what is in staging for bike-demand?")
    held = _plan("make that the staging one", staging)
    assert held.calls == [] and held.reply == "staging of bike-demand already points to v2."
    advice = _plan("should I promote it to production?", staging)
    assert all(name != "set_model_alias" for name, _ in advice.calls)


def test_what_drifted_most_reads_the_same_reports_again() -> None:
    last = LastResult(
        question="drift report",
        calls=(("model_drift", {"name": "bike-demand"}), ("model_drift", {"name": "fraud-detector"})),
        features=(FeatureItem("bike-demand", 3, "mnth", True), FeatureItem("fraud-detector", 2, "amount", False)),
    )  # fmt: skip
    assert _calls("what drifted most?", last) == list(last.calls)
    assert _calls("what drifted most in fraud-detector?", last) == [
        ("model_drift", {"name": "fraud-detector"})
    ]


def test_the_runbook_of_the_last_result() -> None:
    cited = LastResult(
        calls=(("search_runbooks", {"query": "disk full"}),),
        runbooks=(RunbookItem("Disk full or filling up", "Diagnosis", "runbooks/host-disk-full.md"),),
    )  # fmt: skip
    assert _calls("so what do I do per the runbook?", cited) == [
        ("search_runbooks", {"query": "Disk full or filling up Diagnosis", "k": 3})
    ]
    disk = LastResult(question="disk on / is filling up", calls=(("disk_usage", {"path": "/"}),))
    assert _calls("what does the runbook say?", disk) == [
        ("search_runbooks", {"query": "disk full disk on / is filling up", "k": 3})
    ]
    own_topic = dict(_calls("any runbook for memory pressure?", disk))["search_runbooks"]
    assert own_topic["query"] == "any runbook for memory pressure?"  # its own topic, not disk


def test_a_bare_it_points_only_at_a_single_match() -> None:
    assert _calls("is it about replication lag?", INCIDENTS) == [("show_incident", {"id": 5})]
    plan = _plan("is it fixed?", INCIDENTS)
    assert all(name != "show_incident" for name, _ in plan.calls)
    assert plan.reply is None or "None of the" not in plan.reply


def test_after_which_one_an_ordinal_counts_among_the_matches() -> None:
    history = ["open incidents?", "show me the replication one"]
    second = Planner(VOCAB, ALL).plan("the second one", history, INCIDENTS)
    assert second.calls == [("show_incident", {"id": 6})]  # of #5 and #6, not of the list
    direct = Planner(VOCAB, ALL).plan("the second one", ["open incidents?"], INCIDENTS)
    assert direct.calls == [("show_incident", {"id": 5})]


def test_a_change_worded_at_a_listed_incident_is_no_pick() -> None:
    names = [name for name, _ in _calls("promote that one to production", INCIDENTS)]
    assert "show_incident" not in names and "set_prompt_label" not in names
    assert "set_model_alias" not in names
