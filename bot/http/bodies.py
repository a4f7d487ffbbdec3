"""Decoding request bodies strictly, with a reason for every refusal.

What reaches the endpoints' logic (and the database) is valid UTF-8 text without NUL
characters or lone surrogates (PostgreSQL refuses both, SQLite drivers cannot encode the
latter), nested at most `MAX_DEPTH` levels deep. Anything else raises `BodyError`, whose
message says what is wrong and where, for a 400 answer.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from core.errors import Invalid

MAX_DEPTH = 32


class BodyError(Invalid, ValueError):
    """The body cannot be used; the message is the reason given to the sender."""


class NotJson(BodyError):
    """Valid text, but not JSON (a syntax error): the sender's payload is broken, as opposed
    to bytes that could not be decoded or stored at all."""


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"{what} is not valid UTF-8 (byte {exc.start})") from None


def _where(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "body"


def check_string(value: str, where: str) -> None:
    """Refuse NUL characters and lone surrogates (neither can be stored)."""
    if "\x00" in value:
        raise BodyError(f"{where}: contains a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BodyError(
                f"{where}: contains a lone surrogate (\\u{ord(value[exc.start]):04x})"
            ) from None


def check_tree(data: Any, max_depth: int = MAX_DEPTH) -> None:
    """Walk parsed JSON (iteratively): depth, and every key and string value."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            check_string(value, _where(path))
        elif isinstance(value, dict | list):
            if len(path) >= max_depth:
                raise BodyError(f"{_where(path)}: nested deeper than {max_depth} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    check_string(key, _where((*path, key)))
                    stack.append((item, (*path, key)))
            else:
                stack.extend((item, (*path, i)) for i, item in enumerate(value))


def decode_json(raw: bytes, what: str = "the body", max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON from bytes, or raise BodyError with the reason."""
    text = _text(raw, what)
    try:
        data = json.loads(text)
    except RecursionError:
        raise BodyError(f"{what} is nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise NotJson(f"{what} is not JSON: {exc}") from None
    check_tree(data, max_depth)
    return data


def decode_form(raw: bytes, what: str = "the body") -> dict[str, str]:
    """Parse an `application/x-www-form-urlencoded` body (the last value of a repeated key
    wins, as in Slack's payloads), or raise BodyError."""
    text = _text(raw, what)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError as exc:
        raise BodyError(f"{what}: a form field is not valid UTF-8 (byte {exc.start})") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        check_string(key, f"{what}: field name")
        check_string(value, f"{what}: field {key!r}")
        fields[key] = value
    return fields
