"""`/ops declare`: a modal that declares an incident (title, severity, description).

The command opens the modal with its `trigger_id`; the `view_submission` is checked field by
field before the ack (a bad field is answered `response_action: errors` under it), then the
incident is opened through the incident engine as a manual finding by the submitter
(bot/incidents/declare.py), which posts it to INCIDENT_CHANNEL like any other; the submitter
gets a note, only for them, in the channel the command came from.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.incidents.declare import MAX_DESCRIPTION, MAX_TITLE, SEVERITIES
from bot.slack.modals import VALUE, field, input_block, metadata, plain
from bot.slack.outbox import Outbox, slack_error
from core.errors import Invalid

log = logging.getLogger(__name__)

CALLBACK_ID = "declare_incident"
TITLE, SEVERITY, DESCRIPTION = "title", "severity", "description"


def modal(channel: str) -> dict[str, Any]:
    options = [{"text": plain(s.capitalize()), "value": s} for s in SEVERITIES]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("Declare an incident"),
        "submit": plain("Declare"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"channel": channel}),
        "blocks": [
            input_block(
                TITLE,
                "What is wrong",
                {"type": "plain_text_input", "max_length": MAX_TITLE},
                "One line, e.g. “Checkout returns 502 for some users”.",
            ),
            input_block(
                SEVERITY,
                "Severity",
                {"type": "static_select", "options": options, "initial_option": options[1]},
                "Critical pages the on-call engineer.",
            ),
            input_block(
                DESCRIPTION,
                "Description",
                {"type": "plain_text_input", "multiline": True, "max_length": MAX_DESCRIPTION},
                "What you see, since when, what you tried.",
                optional=True,
            ),
        ],
    }


def _severity(values: dict[str, Any]) -> str:
    picked = ((values.get(SEVERITY) or {}).get(VALUE) or {}).get("selected_option") or {}
    return str(picked.get("value") or "")


@dataclass
class DeclareModal:
    declare: Callable[[str, str, str, str], int]  # (title, severity, description, user) -> id
    client: Any
    outbox: Outbox

    def open(self, body: dict[str, Any], respond: Callable[..., Any]) -> None:
        """After the command's ack: open the modal."""
        try:
            view = modal(str(body.get("channel_id") or ""))
            self.client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except Exception as exc:
            log.warning("could not open the declare modal: %s", slack_error(exc))
            respond(
                text=f"Sorry, the form could not open ({slack_error(exc)}); nothing was declared.",
                response_type="ephemeral",
            )

    def submit(self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any]) -> None:
        """The `view_submission`: errors per field in the ack, or declare and close."""
        user = str((body.get("user") or {}).get("id") or "")
        values = (view.get("state") or {}).get("values") or {}
        title, severity = field(values, TITLE), _severity(values)
        description = field(values, DESCRIPTION)
        errors: dict[str, str] = {}
        if not title.strip():
            errors[TITLE] = "Say what is wrong"
        elif len(title.strip()) > MAX_TITLE:
            errors[TITLE] = f"At most {MAX_TITLE} characters"
        if severity not in SEVERITIES:
            errors[SEVERITY] = "Pick a severity"
        if len(description) > MAX_DESCRIPTION:
            errors[DESCRIPTION] = f"At most {MAX_DESCRIPTION} characters"
        incident_id = 0
        if not errors:
            try:
                incident_id = self.declare(title, severity, description, user)
            except Invalid as exc:
                errors[TITLE] = str(exc)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        channel = str(metadata(view).get("channel") or "")
        if channel:
            self.outbox.ephemeral(
                channel, user, f"Declared incident #{incident_id}: {title.strip()}"
            )
