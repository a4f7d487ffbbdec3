"""`/ops <question>` answered privately, with a "Share in channel" button, over real HTTP with
signed, form-encoded slash commands and `block_actions` clicks, against the Slack emulator:
nothing public before a share, one post per share (double clicks), only the asker may share,
forged and malformed values refused, an expired or used-up `response_url` falls back to
`chat.postEphemeral`, `/ops share` asks in the channel, and a gated action's card is public."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.slack.approvals import APPROVAL, ButtonSigner
from bot.slack.share import SHARE, SHARE_ACTION_ID, Shared, read_share, share_value
from tests.emulators.slack import RESPONSE_URL_USES, SlackEmulator
from tests.slack.helpers import SECRET, click_body, ephemeral_click_body, slash_body
from tests.slack.stack import Stack, start_stack

QUESTION = "how's the box doing?"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _ask(stack: Stack, text: str, channel: str, key: str, user: str = "W111") -> dict[str, Any]:
    """Send `/ops <text>`; return the private answer posted to its response_url."""
    emu = stack.emulator
    raw = slash_body(text, response_url=emu.response_url(key), channel=channel, user=user)
    acked = stack.sender.form(raw)
    assert acked.status_code == 200 and not acked.content  # acked empty, at once
    found = emu.wait_for(
        lambda: [r for r in emu.responses if r["key"] == key], 60, what="the private answer"
    )
    assert len(found) == 1
    return found[0]


def _share_value(message: dict[str, Any]) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == SHARE_ACTION_ID:
                return str(element["value"])
    raise AssertionError(f"no Share button in {message}")


def _share(stack: Stack, channel: str, value: str, user: str, key: str) -> None:
    raw = ephemeral_click_body(
        action_id=SHARE_ACTION_ID, value=value, user=user, channel=channel,
        message_ts="1700000000.000001", response_url=stack.emulator.response_url(key),
    )  # fmt: skip
    assert stack.sender.form(raw).status_code == 200


def _ephemerals(stack: Stack, user: str, count: int = 1) -> list[dict[str, Any]]:
    emu = stack.emulator
    return emu.wait_for(
        lambda: (found if len(found := [e for e in emu.ephemerals if e["user"] == user]) >= count
                 else None),
        what=f"{count} ephemeral message(s) for {user}",
    )  # fmt: skip


def test_a_question_is_answered_privately_and_shared_once(stack: Stack) -> None:
    emu = stack.emulator
    channel = "C0PRIVATE1"
    answer = _ask(stack, QUESTION, channel, "ask")
    assert answer["response_type"] == "ephemeral"
    shown = str(answer["blocks"])
    assert "only you can see this" in shown and "how's the box doing?" in shown
    assert "Memory" in shown  # the answer itself
    value = _share_value(answer)
    assert not emu.posts()  # nothing about the question appeared anywhere in public
    assert not emu.calls_to("chat.postEphemeral")

    _share(stack, channel, value, "W111", "share")
    _share(stack, channel, value, "W111", "share-again")  # a double click
    post = emu.wait_for(lambda: emu.posts(channel), what="the shared answer")[0]
    assert post.params["text"] == "<@W111> asked: how's the box doing?"
    assert post.params.get("thread_ts") is None  # one top-level post
    assert "Memory" in str(post.params["blocks"]) and "asked via `/ops`" in str(post.params)
    replaced = emu.wait_for(
        lambda: [r for r in emu.responses if r["key"].startswith("share")], what="the replacement"
    )
    time.sleep(1.0)  # what the second click could have started has had time to show
    assert len(emu.posts(channel)) == 1
    assert len([r for r in emu.responses if r["key"].startswith("share")]) == 1
    assert replaced[0]["replace_original"] is True and replaced[0]["text"] == "Shared in channel"
    assert not emu.ephemerals  # the double click is not an error for anyone


def test_only_the_asker_may_share(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    emu = stack.emulator
    channel = "C0PRIVATE2"
    value = _share_value(_ask(stack, QUESTION, channel, "ask2"))
    with caplog.at_level(logging.WARNING, logger="bot.slack.share"):
        _share(stack, channel, value, "U0OTHER", "other")
        (refusal,) = _ephemerals(stack, "U0OTHER")
    assert "only the person who asked can share" in refusal["text"]
    assert refusal["channel"] == channel
    assert "the answer is W111's" in caplog.text
    assert not emu.posts(channel) and not [r for r in emu.responses if r["key"] == "other"]
    _share(stack, channel, value, "W111", "mine")  # the refusal claimed nothing
    emu.wait_for(lambda: emu.posts(channel), what="the asker's share")


def _tampered(value: str) -> str:
    subject, action, expires, mac = value.split("|")
    flipped = subject[:10] + ("A" if subject[10] != "A" else "B") + subject[11:]
    return "|".join([flipped, action, expires, mac])


@pytest.mark.parametrize(
    ("name", "forge", "says"),
    [
        ("tampered", _tampered, "signature is invalid"),
        ("garbage", lambda _: "hello world", "malformed value"),
        ("other key", lambda _: share_value(ButtonSigner("not-the-secret"),
                                            Shared("W111", "C0FORGE", "q", "post this")),
         "signature is invalid"),
        ("approval value", lambda _: ButtonSigner(SECRET).sign(APPROVAL, "ap-1", SHARE),
         "signature is invalid"),
        ("signed junk", lambda _: ButtonSigner(SECRET).sign(SHARE, "bm90IHpsaWI", SHARE),
         "Share button is malformed"),
        ("expired", lambda _: share_value(ButtonSigner(SECRET), Shared("W111", "C0FORGE", "q", "a"),
                                          now=lambda: time.time() - 2 * 86400),
         "Share button has expired"),
        ("pushed expiry", lambda v: v.replace(v.split("|")[2], str(int(v.split("|")[2]) + 9)),
         "signature is invalid"),
    ],
)  # fmt: skip
def test_forged_or_malformed_share_values_are_refused_and_post_nothing(
    stack: Stack, caplog: pytest.LogCaptureFixture, name: str, forge: Any, says: str
) -> None:
    emu = stack.emulator
    channel = "C0FORGE"
    value = _share_value(_ask(stack, QUESTION, channel, "ask-forge"))
    with caplog.at_level(logging.WARNING, logger="bot.slack.share"):
        _share(stack, channel, forge(value), "W111", "forged")
        (refusal,) = _ephemerals(stack, "W111")
    assert refusal["text"].startswith("Refused:") and says in refusal["text"], refusal["text"]
    assert "refused a Share click by W111" in caplog.text
    assert not emu.posts() and not [r for r in emu.responses if r["key"] == "forged"]


def test_a_share_value_fits_a_button_and_a_long_answer_is_shortened() -> None:
    signer = ButtonSigner(SECRET)
    short = Shared("W111", "C1", "q?", "All good: load 0.4, disk 41% used.")
    assert read_share(signer, share_value(signer, short)) == short
    paragraph = "".join(
        f"Line {i}: service web-{i % 7} on host-{i % 13} is fine.\n" for i in range(400)
    )
    value = share_value(signer, Shared("W111", "C1", "status of everything?", paragraph))
    assert len(value) <= 2000
    back = read_share(signer, value)
    assert back.shortened and paragraph.startswith(back.answer) and len(back.answer) > 1000
    secret = "token ghp_" + "a" * 36
    assert (
        "ghp_"
        not in read_share(signer, share_value(signer, Shared("W", "C", secret, secret))).answer
    )


@pytest.mark.parametrize("how", ["expired", "used up"])
def test_an_unusable_response_url_falls_back_to_post_ephemeral(stack: Stack, how: str) -> None:
    emu = stack.emulator
    channel = "C0LATE"
    key = f"late-{how.replace(' ', '-')}"
    if how == "expired":
        emu.expire_response(key)
    else:
        for _ in range(RESPONSE_URL_USES):
            assert httpx.post(emu.response_url(key), json={"text": "earlier"}).status_code == 200
    raw = slash_body(QUESTION, response_url=emu.response_url(key), channel=channel)
    assert stack.sender.form(raw).status_code == 200
    (private,) = _ephemerals(stack, "W111")
    assert private["channel"] == channel and "Memory" in str(private["blocks"])
    refused = emu.calls_to("response_url", key=key)[-1]
    assert refused.status == 404
    assert refused.response["error"] == ("expired_url" if how == "expired" else "used_url")
    assert not emu.posts()
    _share(stack, channel, _share_value(private), "W111", "late-share")  # the button works too
    emu.wait_for(lambda: emu.posts(channel), what="the share")


@pytest.mark.parametrize("form", ["share", "--share", "SHARE"])
def test_share_asks_in_the_channel(stack: Stack, form: str) -> None:
    emu = stack.emulator
    channel = f"C0SHARE{form.strip('-').upper()}{len(form)}"
    raw = slash_body(f"{form} {QUESTION}", response_url=emu.response_url("s"), channel=channel)
    assert stack.sender.form(raw).status_code == 200
    root = emu.wait_for(lambda: emu.posts(channel), what="the question posted")[0]
    assert root.params["text"] == "<@W111> asked: how's the box doing?"
    emu.wait_for(
        lambda: [m for m in emu.thread(channel, root.response["ts"]) if "Memory" in str(m)],
        60,
        what="the answer in the thread",
    )


def test_share_without_a_question_says_how(stack: Stack) -> None:
    emu = stack.emulator
    usage = stack.sender.form(slash_body("share", response_url=emu.response_url("u")))
    assert usage.json()["response_type"] == "ephemeral"
    assert "Usage: /ops share <question>" in usage.json()["text"]


def test_a_gated_action_asked_privately_posts_only_its_card_in_public(stack: Stack) -> None:
    """An approval must reach an on-call engineer: its card (with buttons) is posted in the
    channel, without the question; the private answer says so; a click decides it as usual,
    and the resumed answer reaches the asker privately."""
    emu = stack.emulator
    channel = "C0PRIVGATE"
    answer = _ask(stack, "please restart web now", channel, "gate")
    assert "the approval card is posted in this channel" in str(answer["blocks"])
    assert "approval_approve" not in str(answer["blocks"])
    (card,) = emu.wait_for(lambda: emu.posts(channel), what="the public card")
    shown = str(card.params["blocks"])
    assert "approval_approve" in shown and "restart_service" in shown
    assert "please restart web now" not in str(card.params)  # the question stays private
    assert card.params.get("thread_ts") is None
    actions = next(b for b in card.params["blocks"] if b["type"] == "actions")
    value = next(e["value"] for e in actions["elements"] if e["action_id"] == "approval_approve")
    raw = click_body(
        action_id="approval_approve", value=value, user="U0ONCALL", channel=channel,
        message_ts=card.response["ts"], thread_ts=None, response_url=emu.response_url("c"),
    )  # fmt: skip
    assert stack.sender.form(raw).status_code == 200
    emu.wait_for(
        lambda: "Done." in str((emu.message(channel, card.response["ts"]) or {}).get("blocks")),
        60,
        what="the card to show the outcome",
    )
    assert len(stack.runs()) == 1
    # the resumed answer goes to the asker alone, once
    (told,) = _ephemerals(stack, "W111")
    assert told["channel"] == channel and "restart_service done" in str(told), told
    time.sleep(1.5)  # longer than the feed's poll: a repeat would have arrived
    assert len([e for e in emu.ephemerals if e["user"] == "W111"]) == 1
    assert len(emu.posts(channel)) == 1  # still only the card in public
