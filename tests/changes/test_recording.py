"""The change log is filled by what really happens: an approved label move is recorded once
with who asked and who approved; a rejected or failed action records nothing; a deploy
posted over real HTTP is stored; `what_changed` and `opsbot changes` list them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.http.app import create_app
from bot.http.changes import change_routes
from bot.http.server import HttpServer
from core.access import Caller
from core.clock import utcnow
from tests.bot_process import opsbot
from tools.changes.store import ChangeKind
from tools.prompts.demo import seed_demo

TOKEN = "change-token-0123456789"
REQUESTER = Caller(user="U_REQ", via="slack", channel="C1")


@pytest.fixture
def runtime(make_runtime, database_url):  # type: ignore[no-untyped-def]
    rt = make_runtime(
        console_mode=False,
        oncall_users=["U_ONCALL"],
        database_url=database_url,
        change_events_token=TOKEN,
    )
    seed_demo(rt.prompts)
    return rt


@pytest.fixture
def served(runtime) -> Iterator[str]:  # type: ignore[no-untyped-def]
    deps = runtime.http_deps()
    server = HttpServer(create_app(deps, change_routes(deps)), "127.0.0.1", 0)
    port = server.start()
    yield f"http://127.0.0.1:{port}/events/change"
    server.stop()


def _what_changed(runtime: Any, **args: Any) -> Any:
    tool = runtime.toolbox.get("what_changed")
    return tool.invoke(args, REQUESTER)


def test_an_approved_label_move_is_recorded_once(runtime) -> None:  # type: ignore[no-untyped-def]
    turn = runtime.agent.ask(
        "promote support-triage v3 to production", thread_id="C1:1.0", caller=REQUESTER
    )
    [approval] = turn.pending
    assert runtime.changes.list(utcnow().replace(year=2000)) == []  # asking changes nothing
    runtime.approval_flow.decide_and_resume(approval.id, user="U_ONCALL", approve=True, via="slack")
    runtime.approval_flow.decide_and_resume(approval.id, user="U_ONCALL", approve=True, via="slack")
    [change] = runtime.changes.list(utcnow().replace(year=2000))
    assert (change.kind, change.target) == (ChangeKind.PROMPT_LABEL, "support-triage")
    assert (change.before, change.after) == ("production=v2", "production=v3")
    assert change.who == "U_REQ, approved by U_ONCALL" and change.link == approval.id
    result = _what_changed(runtime, since="1h")
    assert result.ok and "[prompt_label] support-triage: production of support-triage moved" in (
        result.text
    )
    assert result.data["changes"][0]["id"] == change.id


def test_a_rejected_move_records_nothing(runtime) -> None:  # type: ignore[no-untyped-def]
    turn = runtime.agent.ask(
        "promote support-triage v3 to production", thread_id="C1:2.0", caller=REQUESTER
    )
    runtime.approval_flow.decide_and_resume(
        turn.pending[0].id, user="U_ONCALL", approve=False, via="slack"
    )
    assert _what_changed(runtime, since="1h").text == "No change recorded in the last 1h."


def test_what_changed_refuses_a_bad_window_or_kind(runtime) -> None:  # type: ignore[no-untyped-def]
    bad = _what_changed(runtime, since="forever")
    assert not bad.ok and "use e.g. 30m, 2h or 7d" in bad.text
    assert "use one of: model_alias" in _what_changed(runtime, kind="deploys").text


def test_a_posted_deploy_is_stored_and_bad_posts_store_nothing(served, runtime) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(served, json={"service": "checkout"}, timeout=10).status_code == 401
    wrong = httpx.post(served, json={"service": "x"}, headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    for body in (
        b"{not json",
        b'{"version": "1"}',
        b'{"service": "a", "at": "2999-01-01T00:00:00Z"}',
    ):
        refused = httpx.post(served, content=body, headers=auth, timeout=10)
        assert refused.status_code == 400 and refused.json()["error"]
    assert runtime.changes.list(utcnow().replace(year=2000)) == []
    body = {"service": "checkout", "version": "1.4.2", "who": "ci", "link": "https://ci.example/9"}
    made = httpx.post(served, json=body, headers=auth, timeout=10)
    assert made.status_code == 201, made.text
    assert made.json()["change"]["target"] == "checkout"
    result = _what_changed(runtime, target="checkout", kind="deploy")
    assert "deploy of checkout 1.4.2 by ci via http <https://ci.example/9>" in result.text


def test_intake_is_off_without_a_token(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    deps = runtime.http_deps()
    server = HttpServer(create_app(deps, change_routes(deps)), "127.0.0.1", 0)
    port = server.start()
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/events/change", json={"service": "a"})
        assert response.status_code == 404 and "set CHANGE_EVENTS_TOKEN" in response.json()["error"]
    finally:
        server.stop()


def test_the_cli_adds_and_lists_changes(data_dir) -> None:  # type: ignore[no-untyped-def]
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    added = opsbot("changes", "add", "checkout", "--summary", "deployed 1.4.2", "--version",
                   "1.4.2", "--json", env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["via"] == "cli"
    listed = opsbot("changes", "--since", "2h", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    [change] = json.loads(listed.stdout)["changes"]
    assert (change["target"], change["summary"], change["after"]) == (
        "checkout", "deployed 1.4.2", "1.4.2",
    )  # fmt: skip
    bad = opsbot("changes", "--since", "soon", env=env)
    assert bad.returncode == 1 and "use e.g. 30m, 2h or 7d" in bad.stderr
    skewed = opsbot("changes", "add", "x", "--summary", "s", "--link", "ftp://x", env=env)
    assert skewed.returncode == 2 and "link must be an http(s) URL" in skewed.stderr


def test_a_change_log_that_cannot_be_written_does_not_fail_the_action(  # type: ignore[no-untyped-def]
    make_runtime, caplog
) -> None:
    """The action ran and its outcome is recorded; the change row is refused (here by a
    trigger, as a full disk would): the approval stays executed and the error is logged."""
    import logging

    from sqlalchemy import text

    runtime = make_runtime(console_mode=False, oncall_users=["U_ONCALL"])
    seed_demo(runtime.prompts)
    with runtime.engine.begin() as conn:
        conn.execute(text(
            "CREATE TRIGGER refuse_changes BEFORE INSERT ON change "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        ))  # fmt: skip
    turn = runtime.agent.ask(
        "promote support-triage v3 to production", thread_id="C1:9.0", caller=REQUESTER
    )
    [approval] = turn.pending
    with caplog.at_level(logging.ERROR, logger="bot.approvals.execute"):
        runtime.approval_flow.decide_and_resume(
            approval.id, user="U_ONCALL", approve=True, via="slack"
        )
    assert runtime.approvals.view(approval.id).status == "executed"
    assert runtime.prompts.get("support-triage").version == 3
    assert runtime.changes.list(utcnow().replace(year=2000)) == []
    assert any("could not be written to the change log" in r.getMessage() for r in caplog.records)
