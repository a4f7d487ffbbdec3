"""The App Home (issue 19) over signed HTTP against the Slack emulator: `app_home_opened`
publishes the user's home (on call, incidents, approvals with buttons, windows), its Approve
button decides through the normal approval path, Refresh re-renders, a failing
`views.publish` is logged and the next open works."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.home import HomeData, IncidentLine, Listing
from bot.slack.approvals import ButtonSigner
from bot.slack.home import MAX_HOME_BLOCKS, home_view
from core.access import Caller
from core.approvals import ApprovalView
from core.clock import utcnow
from core.incidents import Finding
from tests.emulators.slack import SlackEmulator, home_view_problems
from tests.slack.helpers import new_ts, payload
from tests.slack.stack import Stack, start_stack

CHANNEL = "C0HOME"
TEAM = "T0G9PQBBK"
USER = "U0ONCALL"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _opened(user: str = USER, tab: str = "home") -> dict[str, Any]:
    """An `app_home_opened` event_callback in the shape Slack sends it."""
    body = payload("event_callback.app_mention")
    ts = new_ts()
    body["event"] = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab,
                     "event_ts": ts}  # fmt: skip
    body["event_id"] = f"Ev{ts.replace('.', '')}H"
    return body


def _home_click(user: str, action_id: str, value: str) -> str:
    """A `block_actions` body for a button on the App Home: a view container, no channel."""
    body = payload("block_actions.button_click")
    del body["message"], body["channel"], body["response_url"]
    body["user"]["id"] = user
    body["container"] = {"type": "view", "view_id": "V0HOME"}
    body["view"] = {"id": "V0HOME", "type": "home", "blocks": [], "callback_id": "opsbot_home"}
    body["actions"][0].update({"action_id": action_id, "value": value, "block_id": "x"})
    body["actions"][0]["action_ts"] = new_ts()
    return "payload=" + urllib.parse.quote(json.dumps(body))


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def _wait_home(emu: SlackEmulator, user: str, count: int) -> dict[str, Any]:
    emu.wait_for(lambda: emu.calls_to("views.publish")[count - 1 :], 30, what="views.publish")
    return emu.home_views[user]


def _approval(stack: Stack, thread_ts: str) -> ApprovalView:
    runtime = stack.runtime
    tool = runtime.toolbox.get("run_remediation")
    assert tool is not None
    args = {"action": "restart_service", "params": {"service": "web"}}
    view = runtime.approvals.request(
        thread_id=f"slack:{TEAM}:{CHANNEL}:{thread_ts}", tool_call_id="call-1", tool=tool,
        args=args, caller=Caller(user="U222", via="slack", channel=CHANNEL),
        preview="would restart web", risk=tool.risk_of(tool.parse(args)),
    )  # fmt: skip
    runtime.slack.outbox.post_approval(view, CHANNEL, thread_ts)
    return view


def test_an_empty_home_says_none_in_each_section(stack: Stack) -> None:
    emu = stack.emulator
    assert stack.sender.event(_opened()).status_code == 200
    view = _wait_home(emu, USER, 1)
    assert view["type"] == "home" and home_view_problems(view) == []
    text = _text(view)
    for title in ("On call now and next", "Open incidents", "Pending approvals",
                  "Active maintenance windows"):  # fmt: skip
        assert title in text
    assert text.count("None.") == 4
    # the Messages tab is not the home: nothing published for it
    assert stack.sender.event(_opened(tab="messages")).status_code == 200
    assert stack.sender.event(_opened(user="U0OTHER")).status_code == 200
    _wait_home(emu, "U0OTHER", 2)
    assert len(emu.calls_to("views.publish")) == 2


def test_the_home_shows_each_store_and_its_approve_button_decides(stack: Stack) -> None:
    emu, runtime = stack.emulator, stack.runtime
    runtime.oncall.add_rotation(
        "sre", people="U1AA,U2BB", every="weekly", handoff="09:00", tz="Europe/Berlin",
        start=str(utcnow().date() - timedelta(days=7)),
    )  # fmt: skip
    finding = Finding(monitor="host", alertname="HostDiskFull", title="disk full on web-1",
                      severity="critical", kind="host", labels={"host": "web-1"})  # fmt: skip
    incident_id, _ = runtime.incidents.engine.observe(finding, "hash-1")
    now = utcnow()
    runtime.maintenance.store.add([], now - timedelta(minutes=5), now + timedelta(hours=1),
                                  "db upgrade", who="U1AA", match_all=True)  # fmt: skip
    thread = new_ts()
    view = _approval(stack, thread)

    assert stack.sender.event(_opened()).status_code == 200
    home = _wait_home(emu, USER, 1)
    text = _text(home)
    assert "*sre*" in text and "is on call" in text and "next:" in text
    assert f"#{incident_id} disk full on web-1" in text and "not posted in Slack" in text
    assert "restart_service" in text and "/archives/C0HOME/p" in text  # links to the card
    assert "db upgrade" in text
    (buttons,) = [b for b in home["blocks"] if b.get("block_id") == f"approval:{view.id}"]
    approve = buttons["elements"][0]
    assert approve["action_id"] == "approval_approve"

    forged = approve["value"].rsplit("|", 1)[0] + "|" + "0" * 32
    assert stack.sender.form(_home_click(USER, "approval_approve", forged)).status_code == 200
    refused = _wait_home(emu, USER, 2)
    assert "signature is invalid" in _text(refused)
    assert runtime.approvals.view(view.id).status == "pending"
    outsider = _home_click("U9ZZ", "approval_approve", approve["value"])
    assert stack.sender.form(outsider).status_code == 200
    emu.wait_for(lambda: emu.home_views.get("U9ZZ"), 30, what="the outsider's home")
    assert "Refused" in _text(emu.home_views["U9ZZ"])
    assert runtime.approvals.view(view.id).status == "pending"

    assert (
        stack.sender.form(_home_click(USER, "approval_approve", approve["value"])).status_code
        == 200
    )
    after = _wait_home(emu, USER, 4)
    assert runtime.approvals.view(view.id).status != "pending"
    assert runtime.approvals.view(view.id).decided_by == USER
    assert f"approval:{view.id}" not in _text(after)
    assert stack.runs() == ["restart_service {'service': 'web'} requested by U222"]
    # the card in the thread shows the decision, as for a click on the card itself
    emu.wait_for(
        lambda: [c for c in emu.calls_to("chat.update") if "Approved by" in json.dumps(c.params)],
        30, what="the card updated",
    )  # fmt: skip

    assert stack.sender.form(_home_click(USER, "home_refresh", "refresh")).status_code == 200
    _wait_home(emu, USER, 5)


def test_a_failing_publish_is_logged_and_the_next_open_works(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    emu = stack.emulator
    emu.fail("views.publish", "internal_error")
    assert stack.sender.event(_opened()).status_code == 200
    emu.wait_for(lambda: emu.calls_to("views.publish"), 30, what="views.publish")
    deadline = time.monotonic() + 20
    while not any("could not publish the App Home" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the failure was not logged"
        time.sleep(0.05)
    assert USER not in emu.home_views
    assert stack.sender.event(_opened()).status_code == 200
    assert "Pending approvals" in _text(_wait_home(emu, USER, 2))


def _signer() -> ButtonSigner:
    return ButtonSigner("secret")


def test_long_lists_are_capped_with_and_n_more_and_fit_a_home_view() -> None:
    lines = tuple(
        IncidentLine(i, f"incident {i}", "open", "warning", None, "C1", f"1.{i}") for i in range(10)
    )
    data = HomeData(
        at=utcnow(),
        oncall=Listing(unavailable="on-call schedules are not configured in this process"),
        incidents=Listing(lines, more=42),
        approvals=Listing(),
        windows=Listing(unavailable="could not read the maintenance windows (OperationalError)"),
    )
    view = home_view(data, _signer(), lambda channel, ts: None, notice="Refused: <nope>")
    text = _text(view)
    assert "… and 42 more." in text
    assert "Unavailable: on-call schedules are not configured" in text
    assert "Unavailable: could not read the maintenance windows" in text
    assert "Refused: &lt;nope&gt;" in text
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS and home_view_problems(view) == []


def test_a_failing_store_says_so_and_the_others_still_show(stack: Stack) -> None:
    from sqlalchemy import create_engine

    from bot.home import HomeSources
    from tools.oncall.store import OncallStore

    runtime = stack.runtime
    _approval(stack, new_ts())
    empty = create_engine("sqlite://")  # a database without opsbot's tables
    sources = HomeSources(lambda: runtime.approvals, oncall=lambda: OncallStore(empty))
    data = sources.gather()
    assert data.oncall.unavailable is not None
    assert data.oncall.unavailable.startswith("could not read the on-call schedules")
    assert data.incidents.unavailable == "incidents are not configured in this process"
    assert data.windows.unavailable == "maintenance windows are not configured in this process"
    (pending,) = data.approvals.items
    assert pending.view.tool == "run_remediation" and pending.ts is not None
    text = _text(home_view(data, _signer(), lambda channel, ts: None))
    assert "Unavailable: could not read the on-call schedules" in text
    assert "restart_service" in text and "its card" in text


def test_an_incident_posted_in_slack_links_to_its_thread(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    emu = slack_emulator
    built = start_stack(tmp_path, emu, incident_channel="C0INC")
    try:
        service = built.runtime.incidents
        service.add_notifier(built.runtime.slack.incident_notifier(service, echo=False))
        finding = Finding(monitor="endpoint", alertname="EndpointDown", title="api is down",
                          severity="critical", kind="endpoint", labels={"url": "api"})  # fmt: skip
        incident_id, _ = service.engine.observe(finding, "hash-2")
        service.outbox.pump()  # what `opsbot run`'s delivery thread does
        (root,) = emu.wait_for(lambda: emu.posts("C0INC")[:1], 30, what="the root message")
        ts = root.response["ts"]
        assert built.sender.event(_opened()).status_code == 200
        text = _text(_wait_home(emu, USER, 1))
        assert f"/archives/C0INC/p{ts.replace('.', '')}|api is down>" in text
        assert f"#{incident_id}" in text and "not posted in Slack" not in text
    finally:
        built.close()
