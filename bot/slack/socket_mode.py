"""Socket Mode: opsbot opens a WebSocket to Slack (no public URL needed) and acks envelopes.

The connection URL comes from `apps.connections.open`, called with the app-level token
through the same Web API client (so SLACK_API_URL points it at an emulator in tests).
Bolt's built-in Socket Mode client (no extra dependencies) reconnects by itself.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.outbox import slack_error
from core.errors import StartupError

log = logging.getLogger(__name__)


class SocketModeRunner:
    def __init__(self, app: Any, app_token: str, web_client: Any) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.handler = SocketModeHandler(app, app_token, web_client=web_client)

    def connect(self) -> None:
        """Open the connection (returns at once; messages are handled on background threads)."""
        try:
            self.handler.connect()
        except Exception as exc:
            error = slack_error(exc)
            if error in ("invalid_auth", "not_authed", "not_allowed_token_type"):
                raise StartupError(
                    f"Slack refused SLACK_APP_TOKEN ({error}): create an app-level token with "
                    "the connections:write scope under Basic Information > App-Level Tokens"
                ) from None
            raise StartupError(f"could not open the Socket Mode connection: {error}") from None
        log.info("Socket Mode connected")

    def close(self) -> None:
        try:
            self.handler.close()
        except Exception as exc:  # closing is best effort at shutdown
            log.warning("error while closing Socket Mode: %s", exc)
