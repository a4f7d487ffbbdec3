"""Publishing the App Home: on `app_home_opened` (the Home tab), on its Refresh button, and
after an Approve / Reject click on it.

A click on the home's approval buttons is decided by the same `ApprovalClicks` as a click on
a card (the signed value, the approver check, the approval feed updating the card in its
thread); only what the clicker is told goes to the top of their re-published home instead
of an ephemeral message (a home tab has no channel to post one in). Nothing here raises: a
failing `views.publish` is logged, and the next open tries again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.home import HomeSources
from bot.slack.approvals import ButtonSigner
from bot.slack.decisions import Click
from bot.slack.errors import slack_error
from bot.slack.home import home_view

log = logging.getLogger(__name__)

MAX_LINKS = 1000  # remembered permalinks (one per incident or approval card)


class HomeTab:
    def __init__(
        self, sources: HomeSources, client: Any, signer: ButtonSigner, clicks: Any
    ) -> None:
        self.sources = sources
        self.client = client
        self.signer = signer
        self.clicks = clicks  # the ApprovalClicks of the front end
        self._links: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def permalink(self, channel: str, ts: str) -> str | None:
        """The message's permalink (chat.getPermalink, remembered); None if Slack has none."""
        key = (channel, ts)
        with self._lock:
            if key in self._links:
                return self._links[key]
        try:
            url = str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except Exception as exc:
            log.warning("no permalink for %s/%s: %s", channel, ts, slack_error(exc))
            return None
        with self._lock:
            if len(self._links) >= MAX_LINKS:
                self._links.clear()
            self._links[key] = url
        return url

    def publish(self, user: str, notice: str | None = None) -> bool:
        """Render and publish `user`'s home; False (logged) when it could not be shown."""
        if not user:
            log.warning("App Home: an event without a user; nothing published")
            return False
        try:
            view = home_view(self.sources.gather(), self.signer, self.permalink, notice)
            self.client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("could not publish the App Home of %s: %s", user, slack_error(exc))
            return False
        except Exception:
            log.exception("could not build or publish the App Home of %s", user)
            return False
        return True

    def approval_click(self, click: Click) -> None:
        """Approve / Reject pressed on the home: decided as on a card, then the home is
        re-published with what happened at the top."""
        said: list[str] = []
        self.clicks.handle(click, tell=said.append)
        self.publish(click.user, said[-1] if said else "Done: the approval's card shows it.")
