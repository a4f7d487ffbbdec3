"""`/ops oncall swap` and its Take button over real HTTP (signed slash command and
`block_actions` bodies from the saved payloads) to the bot and the Slack emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from core.clock import iso, utcnow
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import click_body, slash_body
from tests.slack.stack import Stack, start_stack
from tools.oncall.model import on_call

CHANNEL = "C111"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    built.runtime.oncall.add_rotation(
        "sre", people="U1AA,U2BB,U3CC", every="weekly", handoff="09:00", tz="Europe/Berlin",
        start=str(utcnow().date() - timedelta(days=7)),
    )  # fmt: skip
    yield built
    built.close()


def _ops(stack: Stack, text: str, user: str, key: str) -> None:
    body = slash_body(text, response_url=stack.emulator.response_url(key), user=user)
    acked = stack.sender.form(body)
    assert acked.status_code == 200 and not acked.content


def _private(stack: Stack, key: str) -> str:
    emu = stack.emulator
    found = emu.wait_for(lambda: [r for r in emu.responses if r["key"] == key], 30, what=key)
    return str(found[0]["blocks"])


def _click(stack: Stack, user: str, value: str, ts: str) -> None:
    body = click_body(action_id="oncall_swap_take", value=value, user=user, channel=CHANNEL,
                      message_ts=ts, thread_ts=None,
                      response_url=stack.emulator.response_url(f"click-{user}"))  # fmt: skip
    assert stack.sender.form(body).status_code == 200


def _ephemeral(stack: Stack, user: str, count: int) -> str:
    emu = stack.emulator
    found = emu.wait_for(lambda: [e for e in emu.ephemerals if e["user"] == user][count - 1:],
                         30, what=f"ephemeral for {user}")  # fmt: skip
    return str(found[0]["text"])


def test_a_swap_is_posted_taken_once_and_becomes_the_override(stack: Stack) -> None:
    emu, store = stack.emulator, stack.runtime.oncall
    start, end = utcnow() + timedelta(hours=1), utcnow() + timedelta(hours=3)
    requester = on_call(store.schedule("sre"), [], start).primary
    assert requester is not None
    taker, other = [p for p in ("U1AA", "U2BB", "U3CC") if p != requester]
    _ops(stack, f"oncall swap sre {iso(start)} {iso(end)} dentist", requester, "ask")
    (post,) = emu.wait_for(lambda: emu.posts(CHANNEL), 30, what="the swap request")
    ts = post.response["ts"]
    assert f"<@{requester}> asks someone to take *sre*" in post.params["text"]
    assert "(dentist)" in post.params["text"]
    (button,) = emu.message(CHANNEL, ts)["blocks"][1]["elements"]  # type: ignore[index]
    assert button["text"]["text"] == "Take"

    _click(stack, requester, button["value"], ts)
    assert "you asked for this swap" in _ephemeral(stack, requester, 1)
    _click(stack, "U9ZZ", button["value"], ts)
    assert "only people of the sre rotation can take it" in _ephemeral(stack, "U9ZZ", 1)
    forged = button["value"].rsplit("|", 1)[0] + "|" + "0" * 32
    _click(stack, taker, forged, ts)
    assert "signature is invalid" in _ephemeral(stack, taker, 1)
    assert store.overrides("sre", start, end) == []  # nothing changed so far

    _click(stack, taker, button["value"], ts)
    emu.wait_for(lambda: "took" in emu.message(CHANNEL, ts)["text"], 30, what="the update")  # type: ignore[index]
    updated = emu.message(CHANNEL, ts)
    assert updated is not None
    assert updated["text"].startswith(f"✅ <@{taker}> took <@{requester}>'s *sre* shift")
    assert "actions" not in str(updated["blocks"])  # no button any more
    (override,) = store.overrides("sre", start, end)
    assert override.user == taker and override.reason == f"swap #1: covers {requester} (dentist)"
    assert on_call(store.schedule("sre"), [override], start).primary == taker

    _click(stack, other, button["value"], ts)
    assert f"already taken by {taker}" in _ephemeral(stack, other, 1)
    assert len(store.overrides("sre", start, end)) == 1


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("oncall swap", "Usage: /ops oncall swap"),
        (
            "oncall swap nope 2030-01-01T10:00Z 2030-01-01T12:00Z",
            "no on-call schedule named 'nope'",
        ),
        ("oncall swap sre tomorrow later", "bad time 'tomorrow'"),
        ("oncall swap sre 2030-01-01T12:00Z 2030-01-01T10:00Z", "must end after it starts"),
        ("oncall swap sre 2020-01-01T10:00Z 2020-01-01T12:00Z", "that time is over already"),
    ],
)
def test_bad_swap_requests_are_refused_privately(stack: Stack, text: str, said: str) -> None:
    _ops(stack, text, "U1AA", "bad")
    assert said in _private(stack, "bad")
    assert stack.emulator.posts(CHANNEL) == []


def test_only_the_person_on_call_can_ask(stack: Stack) -> None:
    start, end = utcnow() + timedelta(hours=1), utcnow() + timedelta(hours=2)
    primary = on_call(stack.runtime.oncall.schedule("sre"), [], start).primary
    someone = next(p for p in ("U1AA", "U2BB", "U3CC") if p != primary)
    _ops(stack, f"oncall swap sre {iso(start)} {iso(end)}", someone, "not-on-call")
    assert "you are not on call for sre between those times" in _private(stack, "not-on-call")
    assert stack.emulator.posts(CHANNEL) == []
