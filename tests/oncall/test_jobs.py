"""The on-call jobs as `opsbot run` builds them: from the settings through the Runtime to the
scheduler's leader, posting in the Slack emulator; off without Slack."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.scheduler import OpsScheduler
from core.incidents import CRITICAL, Finding
from tests.emulators.slack import SlackEmulator

ESCALATE_AT_ONCE = '{"*": [{"after_minutes": 0, "notify": "user:U0LEAD"}]}'


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_the_leader_pages_and_announces_handoffs(make_runtime: Any) -> None:
    with SlackEmulator() as slack:
        runtime = make_runtime(
            slack_bot_token="xoxb-test", slack_signing_secret="s3cret", slack_api_url=slack.url,
            escalation_policies=ESCALATE_AT_ONCE, oncall_handoff_channels="primary=C0HAND",
            oncall_check_seconds=5,
        )  # fmt: skip
        runtime.incidents.disable_triage()
        handoff = datetime.now(UTC) - timedelta(minutes=10)
        runtime.oncall.add_rotation("primary", people="U1AA,U2BB", every="daily",
                                    handoff=f"{handoff:%H:%M}", tz="UTC",
                                    start=(handoff.date() - timedelta(days=1)).isoformat())  # fmt: skip
        finding = Finding(monitor="host", alertname="HostDown", title="web-1 is down",
                          severity=CRITICAL, kind="host", labels={"host": "web-1"})  # fmt: skip
        incident, _ = runtime.incidents.engine.observe(finding, "down-1")
        scheduler = OpsScheduler(runtime.scheduler_deps())
        scheduler.start()
        try:
            assert scheduler.leading
            (dm,) = wait_for(lambda: slack.posts("U0LEAD"))
            assert f"incident #{incident}" in dm.params["text"]
            (notice,) = wait_for(lambda: slack.posts("C0HAND"))
            assert notice.params["text"].startswith("<@U1AA> hands over to <@U2BB> for *primary*")
        finally:
            scheduler.stop()
        assert scheduler._scheduler is None and not scheduler.leading


def test_without_slack_the_jobs_are_off_and_say_so(
    make_runtime: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        runtime = make_runtime(escalation_policies=ESCALATE_AT_ONCE)
        assert runtime.scheduler_deps().jobs == ()
    assert "nobody is paged and no handoff is announced" in caplog.text
    assert make_runtime().oncall_jobs == ()  # nothing configured: nothing said either
