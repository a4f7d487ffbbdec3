"""The registry tools inside the real runtime and agent (offline planner): the newcomer's
questions after `opsbot demo`, and a rollback that waits for approval, runs once and is
recorded. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.access import Access, Caller
from graphs.offline.compose import Outcome, compose
from tests.registry.conftest import BIKE_DRIFTED
from tools.base import ToolError
from tools.registry.demo import seed_demo


@pytest.fixture
def runtime(make_runtime: Callable[..., Any], database_url: str | None) -> Any:
    rt = make_runtime(database_url=database_url)
    seed_demo(rt.registry)
    return rt


def _ask(runtime: Any, text: str, thread: str = "t1") -> Any:
    return runtime.agent.ask(text, thread_id=thread, caller=runtime.console_caller(thread))


def test_tools_are_registered_with_the_right_access(runtime: Any) -> None:
    box = runtime.toolbox
    for name in ("list_models", "model_status", "model_drift"):
        assert box.get(name).access == Access.READ
    assert box.get("set_model_alias").access == Access.GATED
    assert set(runtime.vocabulary().models) == {"bike-demand", "fraud-detector"}


def test_model_drift_tool_data_and_picture(runtime: Any) -> None:
    tool = runtime.toolbox.get("model_drift")
    result = tool.invoke({"name": "bike-demand"}, Caller("u"))
    assert result.ok, result.text
    data = result.data
    assert data["dataset_drift"] is True
    assert data["version"] == 3
    assert data["drift_share"] == pytest.approx(6 / 11)
    assert {f["name"] for f in data["features"][:6]} == BIKE_DRIFTED  # drifted first
    assert all(f["drifted"] for f in data["features"][:6])
    assert not any(f["drifted"] for f in data["features"][6:])
    assert set(data["features"][0]) >= {"name", "test", "statistic", "threshold", "drifted"}
    assert result.files and result.files[0].parent == runtime.data_dir / "plots"
    assert result.files[0].read_bytes()[:4] == b"\x89PNG"
    assert "bike-demand v3 (production): Dataset drift: 6 of 11 features drifted" in result.text
    lead = compose([Outcome("model_drift", {"name": "bike-demand"}, result.text, data, True)])
    assert lead.startswith("Yes, bike-demand is drifting: 6 of 11 features drifted")


def test_bad_tool_input_is_an_error_result(runtime: Any) -> None:
    drift = runtime.toolbox.get("model_drift")
    result = drift.invoke({"name": "bike-demand", "version": "v9"}, Caller("u"))
    assert not result.ok and "has no version 9; it has v1, v2, v3" in result.text
    result = drift.invoke({"name": "nope"}, Caller("u"))
    assert not result.ok and "unknown model 'nope'" in result.text
    status = runtime.toolbox.get("model_status").invoke({"name": ""}, Caller("u"))
    assert not status.ok and "bad arguments for model_status" in status.text
    alias = runtime.toolbox.get("set_model_alias")
    for bad, message in (
        ("v0", "must be 1 or more"),
        (True, "positive whole number"),
        ("two", "integer"),
    ):
        with pytest.raises(ToolError, match=message):
            alias.parse({"name": "bike-demand", "version": bad})
    assert alias.parse({"name": "bike-demand", "version": "v2"}).version == 2


def test_newcomer_asks_if_bike_demand_is_drifting(runtime: Any) -> None:
    turn = _ask(runtime, "is bike-demand drifting?")
    assert [c.name for c in turn.tool_calls] == ["model_drift"]
    answer = turn.answer
    assert answer.startswith("Yes, bike-demand is drifting: 6 of 11 features drifted")
    assert (
        "without mnth (an artefact of the reference window), 5 of 10 are real shifts"
        in (answer.splitlines()[0])
    )
    for name in BIKE_DRIFTED:
        assert f"• {name}:" in answer
    assert "No drift: season, hr, holiday, weekday, workingday" in answer
    assert "mean rose from 0.197 to 0.276" in answer  # temp, in words
    assert turn.files and turn.files[0].endswith(".png")


def test_fraud_detector_is_not_drifting(runtime: Any) -> None:
    turn = _ask(runtime, "any drift on fraud-detector?")
    assert turn.answer.startswith("No drift for fraud-detector: none of its 7 features drifted.")


def test_which_version_is_in_production_and_is_it_drifting(runtime: Any) -> None:
    turn = _ask(runtime, "which bike-demand version is in production, and is it drifting?")
    assert {c.name for c in turn.tool_calls} == {"model_drift", "model_status"}
    assert "production → v3" in turn.answer
    assert "Yes, bike-demand is drifting" in turn.answer


def test_rollback_waits_for_approval_runs_once_and_is_recorded(runtime: Any) -> None:
    turn = _ask(runtime, "roll back bike-demand", thread="rb")
    assert [c.name for c in turn.tool_calls] == ["set_model_alias"]
    assert len(turn.pending) == 1
    view = turn.pending[0]
    assert view.args["expected_current"] == 3 and view.args["expected_target"] == 2
    assert view.risk == "high"
    for expected in (
        "Move production of bike-demand from v3 to v2 (roll back one step)",
        "History of this alias: v1 → v2 → v3",
        "Metrics of v2 vs v3 (current production): worse on rmse, mae, r2",
        "rmse: 45.3 vs 41.9 (+3.4, +8.1%, worse)",
        "Drift of v2: DRIFT: 6 of 11 features drifted",
        "Note: v3 (current production) has input drift (DRIFT: 6 of 11 features drifted",
        "a rollback will not fix input drift: v2 sees the same inputs.",
    ):
        assert expected in view.preview
    assert "a rollback will not fix input drift" in turn.answer  # said before anyone approves
    assert runtime.registry.get_model("bike-demand").aliases["production"] == 3  # not yet

    decision, resumed = runtime.approval_flow.decide_and_resume(
        view.id, user=runtime.terminal.user, approve=True, via="console"
    )
    assert decision.ready
    final = runtime.approvals.view(view.id)
    assert final.status == "executed", final.result
    assert "rolled back from v3 to v2" in final.result
    assert "now resolves production of bike-demand to v2" in (final.verification or "")
    assert runtime.registry.get_model("bike-demand").aliases["production"] == 2
    last = runtime.registry.alias_history("bike-demand", "production")[-1]
    assert (last.from_version, last.to_version, last.kind) == (3, 2, "rollback")
    assert last.actor == f"console:{runtime.terminal.user}"  # the OS user at the terminal
    assert "rolled back" in resumed.answer
    # a second decision cannot run it again
    again, _ = runtime.approval_flow.decide_and_resume(
        view.id, user=runtime.terminal.user, approve=True, via="console"
    )
    assert not again.changed
    assert len(runtime.registry.alias_history("bike-demand", "production")) == 4
    outcomes = [r.outcome for r in runtime.audit.for_approval(view.id)]
    assert outcomes == ["requested", "approved", "ok"]


def test_rejected_rollback_changes_nothing(runtime: Any) -> None:
    view = _ask(runtime, "roll back bike-demand", thread="rj").pending[0]
    runtime.approval_flow.decide_and_resume(
        view.id, user=runtime.terminal.user, approve=False, via="console"
    )
    assert runtime.approvals.view(view.id).status == "rejected"
    assert runtime.registry.get_model("bike-demand").aliases["production"] == 3
    assert len(runtime.registry.alias_history("bike-demand", "production")) == 3


def test_alias_moved_while_the_approval_waited_is_refused(runtime: Any) -> None:
    view = _ask(runtime, "roll back bike-demand", thread="mv").pending[0]
    runtime.registry.set_alias("bike-demand", "production", 1, actor="someone")
    runtime.approval_flow.decide_and_resume(
        view.id, user=runtime.terminal.user, approve=True, via="console"
    )
    final = runtime.approvals.view(view.id)
    assert final.status == "failed"
    assert "changed since this was previewed" in (final.result or "")
    assert runtime.registry.get_model("bike-demand").aliases["production"] == 1


def test_impossible_alias_request_creates_no_approval(runtime: Any) -> None:
    turn = _ask(runtime, "roll back fraud-detector staging", thread="imp")
    assert turn.pending == []
    assert runtime.approvals.pending() == []
    assert "nothing to roll back" in turn.answer


def test_promote_a_version_to_staging(runtime: Any) -> None:
    turn = _ask(runtime, "promote bike-demand v3 to staging", thread="pr")
    view = turn.pending[0]
    assert view.args["alias"] == "staging" and view.args["version"] == 3
    assert view.risk == "medium"
    assert "Metrics of v3 vs v2 (current staging): better on rmse, mae, r2" in view.preview
