"""A message at each handoff of an on-call schedule, in the schedule's channel
(`ONCALL_HANDOFF_CHANNELS`): "<@A> hands over to <@B> for primary until Tue 09:00
Europe/Berlin".

Run by the scheduler. Each cycle looks back `lookback` (30 min) for shift changes (rotation
handoffs and overrides, swaps included); each one is claimed in the ledger
(`tools/oncall/ledger.py`, unique per schedule and instant) before it is posted, so it is
posted once across restarts and replicas; a post that fails is released and tried again next
cycle. A handoff that happened while opsbot was down longer than `lookback` is not announced
late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from itertools import pairwise

from core.clock import utcnow
from core.errors import NotFound
from tools.oncall.ledger import Ledger
from tools.oncall.model import Schedule, Shift, shifts
from tools.oncall.store import OncallStore
from tools.oncall.tools import HORIZON

log = logging.getLogger(__name__)

LOOKBACK = timedelta(minutes=30)


def mention(user: str | None) -> str:
    return f"<@{user}>" if user else "nobody"


def handoff_text(
    name: str, schedule: Schedule, before: Shift, after: Shift, horizon_end: datetime
) -> str:
    """The words of one handoff (mrkdwn: people as mentions, so they are notified)."""
    if after.end >= horizon_end:
        until = f"for the next {HORIZON.days} days or more"
    else:
        local = after.end.astimezone(schedule.tz)
        until = f"until {local:%a %H:%M} {schedule.tz.key}"
    if before.primary and after.primary:
        text = (
            f"{mention(before.primary)} hands over to {mention(after.primary)} for *{name}* {until}"
        )
    elif after.primary:
        text = f"{mention(after.primary)} is on call for *{name}* {until}"
    elif before.primary:
        text = f"{mention(before.primary)}'s shift on *{name}* ends: nobody is on call {until}"
    else:
        text = f"Nobody is primary on call for *{name}* {until}"
    if after.secondary:
        text += f" (secondary: {mention(after.secondary)})"
    if after.override is not None:
        text += f" — override: {after.override.reason}"
    return text


class HandoffMonitor:
    name = "handoffs"

    def __init__(
        self,
        oncall: OncallStore,
        ledger: Ledger,
        channels: Mapping[str, str],
        post: Callable[[str, str], None],
        clock: Callable[[], datetime] = utcnow,
        lookback: timedelta = LOOKBACK,
    ) -> None:
        self.oncall = oncall
        self.ledger = ledger
        self.channels = dict(channels)
        self.post = post
        self.clock = clock
        self.lookback = lookback

    def run(self) -> list[tuple[str, datetime]]:
        """One cycle: post every handoff of the last `lookback` not posted yet."""
        now = self.clock()
        posted: list[tuple[str, datetime]] = []
        for name, channel in sorted(self.channels.items()):
            try:
                posted.extend(self._schedule(name, channel, now))
            except NotFound as exc:
                log.warning("ONCALL_HANDOFF_CHANNELS: %s", exc)
        return posted

    def _schedule(self, name: str, channel: str, now: datetime) -> list[tuple[str, datetime]]:
        schedule = self.oncall.schedule(name)
        start, end = now - self.lookback, now + HORIZON
        around = shifts(schedule, self.oncall.overrides(name, start, end), start, end)
        posted = []
        for before, after in pairwise(around):
            if after.start > now or (before.primary, before.secondary) == (
                after.primary,
                after.secondary,
            ):
                continue
            if not self.ledger.claim_handoff(name, after.start):
                continue  # posted already (before a restart, or by another replica)
            text = handoff_text(name, schedule, before, after, end)
            try:
                self.post(channel, text)
            except Exception as exc:
                log.warning("could not post the %s handoff in %s: %s", name, channel, exc)
                self.ledger.release_handoff(name, after.start)
                continue
            posted.append((name, after.start))
        return posted
