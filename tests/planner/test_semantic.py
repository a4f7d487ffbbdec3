"""The offline planner's semantic layer with the real int8 MiniLM: held-out paraphrases (in
neither graphs/offline/examples.yml nor bench/semantic_router.py) land on the right read
tool, chit-chat stays below the threshold, a change is never proposed, and the layer is off,
said once, with the hashing embedding or an embedder that cannot be built."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from graphs.offline.planner import Planner
from graphs.offline.semantic import (
    EXAMPLES_FILE,
    MIN_EXAMPLES,
    NONE,
    READ_LABELS,
    ExamplesError,
    SemanticRouter,
    load_examples,
)
from tests.core.test_planner import ALL, VOCAB
from tools.runbooks.embedding import Embedder, make_embedder

GATED = {"run_remediation", "set_model_alias", "set_prompt_label", "create_prompt_version"}

HELD_OUT = [
    ("host_health", "is the server alright"),
    ("host_health", "the host seems sluggish today"),
    ("host_health", "how stressed is the machine"),
    ("disk_usage", "do we have enough disk left"),
    ("disk_usage", "how much room remains on the volume"),
    ("disk_usage", "which folders are huge"),
    ("top_processes", "what is chewing the cpu"),
    ("top_processes", "which processes are the heaviest"),
    ("top_processes", "what's hammering the processor"),
    ("check_endpoint", "is the website responding at all"),
    ("check_endpoint", "is the api answering requests"),
    ("check_endpoint", "when does our certificate expire"),
    ("list_models", "which ml models do we run"),
    ("list_models", "what's registered in the model store"),
    ("model_status", "which version is serving right now"),
    ("model_drift", "has the input distribution shifted"),
    ("model_drift", "is the model's data going stale"),
    ("list_prompts", "what prompt templates do we have"),
    ("show_prompt", "show me the wording of that prompt"),
    ("list_incidents", "is anything burning"),
    ("list_incidents", "what's broken at the moment"),
    ("list_incidents", "any alerts going off"),
    ("search_runbooks", "how do we recover from an oom"),
    ("search_runbooks", "what are the steps when a database crashes"),
]
CHIT_CHAT = [
    "hey there, how are you",
    "thanks mate",
    "what's the weather in london",
    "tell me a story",
    "who won the world cup",
    "lunch?",
    "have a nice weekend",
    "translate hello to spanish",
    "what is love",
    "provision a new kubernetes cluster",
]
WRITES = [
    "wipe the old logs in /var/log/app",
    "shut the box down",
    "nuke that model version",
    "make the new template the live one",
    "get rid of every prompt version",
    "kill -9 everything on this host",
    "format the data volume",
    "switch traffic to the canary",
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return make_embedder("minilm-int8")


@pytest.fixture(scope="module")
def router(embedder: Embedder) -> SemanticRouter:
    router = SemanticRouter(lambda: embedder)
    assert router.active
    return router


def test_examples_cover_every_read_label_and_only_those() -> None:
    pairs = load_examples()
    labels = {label for label, _ in pairs}
    assert labels == READ_LABELS | {NONE}
    for label in labels:
        assert sum(1 for got, _ in pairs if got == label) >= MIN_EXAMPLES


def test_held_out_paraphrases_are_not_examples() -> None:
    examples = {text.lower() for _, text in load_examples()}
    assert not [text for _, text in HELD_OUT if text.lower() in examples]
    assert not [text for text in CHIT_CHAT + WRITES if text.lower() in examples]


@pytest.mark.parametrize(("label", "text"), HELD_OUT)
def test_held_out_paraphrases_land_on_the_right_tool(
    router: SemanticRouter, label: str, text: str
) -> None:
    assert router.label(text) == label, router.scores(text)[:3]


@pytest.mark.parametrize("text", CHIT_CHAT)
def test_chit_chat_and_out_of_scope_propose_nothing(router: SemanticRouter, text: str) -> None:
    assert router.label(text) is None, router.scores(text)[:3]
    # the planner's old fallback stays: a runbook search, or what it can do
    planned = [name for name, _ in Planner(VOCAB, ALL, router).plan(text).calls]
    assert planned in ([], ["search_runbooks"])


@pytest.mark.parametrize("text", WRITES)
def test_a_change_is_never_proposed(router: SemanticRouter, text: str) -> None:
    assert {s.label for s in router.scores(text)} <= READ_LABELS | {NONE}
    assert router.label(text) in READ_LABELS | {None}
    # the planner changes something only on a rule's explicit verb, never from the layer
    rules = {name for name, _ in Planner(VOCAB, ALL).plan(text).calls}
    fused = {name for name, _ in Planner(VOCAB, ALL, router).plan(text).calls}
    assert fused & GATED <= rules & GATED


def test_a_gated_label_in_the_examples_is_refused(tmp_path: Path) -> None:
    examples = tmp_path / "examples.yml"
    lines = "".join(f"  - restart thing number {i}\n" for i in range(MIN_EXAMPLES))
    examples.write_text(f"run_remediation:\n{lines}")
    with pytest.raises(ExamplesError, match=r"run_remediation.* not a read tool"):
        load_examples(examples)


def test_too_few_or_ambiguous_examples_are_refused(tmp_path: Path) -> None:
    examples = tmp_path / "examples.yml"
    examples.write_text("host_health:\n  - is the box ok\n")
    with pytest.raises(ExamplesError, match="needs 15"):
        load_examples(examples)
    many = "".join(f"  - box question {i}\n" for i in range(MIN_EXAMPLES))
    examples.write_text(f"host_health:\n{many}disk_usage:\n  - Box question 3\n")
    with pytest.raises(ExamplesError, match="under both host_health and disk_usage"):
        load_examples(examples)


def test_the_planner_fills_arguments_from_its_entities(router: SemanticRouter) -> None:
    planner = Planner(VOCAB, ALL, router)
    # no rule names "room"; the path comes from the planner's entity extraction
    assert planner.plan("how much room is left on /srv/data").calls == [
        ("disk_usage", {"path": "/srv/data"})
    ]
    # rules alone searched the runbooks for these
    assert Planner(VOCAB, ALL).plan("which version is serving right now").calls[0][0] == (
        "search_runbooks"
    )
    # a model from earlier in the conversation; without one, nothing: the rules' answer
    # stands (the message may name a model that does not exist)
    assert planner.plan("which version is serving right now", ["how is fraud-detector"]).calls == [
        ("model_status", {"name": "fraud-detector"})
    ]
    assert planner.plan("which version is serving right now").calls[0][0] == "search_runbooks"
    assert planner.plan("has the input distribution shifted").calls == [
        ("model_drift", {"name": "bike-demand"}),
        ("model_drift", {"name": "fraud-detector"}),
    ]


def test_rules_come_first(router: SemanticRouter) -> None:
    for text in ("how's the box doing?", "list models", "is api up?", "disk space?"):
        assert Planner(VOCAB, ALL, router).plan(text).calls == Planner(VOCAB, ALL).plan(text).calls


def test_the_example_vectors_are_cached_by_content(embedder: Embedder, tmp_path: Path) -> None:
    first = SemanticRouter(lambda: embedder, tmp_path)
    scores = first.scores("how much room is left")
    cached = list(tmp_path.glob("examples-*.npy"))
    assert len(cached) == 1
    matrix = np.load(cached[0])
    assert matrix.shape == (len(load_examples()), 384)
    again = SemanticRouter(lambda: embedder, tmp_path)
    assert again.scores("how much room is left") == scores
    # other examples: another key, embedded anew
    other = tmp_path / "other.yml"
    other.write_text(EXAMPLES_FILE.read_text() + "  - see you tomorrow\n")
    assert SemanticRouter(lambda: embedder, tmp_path, other).active
    assert len(list(tmp_path.glob("examples-*.npy"))) == 2


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "graphs.offline.semantic"]


@pytest.mark.parametrize(
    ("embedding", "why"),
    [("hashing", "the embedding is hashing"), ("no-such-model", "unknown embedding")],
)
def test_the_layer_is_off_with_one_log_line(
    make_runtime: Callable[..., object],
    caplog: pytest.LogCaptureFixture,
    embedding: str,
    why: str,
) -> None:
    runtime = make_runtime(embedding=embedding)
    router = runtime.model.semantic  # type: ignore[attr-defined]
    planner = Planner(VOCAB, ALL, router)
    with caplog.at_level(logging.INFO, logger="graphs.offline.semantic"):
        for _ in range(3):
            assert planner.plan("how much room is left on the drive").calls == [
                ("search_runbooks", {"query": "how much room is left on the drive", "k": 3})
            ]
    assert not router.active
    assert len(_warnings(caplog)) == 1
    assert why in _warnings(caplog)[0]


def test_the_runtime_shares_the_runbook_embedder(make_runtime: Callable[..., object]) -> None:
    runtime = make_runtime()
    router = runtime.model.semantic  # type: ignore[attr-defined]
    assert router.active
    assert router.embedder is runtime.runbooks.embedder  # type: ignore[attr-defined]
    assert list((runtime.data_dir / "semantic").glob("examples-*.npy"))  # type: ignore[attr-defined]
