"""Building signed Slack requests from the real example payloads in tests/fixtures/slack-payloads/."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "slack-payloads"
SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"

_ts = itertools.count(1)


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of one of the saved Slack payloads."""
    return copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text()))


def new_ts() -> str:
    """A unique message ts in Slack's format."""
    return f"{int(time.time())}.{next(_ts):06d}"


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for this exact body."""
    return sign_bytes(body.encode(), secret, timestamp)


def sign_bytes(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for these exact bytes (which need not be UTF-8)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac}"}


def mention(
    text: str, *, channel: str, ts: str | None = None, thread_ts: str | None = None,
    user: str = "U222", event_id: str | None = None, bot_user: str = "U0BOT",
) -> dict[str, Any]:  # fmt: skip
    """An `app_mention` event_callback based on the saved payload."""
    body = payload("event_callback.app_mention")
    ts = ts or new_ts()
    event = body["event"]
    event.update(
        {
            "text": f"<@{bot_user}> {text}",
            "user": user,
            "ts": ts,
            "event_ts": ts,
            "channel": channel,
        }
    )
    event["blocks"][0]["elements"][0]["elements"][0]["user_id"] = bot_user
    event["blocks"][0]["elements"][0]["elements"][1]["text"] = f" {text}"
    if thread_ts:
        event["thread_ts"] = thread_ts
    body["event_id"] = event_id or f"Ev{ts.replace('.', '')}M"
    body["authorizations"][0]["user_id"] = bot_user
    return body


def message(
    text: str, *, channel: str, ts: str | None = None, thread_ts: str | None = None,
    user: str = "W111", channel_type: str = "channel", event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """A `message` event_callback (message.channels / message.im) based on the saved payload."""
    body = payload("event_callback.message_channels")
    ts = ts or new_ts()
    event = body["event"]
    event.update(
        {"text": text, "user": user, "ts": ts, "event_ts": ts, "channel": channel,
         "channel_type": channel_type}
    )  # fmt: skip
    event["blocks"][0]["elements"][0]["elements"][0]["text"] = text
    body["team_id"] = event["team"] = "T0G9PQBBK"  # the same workspace as the mention payload
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    body["event_id"] = event_id or f"Ev{ts.replace('.', '')}C"
    return body


def slash_body(text: str, *, response_url: str, channel: str = "C111", user: str = "W111") -> str:
    """The form-encoded body of `/ops <text>`, from the saved slash command payload."""
    fields = payload("slash_command")["fields"]
    fields.update(
        {"command": "/ops", "text": text, "response_url": response_url, "channel_id": channel,
         "user_id": user, "team_id": "T0G9PQBBK",
         "trigger_id": f"{next(_ts)}.0000000000.{next(_ts):x}"}  # each invocation has its own
    )  # fmt: skip
    return urllib.parse.urlencode(fields)


def click_body(
    *, action_id: str, value: str, user: str, channel: str, message_ts: str,
    thread_ts: str | None, response_url: str,
) -> str:  # fmt: skip
    """A `block_actions` form body for a button click, from the saved payload."""
    body = payload("block_actions.button_click")
    body["user"]["id"] = user
    body["channel"]["id"] = channel
    body["container"].update({"channel_id": channel, "message_ts": message_ts})
    body["message"]["ts"] = message_ts
    if thread_ts:
        body["message"]["thread_ts"] = thread_ts
    body["response_url"] = response_url
    body["actions"][0].update({"action_id": action_id, "value": value, "block_id": "approval"})
    # each click is its own interaction (as in Slack): its own trigger_id and action_ts
    body["actions"][0]["action_ts"] = new_ts()
    body["trigger_id"] = f"{next(_ts)}.0000000000.{next(_ts):x}"
    return "payload=" + urllib.parse.quote(json.dumps(body))


class SlackSender:
    """Posts signed requests to a running bot's /slack/events."""

    def __init__(self, base_url: str, secret: str = SECRET) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.http = httpx.Client(timeout=10)

    def close(self) -> None:
        self.http.close()

    def event(self, body: dict[str, Any], retry: int | None = None, **kw: Any) -> httpx.Response:
        raw = json.dumps(body)
        headers = {"Content-Type": "application/json", **sign(raw, self.secret, **kw)}
        if retry is not None:
            headers.update(
                {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            )
        return self.http.post(self.url, content=raw, headers=headers)

    def form(self, raw: str, **kw: Any) -> httpx.Response:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(raw, self.secret, **kw),
        }
        return self.http.post(self.url, content=raw, headers=headers)

    def raw(self, raw: str, headers: dict[str, str]) -> httpx.Response:
        return self.http.post(self.url, content=raw, headers=headers)


def ephemeral_click_body(
    *, action_id: str, value: str, user: str, channel: str, message_ts: str, response_url: str
) -> str:
    """A `block_actions` form body for a button on an ephemeral message: as Slack sends it,
    the container says `is_ephemeral` and there is no `message` (Slack keeps no copy)."""
    body = payload("block_actions.button_click")
    del body["message"]
    body["user"]["id"] = user
    body["channel"]["id"] = channel
    body["container"].update(
        {"channel_id": channel, "message_ts": message_ts, "is_ephemeral": True}
    )
    body["response_url"] = response_url
    body["actions"][0].update({"action_id": action_id, "value": value, "block_id": "share"})
    body["actions"][0]["action_ts"] = new_ts()
    body["trigger_id"] = f"{next(_ts)}.0000000000.{next(_ts):x}"
    return "payload=" + urllib.parse.quote(json.dumps(body))


def ephemeral_texts(emulator: Any, user: str, count: int) -> list[str]:
    """The texts of the ephemeral messages to `user` once there are `count` of them."""
    found = emulator.wait_for(
        lambda: (
            seen
            if len(seen := [e for e in emulator.ephemerals if e["user"] == user]) >= count
            else None
        ),
        what=f"{count} ephemeral message(s) to {user}",
    )
    return [str(e["text"]) for e in found]
