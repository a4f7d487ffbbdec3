"""On-call messages in Slack: escalation pages (`bot/monitors/escalation.py`) and handoff
notices (`bot/monitors/handoffs.py`).

A page to a person is `chat.postMessage` with the user id as the channel: Slack posts it in
the app's direct message with that person (the app's Messages tab), no `conversations.open`
(nor its `im:write` scope) needed. A page to a channel mentions the step's user groups
(`<!subteam^S123>`), which notifies their members.
"""

from __future__ import annotations

from bot.slack.mrkdwn import escape, truncate
from bot.slack.outbox import Outbox
from bot.slack.render import SlackMessage, context, section
from tools.oncall.escalation import Page

MAX_TITLE = 300


class SlackPager:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def page(self, page: Page, incident_id: int) -> None:
        """Send one page (raises what Slack raised)."""
        title = escape(truncate(page.title, MAX_TITLE))
        if page.direct:
            text = f"🚨 You are paged for incident #{incident_id}: *{title}*, {page.why}."
        else:
            mentions = " ".join(f"<!subteam^{group}>" for group in page.groups)
            lead = f"{mentions} " if mentions else ""
            text = f"🚨 {lead}Incident #{incident_id}: *{title}*, {page.why}."
        hint = "Acknowledge it on its card to stop the escalation."
        self.outbox.post(page.to, SlackMessage(text=text, blocks=[section(text), context(hint)]))

    def post(self, channel: str, text: str) -> None:
        """A plain notice (a handoff) in `channel`; `text` is mrkdwn already."""
        self.outbox.post(channel, SlackMessage(text=text, blocks=[section(text)]))
