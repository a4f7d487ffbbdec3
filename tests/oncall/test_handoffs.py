"""Handoff messages: at each shift change of a schedule, one message in its channel (once
across restarts), with who hands over to whom and until when in the schedule's zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.monitors.handoffs import HandoffMonitor
from bot.settings import SettingsError, load_settings
from bot.slack.approvals import ButtonSigner
from bot.slack.client import make_web_client
from bot.slack.outbox import Outbox
from bot.slack.paging import SlackPager
from tests.emulators.slack import SlackEmulator
from tests.incidents.conftest import Clock
from tools.oncall.ledger import Ledger
from tools.oncall.store import OncallStore

HANDOFF = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 Berlin: U1AA -> U2BB


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


class Stack:
    def __init__(self, engine: Engine, slack: SlackEmulator) -> None:
        self.engine = engine
        self.clock = Clock(HANDOFF + timedelta(minutes=1))
        self.oncall = OncallStore(engine)
        self.oncall.add_rotation("sre", people="U1AA,U2BB,U3CC", every="daily", handoff="09:00",
                                 tz="Europe/Berlin", start="2026-11-30", secondary="next")  # fmt: skip
        self.pager = SlackPager(Outbox(make_web_client("xoxb-test", slack.url), ButtonSigner("s")))
        self.monitor = self.restart()

    def restart(self) -> HandoffMonitor:
        channels = {"sre": "C0SRE", "gone": "C0GONE"}
        return HandoffMonitor(
            self.oncall, Ledger(self.engine), channels, self.pager.post, self.clock
        )

    def at(self, when: datetime) -> list[tuple[str, datetime]]:
        self.clock.now = when
        return self.monitor.run()


@pytest.fixture
def stack(engine: Engine, slack: SlackEmulator) -> Stack:
    return Stack(engine, slack)


def texts(slack: SlackEmulator, channel: str) -> list[str]:
    return [str(c.params["text"]) for c in slack.posts(channel)]


def test_each_handoff_is_announced_once_in_its_channel(stack: Stack, slack: SlackEmulator) -> None:
    assert stack.at(HANDOFF - timedelta(minutes=1)) == []  # 30 Nov's handoff is too old
    assert stack.at(HANDOFF + timedelta(minutes=1)) == [("sre", HANDOFF)]
    assert texts(slack, "C0SRE") == [
        "<@U1AA> hands over to <@U2BB> for *sre* until Wed 09:00 Europe/Berlin (secondary: <@U3CC>)"
    ]
    assert stack.at(HANDOFF + timedelta(minutes=2)) == []
    stack.monitor = stack.restart()
    assert stack.at(HANDOFF + timedelta(minutes=20)) == []  # once across a restart
    assert slack.posts("C0GONE") == []  # an unknown schedule is logged, the others go on
    next_day = HANDOFF + timedelta(days=1, minutes=3)
    assert stack.at(next_day) == [("sre", HANDOFF + timedelta(days=1))]
    assert texts(slack, "C0SRE")[-1].startswith("<@U2BB> hands over to <@U3CC> for *sre*")


def test_an_override_is_a_handoff_too_and_a_failed_post_is_retried(
    stack: Stack, slack: SlackEmulator
) -> None:
    start = HANDOFF + timedelta(hours=3)
    stack.oncall.add_override("sre", user="U9ZZ", start=start, end=start + timedelta(hours=2),
                              reason="dentist")  # fmt: skip
    stack.at(HANDOFF + timedelta(minutes=1))
    slack.fail("chat.postMessage", "not_in_channel")
    assert stack.at(start + timedelta(minutes=1)) == []  # failed: released
    assert stack.at(start + timedelta(minutes=2)) == [("sre", start)]
    assert texts(slack, "C0SRE")[-1] == (
        "<@U2BB> hands over to <@U9ZZ> for *sre* until Tue 14:00 Europe/Berlin "
        "(secondary: <@U3CC>) — override: dentist"
    )
    stack.at(start + timedelta(hours=2, minutes=1))
    assert texts(slack, "C0SRE")[-1].startswith("<@U9ZZ> hands over to <@U2BB> for *sre* until Wed")


def test_bad_handoff_channels_are_a_startup_error() -> None:
    with pytest.raises(SettingsError, match="not Slack channel ids"):
        load_settings(oncall_handoff_channels="sre=#general")
    assert load_settings(oncall_handoff_channels="sre=C0SRE").oncall_handoff_channels == {
        "sre": "C0SRE"
    }


def test_a_cover_with_nobody_on_call_around_it(engine: Engine, slack: SlackEmulator) -> None:
    stack = Stack(engine, slack)
    stack.oncall.add_rotation("later", people="U1AA", every="weekly", handoff="09:00", tz="UTC",
                              start="2026-12-05")  # fmt: skip
    stack.oncall.add_override("later", user="U9ZZ", start=HANDOFF, end=HANDOFF + timedelta(hours=2),
                              reason="cover")  # fmt: skip
    monitor = HandoffMonitor(stack.oncall, Ledger(engine), {"later": "C0LATER"}, stack.pager.post,
                             stack.clock)  # fmt: skip
    stack.clock.now = HANDOFF + timedelta(minutes=1)
    monitor.run()
    stack.clock.now = HANDOFF + timedelta(hours=2, minutes=1)
    monitor.run()
    assert texts(slack, "C0LATER") == [
        "<@U9ZZ> is on call for *later* until Tue 10:00 UTC — override: cover",
        "<@U9ZZ>'s shift on *later* ends: nobody is on call until Sat 09:00 UTC",
    ]
