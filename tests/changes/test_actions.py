"""What an executed action changed: the change-log entry made from its result and arguments."""

from __future__ import annotations

from tools.changes.actions import change_of
from tools.changes.store import ChangeKind


def test_an_alias_move_is_a_model_alias_change_with_before_and_after() -> None:
    data = {"model": "bikes", "alias": "production", "from_version": 2, "to_version": 3}
    draft = change_of("set_model_alias", {"name": "bikes"}, data)
    assert draft is not None
    assert (draft.kind, draft.target) == (ChangeKind.MODEL_ALIAS, "bikes")
    assert (draft.before, draft.after) == ("production=v2", "production=v3")
    assert draft.summary == "production of bikes moved from v2 to v3"


def test_a_label_rollback_and_a_first_label_are_said_as_such() -> None:
    rollback = {"name": "triage", "label": "production", "from_version": 4, "to_version": 3,
                "kind": "rollback"}  # fmt: skip
    draft = change_of("set_prompt_label", {}, rollback)
    assert draft is not None and draft.kind == ChangeKind.PROMPT_LABEL
    assert draft.summary == "production of triage rolled back from v4 to v3"
    first = change_of("set_prompt_label", {}, {"name": "t", "label": "staging", "to_version": 1})
    assert first is not None and first.before == "staging=(unset)"


def test_run_remediation_delegating_to_an_alias_move_is_the_alias_move() -> None:
    data = {"model": "bikes", "alias": "production", "from_version": 3, "to_version": 2,
            "kind": "rollback"}  # fmt: skip
    args = {"action": "set_model_alias", "params": {"name": "bikes", "alias": "production"}}
    draft = change_of("run_remediation", args, data)
    assert draft is not None and draft.kind == ChangeKind.MODEL_ALIAS


def test_a_remediation_names_what_it_touched() -> None:
    args = {"action": "restart_service", "params": {"service": "web"}}
    draft = change_of("run_remediation", args, None, "restarted web (systemctl)\nok")
    assert draft is not None
    assert (draft.kind, draft.target) == (ChangeKind.REMEDIATION, "web")
    assert draft.summary == "restart_service service=web: restarted web (systemctl)"
    bare = change_of("run_remediation", {"action": "flush_cache", "params": {}}, None)
    assert bare is not None and bare.target == "flush_cache"


def test_reads_and_unknown_tools_change_nothing() -> None:
    assert change_of("list_models", {}, {"model": "x", "alias": "p", "to_version": 1}) is None
    assert change_of("create_prompt_version", {"name": "x"}, None) is None
