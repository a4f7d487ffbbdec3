"""Signed Slack bodies that cannot be decoded safely (not UTF-8, nested too deeply, a NUL or a
lone surrogate) on each kind of request (Events API, interactions, slash commands), over real
HTTP: 400 with the reason and X-Slack-No-Retry, nothing stored, nothing posted, and the
server goes on answering."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.storage.tables import ProcessedEvent
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import click_body, mention, sign_bytes, slash_body
from tests.slack.stack import Stack, start_stack

CHANNEL = "C0BADBODY"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _event(text: str) -> bytes:
    body = mention("placeholder", channel=CHANNEL)
    body["event"]["text"] = text
    return json.dumps(body).encode()  # ensure_ascii: NUL and surrogates as \u escapes


def _click(**changes: object) -> bytes:
    raw = click_body(
        action_id="approval_approve", value="x", user="U0ONCALL", channel=CHANNEL,
        message_ts="1700000000.000100", thread_ts=None, response_url="http://127.0.0.1:9/r",
    )  # fmt: skip
    data = json.loads(urllib.parse.unquote(raw.removeprefix("payload=")))
    data.update(changes)
    return ("payload=" + urllib.parse.quote(json.dumps(data))).encode()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
SLASH = slash_body("health", response_url="http://127.0.0.1:9/r", channel=CHANNEL)

CASES = [
    ("event-not-utf8", JSON, _event("caf\u00e9").replace(b"caf\\u00e9", b"caf\xe9"), "UTF-8"),
    ("event-deep", JSON, b'{"type":"event_callback","x":' + _nested(50_000).encode() + b"}", "nested deeper"),
    ("event-nested-100", JSON, b'{"type":"event_callback","x":' + _nested(100).encode() + b"}", "x.0.0"),
    ("event-nul", JSON, _event("restart web\x00"), "event.text: contains a NUL"),
    ("event-surrogate", JSON, _event("restart \ud800 web"), "event.text: contains a lone surrogate"),
    ("click-not-utf8", FORM, _click(note="MARK").replace(b"MARK", b"%FF"), "not valid UTF-8"),
    ("click-deep", FORM, b"payload=" + urllib.parse.quote(_nested(50_000)).encode(), "nested deeper"),
    ("click-nul", FORM, _click(note="a\x00b"), "note: contains a NUL"),
    ("click-surrogate", FORM, _click(note="a\ud800b"), "contains a lone surrogate"),
    ("slash-not-utf8", FORM, SLASH.replace("text=health", "text=%FFhealth").encode(), "not valid UTF-8"),
    ("slash-nul", FORM, SLASH.replace("text=health", "text=health%00").encode(), "field 'text': contains a NUL"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "body", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_undecodable_signed_bodies_get_400_and_change_nothing(
    stack: Stack, content_type: str, body: bytes, reason: str
) -> None:
    url = stack.sender.url
    headers = {"Content-Type": content_type, **sign_bytes(body)}
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"], response.text
    assert response.headers["x-slack-no-retry"] == "1"
    with stack.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ProcessedEvent)).scalar() == 0
    assert not stack.emulator.posts(CHANNEL)
    assert stack.runtime.approvals.pending() == []
    helped = stack.sender.form(slash_body("help", response_url="http://127.0.0.1:9/r"))
    assert helped.status_code == 200 and "/ops health" in helped.text  # still answering
