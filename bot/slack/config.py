"""Which Slack mode to run, and whether the credentials for it are complete and consistent.

Checked before anything listens, so a half-configured install stops at once with one line
naming the missing or wrong variable, instead of failing on the first Slack event.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from core.errors import StartupError

SOCKET = "socket"
HTTP = "http"


@dataclass(frozen=True)
class SlackCredentials:
    mode: str  # socket | http
    bot_token: str
    app_token: str | None
    signing_secret: str | None

    @property
    def button_secret(self) -> str:
        """What approval buttons are signed with: the signing secret when there is one (HTTP
        mode), else the bot token. Every replica has the same value."""
        return self.signing_secret or self.bot_token


def _value(secret: object) -> str | None:
    if secret is None:
        return None
    return str(secret.get_secret_value()).strip()  # type: ignore[attr-defined]


def wants_slack(settings: Settings) -> bool:
    """True when any Slack credential is set: then the Slack check must pass to start."""
    return any(
        value is not None
        for value in (
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
        )
    )


def check_credentials(settings: Settings) -> SlackCredentials:
    """Return the credentials for the configured mode, or raise StartupError saying what to fix."""
    bot = _value(settings.slack_bot_token)
    app = _value(settings.slack_app_token)
    secret = _value(settings.slack_signing_secret)
    problems: list[str] = []
    if settings.slack_app_token is not None:
        mode = SOCKET
        if not app:
            problems.append(
                "SLACK_APP_TOKEN is empty (Socket Mode needs the app-level xapp- token)"
            )
        elif not app.startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN must be the app-level token starting with xapp- "
                "(Basic Information > App-Level Tokens, scope connections:write)"
            )
    elif settings.slack_signing_secret is not None:
        mode = HTTP
        if not secret:
            problems.append("SLACK_SIGNING_SECRET is empty (Basic Information > Signing Secret)")
    else:
        raise StartupError(
            "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
            "SLACK_SIGNING_SECRET (HTTP mode) is: set one of them, or unset SLACK_BOT_TOKEN "
            "to use the local console"
        )
    if not bot:
        problems.append(
            f"SLACK_BOT_TOKEN is missing ({'Socket Mode' if mode == SOCKET else 'HTTP mode'} "
            "needs the xoxb- bot token from OAuth & Permissions)"
        )
    elif not bot.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be the bot token starting with xoxb-")
    if problems:
        raise StartupError("Slack is not configured correctly: " + "; ".join(problems))
    assert bot is not None
    return SlackCredentials(mode=mode, bot_token=bot, app_token=app, signing_secret=secret)
