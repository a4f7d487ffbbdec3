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
        return _items(text)
    return value


def _items(text: str) -> list[str]:
    """`a,b c` split at commas and spaces, except inside braces or double quotes, so a Loki
    selector such as `loki:{app="api", env="prod"}` stays one item."""
    items: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in text:
        if char == '"' and depth:
            quoted = not quoted
        elif not quoted and char == "{":
            depth += 1
        elif not quoted and char == "}" and depth:
            depth -= 1
        if not depth and not quoted and (char == "," or char.isspace()):
            if current:
                items.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        items.append("".join(current))
    return items


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


def split_groups(value: Any) -> Any:
    """Accept `name=a,b;name2=c` or a JSON object {"name": ["a", "b"]} for settings that give
    each name a list; ValueError naming the part that is neither."""
    if value is None:
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            import json

            return json.loads(text)
        result: dict[str, list[str]] = {}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            name, sep, items = part.partition("=")
            listed = [i for i in _items(items) if i]
            if not sep or not name.strip() or not listed:
                raise ValueError(f"expected name=a,b pairs separated by ';', got {part!r}")
            result[name.strip()] = listed
        return result
    return value
