"""Block Kit pieces every modal uses: plain text, an input block, reading a submitted field
and the modal's `private_metadata` (bot/slack/maintenance.py, bot/slack/reasons.py)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from bot.slack.outbox import slack_error

if TYPE_CHECKING:
    from bot.slack.decisions import Click
    from bot.slack.outbox import Outbox

log = logging.getLogger(__name__)

VALUE = "value"  # the action_id of every input


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def input_block(
    block_id: str, label: str, element: dict[str, Any], hint: str, optional: bool = False
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {"action_id": VALUE, **element},
        "hint": plain(hint),
        "optional": optional,
    }


def field(values: dict[str, Any], block: str) -> str:
    """The text typed in the input `block` of a `view_submission`'s state values."""
    return str(((values.get(block) or {}).get(VALUE) or {}).get("value") or "")


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The modal's `private_metadata` (a JSON object); {} when it is not one."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def open_for_click(
    client: Any, outbox: Outbox, click: Click, view: dict[str, Any], instead: str
) -> bool:
    """Open `view` with the click's `trigger_id`; when Slack refuses, tell the clicker
    (ephemerally) that nothing changed and what to do `instead`. True when it opened."""
    try:
        client.views_open(trigger_id=click.trigger_id, view=view)
        return True
    except Exception as exc:
        log.warning("could not open the %s modal: %s", view.get("callback_id"), slack_error(exc))
        outbox.ephemeral(
            click.channel,
            click.user,
            f"Sorry, the form could not open ({slack_error(exc)}); nothing was changed. " + instead,
            click.thread_ts,
        )
        return False
