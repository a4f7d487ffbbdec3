"""People named in text that several front ends show.

A note written once and shown in Slack, in the console and by `opsbot incidents show` names
a Slack user as `<@ID>` (Slack's own mention syntax): Slack shows the person's name (looked
up, so nobody is pinged by a thread note), the terminal shows the id. Anything that is not
a Slack user id (the terminal user, "opsbot", a scheduler) stays as it is."""

from __future__ import annotations

import re
from collections.abc import Callable

SLACK_USER = re.compile(r"^[UW][A-Z0-9_]{2,}$")
MENTION = re.compile(r"<@([UW][A-Z0-9_]{2,})>")


def mention(user: str | None) -> str:
    """`<@ID>` for a Slack user id, the name itself for anyone else."""
    if not user:
        return "someone"
    return f"<@{user}>" if SLACK_USER.match(user) else user


def with_names(text: str, display: Callable[[str], str] = str) -> str:
    """`text` with every `<@ID>` replaced by `display(ID)` (the id itself by default)."""
    return MENTION.sub(lambda m: display(m.group(1)), text)
