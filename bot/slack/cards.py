"""Block Kit for approval cards and incident root messages, with signed buttons.

An approval card shows what will change (the dry-run preview), the risk, who asked and when
it expires, and Approve / Reject buttons. Once decided it is re-rendered in place without
buttons, saying who decided and when, and later how the action went.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.incidents.contract import IncidentCard, after
from bot.slack.approvals import (
    ACK,
    APPROVAL,
    APPROVE,
    INCIDENT,
    REJECT,
    RESOLVE,
    SNOOZE,
    ButtonSigner,
)
from bot.slack.mrkdwn import MAX_TEXT, escape, mrkdwn, quote, slack_date, split_text, truncate, who
from bot.slack.render import MAX_BLOCKS, context, fields_blocks, header, section
from core.approvals import (
    APPROVED,
    EXECUTED,
    EXECUTING,
    EXPIRED,
    FAILED,
    PENDING,
    REJECTED,
    UNKNOWN,
    ApprovalView,
)
from core.clock import as_utc

RISK_BADGE = {"low": "🟢 low", "medium": "🟠 medium", "high": "🔴 high"}
SEVERITY_BADGE = {"info": "🔵", "warning": "🟠", "critical": "🔴"}
PREVIEW_CHARS = 2600
SNOOZE_MINUTES = 60


def action_text(view: ApprovalView) -> str:
    args = json.dumps(view.args, sort_keys=True, default=str)
    return f"{view.tool} {args}"


def _preview(view: ApprovalView) -> str:
    body = (view.preview or "(no preview)").rstrip()
    if len(body) > PREVIEW_CHARS:
        body = body[:PREVIEW_CHARS] + "\n… (preview shortened)"
    return "*What will change (dry run)*\n```\n" + escape(body) + "\n```"


def approval_buttons(view: ApprovalView, signer: ButtonSigner) -> dict[str, Any]:
    expires = int(as_utc(view.expires_at).timestamp())
    approve: dict[str, Any] = {
        "type": "button",
        "action_id": f"approval_{APPROVE}",
        "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        "style": "primary",
        "value": signer.sign(APPROVAL, view.id, APPROVE, expires),
    }
    reject = {
        "type": "button",
        "action_id": f"approval_{REJECT}",
        "text": {"type": "plain_text", "text": "Reject", "emoji": True},
        "style": "danger",
        "value": signer.sign(APPROVAL, view.id, REJECT, expires),
    }
    return {"type": "actions", "block_id": f"approval:{view.id}", "elements": [approve, reject]}


# how a decision taken outside Slack is described on the card ("Approved by console from
# the command line"); a click in Slack needs no words
VIA_TEXT = {"cli": "from the command line", "console": "in the opsbot console"}


def decision_line(
    view: ApprovalView, decided_at: datetime | None = None, via: str | None = None
) -> str:
    """One line on where the approval stands, for the card and the thread."""
    when = f" {slack_date(decided_at)}" if decided_at else ""
    by = who(view.decided_by) + (f" {VIA_TEXT[via]}" if via in VIA_TEXT else "")
    result = "\n" + quote(escape(truncate(view.result, 1500))) if view.result else ""
    if view.reason and view.status != PENDING:
        when += f" · reason: “{escape(truncate(view.reason, 500))}”"
    if view.status == PENDING:
        if view.approvers:
            names = ", ".join(who(u) for u in view.approvers)
            return (
                f"⏳ {len(view.approvers)} of {view.approvals_needed} approvals ({names}); "
                "waiting for another on-call engineer."
            )
        return f"⏳ Waiting for an on-call engineer. Expires {slack_date(view.expires_at)}."
    if view.status in (APPROVED, EXECUTING):
        return f"✅ Approved by {by}{when}. Running…"
    if view.status == EXECUTED:
        verification = (
            f"\n_Verification: {escape(truncate(view.verification, 500))}_"
            if view.verification
            else ""
        )
        return f"✅ Approved by {by}{when}. Done.{result}{verification}"
    if view.status == FAILED:
        return f"⚠️ Approved by {by}{when}, but the action failed.{result}"
    if view.status == UNKNOWN:
        return f"❓ Approved by {by}{when}, but the process running it died.{result}"
    if view.status == REJECTED:
        return f"❌ Rejected by {by}{when}. Nothing was changed."
    if view.status == EXPIRED:
        return f"⌛ Expired without a decision {slack_date(view.expires_at)}. Nothing was changed."
    return f"Status: {escape(view.status)}"


def approval_blocks(
    view: ApprovalView,
    signer: ButtonSigner | None,
    decided_at: datetime | None = None,
    via: str | None = None,
) -> list[dict[str, Any]]:
    """The card for one approval; buttons only while it is pending. Without a `signer` the
    card is for a private answer, where buttons cannot work (the bot is not in the channel,
    so it could never update the card): it says how to decide instead."""
    title = "Approval needed" if view.status == PENDING else "Approval"
    blocks: list[dict[str, Any]] = [header(f"{title}: {view.tool}")]
    blocks.extend(
        fields_blocks(
            [
                ("Action", f"`{escape(truncate(action_text(view), 1800))}`"),
                ("Risk", RISK_BADGE.get(view.risk, escape(view.risk))),
                ("Requested by", who(view.requested_by)),
                ("Approvals needed", str(view.approvals_needed)),
            ],
            raw=True,
        )
    )
    blocks.append(section(_preview(view)))
    if view.status == PENDING:
        if view.approvers:
            blocks.append(section(decision_line(view)))
        expires = f"expires {slack_date(view.expires_at)}"
        if signer is not None:
            blocks.append(approval_buttons(view, signer))
            blocks.append(
                context(f"{escape(view.id)} · only on-call engineers may decide · {expires}")
            )
        else:
            blocks.append(
                context(
                    f"{escape(view.id)} · I am not in this channel, so this card has no buttons: "
                    f"an on-call engineer can run `opsbot approve {escape(view.id)}` (or `opsbot "
                    f"reject`), or invite me (/invite @opsbot) and ask again · {expires}"
                )
            )
    else:
        blocks.append(section(truncate(decision_line(view, decided_at, via), MAX_TEXT)))
        blocks.append(context(escape(view.id)))
    return blocks


def approval_fallback(view: ApprovalView) -> str:
    if view.status == PENDING:
        return f"Approval needed ({view.risk} risk): {action_text(view)}"
    return f"{view.tool}: {view.status}" + (
        f" by {who(view.decided_by)}" if view.decided_by else ""
    )


# ---------------------------------------------------------------------- incidents
def _runbook(card: IncidentCard) -> str | None:
    ref = card.runbook
    if ref is None:
        return None
    place = f" § {escape(ref.section)}" if ref.section else ""
    if ref.source.startswith(("http://", "https://")):
        title = f"<{escape(ref.source)}|{escape(ref.title)}>"
    else:
        title = f"*{escape(ref.title)}* (`{escape(ref.source)}`)"
    excerpt = "\n" + quote(escape(truncate(ref.excerpt, 600))) if ref.excerpt else ""
    flagged = f"\n_{escape(ref.warning)}_" if ref.warning and ref.excerpt else ""
    if ref.url and ref.url != ref.source and ref.url.startswith(("http://", "https://")):
        place += f" · <{escape(ref.url)}|the alert's runbook>"
    return f"📖 Runbook: {title}{place}{flagged}{excerpt}"


def _status(card: IncidentCard) -> str:
    if card.status == "resolved":
        return "✅ resolved" + (f" by {who(card.resolved_by)}" if card.resolved_by else "")
    if card.status == "acknowledged":
        return "👀 acknowledged" + (
            f" by {who(card.acknowledged_by)}" if card.acknowledged_by else ""
        )
    return "🚨 open"


def incident_buttons(card: IncidentCard, signer: ButtonSigner) -> dict[str, Any] | None:
    subject = str(card.id)
    elements: list[dict[str, Any]] = []

    def button(action: str, label: str, style: str | None = None) -> None:
        element: dict[str, Any] = {
            "type": "button",
            "action_id": f"incident_{action}",
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": signer.sign(INCIDENT, subject, action),
        }
        if style:
            element["style"] = style
        elements.append(element)

    if card.status == "open":
        button(ACK, "Acknowledge", "primary")
    if card.status != "resolved":
        button(RESOLVE, "Resolve")
        button(SNOOZE, "Snooze…")
    if not elements:
        return None
    return {"type": "actions", "block_id": f"incident:{card.id}", "elements": elements}


def _signals(card: IncidentCard) -> str:
    """The findings the incident holds, in the order they started: which came first."""
    first = card.signals[0].first_seen
    lines = [
        f"*Signals* ({len(card.signals)}, on related entities; the first started the incident)"
    ]
    for i, signal in enumerate(card.signals):
        when = "first" if i == 0 else after(first, signal.first_seen)
        state = "" if signal.firing else " · cleared"
        on = f" · {escape(signal.entity)}" if signal.entity else ""
        lines.append(
            f"{i + 1}. {SEVERITY_BADGE.get(signal.severity, '⚪')} `{escape(signal.alertname)}` "
            f"{escape(truncate(signal.title, 200))} · {when}{on}{state}"
        )
    return "\n".join(lines)


def incident_blocks(card: IncidentCard, signer: ButtonSigner) -> list[dict[str, Any]]:
    """The root message of an incident, re-rendered in place on every change."""
    badge = SEVERITY_BADGE.get(card.severity, "⚪")
    done = card.status == "resolved"
    blocks: list[dict[str, Any]] = [header(f"{badge} {'[resolved] ' if done else ''}{card.title}")]
    if card.alert_warning:  # right under the title the alert wrote, before its description
        blocks.append(section(f"*{escape(card.alert_warning)}*"))
    if card.summary:
        blocks.extend(section(piece) for piece in split_text(mrkdwn(card.summary))[:3])
    facts: list[tuple[str, str]] = [
        ("Status", _status(card)),
        ("Severity", escape(card.severity)),
        ("Kind", escape(card.kind)),
        ("Seen", f"{card.count} time{'s' if card.count != 1 else ''}"),
        *((k, escape(v)) for k, v in card.fields),
    ]
    blocks.extend(fields_blocks(facts, raw=True))
    if card.signals:
        blocks.append(section(truncate(_signals(card), MAX_TEXT)))
    runbook = _runbook(card)
    if runbook:
        blocks.append(section(truncate(runbook, MAX_TEXT)))
    for view in card.actions:
        blocks.append(
            section(
                truncate(
                    f"*Suggested action:* `{escape(truncate(action_text(view), 400))}` · risk "
                    f"{RISK_BADGE.get(view.risk, view.risk)}\n" + _preview(view),
                    MAX_TEXT,
                )
            )
        )
        if view.status == PENDING and not done:
            blocks.append(approval_buttons(view, signer))
        else:
            blocks.append(context(truncate(decision_line(view), MAX_TEXT)))
    buttons = incident_buttons(card, signer)
    if buttons:
        blocks.append(buttons)
    timeline = [f"Incident #{card.id}"]
    if card.first_seen:
        timeline.append(f"first seen {slack_date(card.first_seen)}")
    if card.last_seen:
        timeline.append(f"last seen {slack_date(card.last_seen)}")
    if card.snoozed_until and not done:
        timeline.append(f"snoozed until {slack_date(card.snoozed_until)}")
    blocks.append(context(" · ".join(timeline)))
    if len(blocks) > MAX_BLOCKS:  # many suggested actions: keep the buttons and the footer
        blocks = [
            *blocks[: MAX_BLOCKS - 3],
            context("_More suggested actions than fit here._"),
            *blocks[-2:],
        ]
    return blocks


def incident_fallback(card: IncidentCard) -> str:
    return f"[{card.severity}] {card.title} ({card.status})"
