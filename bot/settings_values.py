"""How list and mapping settings are written in the environment: `a,b c` or a JSON list, and
`name=value,name2=value2` or a JSON object (used by `bot/settings.py`'s validators)."""

from __future__ import annotations

from typing import Any


def split_list(value: Any) -> Any:
    """Accept `a,b c` or a JSON list for list settings."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [item for item in text.replace(",", " ").split() if item]
    return value


def split_mapping(value: Any) -> Any:
    """Accept `name=value,name2=value2` or a JSON object for mapping settings."""
    if value is None:
        return {}
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            import json

            return json.loads(text)
        result: dict[str, str] = {}
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, target = part.partition("=")
            if not sep or not name.strip() or not target.strip():
                raise ValueError(f"expected name=value pairs separated by commas, got {part!r}")
            result[name.strip()] = target.strip()
        return result
    return value
