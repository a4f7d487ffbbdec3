"""`opsbot run` records its own configuration in the change log when it differs from the last
start's (tools/changes/config.py), so "what changed?" also answers "did someone change opsbot?".
Secrets appear as "(set)" or "(unset)" only; every other value passes through redaction."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import SecretStr

from tools.redact import redact

if TYPE_CHECKING:
    from bot.settings import Settings
    from tools.changes.store import Change, ChangeStore

log = logging.getLogger(__name__)
MAX_SHOWN = 300


def shown_settings(settings: Settings) -> dict[str, str]:
    """Each setting by its environment name, as the change log may show it."""
    shown: dict[str, str] = {}
    for name, field in type(settings).model_fields.items():
        alias = field.validation_alias
        env = alias if isinstance(alias, str) else name.upper()
        value = getattr(settings, name)
        if isinstance(value, SecretStr) or "SecretStr" in str(field.annotation):
            present = isinstance(value, SecretStr) and bool(value.get_secret_value())
            shown[env] = "(set)" if present else "(unset)"
        else:
            shown[env] = redact(str(value))[:MAX_SHOWN]
    return shown


def record_start(store: ChangeStore, settings: Settings, who: str) -> Change | None:
    """Record this start's configuration if it moved. A change log that cannot be written is
    logged as an error; it does not stop the bot."""
    from tools.changes.config import record_config

    try:
        change = record_config(store, shown_settings(settings), who)
    except Exception:
        log.exception("could not record opsbot's configuration in the change log")
        return None
    if change is not None:
        log.info("configuration recorded in the change log: %s", change.summary[:300])
    return change
