"""The offline planner: everyday phrasings, typos, case and word order -> the right tools."""

from __future__ import annotations

import pytest

from graphs.offline.entities import Vocabulary
from graphs.offline.planner import CAPABILITIES, Planner

VOCAB = Vocabulary(
    models=("bike-demand", "fraud-detector"),
    prompts=("support-triage", "incident-summary"),
    endpoints=("api", "checkout"),
    services=("web", "worker"),
    scripts=("rotate-logs",),
)
ALL = {name for name, _ in CAPABILITIES}


def plan(text: str, history: list[str] | None = None, available: set[str] | None = None):  # type: ignore[no-untyped-def]
    return Planner(VOCAB, available if available is not None else ALL).plan(text, history)


def calls(text: str, history: list[str] | None = None) -> list[tuple[str, dict]]:
    return plan(text, history).calls


@pytest.mark.parametrize(
    "text",
    ["how's the box doing?", "HOW IS THE SERVER", "host health", "hows teh machine doing",
     "cpu and memory?", "what's the load like", "uptime?", "box status pls"],
)  # fmt: skip
def test_host_questions(text: str) -> None:
    assert [name for name, _ in calls(text)] == ["host_health"]


@pytest.mark.parametrize(
    ("text", "by"),
    [("what's eating memory?", "memory"), ("top processes", "cpu"),
     ("which process is hogging cpu", "cpu"), ("whats eating memry", "memory")],
)  # fmt: skip
def test_process_questions(text: str, by: str) -> None:
    assert calls(text) == [("top_processes", {"by": by, "limit": 10})]


def test_disk_questions() -> None:
    assert calls("what's filling /var?") == [("disk_usage", {"path": "/var"})]
    assert calls("disk space?") == [("disk_usage", {"path": "/"})]
    assert calls("are we running out of inodes on /srv/data") == [
        ("disk_usage", {"path": "/srv/data"})
    ]


def test_endpoint_questions() -> None:
    assert calls("is api up?") == [("check_endpoint", {"target": "api"})]
    assert calls("is CHECKOUT down") == [("check_endpoint", {"target": "checkout"})]
    assert calls("check all endpoints") == [("check_endpoint", {"target": ""})]
    assert calls("when does the tls cert for api expire") == [("check_endpoint", {"target": "api"})]


def test_model_questions_with_typos_and_order() -> None:
    assert calls("list models") == [("list_models", {})]
    assert calls("status of bike-demand") == [("model_status", {"name": "bike-demand"})]
    assert calls("is bike demand drifting?") == [("model_drift", {"name": "bike-demand"})]
    assert calls("drfit on bike-demnad") == [("model_drift", {"name": "bike-demand"})]
    both = calls("which bike-demand version is in production, and is it drifting?")
    assert sorted(name for name, _ in both) == ["model_drift", "model_status"]


def test_follow_up_uses_the_earlier_model() -> None:
    assert calls("and is it drifting?", history=["status of fraud-detector"]) == [
        ("model_drift", {"name": "fraud-detector"})
    ]


def test_prompt_questions() -> None:
    assert calls("list prompts") == [("list_prompts", {})]
    assert calls("show support-triage production") == [
        ("show_prompt", {"name": "support-triage", "label": "production"})
    ]
    assert calls("what changed between v1 and v3 of support-triage") == [
        ("diff_prompts", {"name": "support-triage", "old": "v1", "new": "v3"})
    ]
    assert calls("diff support-triage") == [
        ("diff_prompts", {"name": "support-triage", "old": "production", "new": "latest"})
    ]


def test_changes_become_gated_calls() -> None:
    assert calls("roll back bike-demand") == [
        ("set_model_alias", {"name": "bike-demand", "alias": "production", "version": None})
    ]
    assert calls("promote bike-demand v2 to staging") == [
        ("set_model_alias", {"name": "bike-demand", "alias": "staging", "version": 2})
    ]
    assert calls("rollback the support-triage prompt") == [
        ("set_prompt_label", {"name": "support-triage", "label": "production", "version": None})
    ]
    assert calls("promote support-triage version 3 to prod") == [
        ("set_prompt_label", {"name": "support-triage", "label": "production", "version": 3})
    ]
    assert calls("restart web") == [
        ("run_remediation", {"action": "restart_service", "params": {"service": "web"}})
    ]
    assert calls("kill pid 4242") == [
        ("run_remediation", {"action": "kill_process", "params": {"pid": 4242}})
    ]
    assert calls("clean /var/log/app older than 14 days") == [
        ("run_remediation", {"action": "clean_directory",
                             "params": {"path": "/var/log/app", "older_than_days": 14}})
    ]  # fmt: skip


def test_missing_names_are_asked_for() -> None:
    restart = plan("restart the thing")
    assert (
        not restart.calls and "web" in (restart.reply or "") and "worker" in (restart.reply or "")
    )
    rollback = plan("roll back")
    assert not rollback.calls and "bike-demand" in (rollback.reply or "")


def test_incidents_and_runbooks() -> None:
    assert calls("what's open?") == [("list_incidents", {"status": "open"})]
    assert calls("any open incidents?") == [("list_incidents", {"status": "open"})]
    assert calls("incident 12") == [("show_incident", {"id": 12})]
    howto = calls("how do I fix a full disk?")
    assert ("search_runbooks", {"query": "how do I fix a full disk?", "k": 3}) in howto


def test_unknown_falls_back_to_runbooks_or_says_what_it_can_do() -> None:
    assert calls("the kafka consumer lag keeps growing") == [
        ("search_runbooks", {"query": "the kafka consumer lag keeps growing", "k": 3})
    ]
    nothing = plan("tell me a joke", available={"host_health"})
    assert not nothing.calls and "host health" in (nothing.reply or "")
    helped = plan("help")
    assert "Here is what I can do" in (helped.reply or "")


def test_unavailable_tools_are_never_planned() -> None:
    assert plan("is bike-demand drifting?", available={"host_health"}).calls == []


def test_a_word_is_only_corrected_within_the_typos_the_keyword_allows() -> None:
    from graphs.offline.text import Lexicon

    # "resolved" is two letters longer than "reboot" and "revert" (one typo allowed each):
    # neither is a correction of it, whatever order the words are tried in
    assert Lexicon(["reboot", "revert"]).canonical("resolved") == "resolved"
    assert Lexicon(["reboot", "revert", "resolve"]).canonical("resolved") == "resolve"
    assert Lexicon(["reboot"]).canonical("rebot") == "reboot"


def test_list_resolved_incidents_is_not_a_rollback_whatever_the_hash_seed() -> None:
    import os
    import subprocess
    import sys

    code = (
        "from graphs.offline.entities import Vocabulary;"
        "from graphs.offline.planner import CAPABILITIES, Planner;"
        "tools = {name for name, _ in CAPABILITIES};"
        "print(Planner(Vocabulary(), tools).plan('list resolved incidents').calls)"
    )
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for seed in ("0", "1", "2", "3", "4", "5"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.strip() == "[('list_incidents', {'status': 'resolved'})]", seed
