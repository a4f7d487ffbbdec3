"""ONCALL_USERGROUP members are read through usergroups.users.list, cached, and a failed
lookup refuses the approval instead of granting it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.approvals import ApprovalError, ApprovalPolicy, ApprovalService
from bot.slack.client import make_web_client
from bot.slack.usergroups import UsergroupLookupError, UsergroupMembers
from core.approvals import ApprovalView
from core.clock import utcnow
from tests.emulators.slack import SlackEmulator


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_members_are_cached_for_the_ttl(slack_emulator: SlackEmulator) -> None:
    clock = Clock()
    members = UsergroupMembers(
        make_web_client("xoxb-t", slack_emulator.url), "S0ONCALL", ttl_seconds=60, clock=clock
    )
    assert members() == {"U0GROUP1", "U0GROUP2"}
    assert members() == {"U0GROUP1", "U0GROUP2"}
    assert len(slack_emulator.calls_to("usergroups.users.list")) == 1
    slack_emulator.usergroups["S0ONCALL"] = ["U0GROUP1"]  # someone left the rota
    clock.now = 61
    assert members() == {"U0GROUP1"}
    assert len(slack_emulator.calls_to("usergroups.users.list")) == 2


def test_unknown_group_and_outage_raise_clear_errors(slack_emulator: SlackEmulator) -> None:
    client = make_web_client("xoxb-t", slack_emulator.url)
    with pytest.raises(UsergroupLookupError, match="ONCALL_USERGROUP=S0NOPE: no_such_subteam"):
        UsergroupMembers(client, "S0NOPE")()
    slack_emulator.fail("usergroups.users.list", "missing_scope")
    with pytest.raises(UsergroupLookupError, match="missing_scope"):
        UsergroupMembers(client, "S0ONCALL")()


def test_approval_service_uses_the_group(slack_emulator: SlackEmulator) -> None:
    members = UsergroupMembers(make_web_client("xoxb-t", slack_emulator.url), "S0ONCALL")
    service = ApprovalService(
        engine=None,  # type: ignore[arg-type]  # check_approver needs no database
        audit=None,  # type: ignore[arg-type]
        policy=ApprovalPolicy(oncall_users={"U0ONCALL"}, bot_users={"U0BOT"}),
        group_members=members,
    )
    view = ApprovalView(
        id="ap-1", tool="t", args={}, risk="low", preview="", status="pending",
        requested_by="U222", expires_at=utcnow() + timedelta(minutes=5),
    )  # fmt: skip
    service.check_approver("U0GROUP2", view)  # a group member
    service.check_approver("U0ONCALL", view)  # listed in ONCALL_USERS
    with pytest.raises(ApprovalError, match="only on-call engineers"):
        service.check_approver("U0STRANGER", view)
    members.invalidate()
    slack_emulator.fail("usergroups.users.list", "ratelimited")
    with pytest.raises(ApprovalError, match="could not check the on-call group"):
        service.check_approver("U0STRANGER", view)
