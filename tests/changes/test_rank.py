"""Ranking the changes before an incident: closeness in time and the incident's own entity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tools.changes.rank import entities, likely_cause, rank, revert_of
from tools.changes.store import Change, ChangeKind

ONSET = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def change(id: int, minutes_before: float, target: str, kind: ChangeKind = ChangeKind.DEPLOY,
           before: str = "", after: str = "") -> Change:  # fmt: skip
    return Change(id=id, at=ONSET - timedelta(minutes=minutes_before), kind=kind, target=target,
                  summary=f"{kind.value} {target}", before=before, after=after, who="ci",
                  via="http", link="", source="posted")  # fmt: skip


def test_entities_come_from_labels_and_title() -> None:
    about = entities({"service": "Checkout", "severity": "critical"}, "High error rate on api-gw")
    assert {"checkout", "high", "error", "rate", "api-gw"} <= about
    assert "critical" not in about


def test_the_change_to_the_incidents_service_outranks_a_closer_unrelated_one() -> None:
    ranked = rank(
        [change(1, 3, "billing"), change(2, 25, "checkout"), change(3, 200, "checkout")],
        ONSET,
        {"checkout"},
    )
    assert [r.change.id for r in ranked] == [2, 1]  # 200 min is outside the 2 h window
    top = likely_cause(ranked)
    assert top is not None and top.change.id == 2
    assert (
        top.reason
        == "25 min before the onset, and it changed checkout, which this incident is about"
    )


def test_changes_after_the_onset_are_never_causes() -> None:
    assert rank([change(1, -5, "checkout")], ONSET, {"checkout"}) == []
    assert likely_cause([]) is None


def test_an_unrelated_change_is_the_cause_only_when_alone_and_close() -> None:
    alone = rank([change(1, 5, "billing"), change(2, 90, "search")], ONSET, {"checkout"})
    cause = likely_cause(alone)
    assert cause is not None and cause.change.id == 1
    two_close = rank([change(1, 5, "billing"), change(2, 10, "search")], ONSET, {"checkout"})
    assert likely_cause(two_close) is None
    far = rank([change(1, 60, "billing")], ONSET, {"checkout"})
    assert likely_cause(far) is None


def test_reverts_put_aliases_and_labels_back_and_nothing_else() -> None:
    alias = change(1, 5, "bikes", ChangeKind.MODEL_ALIAS, "production=v2", "production=v3")
    assert revert_of(alias) == (
        "set_model_alias",
        {"name": "bikes", "alias": "production", "version": 2},
    )
    label = change(2, 5, "triage", ChangeKind.PROMPT_LABEL, "production=v4", "production=v5")
    assert revert_of(label) == (
        "set_prompt_label",
        {"name": "triage", "label": "production", "version": 4},
    )
    first = change(3, 5, "triage", ChangeKind.PROMPT_LABEL, "staging=(unset)", "staging=v1")
    assert revert_of(first) is None
    assert revert_of(change(4, 5, "checkout")) is None
