"""The registry service on SQLite and PostgreSQL: versions, labels, rollback, history,
deletes, and clear errors that change nothing."""

from __future__ import annotations

import threading

import pytest

from tests.prompts.conftest import make_versions
from tools.prompts.errors import PromptConflict, PromptError, PromptNotFound
from tools.prompts.store import PromptStore


def test_create_versions_are_numbered_immutable_and_never_move_production(
    store: PromptStore,
) -> None:
    view, created = store.create_version(
        "triage", "Classify {{ ticket }} for {{ team }}", "first", author="U1",
        config={"model": "m", "temperature": 0.0}, description="tickets", tags=["support"],
    )  # fmt: skip
    assert created and view.version == 1
    assert view.variables == ("ticket", "team")
    assert view.labels == ("latest",)
    assert len(view.sha256) == 64 and view.author == "U1" and view.message == "first"
    store.set_label("triage", "production", 1, actor="U1")
    v2, created2 = store.create_version("triage", "Classify {{ ticket }}", "second", author="U2")
    assert not created2 and v2.version == 2
    # creating a version never moves production
    assert store.get("triage").version == 1
    assert store.get("triage", label="latest").version == 2
    summary = store.summary("triage")
    assert summary.labels == {"production": 1} and summary.latest == 2 and summary.versions == 2
    assert summary.tags == ("support",) and summary.description == "tickets"


def test_identical_content_is_refused_with_the_existing_version(store: PromptStore) -> None:
    make_versions(store, count=2)
    with pytest.raises(
        PromptConflict, match="triage v1 already has exactly this template and config"
    ):
        store.create_version(
            "triage", "Version 1: classify {{ ticket }}\nline two\n", "again", author="U9",
            config={"temperature": 0.1},
        )  # fmt: skip
    # a different config is a different version
    view, _ = store.create_version(
        "triage", "Version 1: classify {{ ticket }}\nline two\n", "cooler", author="U9",
        config={"temperature": 0.0},
    )  # fmt: skip
    assert view.version == 3


def test_bad_input_is_refused_and_nothing_is_stored(store: PromptStore) -> None:
    with pytest.raises(PromptError, match="invalid placeholder"):
        store.create_version("triage", "Hi {{ x", "m", author="U1")
    with pytest.raises(PromptError, match="commit message is required"):
        store.create_version("triage", "Hi", "  ", author="U1")
    with pytest.raises(PromptError, match="the limit is 5,000"):
        store.create_version("triage", "x" * 5001, "big", author="U1")
    with pytest.raises(PromptError, match="invalid prompt name"):
        store.create_version("bad name", "Hi", "m", author="U1")
    assert store.names() == ()


def test_show_by_version_label_and_default(store: PromptStore) -> None:
    make_versions(store)
    # no production yet: the default is latest
    assert store.get("triage").version == 3
    store.set_label("triage", "production", 2, actor="U1")
    store.set_label("triage", "Staging", 3, actor="U1")
    assert store.get("triage").version == 2
    assert store.get("triage", version=1).version == 1
    assert store.get("triage", label="staging").labels == ("staging", "latest")
    assert store.resolve("triage", "v3").version == 3
    assert store.resolve("triage", "2").labels == ("production",)
    with pytest.raises(PromptError, match="not both"):
        store.get("triage", version=1, label="production")


def test_unknown_prompt_version_and_label_errors_are_clear(store: PromptStore) -> None:
    make_versions(store)
    with pytest.raises(PromptNotFound, match="unknown prompt 'triag'; did you mean triage"):
        store.get("triag")
    with pytest.raises(PromptNotFound, match=r"triage has no version 9 \(versions: v1..v3\)"):
        store.get("triage", version=9)
    with pytest.raises(PromptNotFound, match=r"triage has no label 'canary' \(labels: latest\)"):
        store.get("triage", label="canary")
    with pytest.raises(PromptNotFound, match=r"known prompts: triage$"):
        store.diff("nothing-here", "v1", "v2")


def test_diff_between_versions_and_labels(store: PromptStore) -> None:
    make_versions(store)
    store.set_label("triage", "production", 1, actor="U1")
    diff = store.diff("triage", "production", "latest")
    assert diff.old.version == 1 and diff.new.version == 3
    assert "--- triage v1 (production) template" in diff.template_diff
    assert "+++ triage v3 (latest) template" in diff.template_diff
    assert "-Version 1: classify {{ ticket }}" in diff.template_diff
    assert "+Version 3: classify {{ ticket }}" in diff.template_diff
    assert '-  "temperature": 0.1' in diff.config_diff
    assert '+  "temperature": 0.3' in diff.config_diff
    assert diff.stats() == (2, 2)
    same = store.diff("triage", "v2", "2")
    assert same.identical and same.text == ""


def test_label_moves_rollback_to_the_previous_holder_and_keep_history(store: PromptStore) -> None:
    make_versions(store, count=4)
    store.set_label("triage", "production", 1, actor="U1", reason="launch")
    store.set_label("triage", "production", 2, actor="U2")
    store.set_label("triage", "production", 4, actor="U3")
    plan = store.plan_label("triage", "production")
    assert (plan.current, plan.target, plan.rollback) == (4, 2, True)
    assert plan.diff is not None and "-Version 4" in plan.diff.template_diff
    back = store.set_label("triage", "production", actor="U4", reason="v4 is worse")
    assert (back.from_version, back.to_version, back.kind) == (4, 2, "rollback")
    # a second rollback goes one further back, not forth again
    again = store.set_label("triage", "production", actor="U4")
    assert (again.from_version, again.to_version) == (2, 1)
    with pytest.raises(PromptConflict, match="no earlier version to roll back to"):
        store.plan_label("triage", "production")
    history = store.history("triage")
    assert [(c.from_version, c.to_version, c.kind, c.actor) for c in history] == [
        (2, 1, "rollback", "U4"),
        (4, 2, "rollback", "U4"),
        (2, 4, "set", "U3"),
        (1, 2, "set", "U2"),
        (None, 1, "set", "U1"),
    ]
    assert history[-1].reason == "launch" and history[1].reason == "v4 is worse"


def test_label_errors_change_nothing(store: PromptStore) -> None:
    make_versions(store)
    store.set_label("triage", "production", 2, actor="U1")
    with pytest.raises(PromptConflict, match="already points to v2"):
        store.set_label("triage", "production", 2, actor="U1")
    with pytest.raises(PromptError, match="'latest' is reserved"):
        store.set_label("triage", "latest", 1, actor="U1")
    with pytest.raises(PromptError, match="name versions"):
        store.set_label("triage", "v2", 1, actor="U1")
    with pytest.raises(PromptNotFound, match="no version 7"):
        store.set_label("triage", "production", 7, actor="U1")
    with pytest.raises(PromptNotFound, match="no label 'staging' to roll back"):
        store.set_label("triage", "staging", actor="U1")
    with pytest.raises(PromptConflict, match="only ever held v2"):
        store.set_label("triage", "production", actor="U1")
    assert store.get("triage").version == 2
    assert len(store.history("triage")) == 1


def test_a_move_is_refused_when_the_label_moved_since_the_preview(store: PromptStore) -> None:
    make_versions(store)
    store.set_label("triage", "production", 1, actor="U1")
    preview = store.plan_label("triage", "production", 3)
    store.set_label("triage", "production", 2, actor="U2")  # someone else, meanwhile
    with pytest.raises(PromptConflict, match=r"pointed to v1 then and points to v2 now\. Nothing"):
        store.set_label("triage", "production", 3, actor="U3", expected_version=preview.current)
    with pytest.raises(PromptConflict, match="pointed to nothing then"):
        store.set_label("triage", "production", 3, actor="U3", expected_version=0)
    assert store.get("triage").version == 2


def test_concurrent_moves_of_one_label_have_exactly_one_winner(store: PromptStore) -> None:
    make_versions(store, count=6)
    store.set_label("triage", "production", 1, actor="U0")
    barrier = threading.Barrier(5)
    outcomes: dict[int, str] = {}

    def move(target: int) -> None:
        barrier.wait()
        try:
            store.set_label("triage", "production", target, actor=f"U{target}", expected_version=1)
            outcomes[target] = "won"
        except PromptConflict as exc:
            outcomes[target] = str(exc)

    threads = [threading.Thread(target=move, args=(v,)) for v in (2, 3, 4, 5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [v for v, result in outcomes.items() if result == "won"]
    assert len(outcomes) == 5 and len(winners) == 1, outcomes
    for v, result in outcomes.items():
        if v != winners[0]:
            assert "has changed since this was requested" in result
    assert store.get("triage").version == winners[0]
    assert [c.to_version for c in store.history("triage")] == [winners[0], 1]


def test_concurrent_creates_get_distinct_numbers(store: PromptStore) -> None:
    barrier = threading.Barrier(4)
    numbers: list[int] = []
    errors: list[Exception] = []

    def create(i: int) -> None:
        barrier.wait()
        try:
            numbers.append(store.create_version("fresh", f"text {i}", "m", author="U")[0].version)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and sorted(numbers) == [1, 2, 3, 4]


def test_soft_delete_rules(store: PromptStore) -> None:
    make_versions(store)
    store.set_label("triage", "production", 2, actor="U1")
    store.set_label("triage", "staging", 3, actor="U1")
    with pytest.raises(PromptConflict, match="v2 holds production and cannot be deleted"):
        store.delete_version("triage", 2, actor="U1")
    assert store.delete_version("triage", 3, actor="U1") == ["staging"]
    assert store.get("triage", label="latest").version == 2
    with pytest.raises(PromptNotFound, match="v3 was deleted"):
        store.get("triage", version=3)
    assert [v.version for v in store.versions("triage")] == [1, 2]
    assert [v.deleted for v in store.versions("triage", include_deleted=True)] == [
        False,
        False,
        True,
    ]
    assert store.history("triage", "staging")[0].kind == "removed"
    # identical content to a deleted version is still refused (its hash is taken), and says so
    with pytest.raises(PromptConflict, match=r"v3 \(deleted\) already has exactly"):
        store.create_version(
            "triage", "Version 3: classify {{ ticket }}\nline two\n", "back", author="U",
            config={"temperature": 0.3},
        )  # fmt: skip
    # numbering continues after the deleted version
    assert store.create_version("triage", "new text", "m", author="U")[0].version == 4
    with pytest.raises(PromptConflict, match="a prompt in production cannot be deleted"):
        store.delete_prompt("triage", actor="U1")
    store.create_version("other", "x", "m", author="U")
    store.delete_prompt("other", actor="U1")
    assert store.names() == ("triage",)
    with pytest.raises(PromptNotFound, match="it was deleted"):
        store.get("other")
    with pytest.raises(PromptConflict, match="its name cannot be reused"):
        store.create_version("other", "y", "m", author="U")


def test_rollback_skips_deleted_versions(store: PromptStore) -> None:
    make_versions(store)
    store.set_label("triage", "production", 1, actor="U")
    store.set_label("triage", "production", 2, actor="U")
    store.set_label("triage", "production", 3, actor="U")
    store.delete_version("triage", 2, actor="U")
    assert store.set_label("triage", "production", actor="U").to_version == 1


def test_list_names_and_labels_for_the_planner(store: PromptStore) -> None:
    make_versions(store, "b-prompt", 1)
    make_versions(store, "a-prompt", 2)
    store.set_label("a-prompt", "canary", 2, actor="U")
    assert store.names() == ("a-prompt", "b-prompt")
    assert store.label_names() == ("canary",)
    listed = store.list_prompts()
    assert [(p.name, p.latest, p.versions, p.labels) for p in listed] == [
        ("a-prompt", 2, 2, {"canary": 2}),
        ("b-prompt", 1, 1, {}),
    ]
    assert store.list_prompts(tag="nope") == []
