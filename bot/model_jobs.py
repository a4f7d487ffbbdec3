"""The models' job of the scheduler: each new model version is announced in `MODELS_CHANNEL`
with its metric diff against production, and its promotion offered as an approval
(`bot/monitors/new_versions.py`). It posts in Slack, so it is off without Slack credentials
(a warning says so when the channel is set)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.scheduler import PeriodicJob

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def model_jobs(runtime: Runtime) -> tuple[PeriodicJob, ...]:
    from bot.slack.config import wants_slack

    s = runtime.settings
    channel = s.models_channel
    if not channel:
        return ()
    if not wants_slack(s):
        log.warning("MODELS_CHANNEL is set but Slack is not: new model versions are not announced")
        return ()
    from bot.monitors.new_versions import NewVersionAnnouncer
    from bot.slack.render import SlackMessage
    from tools.registry.new_versions import NewVersions

    outbox = runtime.slack.outbox

    def post(text: str) -> tuple[str, str]:
        return channel, outbox.post(channel, SlackMessage(text=text))

    announcer = NewVersionAnnouncer(
        NewVersions(runtime.registry),
        runtime.approvals,
        lambda: runtime.toolbox.get("set_model_alias"),
        post,
        outbox.post_approval,
    )
    return (PeriodicJob("new_versions", s.new_version_check_seconds, announcer.run),)
