"""End to end in HTTP mode: the real `python -m bot run` process, the Slack Web API emulator
behind SLACK_API_URL, and requests signed with Slack's v0 scheme built from the saved Slack
payloads. One process serves the whole module (it takes seconds to start); each test uses its
own channel so they do not see each other's messages."""

from __future__ import annotations

import concurrent.futures
import functools
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import (
    click_body,
    mention,
    message,
    new_ts,
    payload,
    sign,
    slash_body,
)
from tests.slack.process import Bot, bot_env

REPO = Path(__file__).resolve().parents[2]
BOT = "U0BOT"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    workdir = tmp_path_factory.mktemp("slack-e2e")
    data = workdir / "data"
    emulator = SlackEmulator(bot_user_id=BOT).start()
    running = Bot(emulator, data, workdir, bot_env(emulator, data))
    running.start()
    yield running
    running.stop()
    emulator.stop()


def _answer(
    bot: Bot, channel: str, thread_ts: str, contains: str, timeout: float = 30
) -> dict[str, Any]:
    """Wait for a bot message in the thread containing `contains`."""
    emu = bot.emulator

    def found() -> dict[str, Any] | None:
        for msg in emu.thread(channel, thread_ts):
            if msg.get("user") == BOT and contains in msg["text"]:
                return msg
        return None

    return emu.wait_for(found, timeout, what=f"a reply containing {contains!r} in {channel}")


def _bot_messages(bot: Bot, channel: str) -> list[dict[str, Any]]:
    return [m for (ch, _), m in list(bot.emulator.messages.items()) if ch == channel]


def test_url_verification(bot: Bot) -> None:
    body = payload("url_verification")
    response = bot.send.event(body)
    assert response.status_code == 200
    assert response.json() == {"challenge": body["challenge"]}


def test_mention_is_answered_in_its_thread(bot: Bot) -> None:
    channel = "C0MENTION"
    body = mention("how's the box doing?", channel=channel, bot_user=BOT)
    ts = body["event"]["ts"]
    response = bot.send.event(body)
    assert response.status_code == 200
    # the visible working signal is a placeholder in the thread, replaced by the answer
    placeholder = bot.emulator.wait_for(
        lambda: bot.emulator.posts(channel, thread_ts=ts), what="the working placeholder"
    )[0]
    assert "Working on it" in placeholder.params["text"]
    answer = _answer(bot, channel, ts, "Memory")
    assert answer["ts"] == placeholder.response["ts"]  # replaced in place
    assert answer["thread_ts"] == ts
    total_gib = psutil.virtual_memory().total / 1024**3
    assert f"{total_gib:.1f} GiB" in answer["text"]  # real figures from the host
    assert any(b["type"] == "context" and "host_health" in str(b) for b in answer["blocks"])
    # the same mention delivered as message.channels (other event_id, same ts) is ignored
    twin = message(f"<@{BOT}> how's the box doing?", channel=channel, ts=ts, user="U222")
    assert bot.send.event(twin).status_code == 200
    time.sleep(1.0)
    assert len(_bot_messages(bot, channel)) == 1


def test_direct_message_is_answered(bot: Bot) -> None:
    channel = "D0DIRECT"
    body = message("what can you do?", channel=channel, channel_type="im", user="U333")
    assert bot.send.event(body).status_code == 200
    answer = _answer(bot, channel, body["event"]["ts"], "Here is what I can do")
    assert answer["thread_ts"] == body["event"]["ts"]


def test_follow_up_in_the_thread_keeps_the_context(bot: Bot) -> None:
    channel = "C0FOLLOW"
    first = mention("how's the box?", channel=channel, bot_user=BOT)
    root = first["event"]["ts"]
    bot.send.event(first)
    _answer(bot, channel, root, "Memory")
    # a reply in the thread, without a mention: the thread is the conversation
    follow = message("and the disk?", channel=channel, thread_ts=root, user="U222")
    bot.send.event(follow)
    emu = bot.emulator
    emu.wait_for(
        lambda: [
            m for m in emu.thread(channel, root) if "tools used: disk_usage" in str(m.get("blocks"))
        ],
        30,
        what="the disk answer in the thread",
    )
    # both questions are in one LangGraph thread (read from the bot's own checkpoint file)
    from langgraph.checkpoint.sqlite import SqliteSaver

    with sqlite3.connect(bot.data_dir / "checkpoints.sqlite3") as conn:
        saved = SqliteSaver(conn).get_tuple(
            {
                "configurable": {
                    "thread_id": f"slack:T0G9PQBBK:{channel}:{root}",
                    "checkpoint_ns": "",
                }
            }
        )
    assert saved is not None
    humans = [
        m.content for m in saved.checkpoint["channel_values"]["messages"] if m.type == "human"
    ]
    assert humans == ["how's the box?", "and the disk?"]
    # a reply in a thread the bot is not part of is left alone
    stranger = message("lunch?", channel=channel, thread_ts=new_ts(), user="U222")
    bot.send.event(stranger)
    time.sleep(1.0)
    assert not bot.emulator.thread(channel, stranger["event"]["thread_ts"])


def test_slash_command(bot: Bot) -> None:
    emu = bot.emulator
    helped = bot.send.form(slash_body("help", response_url=emu.response_url("help")))
    assert helped.status_code == 200
    assert helped.json()["response_type"] == "ephemeral" and "/ops health" in str(helped.json())

    assert (
        bot.send.form(slash_body("health", response_url=emu.response_url("health"))).status_code
        == 200
    )
    health = emu.wait_for(lambda: [r for r in emu.responses if r["key"] == "health"])[0]
    assert health["response_type"] == "ephemeral" and "Memory" in health["text"]

    usage = bot.send.form(slash_body("search", response_url=emu.response_url("usage")))
    assert "Usage: /ops search <words>" in usage.json()["text"]
    bot.send.form(slash_body("search disk full", response_url=emu.response_url("search")))
    found = emu.wait_for(lambda: [r for r in emu.responses if r["key"] == "search"])[0]
    assert found["response_type"] == "ephemeral" and found["text"]

    channel = "C0SLASH"
    asked = bot.send.form(
        slash_body("how's the box doing?", response_url=emu.response_url("ask"), channel=channel)
    )
    assert asked.status_code == 200 and not asked.content  # acked empty, at once
    private = emu.wait_for(lambda: [r for r in emu.responses if r["key"] == "ask"], 60)[0]
    assert private["response_type"] == "ephemeral" and "Memory" in str(private["blocks"])
    assert "share_answer" in str(private["blocks"]) and not emu.posts(channel)  # private
    shared = bot.send.form(
        slash_body(
            "share how's the box doing?", response_url=emu.response_url("shared"), channel=channel
        )
    )
    assert shared.status_code == 200 and not shared.content
    root = emu.wait_for(lambda: emu.posts(channel), what="the question posted")[0]
    assert "asked via `/ops`" in str(root.params["blocks"])
    _answer(bot, channel, root.response["ts"], "Memory")


def test_bad_signature_and_stale_timestamp_are_refused(bot: Bot) -> None:
    channel = "C0FORGED"
    raw = '{"type":"event_callback","event":{"type":"app_mention","channel":"C0FORGED"}}'
    forged = {"Content-Type": "application/json", **sign(raw, secret="not-the-secret")}
    assert bot.send.raw(raw, forged).status_code == 401
    stale = {"Content-Type": "application/json", **sign(raw, timestamp=int(time.time()) - 400)}
    assert bot.send.raw(raw, stale).status_code == 401
    assert bot.send.raw("{garbage", {"Content-Type": "application/json"}).status_code == 401
    assert not _bot_messages(bot, channel)


def test_retried_delivery_is_answered_once(bot: Bot) -> None:
    channel = "C0RETRY"
    body = mention("what can you do?", channel=channel, bot_user=BOT)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(
            pool.map(lambda n: bot.send.event(body, retry=n or None).status_code, range(4))
        )
    assert statuses == [200] * 4
    _answer(bot, channel, body["event"]["ts"], "Here is what I can do")
    time.sleep(1.0)
    assert len(_bot_messages(bot, channel)) == 1
    assert len(bot.emulator.posts(channel)) == 1  # one placeholder, replaced once


def test_malformed_and_unknown_payloads_get_200(bot: Bot) -> None:
    for raw, ctype in [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('{"type": "event_callback", "event_id": "EvX", "event": {"type": "reaction_added"}}', "application/json"),
        ('{"type": "something_new"}', "application/json"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
    ]:  # fmt: skip
        response = bot.send.raw(raw, {"Content-Type": ctype, **sign(raw)})
        assert response.status_code == 200, raw
        assert response.headers.get("x-slack-no-retry") == "1" or not response.content
    assert bot.alive()
    assert httpx.get(bot.send.url.replace("/slack/events", "/healthz")).status_code == 200


def test_bots_and_itself_are_ignored(bot: Bot) -> None:
    channel = "C0BOTS"
    other_bot = message(
        f"<@{BOT}> status", channel=channel, bot_id="B0OTHER", subtype="bot_message"
    )
    itself = message(f"<@{BOT}> status", channel=channel, user=BOT)
    edited = message(f"<@{BOT}> status", channel=channel, subtype="message_changed")
    for body in (other_bot, itself, edited):
        assert bot.send.event(body).status_code == 200
    time.sleep(1.5)
    assert not _bot_messages(bot, channel)


def test_rate_limited_web_api_calls_are_retried(bot: Bot) -> None:
    channel = "C0RATELIMIT"
    bot.emulator.rate_limit("chat.postMessage", times=1, retry_after=1)
    bot.emulator.rate_limit("chat.update", times=1, retry_after=1)
    body = mention("what can you do?", channel=channel, bot_user=BOT)
    assert bot.send.event(body).status_code == 200
    _answer(bot, channel, body["event"]["ts"], "Here is what I can do")
    for method in ("chat.postMessage", "chat.update"):
        calls = [c for c in bot.emulator.calls_to(method) if c.params.get("channel") == channel]
        assert [c.status for c in calls] == [429, 200], method
        assert calls[1].at - calls[0].at >= 1.0  # Retry-After honoured


@functools.cache
def _toolbox_names() -> frozenset[str]:
    """The tools a default runtime has (built once, in a scratch data dir)."""
    import tempfile

    from bot.runtime import Runtime
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        runtime = Runtime(Settings(_env_file=None, data_dir=Path(scratch)))  # type: ignore[call-arg]
        try:
            return frozenset(runtime.toolbox.names())
        finally:
            runtime.close()


@pytest.mark.skipif(
    "run_remediation" not in _toolbox_names(),
    reason="run_remediation is not in the runtime toolbox yet (remediation catalogue pending); "
    "the in-process test_approvals_http.py covers the flow with a test gated tool",
)
def test_approval_with_run_remediation_runs_once_and_updates_the_card(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Approve `clean_directory` on an allow-listed temp directory: the old file is deleted
    once, a non-on-call click is refused, the card is updated in place.

    Needs the remediation config format (REMEDIATION_CONFIG) of tools/remediation: the lead
    adjusts the YAML below to it when the catalogue lands."""
    workdir = tmp_path_factory.mktemp("slack-remediation")
    target = workdir / "cache"
    target.mkdir()
    old = target / "old.log"
    old.write_text("x" * 1000)
    os.utime(old, (time.time() - 30 * 86400, time.time() - 30 * 86400))
    config = workdir / "remediation.yml"
    config.write_text(f"clean_directories:\n  - path: {target}\n    min_age_days: 1\n")
    emulator = SlackEmulator(bot_user_id=BOT).start()
    env = bot_env(emulator, workdir / "data", REMEDIATION_CONFIG=str(config))
    running = Bot(emulator, workdir / "data", workdir, env)
    running.start()
    try:
        channel = "C0REMEDIATE"
        body = mention(f"clean {target} older than 7 days", channel=channel, bot_user=BOT)
        running.send.event(body)
        thread = body["event"]["ts"]

        def card() -> dict[str, Any] | None:
            for msg in emulator.thread(channel, thread):
                if any(b.get("type") == "actions" for b in msg.get("blocks") or []):
                    return msg
            return None

        found = emulator.wait_for(card, 30, what="the approval card")
        values = {
            e["action_id"]: e["value"]
            for b in found["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        }

        def click(user: str) -> None:
            raw = click_body(
                action_id="approval_approve",
                value=values["approval_approve"],
                user=user,
                channel=channel,
                message_ts=found["ts"],
                thread_ts=thread,
                response_url=emulator.response_url("r"),
            )
            assert running.send.form(raw).status_code == 200

        click("U0STRANGER")
        emulator.wait_for(lambda: [e for e in emulator.ephemerals if e["user"] == "U0STRANGER"])
        assert old.exists()
        click("U0ONCALL")
        click("U0ONCALL")
        emulator.wait_for(lambda: not old.exists(), 30, what="the old file to be deleted")
        emulator.wait_for(
            lambda: "Done." in str((emulator.message(channel, found["ts"]) or {}).get("blocks")),
            30,
            what="the card to be updated",
        )
        updated = emulator.message(channel, found["ts"])
        assert updated is not None and not [b for b in updated["blocks"] if b["type"] == "actions"]
        assert "Approved by <@U0ONCALL>" in str(updated["blocks"])
    finally:
        running.stop()
        emulator.stop()


def test_restart_does_not_answer_again(bot: Bot) -> None:
    """Runs last: the processed-event table survives a restart, so a late Slack retry of an
    event answered before the restart is not answered twice."""
    channel = "C0RESTART"
    body = mention("what can you do?", channel=channel, bot_user=BOT)
    bot.send.event(body)
    _answer(bot, channel, body["event"]["ts"], "Here is what I can do")
    bot.stop()
    assert bot.proc is not None and bot.proc.returncode == 0, bot.log()[-3000:]
    bot.start()
    assert bot.send.event(body, retry=3).status_code == 200
    time.sleep(2.0)
    assert len(_bot_messages(bot, channel)) == 1
    # the restarted process still answers new messages
    fresh = mention("what can you do?", channel=channel, bot_user=BOT)
    bot.send.event(fresh)
    _answer(bot, channel, fresh["event"]["ts"], "Here is what I can do")
