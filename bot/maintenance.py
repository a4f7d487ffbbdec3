"""Creating and ending maintenance windows on behalf of a person: who may, and the audit.

Windows keep alerts from paging, so making or ending one is for the people who may approve
actions: the on-call approvers (`ApprovalService.check_oncall`: ONCALL_USERS,
ONCALL_USERGROUP, and at a terminal CLI_USERS, or anyone at the terminal of a local install
without an on-call list). Every window made or ended is an audit row
(`maintenance_add`, `maintenance_end`) naming who, through what, and the window. Ending a
window early also ends the snoozes it put on open incidents (`IncidentEngine.release_window`).
The CLI (`bot/commands/maintenance.py`) and the Slack modal (`bot/slack/maintenance.py`) both
come through here; the store and its checks are `tools/maintenance`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tools.maintenance.matcher import Matcher
from tools.maintenance.store import MaintenanceStore, Window

if TYPE_CHECKING:
    from bot.approvals import ApprovalService, AuditLogger

WHAT = "create or end maintenance windows"


@dataclass(frozen=True)
class MaintenanceService:
    store: MaintenanceStore
    approvals: Callable[[], ApprovalService]
    audit: Callable[[], AuditLogger]
    release: Callable[[int], object]  # IncidentEngine.release_window

    def check(self, user: str, via: str) -> None:
        """Raise Refused (ApprovalError) unless `user` may make or end windows."""
        self.approvals().check_oncall(user, WHAT, via=via)

    def add(
        self,
        matchers: Sequence[Matcher],
        start: datetime,
        end: datetime,
        reason: str,
        *,
        user: str,
        via: str,
        label: str | None = None,
        match_all: bool = False,
    ) -> Window:
        """A new window made by `user` (`label` is how the audit names them)."""
        self.check(user, via)
        who = label or user
        window = self.store.add(matchers, start, end, reason, who=who, match_all=match_all)
        self.audit().record(
            actor=who,
            via=via,
            action="maintenance_add",
            args=window.to_dict(self.store.clock()),
            outcome="created",
            result=window.summary(self.store.clock()),
        )
        return window

    def end(self, window_id: int, *, user: str, via: str, label: str | None = None) -> Window:
        self.check(user, via)
        who = label or user
        window = self.store.end(window_id, who=who)
        self.audit().record(
            actor=who,
            via=via,
            action="maintenance_end",
            args={"id": window_id},
            outcome="ended",
            result=window.summary(self.store.clock()),
        )
        self.release(window_id)
        return window
