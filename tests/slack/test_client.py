"""The Web API client retries 429s (honouring Retry-After), dropped connections and 5xx, and
never retries a refusal such as invalid_auth."""

from __future__ import annotations

import itertools

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.client import make_web_client
from tests.emulators.slack import SlackEmulator


def test_rate_limit_is_retried_after_the_advised_wait(slack_emulator: SlackEmulator) -> None:
    client = make_web_client("xoxb-test", slack_emulator.url)
    slack_emulator.rate_limit("chat.postMessage", times=2, retry_after=1)
    response = client.chat_postMessage(channel="C1", text="hello")
    assert response["ok"] and response["channel"] == "C1"
    calls = slack_emulator.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 429, 200]
    gaps = [b.at - a.at for a, b in itertools.pairwise(calls)]
    assert all(gap >= 1.0 for gap in gaps), gaps  # Retry-After: 1 was honoured each time
    assert len(slack_emulator.posts("C1")) == 1  # posted once


def test_dropped_connections_and_server_errors_are_retried(slack_emulator: SlackEmulator) -> None:
    client = make_web_client("xoxb-test", slack_emulator.url)
    slack_emulator.drop("chat.update", times=1)
    posted = client.chat_postMessage(channel="C1", text="v1")
    client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert [c.status for c in slack_emulator.calls_to("chat.update")] == [0, 200]
    assert slack_emulator.message("C1", posted["ts"])["text"] == "v2"


def test_refusals_are_not_retried(slack_emulator: SlackEmulator) -> None:
    client = make_web_client("xoxb-test", slack_emulator.url)
    slack_emulator.fail_auth()
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="x")
    assert info.value.response["error"] == "invalid_auth"
    assert len(slack_emulator.calls_to("chat.postMessage")) == 1


def test_emulator_enforces_block_limits(slack_emulator: SlackEmulator) -> None:
    client = make_web_client("xoxb-test", slack_emulator.url)
    too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    for blocks in (too_many, too_long):
        with pytest.raises(SlackApiError, match="invalid_blocks"):
            client.chat_postMessage(channel="C1", text="x", blocks=blocks)
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel="C1", ts="1.000001", text="x")
