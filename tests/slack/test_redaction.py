"""Secrets never reach Slack: an Alertmanager alert's annotations are redacted when the incident
is stored (so triage, the timeline and the incident channel never see them), and the Web API
client redacts the readable text of every post and update as a last pass, leaving button
values exact."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bot.http.alertmanager import alertmanager_routes
from bot.http.app import create_app
from bot.http.server import HttpServer
from bot.incidents.contract import IncidentCard
from bot.slack.approvals import ButtonSigner
from bot.slack.client import make_web_client
from bot.slack.incidents import SlackIncidentNotifier
from bot.slack.outbox import ChannelPacer
from bot.slack.render import SlackMessage, section
from bot.slack.users import UserNames
from core.clock import utcnow
from tests.emulators.slack import SlackEmulator
from tests.incidents.alerts import alert, payload
from tests.slack.helpers import slash_body
from tests.slack.stack import start_stack

CHANNEL = "C0INCIDENTS"
TOKEN = "am-token-for-tests"
HOOK = "https://hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/abcdEFGHijklMNOPqrstUVWX"
SENDGRID = "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"
AZURE = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq"
SECRETS = ("abcdEFGHijklMNOPqrstUVWX", SENDGRID, AZURE)


def _leaks(blob: Any) -> list[str]:
    data = json.dumps(blob, default=str)
    return [s for s in SECRETS if s in data]


def _card(**overrides: Any) -> IncidentCard:
    values: dict[str, Any] = {
        "id": 9,
        "title": f"Webhook {HOOK} failing",
        "status": "open",
        "severity": "critical",
        "kind": "alertmanager",
        "summary": f"mail key {SENDGRID} rejected",
        "fields": (("conn", f"AccountName=a;AccountKey={AZURE};EndpointSuffix=x"),),
        "count": 1,
        "first_seen": utcnow() - timedelta(minutes=1),
        "last_seen": utcnow(),
    }
    values.update(overrides)
    return IncidentCard(**values)


def _notifier(slack_emulator: SlackEmulator) -> SlackIncidentNotifier:
    client = make_web_client("xoxb-test", slack_emulator.url)
    return SlackIncidentNotifier(
        client, CHANNEL, ButtonSigner("secret"), ChannelPacer(0.0), None, UserNames(client)
    )


def test_the_web_client_redacts_every_post_and_keeps_button_values(
    slack_emulator: SlackEmulator,
) -> None:
    notifier = _notifier(slack_emulator)
    card = _card()
    channel, ts = notifier.incident_changed(card)  # type: ignore[misc]
    card = replace(card, message_channel=channel, message_ts=ts)
    notifier.incident_changed(replace(card, count=2))  # chat.update
    notifier.thread_note(card, f"evidence: curl -u ci:Pa55 {HOOK}")
    outbox_client = notifier.client
    outbox_client.chat_postEphemeral(
        channel=CHANNEL, user="U1", text=f"key {SENDGRID}", blocks=[section(f"key {SENDGRID}")]
    )
    message = SlackMessage(text=f"conn AccountKey={AZURE}", blocks=[section("fine")])
    outbox_client.chat_postMessage(channel=CHANNEL, **message.kwargs())
    methods = {c.method for c in slack_emulator.calls}
    assert {"chat.postMessage", "chat.update", "chat.postEphemeral"} <= methods
    assert _leaks([c.params for c in slack_emulator.calls]) == []
    posted = slack_emulator.message(CHANNEL, ts)
    assert posted is not None
    shown = json.dumps(posted["blocks"])
    assert "hooks.slack.com/services/[REDACTED]" in shown and "AccountKey=[REDACTED]" in shown
    # buttons are untouched: the signed values are exactly what the notifier rendered
    from bot.slack.cards import incident_blocks

    expected = [
        e["value"]
        for b in incident_blocks(replace(card, count=2), notifier.signer)
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    got = [e["value"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert got == expected and got


def test_alert_annotations_are_redacted_before_they_are_stored_or_posted(  # type: ignore[no-untyped-def]
    make_runtime, slack_emulator: SlackEmulator
) -> None:
    runtime = make_runtime(alertmanager_token=TOKEN)
    runtime.incidents.config.background = False
    server = HttpServer(
        create_app(runtime.http_deps(), alertmanager_routes(runtime.http_deps())), "127.0.0.1", 0
    )
    port = server.start()
    try:
        leaky = alert(
            annotations={
                "summary": f"Webhook {HOOK} is failing",
                "description": f"SendGrid said 401 for {SENDGRID}; storage AccountKey={AZURE}",
            },
            labels={"alertname": "EndpointDown", "endpoint": "mail", "password": "Hunter2-Label"},
        )
        response = httpx.post(
            f"http://127.0.0.1:{port}/alerts/alertmanager",
            json=payload(leaky, group="EndpointDown"),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    finally:
        server.stop()
    (row,) = runtime.incidents.engine.list()
    assert "hooks.slack.com/services/[REDACTED]" in row.title
    with runtime.engine.connect() as db:
        stored = [
            [list(r) for r in db.execute(text(f"SELECT * FROM {t}"))]
            for t in ("incident", "incident_event")
        ]
    assert _leaks(stored) == []
    assert "Hunter2-Label" not in json.dumps(stored, default=str)
    # and what the incident channel gets, from the stored incident
    notifier = _notifier(slack_emulator)
    notifier.incident_changed(runtime.incidents.card(row.id))
    assert slack_emulator.posts(CHANNEL)
    assert _leaks([c.params for c in slack_emulator.calls]) == []


def test_slash_command_answers_through_response_url_are_redacted(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    """Bolt's `respond()` posts to response_url, not through the Web API client: the same
    last redaction pass runs over it (here the command's own text, echoed in the answer)."""
    stack = start_stack(tmp_path, slack_emulator)
    try:
        raw = slash_body(
            f"health {SENDGRID} {HOOK}", response_url=slack_emulator.response_url("health")
        )
        assert stack.sender.form(raw).status_code == 200
        [answer] = slack_emulator.wait_for(
            lambda: slack_emulator.calls_to("response_url", key="health"), what="the answer"
        )
        assert "/ops health" in json.dumps(answer.params)  # the echo is there, masked
        assert _leaks(answer.params) == []
    finally:
        stack.close()
