"""Incidents in Slack, end to end: the real `opsbot run` in HTTP mode, the Slack Web API
emulator behind SLACK_API_URL, signed button clicks.

A disk threshold below current use gives one root message in INCIDENT_CHANNEL, posted once
across many check intervals and updated in place; a click by someone not on call changes
nothing; the on-call Approve click deletes the old files once (double click included) and
the thread says how it went; raising the threshold resolves the incident and updates the
message."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.slack import SlackEmulator
from tests.incidents.proc import OpsbotRun, free_port
from tests.slack.helpers import BOT_TOKEN, SECRET, SlackSender, click_body

pytestmark = pytest.mark.slow

CHANNEL = "C0INCIDENTS"
BOT = "U0BOT"


def root_posts(emulator: SlackEmulator) -> list[Any]:
    return [
        c for c in emulator.posts(CHANNEL)
        if not c.params.get("thread_ts") and "Disk / is" in str(c.params.get("text", ""))
    ]  # fmt: skip


def approve_button(message: dict[str, Any], action: str = "approval_approve") -> str | None:
    for block in message.get("blocks", []):
        if block.get("type") != "actions":
            continue
        for element in block.get("elements", []):
            if element.get("action_id") == action:
                return str(element["value"])
    return None


def thread_texts(emulator: SlackEmulator, ts: str) -> list[str]:
    return [m.get("text", "") for m in emulator.thread(CHANNEL, ts)]


def test_incident_in_slack_from_post_to_resolution(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    stamp = time.time() - 30 * 86400
    for i in range(3):
        (logs / f"old-{i}.log").write_text("x" * 10_000)
        os.utime(logs / f"old-{i}.log", (stamp, stamp))
    config = tmp_path / "remediation.yaml"
    config.write_text(f"clean_directories:\n  - path: {logs}\n    patterns: ['*.log']\n")
    (tmp_path / "data").mkdir()
    emulator = SlackEmulator(bot_user_id=BOT).start()
    port = free_port()
    env = {
        "OPSBOT_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(port),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": emulator.url,
        "INCIDENT_CHANNEL": CHANNEL,
        "ONCALL_USERS": "U0ONCALL",
        "CHECK_INTERVAL_SECONDS": "1",
        "MONITOR_SUSTAIN_SAMPLES": "1",
        "INCIDENT_AUTORESOLVE_CHECKS": "2",
        "DISK_FORECAST_HOURS": "0",
        "HOST_DISK_PCT": "1",
        "HOST_CPU_PCT": "100",
        "INCIDENT_CORRELATION_MINUTES": "0",
        "HOST_MEM_PCT": "100",
        "HOST_SWAP_PCT": "100",
        "REMEDIATION_CONFIG": str(config),
        "LOG_LEVEL": "WARNING",
    }
    bot = OpsbotRun(tmp_path, env)
    sender = None
    try:
        bot.wait_healthy(port)
        sender = SlackSender(f"http://127.0.0.1:{port}")
        root = emulator.wait_for(lambda: root_posts(emulator), 90, what="the incident root")[0]
        ts = root.response["ts"]

        def with_button() -> str | None:
            message = emulator.message(CHANNEL, ts)
            return approve_button(message) if message else None

        value = emulator.wait_for(with_button, 90, what="the Approve button after triage")
        message = emulator.message(CHANNEL, ts)
        assert message is not None and "clean_directory" in json.dumps(message["blocks"])
        time.sleep(5)  # many more check intervals
        assert len(root_posts(emulator)) == 1  # posted once, updated in place
        assert emulator.calls_to("chat.update", channel=CHANNEL, ts=ts)

        def click(user: str) -> None:
            body = click_body(
                action_id="approval_approve", value=value, user=user, channel=CHANNEL,
                message_ts=ts, thread_ts=None, response_url=emulator.response_url(user),
            )  # fmt: skip
            assert sender is not None
            assert sender.form(body).status_code == 200

        click("U0RANDOM")  # not on call
        emulator.wait_for(
            lambda: [c for c in emulator.calls_to("chat.postEphemeral") if c.params.get("user") == "U0RANDOM"],
            30,
            what="the refusal shown to the clicker",
        )  # fmt: skip
        assert len(list(logs.iterdir())) == 3

        click("U0ONCALL")
        click("U0ONCALL")  # double click
        emulator.wait_for(
            lambda: [t for t in thread_texts(emulator, ts) if "ran, approved by U0ONCALL" in t],
            60,
            what="the outcome in the thread",
        )
        assert list(logs.iterdir()) == []
        time.sleep(2)
        outcomes = [t for t in thread_texts(emulator, ts) if "ran, approved by" in t]
        assert len(outcomes) == 1 and "Verification: it worked" in outcomes[0]
        assert all(
            m.get("reply_broadcast") in (None, False) for m in emulator.thread(CHANNEL, ts)
        )  # notes never ping the channel
        assert bot.stop() == 0
    finally:
        if sender is not None:
            sender.close()
        if bot.proc.poll() is None:
            bot.proc.kill()

    # raise the threshold: resolved, and the same message says so
    second = OpsbotRun(tmp_path, env | {"HOST_DISK_PCT": "99"})
    try:
        second.wait_healthy(port)

        def resolved() -> bool:
            message = emulator.message(CHANNEL, ts)
            return bool(message) and "[resolved]" in json.dumps(message["blocks"])

        emulator.wait_for(resolved, 60, what="the root message marked resolved")
        emulator.wait_for(
            lambda: [t for t in thread_texts(emulator, ts) if "Resolved automatically" in t],
            30,
            what="the resolution note",
        )
        assert len(root_posts(emulator)) == 1
        assert second.stop() == 0
    finally:
        if second.proc.poll() is None:
            second.proc.kill()
        emulator.stop()
