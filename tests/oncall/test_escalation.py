"""Escalation with the real incident engine, a clock we move and the Slack emulator: an
unacknowledged incident pages the on-call by DM, then a channel, then a user group; each step
once (across a restart), every step on the timeline; acknowledging or resolving stops it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.incidents.engine import IncidentEngine
from bot.monitors.escalation import EscalationMonitor
from bot.slack.approvals import ButtonSigner
from bot.slack.client import make_web_client
from bot.slack.outbox import Outbox
from bot.slack.paging import SlackPager
from core.incidents import CRITICAL, INFO, WARNING, Finding
from tests.emulators.slack import SlackEmulator
from tests.incidents.conftest import Clock
from tools.oncall.escalation import parse_policies
from tools.oncall.ledger import Ledger
from tools.oncall.store import OncallStore

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # U2BB primary, U3CC secondary
POLICIES = {
    "critical": [
        {"after_minutes": 5, "notify": "schedule:primary"},
        {"after_minutes": 15, "notify": ["schedule:primary:secondary", "channel:C0OPS"]},
        {"after_minutes": 30, "notify": ["usergroup:S0ONCALL", "channel:C0OPS"]},
    ],
    "*": [{"after_minutes": 10, "notify": "user:U0LEAD"}],
}


def finding(name: str = "HostDown", severity: str = CRITICAL) -> Finding:
    return Finding(monitor="host", alertname=name, title=f"{name} on web-1 <now>",
                   severity=severity, kind="host", labels={"host": f"{name.lower()}-1"})  # fmt: skip


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


class Stack:
    def __init__(self, engine: Engine, slack: SlackEmulator, policies: Any = POLICIES) -> None:
        self.clock = Clock(START)
        self.incidents = IncidentEngine(engine, clock=self.clock)
        self.oncall = OncallStore(engine)
        self.oncall.add_rotation("primary", people="U1AA,U2BB,U3CC", every="daily",
                                 handoff="09:00", tz="Europe/Berlin", start="2026-11-30",
                                 secondary="next")  # fmt: skip
        self.outbox = Outbox(make_web_client("xoxb-test", slack.url), ButtonSigner("secret"))
        self.engine = engine
        self.policies = parse_policies(policies)
        self.monitor = self.restart()

    def restart(self) -> EscalationMonitor:
        """A new monitor, as after a restart of opsbot: only the database is kept."""
        pager = SlackPager(self.outbox)
        ledger = Ledger(self.engine)
        return EscalationMonitor(
            self.incidents, self.oncall, ledger, self.policies, pager, self.clock
        )

    def open(self, name: str = "HostDown", severity: str = CRITICAL) -> int:
        return self.incidents.observe(finding(name, severity), f"{name}-1")[0]

    def at(self, minutes: float) -> list[Any]:
        """Run one cycle `minutes` after START."""
        self.clock.now = START + timedelta(minutes=minutes)
        return self.monitor.run()

    def escalations(self, incident_id: int) -> list[str]:
        return [e.text for e in self.incidents.timeline(incident_id) if e.kind == "escalated"]


@pytest.fixture
def stack(engine: Engine, slack: SlackEmulator) -> Stack:
    return Stack(engine, slack)


def texts(slack: SlackEmulator, channel: str) -> list[str]:
    return [str(c.params["text"]) for c in slack.posts(channel)]


def test_an_unacknowledged_incident_climbs_the_chain_once_per_step(
    stack: Stack, slack: SlackEmulator
) -> None:
    incident = stack.open()
    assert stack.at(4) == []
    (sent,) = stack.at(5)
    assert (sent.incident_id, sent.step, sent.to) == (incident, 0, ("U2BB",))
    (dm,) = texts(slack, "U2BB")  # chat.postMessage to the user id: the app's DM
    assert dm.startswith(
        f"🚨 You are paged for incident #{incident}: *HostDown on web-1 &lt;now&gt;*"
    )
    assert "not acknowledged after 5 min (escalation step 1)" in dm
    assert stack.at(6) == [] and stack.at(14) == []  # step 1 once
    stack.monitor = stack.restart()
    assert stack.at(14) == []  # and once across a restart
    stack.at(15)
    assert len(texts(slack, "U3CC")) == 1  # the secondary by DM
    (channel_post,) = texts(slack, "C0OPS")
    assert "<!subteam^" not in channel_post and "escalation step 2" in channel_post
    stack.at(31)
    group_post = texts(slack, "C0OPS")[-1]
    assert group_post.startswith(f"🚨 <!subteam^S0ONCALL> Incident #{incident}:")
    assert stack.at(120) == []  # the chain is done
    assert stack.escalations(incident) == [
        "Escalation step 1 (not acknowledged after 5 min): paged U2BB by direct message "
        "(on call: primary of primary)",
        "Escalation step 2 (not acknowledged after 15 min): paged U3CC by direct message "
        "(on call: secondary of primary), channel C0OPS",
        "Escalation step 3 (not acknowledged after 30 min): paged channel C0OPS mentioning "
        "S0ONCALL",
    ]
    assert len(slack.posts()) == 4


def test_acknowledging_or_resolving_stops_the_chain(stack: Stack, slack: SlackEmulator) -> None:
    acked, resolved = stack.open("HostDown"), stack.open("DiskFull")
    assert {s.incident_id for s in stack.at(5)} == {acked, resolved}
    stack.incidents.acknowledge(acked, "U2BB")
    stack.incidents.resolve(resolved, "U2BB")
    assert stack.at(60) == []
    assert len(slack.posts()) == 2  # the two first steps only
    assert len(stack.escalations(acked)) == len(stack.escalations(resolved)) == 1


def test_the_chain_follows_the_severity_and_a_snooze_holds_it(
    stack: Stack, slack: SlackEmulator
) -> None:
    warning = stack.open("CpuHigh", WARNING)  # no warning chain: the "*" one
    snoozed = stack.open("HostDown")
    stack.incidents.snooze(snoozed, "U2BB", 60)
    assert stack.at(5) == []
    (sent,) = stack.at(10)
    assert (sent.incident_id, sent.to) == (warning, ("U0LEAD",))
    assert {s.incident_id for s in stack.at(61)} == {snoozed}  # the snooze is over


def test_a_failed_page_is_tried_again_next_cycle(stack: Stack, slack: SlackEmulator) -> None:
    incident = stack.open()
    slack.fail("chat.postMessage", "channel_not_found")
    assert stack.at(5) == []  # nothing sent: the step is released
    assert stack.escalations(incident) == []
    (sent,) = stack.at(6)
    assert sent.to == ("U2BB",) and len(stack.escalations(incident)) == 1


def test_nobody_on_call_is_on_the_timeline(engine: Engine, slack: SlackEmulator) -> None:
    chain = {"info": [{"after_minutes": 0, "notify": ["schedule:primary:secondary", "schedule:solo",
                                                      "schedule:gone", "channel:C0OPS"]}]}  # fmt: skip
    stack = Stack(engine, slack, chain)
    stack.oncall.add_rotation(
        "solo", people="U1AA", every="weekly", handoff="09:00", tz="UTC", start="2026-12-25"
    )  # fmt: skip (not started)
    incident = stack.open("Note", INFO)
    stack.at(0)
    (text,) = stack.escalations(incident)
    assert "paged U3CC by direct message" in text and "channel C0OPS" in text
    assert "nobody is on call for schedule:solo" in text
    assert "nobody is on call for schedule:gone" in text


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        ("{not json: [", "neither JSON nor YAML"),
        ('["critical"]', "a mapping of severity"),
        ('{"fatal": []}', "unknown severity 'fatal'"),
        ('{"critical": [{"after_minutes": -1, "notify": "user:U1"}]}', "after_minutes must be"),
        ('{"critical": [{"after_minutes": 5, "notify": "pager:U1"}]}', "bad escalation target"),
        ('{"critical": [{"after_minutes": 5, "notify": "user:C1"}]}', "bad escalation target"),
        ('{"critical": [{"after_minutes": 5, "notify": []}]}', "at least one target"),
        ('{"critical": [{"after_minutes": 5, "notify": "user:U1", "x": 1}]}', "a step is"),
        (
            '{"critical": [{"after_minutes": 9, "notify": "user:U1"},'
            ' {"after_minutes": 5, "notify": "user:U2"}]}',
            "in order of after_minutes",
        ),
        ('{"critical": [{"after_minutes": 5, "notify": "usergroup:S1"}]}', "add channel:C"),
        ('{"channel": "general", "critical": []}', "Slack channel id"),
    ],
)
def test_bad_policies_are_named(policies: str, message: str) -> None:
    from bot.settings import SettingsError, load_settings
    from core.errors import Invalid

    with pytest.raises(Invalid, match=message):
        parse_policies(policies)
    with pytest.raises(SettingsError, match="ESCALATION_POLICIES"):
        load_settings(escalation_policies=policies)


def test_policies_in_yaml_with_a_default_channel() -> None:
    policies = parse_policies(
        "channel: C0OPS\ncritical:\n  - after_minutes: 0\n    notify: usergroup:S1\n"
    )
    assert policies.channel == "C0OPS" and policies.steps("warning") == ()
    (step,) = policies.steps("critical")
    assert str(step.notify[0]) == "usergroup:S1"
    assert not parse_policies("") and not parse_policies(None)
