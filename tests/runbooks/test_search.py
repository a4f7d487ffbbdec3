"""Search over the shipped runbooks with the default embedding: alert names first, filters,
the "no good match" path, the agent tool and the triage lookup."""

from __future__ import annotations

import pytest

from core.access import Access, Caller
from knowledge import SHIPPED_RUNBOOKS
from knowledge.markdown import parse_markdown
from tools.runbooks import (
    RunbookError,
    RunbookIndex,
    build_runbook_tools,
    mentioned_actions,
    runbooks_for_alert,
)

CALLER = Caller(user="U1", via="console")

# Alert names opsbot's monitors emit, and the runbook that must answer each.
MONITOR_ALERTS = {
    "HostHighCpu": "host-high-cpu.md",
    "HostMemoryPressure": "host-memory-pressure.md",
    "HostSwapHigh": "host-swap-thrash.md",
    "HostDiskFull": "host-disk-full.md",
    "HostDiskFillingUp": "host-disk-full.md",
    "HostInodesExhausted": "host-inodes-exhausted.md",
    "EndpointDown": "endpoint-down.md",
    "EndpointSlow": "endpoint-slow.md",
    "TlsCertificateExpiring": "tls-certificate-expiring.md",
    "ModelDataDrift": "model-data-drift.md",
    "ModelPerformanceDrop": "model-performance-drop.md",
    "PromptRegression": "prompt-regression.md",
    "LlmProviderErrors": "llm-provider-errors.md",
    "ProcessCrashLooping": "process-crash-loop.md",
    "LogDirectoryGrowing": "log-directory-growth.md",
}

OFF_TOPIC = ["how do I bake sourdough bread", "what is the capital of France", "tell me a joke"]


def test_shipped_runbooks_have_front_matter_and_the_four_sections() -> None:
    files = sorted(SHIPPED_RUNBOOKS.glob("*.md"))
    assert len(files) >= 14
    for path in files:
        doc = parse_markdown(path.read_text(), path.stem)
        names = [s.path[0] for s in doc.sections if s.path]
        assert names[:4] == ["Meaning", "Impact", "Diagnosis", "Mitigation"], path.name
        assert doc.title and doc.services and doc.tags and doc.severity, path.name


def test_every_remediation_named_in_a_runbook_is_a_real_action() -> None:
    text = "\n".join(p.read_text() for p in SHIPPED_RUNBOOKS.glob("*.md"))
    for action in ("restart_service", "clean_directory", "kill_process", "set_model_alias",
                   "set_prompt_label", "run_script"):  # fmt: skip
        assert action in text, action


@pytest.mark.parametrize(("alert", "file"), sorted(MONITOR_ALERTS.items()))
def test_exact_alert_name_finds_its_runbook_first(
    shipped_index: RunbookIndex, alert: str, file: str
) -> None:
    for query in (
        alert,
        f"{alert.lower()} fired on web-1 at 03:12",
        f"what do I do about {alert}?",
    ):
        hits = shipped_index.search(query, k=3)
        assert hits[0].source == f"runbooks/{file}", query
        assert hits[0].match == "alert" and hits[0].score == 1.0


@pytest.mark.parametrize(
    ("query", "file"),
    [
        ("the disk on the database host is full", "host-disk-full.md"),
        ("no space left on device but df shows free space", "host-inodes-exhausted.md"),
        ("processes are getting OOM killed", "host-memory-pressure.md"),
        ("certificate expires next week", "tls-certificate-expiring.md"),
        ("answers got worse after we changed the prompt", "prompt-regression.md"),
        ("accuracy dropped after we promoted the new model version", "model-performance-drop.md"),
        ("anthropic returns 429 rate limit errors", "llm-provider-errors.md"),
        ("logs are eating the disk", "log-directory-growth.md"),
        ("service keeps crashing and systemd restarts it", "process-crash-loop.md"),
    ],
)
def test_engineer_words_find_the_right_runbook(
    shipped_index: RunbookIndex, query: str, file: str
) -> None:
    hits = shipped_index.search(query, k=3)
    assert hits, f"no strong hit for {query!r}"
    assert hits[0].source == f"runbooks/{file}", [(h.source, h.score) for h in hits]


def test_hits_carry_citation_fields(shipped_index: RunbookIndex) -> None:
    hit = shipped_index.search("disk full", k=1)[0]
    assert hit.title == "Disk full or filling up"
    assert hit.section in {"Meaning", "Impact", "Diagnosis", "Mitigation"}
    assert hit.path.endswith("host-disk-full.md") and 0 < hit.score <= 1
    assert set(hit.to_json()) == {"source", "title", "section", "score", "relevance", "text"}
    assert hit.citation == f"Disk full or filling up — {hit.section} (runbooks/host-disk-full.md)"


def test_filters_by_service_tag_and_alert(shipped_index: RunbookIndex) -> None:
    by_service = shipped_index.search(
        "something is wrong", k=10, service="prompt-registry", include_weak=True
    )
    assert {h.source for h in by_service} == {"runbooks/prompt-regression.md"}
    by_tag = shipped_index.search("space", k=10, tag="DISK", include_weak=True)  # case-insensitive
    assert {h.source for h in by_tag} <= {
        "runbooks/host-disk-full.md",
        "runbooks/host-inodes-exhausted.md",
        "runbooks/log-directory-growth.md",
    }
    assert "runbooks/host-disk-full.md" in {h.source for h in by_tag}
    by_alert = shipped_index.search("what now", k=3, alert="hostdiskfillingup")
    assert [h.source for h in by_alert] == ["runbooks/host-disk-full.md"]
    assert by_alert[0].match == "alert" and by_alert[0].strong
    assert shipped_index.search("disk", service="no-such-service") == []
    unrelated = shipped_index.search("zebra crossing", k=3, alert="TlsCertificateExpiring")
    assert [h.source for h in unrelated] == ["runbooks/tls-certificate-expiring.md"]


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_no_good_match_returns_nothing(shipped_index: RunbookIndex, query: str) -> None:
    assert shipped_index.search(query, k=3) == []
    weak = shipped_index.search(query, k=3, include_weak=True)
    assert all(not h.strong and h.score < shipped_index.min_score for h in weak)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": "   "}, "query must be non-empty text"),
        ({"query": "disk", "k": 0}, "k must be an integer from 1 to 50, got 0"),
        ({"query": "disk", "k": 51}, "got 51"),
        ({"query": "disk", "service": "  "}, "the service filter must be non-empty text"),
    ],
)
def test_bad_search_arguments_are_clear_errors(
    shipped_index: RunbookIndex, kwargs: dict, message: str
) -> None:
    with pytest.raises(RunbookError, match=message):
        shipped_index.search(**kwargs)


def test_tool_quotes_and_cites_strong_hits(shipped_index: RunbookIndex) -> None:
    (tool,) = build_runbook_tools(shipped_index)
    assert tool.name == "search_runbooks" and tool.access == Access.READ
    assert set(tool.schema()["input_schema"]["properties"]) == {
        "query",
        "k",
        "service",
        "tag",
        "alert",
    }
    result = tool.invoke({"query": "HostDiskFull on web-1", "k": 2}, CALLER)
    assert result.ok
    first = result.text.splitlines()[1]
    assert (
        first.startswith("1. Disk full or filling up — ")
        and "(runbooks/host-disk-full.md; names this alert)" in first
    )
    assert "   > " in result.text  # the section is quoted
    hits = result.data["hits"]
    assert hits[0]["source"] == "runbooks/host-disk-full.md" and hits[0]["match"] == "alert"
    assert {"source", "title", "section", "score", "text", "actions"} <= set(hits[0])


def test_tool_says_plainly_when_no_runbook_matches(shipped_index: RunbookIndex) -> None:
    (tool,) = build_runbook_tools(shipped_index)
    result = tool.invoke({"query": "how do I bake sourdough bread"}, CALLER)
    assert result.ok
    assert result.text.startswith('No runbook matches "how do I bake sourdough bread" well')
    assert "do not invent one" in result.text
    assert result.data["hits"] == []


def test_tool_rejects_bad_arguments_with_the_field_name(shipped_index: RunbookIndex) -> None:
    (tool,) = build_runbook_tools(shipped_index)
    for raw, field in (({"query": "disk", "k": 11}, "k"), ({"query": ""}, "query"), ({}, "query")):
        result = tool.invoke(raw, CALLER)
        assert not result.ok and f"bad arguments for search_runbooks: {field}" in result.text


def test_tool_on_an_empty_index_says_to_ingest(tmp_path, hashing) -> None:  # type: ignore[no-untyped-def]
    (tool,) = build_runbook_tools(RunbookIndex(tmp_path, embedding="hashing", embedder=hashing))
    result = tool.invoke({"query": "disk full"}, CALLER)
    assert not result.ok and "opsbot ingest" in result.text


def test_triage_puts_the_alert_runbook_first_with_its_actions(shipped_index: RunbookIndex) -> None:
    matches = runbooks_for_alert(
        shipped_index, "ModelPerformanceDrop", "accuracy of churn-model fell from 0.91 to 0.78", k=2
    )
    assert matches[0].by == "alert"
    assert matches[0].hit.source == "runbooks/model-performance-drop.md"
    assert "set_model_alias" in matches[0].actions
    assert [s.section for s in matches[0].mitigation] == ["Mitigation"]
    assert len(matches) <= 2 and len({m.hit.doc_id for m in matches}) == len(matches)


def test_triage_falls_back_to_text_and_never_to_weak_guesses(shipped_index: RunbookIndex) -> None:
    by_text = runbooks_for_alert(
        shipped_index, "KubeletTooManyOpenInodes", "No space left on device, df shows free space"
    )
    assert by_text and by_text[0].by == "text"
    assert by_text[0].hit.source == "runbooks/host-inodes-exhausted.md"
    assert "clean_directory" in by_text[0].actions
    assert (
        runbooks_for_alert(shipped_index, "SomethingUnknown", "how do I bake sourdough bread") == []
    )


def test_mentioned_actions_are_whole_words_in_order() -> None:
    text = "First kill_process 42, then restart_service; not my_restart_service_x or run_scripts."
    assert mentioned_actions(text) == ["kill_process", "restart_service"]


def test_the_answer_names_the_highest_scored_runbook_whatever_the_order(
    shipped_index: RunbookIndex,
) -> None:
    from graphs.offline.compose import Outcome, compose

    (tool,) = build_runbook_tools(shipped_index)
    result = tool.invoke({"query": "the disk is full"}, CALLER)
    hits = result.data["hits"]
    assert len(hits) >= 2 and hits[0]["title"] == "Disk full or filling up"
    shuffled = {**result.data, "hits": list(reversed(hits))}  # e.g. two searches merged
    answer = compose([Outcome("search_runbooks", {}, result.text, shuffled, True)], "")
    top = f"*Disk full or filling up* › {hits[0]['section']} (runbooks/host-disk-full.md)"
    assert answer.startswith(f"The closest runbook is {top}.")
    assert f"Next step: Follow {top}." in answer
