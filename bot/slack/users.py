"""Display names for Slack user ids (users.info), cached.

Thread notes on incidents say who acknowledged or approved by name rather than with an
@-mention, so nobody is pinged by progress updates.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


class UserNames:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def name(self, user_id: str) -> str:
        """The user's display name, or the id itself when Slack cannot tell us."""
        with self._lock:
            if user_id in self._names:
                return self._names[user_id]
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
        except Exception as exc:  # a name is cosmetic; fall back to the id and say why in logs
            log.info("users.info for %s failed: %s", user_id, exc)
            return user_id
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        with self._lock:
            self._names[user_id] = name
        return name
