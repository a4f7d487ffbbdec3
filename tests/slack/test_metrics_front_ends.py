"""`/metrics` counts every front end (issue 11, item 16): agent turns, tool calls and approval
decisions by `via` (Slack, console, CLI), and HTTP requests on every route by its path
template. One process, as `opsbot run` is: a runtime with the Slack front end and every HTTP
route on real uvicorn, a console turn, an `ask` through the CLI's own handler, decisions from
the console, the CLI and a Slack click, then a scrape."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.commands.core import cmd_ask, cmd_decide
from bot.commands.deps import conversation_commands
from bot.console import Console
from bot.http.alertmanager import alertmanager_routes
from bot.http.app import create_app
from bot.http.prompts import prompts_routes
from bot.http.server import HttpServer
from bot.identity import os_user
from bot.settings import load_settings
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import BOT_TOKEN, SECRET, SlackSender, click_body, mention
from tests.slack.stack import TestRuntime, counting_remediation

CHANNEL = "C0METRICS"
AM_TOKEN = "am-token-for-metrics"
PROMPTS_TOKEN = "prompts-token-for-metrics"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base: str) -> Samples:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much the counter `name` with exactly these labels grew between the scrapes (the
    registry is the process's, shared with other tests)."""
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


class Served:
    def __init__(self, runtime: TestRuntime, server: HttpServer, port: int) -> None:
        self.runtime = runtime
        self.server = server
        self.base = f"http://127.0.0.1:{port}"
        self.slack = SlackSender(self.base)


@pytest.fixture
def served(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Served]:
    data = tmp_path / "data"
    data.mkdir()
    settings = load_settings(
        data_dir=data,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_emulator.url,
        oncall_users="U0ONCALL,U0OTHER",
        cli_users=f"{os_user()}=U0OTHER",  # the terminal user is on call
        alertmanager_token=AM_TOKEN,
        prompts_api_token=PROMPTS_TOKEN,
    )
    runtime = TestRuntime(settings, console_mode=True)
    runtime.extra_tools = [counting_remediation(tmp_path / "actions.log")]
    front = runtime.slack
    front.start()
    http = runtime.http_deps()
    routes: list[Any] = [*front.routes(), *prompts_routes(http), *alertmanager_routes(http)]
    server = HttpServer(create_app(http, routes), "127.0.0.1", 0)
    built = Served(runtime, server, server.start())
    yield built
    built.slack.close()
    server.stop()
    runtime.close()


def _slack_turn_and_click(served: Served, emu: SlackEmulator) -> None:
    """A mention that asks for a restart, then U0ONCALL approves it with a click."""
    body = mention("please restart web", channel=CHANNEL)
    thread_ts = body["event"]["ts"]
    assert served.slack.event(body).status_code == 200

    def card() -> dict[str, Any] | None:
        for message in emu.thread(CHANNEL, thread_ts):
            if any(b.get("type") == "actions" for b in message.get("blocks") or []):
                return message
        return None

    found = emu.wait_for(card, what="the approval card")
    actions = next(b for b in found["blocks"] if b["type"] == "actions")
    value = next(e["value"] for e in actions["elements"] if e["action_id"] == "approval_approve")
    raw = click_body(
        action_id="approval_approve", value=value, user="U0ONCALL", channel=CHANNEL,
        message_ts=found["ts"], thread_ts=thread_ts, response_url=emu.response_url("click"),
    )  # fmt: skip
    assert served.slack.form(raw).status_code == 200
    emu.wait_for(
        lambda: any(v.status == "executed" for v in _settled(served)), what="the Slack approval"
    )


def _settled(served: Served) -> list[Any]:
    from bot.approvals.tables import Approval
    from bot.storage.db import session

    with session(served.runtime.engine) as db:
        ids = [row.id for row in db.query(Approval).all()]
    return [served.runtime.approvals.view(i) for i in ids]


def test_every_front_end_is_counted(
    served: Served, slack_emulator: SlackEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    base = served.base
    before = scrape(base)
    runtime = served.runtime

    # the console: a read-only turn, a gated one, and its approval
    out = io.StringIO()
    console = Console(runtime.console_deps(), stdin=io.StringIO(), stdout=out)
    console.handle("how's the box doing?")
    console.handle("please restart web")
    [pending] = runtime.approvals.pending()
    console.handle(f"approve {pending.id}")
    assert runtime.approvals.view(pending.id).status == "executed", out.getvalue()

    # the CLI: `opsbot ask` and `opsbot approve`, through their own handlers
    ask = argparse.Namespace(text="please restart web", json=True, thread=None)
    assert cmd_ask(ask, conversation_commands(runtime)) == 0
    approval = json.loads(capsys.readouterr().out)["pending_approval"]["id"]
    decide = argparse.Namespace(id=approval, reason=[], json=False, approve=True)
    assert cmd_decide(decide, conversation_commands(runtime)) == 0

    # Slack: a mention and a click
    _slack_turn_and_click(served, slack_emulator)

    # the HTTP endpoints
    health = httpx.get(f"{base}/healthz", timeout=5).status_code  # 503: not set ready here
    headers = {"Authorization": f"Bearer {PROMPTS_TOKEN}"}
    assert httpx.get(f"{base}/prompts/opsbot-system", headers=headers).status_code == 200
    assert httpx.get(f"{base}/prompts/no-such-prompt", headers=headers).status_code == 404
    am = {"Authorization": f"Bearer {AM_TOKEN}", "Content-Type": "application/json"}
    assert httpx.post(f"{base}/alerts/alertmanager", content=b"{", headers=am).status_code == 400
    assert httpx.post(f"{base}/alerts/alertmanager", content=b"{}").status_code == 401
    assert httpx.get(f"{base}/no/such/path/12345", timeout=5).status_code == 404

    after = scrape(base)

    def turns(via: str, outcome: str) -> float:
        return delta(before, after, "opsbot_agent_turns_total", via=via, outcome=outcome)

    assert turns("console", "ok") == 1 and turns("console", "pending") == 1
    assert turns("cli", "pending") == 1
    assert turns("slack", "pending") == 1

    def tools(tool: str, via: str, outcome: str = "ok") -> float:
        return delta(before, after, "opsbot_tool_calls_total", tool=tool, via=via, outcome=outcome)

    assert tools("host_health", "console") == 1
    assert tools("run_remediation", "console") == 1  # run once, after its approval
    assert tools("run_remediation", "cli") == 1
    assert tools("run_remediation", "slack") == 1

    def decisions(via: str) -> float:
        return delta(before, after, "opsbot_approval_decisions_total", decision="approve", via=via)

    assert (decisions("console"), decisions("cli"), decisions("slack")) == (1, 1, 1)

    def http(route: str, status: str) -> float:
        return delta(before, after, "opsbot_http_requests_total", route=route, status=status)

    assert http("/healthz", str(health)) == 1
    assert http("/prompts/{name}", "200") == 1 and http("/prompts/{name}", "404") == 1
    assert http("/alerts/alertmanager", "400") == 1 and http("/alerts/alertmanager", "401") == 1
    assert http("/slack/events", "200") >= 2  # the mention and the click
    assert http("other", "404") == 1  # an unknown path is never a label of its own
    assert not any(
        "/no/such/path" in str(labels) for (name, labels) in after if name.startswith("opsbot_")
    )
    assert http("/metrics", "200") >= 1  # the first scrape
