"""Snooze an incident for a chosen time, in a modal (issue 19).

The Snooze button on an incident's root message (bot/slack/incidents.py) is checked as every
incident button is (its signed value, and that the clicker may use it); then a modal opens
with the click's `trigger_id`, with a duration to pick (30 minutes, 1, 4 or 24 hours) and the
signed value in `private_metadata`. Its `view_submission` checks the value and the clicker
again and snoozes through the incident service before the ack, so a refusal (a resolved
incident, a forged value) is answered `response_action: errors` under the duration. A
snoozed incident stays open but neither escalates nor pages until the time is up
(bot/monitors/escalation.py skips it); the snooze and its end are on the incident's timeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.slack.approvals import SNOOZE
from bot.slack.decisions import Click
from bot.slack.modals import VALUE, input_block, metadata, open_for_click, plain
from core.errors import Refused

if TYPE_CHECKING:
    from bot.slack.incidents import IncidentClicks

CALLBACK_ID = "incident_snooze"
DURATION = "duration"
CHOICES = {"30": "30 minutes", "60": "1 hour", "240": "4 hours", "1440": "24 hours"}


def modal(click: Click, incident_id: int) -> dict[str, Any]:
    """The modal as `views.open` takes it; the click comes back in `private_metadata`."""
    options = [{"text": plain(label), "value": value} for value, label in CHOICES.items()]
    back = {"value": click.value, "channel": click.channel, "ts": click.message_ts}
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(f"Snooze incident #{incident_id}"[:24]),
        "submit": plain("Snooze"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps(back),
        "blocks": [
            input_block(
                DURATION,
                "For how long",
                {"type": "static_select", "options": options, "initial_option": options[1]},
                "The incident stays open, but does not escalate or page until then.",
            )
        ],
    }


def minutes_chosen(values: dict[str, Any]) -> int | None:
    """The minutes picked in the duration select; None when nothing valid was picked."""
    picked = ((values.get(DURATION) or {}).get(VALUE) or {}).get("selected_option") or {}
    value = str(picked.get("value") or "")
    return int(value) if value in CHOICES else None


@dataclass
class SnoozeModal:
    clicks: IncidentClicks
    client: Any

    def open(self, click: Click, incident_id: int) -> None:
        """After a checked Snooze click: open the modal (or say why it could not)."""
        open_for_click(
            self.client,
            self.clicks.outbox,
            click,
            modal(click, incident_id),
            "`opsbot incidents snooze ID MINUTES` does it from a terminal.",
        )

    def submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The `view_submission`: errors under the duration in the ack, or snooze and close."""
        back = metadata(view)
        click = Click(
            user=str((body.get("user") or {}).get("id") or ""),
            channel=str(back.get("channel") or ""),
            message_ts=str(back.get("ts") or ""),
            thread_ts=str(back.get("ts") or ""),
            action_id=f"incident_{SNOOZE}",
            value=str(back.get("value") or ""),
        )
        values = (view.get("state") or {}).get("values") or {}
        minutes = minutes_chosen(values)
        if minutes is None:
            ack(response_action="errors", errors={DURATION: "Pick how long to snooze for"})
            return
        try:
            incident_id = self.clicks.checked(click, SNOOZE)
            done = self.clicks.apply(click, incident_id, SNOOZE, minutes)
        except (Refused, ValueError) as exc:
            ack(response_action="errors", errors={DURATION: f"Refused: {exc}"})
            return
        ack()
        done()
