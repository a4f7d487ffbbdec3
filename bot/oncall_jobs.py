"""The on-call jobs of the scheduler: escalation of unacknowledged incidents
(`bot/monitors/escalation.py`, ESCALATION_POLICIES) and handoff messages
(`bot/monitors/handoffs.py`, ONCALL_HANDOFF_CHANNELS). Both post in Slack, so both are off
without Slack credentials (a warning says so when they are configured)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.scheduler import PeriodicJob

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def oncall_jobs(runtime: Runtime) -> tuple[PeriodicJob, ...]:
    from bot.slack.config import wants_slack
    from tools.oncall.escalation import parse_policies

    s = runtime.settings
    policies = parse_policies(s.escalation_policies)
    channels = s.oncall_handoff_channels
    if not policies and not channels:
        return ()
    if not wants_slack(s):
        log.warning(
            "ESCALATION_POLICIES / ONCALL_HANDOFF_CHANNELS are set but Slack is not: "
            "nobody is paged and no handoff is announced"
        )
        return ()
    from bot.monitors.escalation import EscalationMonitor
    from bot.monitors.handoffs import HandoffMonitor
    from bot.slack.paging import SlackPager
    from tools.oncall.ledger import Ledger

    pager = SlackPager(runtime.slack.outbox)
    ledger = Ledger(runtime.engine)
    jobs = []
    if policies:
        incidents = runtime.incidents.engine
        escalation = EscalationMonitor(incidents, runtime.oncall, ledger, policies, pager)
        jobs.append(PeriodicJob("escalation", s.oncall_check_seconds, escalation.run))
    if channels:
        handoffs = HandoffMonitor(runtime.oncall, ledger, channels, pager.post)
        jobs.append(PeriodicJob("handoffs", s.oncall_check_seconds, handoffs.run))
    return tuple(jobs)
