"""Block Kit pieces every modal uses: plain text, an input block, reading a submitted field
and the modal's `private_metadata` (bot/slack/maintenance.py, bot/slack/reasons.py)."""

from __future__ import annotations

import json
from typing import Any

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
