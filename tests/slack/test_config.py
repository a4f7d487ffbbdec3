"""Missing or inconsistent Slack credentials stop the start with a message naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import StartupError
from bot.settings import load_settings
from bot.slack.config import check_credentials, wants_slack
from tests.bot_process import opsbot
from tests.emulators.slack import SlackEmulator


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"slack_bot_token": "xoxb-1"}, "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET"),
        ({"slack_signing_secret": "s"}, "SLACK_BOT_TOKEN is missing (HTTP mode"),
        ({"slack_app_token": "xapp-1"}, "SLACK_BOT_TOKEN is missing (Socket Mode"),
        ({"slack_app_token": "xoxb-1", "slack_bot_token": "xoxb-1"}, "SLACK_APP_TOKEN must be the app-level token"),
        ({"slack_signing_secret": "s", "slack_bot_token": "xapp-1"}, "SLACK_BOT_TOKEN must be the bot token"),
        ({"slack_signing_secret": " ", "slack_bot_token": "xoxb-1"}, "SLACK_SIGNING_SECRET is empty"),
        ({"slack_app_token": "", "slack_bot_token": "xoxb-1"}, "SLACK_APP_TOKEN is empty"),
    ],
)  # fmt: skip
def test_bad_combinations_name_what_is_wrong(env: dict[str, str], message: str) -> None:
    settings = load_settings(**env)
    assert wants_slack(settings)
    with pytest.raises(StartupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_credentials(settings)


def test_good_combinations() -> None:
    http = check_credentials(load_settings(slack_signing_secret="s", slack_bot_token="xoxb-1"))
    assert (http.mode, http.button_secret) == ("http", "s")
    socket = check_credentials(load_settings(slack_app_token="xapp-1", slack_bot_token="xoxb-1"))
    assert (socket.mode, socket.button_secret) == ("socket", "xoxb-1")
    assert not wants_slack(load_settings())


def test_run_refuses_half_configured_slack(tmp_path: Path) -> None:
    result = opsbot("run", "--no-console", env={"SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)
    assert result.returncode == 1
    assert "opsbot: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_refuses_a_token_slack_rejects(tmp_path: Path, slack_emulator: SlackEmulator) -> None:
    slack_emulator.fail_auth()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-revoked",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack_emulator.url,
        "PORT": "0",
    }
    result = opsbot("run", "--no-console", env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "opsbot: Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
