"""opsbot's own configuration as a change: at start, the settings are compared with those the
last start recorded, and a difference is one `config` change naming each setting that moved.

Secrets are never stored: a secret setting is recorded as "(set)" or "(unset)" only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from tools.changes.store import Change, ChangeKind, ChangeStore

TARGET = "opsbot"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _moves(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    moved = []
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key, "(unset)"), new.get(key, "(unset)")
        if was != now:
            moved.append(f"{key} {was} → {now}")
    return moved


def last_settings(store: ChangeStore) -> dict[str, str] | None:
    """The settings the last start recorded, or None before the first."""
    last = store.list(_EPOCH, target=TARGET, kind=ChangeKind.CONFIG, limit=1)
    if not last:
        return None
    try:
        loaded = json.loads(last[0].after)
    except ValueError:
        return None  # an unreadable record: this start records the whole configuration
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else None


def record_config(store: ChangeStore, settings: Mapping[str, str], who: str) -> Change | None:
    """Record `settings` (name -> shown value) when they differ from the last recorded ones;
    the change's summary names each setting that moved. None when nothing moved."""
    previous = last_settings(store)
    current = {str(k): str(v) for k, v in settings.items()}
    if previous == current:
        return None
    if previous is None:
        summary = f"first start with this change log: {len(current)} settings recorded"
    else:
        moved = _moves(previous, current)
        summary = "settings changed: " + "; ".join(moved)
    return store.record(
        ChangeKind.CONFIG,
        TARGET,
        summary=summary[:2000],
        before=json.dumps(previous, sort_keys=True) if previous is not None else "",
        after=json.dumps(current, sort_keys=True),
        who=who,
        via="start",
        source="opsbot",
    )
