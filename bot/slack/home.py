"""The App Home tab as Block Kit: a pure function from `HomeData` (bot/home.py) to a view.

Sections: on call now and next, open incidents (linked to their Slack thread when it is
known), pending approvals with the same signed Approve / Reject buttons as their cards
(clicks go through bot/slack/decisions.py), active maintenance windows. An empty section
says "none", a missing or failing store says what is unavailable. A home view holds at
most 100 blocks: lists arrive capped and say "and N more"; the view is cut as a last guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.home import HomeData, IncidentLine, Listing, OnCallNow, PendingApproval, WindowLine
from bot.slack.approvals import ButtonSigner
from bot.slack.cards import RISK_BADGE, SEVERITY_BADGE, action_text, approval_buttons
from bot.slack.mrkdwn import MAX_TEXT, escape, slack_date, truncate, who
from bot.slack.render import context, header, section

MAX_HOME_BLOCKS = 100
REFRESH_ACTION_ID = "home_refresh"
T = TypeVar("T")

# permalink of a message (channel, ts) or None; the Slack side looks it up
Links = Callable[[str, str], str | None]


def _link(links: Links, channel: str | None, ts: str | None, text: str) -> str:
    url = links(channel, ts) if channel and ts else None
    return f"<{url}|{text}>" if url else text


def _listing(
    title: str, listing: Listing[T], render: Callable[[T], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "divider"}, section(f"*{title}*")]
    if listing.unavailable:
        blocks.append(context(f"Unavailable: {escape(listing.unavailable)}"))
        return blocks
    if not listing.items:
        blocks.append(context("None."))
        return blocks
    for item in listing.items:
        blocks.extend(render(item))
    if listing.more:
        blocks.append(context(f"… and {listing.more} more."))
    return blocks


def _oncall(entry: OnCallNow) -> list[dict[str, Any]]:
    now = who(entry.primary) if entry.primary else "nobody"
    second = f", secondary {who(entry.secondary)}" if entry.secondary else ""
    cover = f" (override: {escape(truncate(entry.override, 200))})" if entry.override else ""
    if entry.next_from is not None:
        nxt = who(entry.next_primary) if entry.next_primary else "nobody"
        then = f"next: {nxt} from {slack_date(entry.next_from)}"
    else:
        then = "no handoff in the next 30 days"
    text = f"*{escape(entry.schedule)}*: {now} is on call{second}{cover}\n{then}"
    return [section(truncate(text, MAX_TEXT))]


def _incident(links: Links) -> Callable[[IncidentLine], list[dict[str, Any]]]:
    def render(entry: IncidentLine) -> list[dict[str, Any]]:
        badge = SEVERITY_BADGE.get(entry.severity, "⚪")
        title = _link(links, entry.channel, entry.ts, escape(truncate(entry.title, 200)))
        seen = f" · last seen {slack_date(entry.last_seen)}" if entry.last_seen else ""
        where = "" if entry.ts else " · not posted in Slack"
        return [section(f"{badge} #{entry.id} {title} · {escape(entry.status)}{seen}{where}")]

    return render


def _approval(links: Links, signer: ButtonSigner) -> Callable[[PendingApproval], list[Any]]:
    def render(entry: PendingApproval) -> list[dict[str, Any]]:
        view = entry.view
        card = _link(links, entry.channel, entry.ts, "its card")
        risk = RISK_BADGE.get(view.risk, escape(view.risk))
        text = (
            f"`{escape(truncate(action_text(view), 500))}` · risk {risk}\n"
            f"asked by {who(view.requested_by)} · expires {slack_date(view.expires_at)}"
            f" · {view.approvals_needed} approval{'s' if view.approvals_needed != 1 else ''}"
            f" needed · {card}"
        )
        return [section(truncate(text, MAX_TEXT)), approval_buttons(view, signer)]

    return render


def _window(entry: WindowLine) -> list[dict[str, Any]]:
    text = (
        f"#{entry.id} {escape(truncate(entry.what, 300))} until {slack_date(entry.ends_at)}"
        f" · {escape(truncate(entry.reason, 300))} (by {who(entry.created_by)})"
    )
    return [section(truncate(text, MAX_TEXT))]


def home_view(
    data: HomeData, signer: ButtonSigner, links: Links, notice: str | None = None
) -> dict[str, Any]:
    """The `views.publish` view for one user's App Home; `notice` is shown at the top (the
    outcome of the user's last click here)."""
    refresh = {
        "type": "actions",
        "block_id": "home:refresh",
        "elements": [
            {
                "type": "button",
                "action_id": REFRESH_ACTION_ID,
                "text": {"type": "plain_text", "text": "Refresh", "emoji": True},
                "value": "refresh",
            }
        ],
    }
    blocks: list[dict[str, Any]] = [header("opsbot")]
    if notice:
        blocks.append(section(truncate(escape(notice), MAX_TEXT)))
    blocks.append(context(f"As of {slack_date(data.at)}"))
    blocks.append(refresh)
    blocks.extend(_listing("On call now and next", data.oncall, _oncall))
    blocks.extend(_listing("Open incidents", data.incidents, _incident(links)))
    blocks.extend(_listing("Pending approvals", data.approvals, _approval(links, signer)))
    blocks.extend(_listing("Active maintenance windows", data.windows, _window))
    if len(blocks) > MAX_HOME_BLOCKS:  # the caps keep far below; never let Slack refuse it
        blocks = [*blocks[: MAX_HOME_BLOCKS - 1], context("… (cut to fit the App Home)")]
    return {"type": "home", "callback_id": "opsbot_home", "blocks": blocks}
