"""Who may decide on approvals: the on-call list, bots, the terminal user, the two-person rule.

The person at a terminal is `bot.identity.TerminalIdentity` (every CLI and console command acts
as it, not only approvals, so it lives outside this package); here it is only compared.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.approvals.tables import Approval
from bot.identity import TERMINAL_VIAS, TerminalIdentity
from core.access import RISK_ORDER, Risk
from core.approvals import ApprovalView
from core.errors import Refused

log = logging.getLogger(__name__)


class ApprovalError(Refused):
    """A decision that cannot be taken; the message is shown to the person who tried."""


@dataclass
class ApprovalPolicy:
    oncall_users: set[str] = field(default_factory=set)
    ttl_seconds: int = 1800
    allow_self: bool = True
    two_person_risk: str = "none"  # none | low | medium | high
    # the person at this process's terminal (CLI and console commands), None for a server
    terminal: TerminalIdentity | None = None
    bot_users: set[str] = field(default_factory=set)
    # an execution claimed on another host is declared dead after this long
    execution_limit_seconds: float = 90_000

    def approvals_needed(self, risk: Risk) -> int:
        if self.two_person_risk == "none":
            return 1
        return 2 if RISK_ORDER[risk] >= RISK_ORDER[Risk(self.two_person_risk)] else 1


class Approvers:
    """Applies an `ApprovalPolicy` to a person deciding through a front end (`via`)."""

    def __init__(
        self,
        policy: ApprovalPolicy,
        group_members: Callable[[], set[str]] | None = None,
        on_call_now: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self.policy = policy
        self._group_members = group_members
        # who is on call at this moment in ONCALL_APPROVER_SCHEDULES: user -> "primary of ops"
        self._on_call_now = on_call_now

    @property
    def oncall_configured(self) -> bool:
        """True when an on-call list exists (ONCALL_USERS, ONCALL_USERGROUP or
        ONCALL_APPROVER_SCHEDULES); without one (a local install) only the OS user at the
        terminal may decide."""
        return (
            bool(self.policy.oncall_users)
            or self._group_members is not None
            or self._on_call_now is not None
        )

    def _on_call(self) -> Mapping[str, str]:
        """Who is on call now in the approver schedules (read at each decision)."""
        if self._on_call_now is None:
            return {}
        try:
            return self._on_call_now()
        except Exception as exc:  # the schedule lookup failing must not grant access
            log.warning("on-call schedule lookup failed: %s", exc)
            raise ApprovalError(
                "could not check who is on call right now; try again shortly"
            ) from exc

    def _sources(self) -> str:
        """The settings that say who may decide, and who is on call now when schedules do."""
        if self._on_call_now is None:
            return "ONCALL_USERS / ONCALL_USERGROUP"
        now = self._on_call()
        who = ", ".join(f"{user} ({what})" for user, what in now.items()) or "nobody"
        return f"ONCALL_USERS / ONCALL_USERGROUP / ONCALL_APPROVER_SCHEDULES; on call now: {who}"

    def at_terminal(self, user: str, via: str | None) -> TerminalIdentity | None:
        """The terminal identity when `user` deciding through `via` is this process's
        terminal user, else None (a Slack click is never the terminal, whatever its id)."""
        terminal = self.policy.terminal
        if terminal is not None and via in TERMINAL_VIAS and user == terminal.user:
            return terminal
        return None

    def actor(self, user: str, via: str | None) -> str:
        """How the audit names `user`: the terminal user as `U012AB3CD (cli:alice)`."""
        terminal = self.at_terminal(user, via)
        return terminal.label if terminal is not None else user

    def check_oncall(
        self, user: str, what: str = "approve or reject actions", via: str | None = None
    ) -> None:
        """Raise ApprovalError unless `user` is an on-call engineer (ONCALL_USERS, a member
        of ONCALL_USERGROUP, or on call now in ONCALL_APPROVER_SCHEDULES: the union) and not
        a bot. At a terminal (`via` cli or console) the user is
        the OS user, mapped by CLI_USERS: with an on-call list it must be mapped to an
        on-call Slack user; without one (a local install) the OS user may decide. `what`
        completes the refusal: "only on-call engineers can <what>"."""
        policy = self.policy
        if user in policy.bot_users:
            raise ApprovalError(f"a bot cannot {what}")
        terminal = self.at_terminal(user, via)
        if terminal is not None and not self.oncall_configured:
            return  # a local install: the person at the terminal is the operator
        allowed = user in policy.oncall_users
        if not allowed and self._group_members is not None:
            try:
                allowed = user in self._group_members()
            except Exception as exc:  # the group lookup failing must not grant access
                log.warning("on-call group lookup failed: %s", exc)
                raise ApprovalError(
                    "could not check the on-call group right now; try again shortly"
                ) from exc
        if not allowed and self._on_call_now is not None:
            allowed = user in self._on_call()
        if allowed:
            return
        if terminal is not None and terminal.slack_user is None:
            raise ApprovalError(
                f"only on-call engineers can {what} ({self._sources()}); you are "
                f"OS user {terminal.os_user!r} at this terminal, which CLI_USERS does not map "
                f"to a Slack user (add {terminal.os_user}=<your Slack user id> to CLI_USERS)"
            )
        raise ApprovalError(f"only on-call engineers can {what} ({self._sources()})")

    def check_approver(
        self, user: str, row: Approval | ApprovalView, via: str | None = None
    ) -> None:
        """Raise ApprovalError unless `user` may decide on this approval. The two-person
        rule and APPROVAL_ALLOW_SELF compare real identities: a terminal user mapped by
        CLI_USERS is the Slack user it is mapped to."""
        self.check_oncall(user, via=via)
        if not self.policy.allow_self and user == row.requested_by:
            raise ApprovalError(
                "you requested this action; another on-call engineer must approve it"
            )
        if user in row.approvers:
            raise ApprovalError("you have already approved this action")
