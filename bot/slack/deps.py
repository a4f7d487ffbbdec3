"""What the Slack front end is given: a few typed parts, never the whole application.

Built by the container (`bot.runtime.Runtime.slack_deps`). The agent is a factory, called on
first use: building it loads LangGraph, which a front end that only shows approval changes
does not need yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.approvals import ApprovalFlow, ApprovalService
    from bot.home import HomeSources
    from bot.maintenance import MaintenanceService
    from bot.settings import Settings
    from bot.slack.dedupe import EventDedupe
    from graphs.port import AgentPort
    from tools.base import Toolbox
    from tools.llmops.scores import ScoreStore
    from tools.oncall.swaps import SwapStore


@dataclass(frozen=True)
class SlackDeps:
    settings: Settings
    approvals: ApprovalService
    flow: ApprovalFlow  # deciding and resuming (clicks, expiries seen in the feed)
    agent: Callable[[], AgentPort]
    toolbox: Toolbox  # the `/ops` lookups
    dedupe: EventDedupe
    scores: Callable[[], ScoreStore] | None = None  # the 👍/👎 buttons' votes
    swaps: SwapStore | None = None  # `/ops oncall swap` and its Take button
    # `/ops maintenance` and its modal (bot/slack/maintenance.py); None: not offered
    maintenance: Callable[[], MaintenanceService] | None = None
    home: HomeSources | None = None  # the App Home's data (bot/home.py); None: no App Home
    # `/ops declare` (bot/slack/declare.py): (title, severity, description, user) -> incident id
    declare: Callable[[str, str, str, str], int] | None = None
