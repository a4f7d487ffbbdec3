"""Members of the on-call Slack user group (ONCALL_USERGROUP), read and cached.

`usergroups.users.list` is a Tier 2 method (about 20 calls a minute), and every approval
click needs the answer, so it is cached for a few minutes. When Slack cannot be asked and the
cache is stale, the lookup fails loudly: the approval service then refuses the click with "try
again shortly" rather than trusting an old membership list.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from core.errors import Unavailable

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300.0


class UsergroupLookupError(Unavailable):
    """The group's members could not be read; the message says why."""


class UsergroupMembers:
    """Callable returning the group's member ids; safe to call from many threads."""

    def __init__(
        self,
        client: Any,
        group_id: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not group_id:
            raise ValueError("ONCALL_USERGROUP is empty")
        self._client = client
        self.group_id = group_id
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._members: frozenset[str] | None = None
        self._fetched_at = 0.0

    def __call__(self) -> set[str]:
        with self._lock:
            now = self._clock()
            if self._members is not None and now - self._fetched_at < self._ttl:
                return set(self._members)
            try:
                response = self._client.usergroups_users_list(usergroup=self.group_id)
            except SlackApiError as exc:
                error = exc.response.get("error") if exc.response is not None else str(exc)
                raise UsergroupLookupError(
                    f"Slack refused usergroups.users.list for ONCALL_USERGROUP={self.group_id}: "
                    f"{error}"
                ) from exc
            except Exception as exc:
                raise UsergroupLookupError(
                    f"could not read ONCALL_USERGROUP={self.group_id} from Slack: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            self._members = frozenset(str(u) for u in response.get("users") or [])
            self._fetched_at = now
            log.debug("on-call group %s has %d members", self.group_id, len(self._members))
            return set(self._members)

    def invalidate(self) -> None:
        with self._lock:
            self._members = None
