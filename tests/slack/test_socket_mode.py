"""Socket Mode end to end: the real `python -m bot run` process with SLACK_APP_TOKEN opens
the WebSocket it gets from `apps.connections.open` (answered by the Web API emulator with the
URL of a local Socket Mode emulator), acks an `events_api` envelope and answers in the
thread through the Web API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.emulators.slack import SlackEmulator, SocketModeEmulator
from tests.slack.helpers import BOT_TOKEN, new_ts, payload

BOT = "U0BOT"


def test_socket_mode_acks_and_answers(tmp_path: Path) -> None:
    sockets = SocketModeEmulator().start()
    emulator = SlackEmulator(bot_user_id=BOT).start()
    emulator.socket_url = sockets.url
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ANTHROPIC_", "OPSBOT_", "ONCALL_"))
    }
    env.update(
        {
            "OPSBOT_DATA_DIR": str(tmp_path / "data"),
            "SLACK_APP_TOKEN": "xapp-1-test",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": emulator.url,
            "PORT": "0",
            "ANONYMIZED_TELEMETRY": "False",
        }
    )
    log = (tmp_path / "opsbot.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--no-console"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        try:
            sockets.wait_connected(timeout=90)
        except AssertionError:
            raise AssertionError((tmp_path / "opsbot.log").read_text()[-4000:]) from None
        opened = emulator.calls_to("apps.connections.open")
        assert len(opened) == 1 and opened[0].token == "xapp-1-test"

        envelope = payload("socket_mode_envelope.events_api")
        ts = new_ts()
        event = envelope["payload"]["event"]
        event.update(
            {"text": f"<@{BOT}> what can you do?", "user": "U222", "ts": ts, "event_ts": ts}
        )
        envelope["payload"]["authorizations"][0]["user_id"] = BOT
        envelope["payload"]["event_id"] = f"Ev{ts.replace('.', '')}"
        sockets.send(envelope)
        ack = sockets.wait_for_ack(envelope["envelope_id"], timeout=10)
        assert ack == {"envelope_id": envelope["envelope_id"]}

        def answered() -> bool:
            return any(
                "Here is what I can do" in m["text"] and m.get("thread_ts") == ts
                for m in emulator.thread(event["channel"], ts)
            )

        emulator.wait_for(answered, 30, what="the threaded answer")
        # Socket Mode redelivers with retry_attempt: the same event is answered once
        envelope["envelope_id"] = "redelivered-1"
        envelope["retry_attempt"] = 2
        sockets.send(envelope)
        sockets.wait_for_ack("redelivered-1", timeout=10)
        time.sleep(1.0)
        assert len(emulator.posts(event["channel"])) == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        emulator.stop()
        sockets.stop()
    assert proc.returncode == 0, (tmp_path / "opsbot.log").read_text()[-3000:]


def test_socket_mode_refuses_a_rejected_app_token(tmp_path: Path) -> None:
    emulator = SlackEmulator(bot_user_id=BOT).start()
    emulator.fail("apps.connections.open", "invalid_auth", times=10)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ANTHROPIC_", "OPSBOT_", "ONCALL_"))
    }
    env.update(
        {
            "OPSBOT_DATA_DIR": str(tmp_path / "data"),
            "SLACK_APP_TOKEN": "xapp-1-revoked",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": emulator.url,
            "PORT": "0",
        }
    )
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--no-console"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        emulator.stop()
    assert result.returncode == 1, result.stderr[-3000:]
    assert "opsbot: Slack refused SLACK_APP_TOKEN (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
