"""`/ops maintenance`: a modal that creates a maintenance window; `/ops maintenance end ID`
ends one (`/ops maintenance list` is the maintenance_windows lookup: bot/slack/commands.py).

The command opens the modal with the command's `trigger_id` (`views.open`; it is valid for
3 seconds and once) after checking that the person may create windows (the on-call
approvers: bot/maintenance.py), so nobody fills in a form only to be refused. The modal has
three inputs (matchers one per line, a duration from now, a reason) and a checkbox that
confirms a window matching every alert. Its `view_submission` is checked field by field
before the ack: a bad field is answered `response_action: errors` keyed by its block, so
Slack shows the reason under it and keeps the modal open; a good one is created and the
modal closes, then a note only the creator sees lands in the channel the command came from.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.slack.modals import VALUE, field, input_block, metadata, plain
from bot.slack.outbox import Outbox, slack_error
from core.clock import parse_window
from core.errors import Invalid, Refused, UserError
from tools.maintenance.matcher import describe, is_catch_all, parse_matchers
from tools.maintenance.store import MAX_REASON

if TYPE_CHECKING:
    from bot.maintenance import MaintenanceService

log = logging.getLogger(__name__)

CALLBACK_ID = "maintenance_window"
MATCHERS, DURATION, REASON, CONFIRM = "matchers", "duration", "reason", "match_all"
EVERYTHING = "everything"
USAGE = "Usage: /ops maintenance (a form for a new window), /ops maintenance list, /ops maintenance end ID"


def modal(channel: str, max_length: timedelta) -> dict[str, Any]:
    """The modal as `views.open` takes it; `channel` comes back in `private_metadata`."""
    hours = max_length.total_seconds() / 3600
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("Maintenance window"),
        "submit": plain("Create"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"channel": channel}),
        "blocks": [
            input_block(
                MATCHERS,
                "Alerts to hold back",
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "placeholder": plain('service=api\nalertname=~"Disk.*"'),
                },
                "One matcher a line: name=value, name!=value, name=~regex, name!~regex. "
                "An alert is held back when all match.",
                optional=True,
            ),
            input_block(
                DURATION,
                "For how long, from now",
                {"type": "plain_text_input", "initial_value": "2h"},
                f"30m, 2h, 1d… at most {hours:g} hours",
            ),
            input_block(
                REASON,
                "Reason",
                {"type": "plain_text_input", "multiline": True},
                "What is being worked on; it is shown with every alert the window holds back.",
            ),
            input_block(
                CONFIRM,
                "Match everything?",
                {
                    "type": "checkboxes",
                    "options": [
                        {"text": plain("Hold back every alert (no matcher)"), "value": EVERYTHING}
                    ],
                },
                "Only for a whole-system maintenance.",
                optional=True,
            ),
        ],
    }


def _checked(values: dict[str, Any], block: str) -> bool:
    selected = ((values.get(block) or {}).get(VALUE) or {}).get("selected_options") or []
    return any(option.get("value") == EVERYTHING for option in selected)


@dataclass
class MaintenanceModal:
    service: Callable[[], MaintenanceService]
    client: Any
    outbox: Outbox

    def command(self, rest: str, body: dict[str, Any], respond: Callable[..., Any]) -> None:
        """`/ops maintenance [end ID]`, after the command's ack."""
        verb, _, arg = rest.partition(" ")
        if not verb:
            self.open(body, respond)
            return
        if verb.lower() != "end" or not arg.strip().lstrip("#").isdigit():
            respond(text=USAGE, response_type="ephemeral")
            return
        user = str(body.get("user_id") or "")
        try:
            service = self.service()
            window = service.end(int(arg.strip().lstrip("#")), user=user, via="slack")
            text = f"Ended maintenance window {window.summary(service.store.clock())}"
        except UserError as exc:
            text = f"⚠️ {exc}"
        respond(text=text, response_type="ephemeral")

    def open(self, body: dict[str, Any], respond: Callable[..., Any]) -> None:
        """After the command's ack: refuse, or open the modal."""
        user = str(body.get("user_id") or "")
        try:
            service = self.service()
            service.check(user, "slack")
            view = modal(str(body.get("channel_id") or ""), service.store.max_length)
            self.client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except Refused as exc:
            respond(text=f"⚠️ {exc}", response_type="ephemeral")
        except Exception as exc:
            log.warning("could not open the maintenance modal: %s", slack_error(exc))
            respond(
                text=f"Sorry, the maintenance form could not open ({slack_error(exc)}); "
                "`opsbot maintenance add` does the same from a terminal.",
                response_type="ephemeral",
            )

    def submit(self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any]) -> None:
        """The `view_submission`: errors per field in the ack, or create and close."""
        user = str((body.get("user") or {}).get("id") or "")
        values = (view.get("state") or {}).get("values") or {}
        errors: dict[str, str] = {}
        service = self.service()
        matchers = []
        try:
            matchers = parse_matchers(field(values, MATCHERS).splitlines())
            if is_catch_all(matchers) and not _checked(values, CONFIRM):
                errors[MATCHERS] = (
                    f"{describe(matchers).capitalize()} matches every alert: add a matcher "
                    "such as service=api, or tick “Hold back every alert”"
                )
        except Invalid as exc:
            errors[MATCHERS] = str(exc)
        length = timedelta(0)
        try:
            length = parse_window(field(values, DURATION))
            if length > service.store.max_length:
                hours = service.store.max_length.total_seconds() / 3600
                errors[DURATION] = f"At most {hours:g} hours (MAINTENANCE_MAX_HOURS)"
        except Invalid as exc:
            errors[DURATION] = str(exc)
        reason = field(values, REASON).strip()
        if not reason:
            errors[REASON] = "Say what is being worked on"
        elif len(reason) > MAX_REASON:
            errors[REASON] = f"At most {MAX_REASON} characters"
        if not errors:
            now = service.store.clock()
            try:
                window = service.add(
                    matchers,
                    now,
                    now + length,
                    reason,
                    user=user,
                    via="slack",
                    match_all=_checked(values, CONFIRM),
                )
            except (Invalid, Refused) as exc:
                errors[MATCHERS] = str(exc)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        channel = str(metadata(view).get("channel") or "")
        if channel:
            self.outbox.ephemeral(
                channel, user, f"Maintenance window created: {window.summary(now)}"
            )
