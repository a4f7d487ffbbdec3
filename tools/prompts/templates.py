"""Prompt content: names, labels, templates, placeholders, config, hashing and rendering.

Decisions (documented in the README):
- A prompt name is 1-100 characters: letters, digits, `.`, `_`, `-`, starting with a letter or
  digit (it appears in URLs and file names, so no `/` or spaces).
- A label matches `^[A-Za-z0-9_-]+$`, is at most 255 characters and is case-insensitive (stored
  lower-case, so `Production` and `production` are one label). `latest` is reserved and
  automatic (the newest version that is not deleted); `v<digits>` and plain digits are reserved
  because they name versions (`v3`, `3`).
- A template is either text (a string) or chat messages: a list of `{"role", "content"}` with
  role `system`, `user` or `assistant` and a string content.
- Placeholders are `{{ name }}` (spaces optional) with an identifier name (`[A-Za-z_][A-Za-z0-9_]*`).
  Every `{{` must open a valid placeholder; there is no escape for a literal `{{`. Single braces
  and a lone `}}` are literal text, so JSON examples stay as they are.
- Size limit: the template (all message contents together) is at most `max_chars` characters
  (PROMPT_MAX_CHARS, default 100,000, about 25k tokens); config at most 20,000 characters of
  JSON; a commit message at most 2,000 characters and never blank.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Literal, cast

from tools.prompts.errors import PromptError

Kind = Literal["text", "chat"]
Template = str | list[dict[str, str]]

DEFAULT_MAX_CHARS = 100_000
MAX_CONFIG_CHARS = 20_000
MAX_MESSAGE_CHARS = 2_000
MAX_MESSAGES = 200
MAX_LABEL_CHARS = 255
ROLES = ("system", "user", "assistant")
RESERVED_LABELS = ("latest",)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_LABEL = re.compile(r"^[A-Za-z0-9_-]+$")
_VERSION_LIKE = re.compile(r"^[vV]?\d+$")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SYNTAX = (
    "placeholders are {{ name }} where name is letters, digits and underscores, not starting "
    "with a digit; every '{{' must open one (there is no escape for a literal '{{')"
)


def check_name(name: str) -> str:
    """A valid prompt name, or PromptError saying what is allowed."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise PromptError(
            f"invalid prompt name {name!r}: use 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_label(label: str, *, allow_latest: bool = False) -> str:
    """A valid, movable label name in lower case, or PromptError."""
    if not isinstance(label, str) or not label.strip():
        raise PromptError("a label name is required, e.g. production or staging")
    value = label.strip()
    if len(value) > MAX_LABEL_CHARS or not _LABEL.match(value):
        raise PromptError(
            f"invalid label {value[:60]!r}: use letters, digits, '_' or '-' "
            f"(at most {MAX_LABEL_CHARS} characters)"
        )
    lowered = value.lower()
    if lowered in RESERVED_LABELS and not allow_latest:
        raise PromptError(
            "the label 'latest' is reserved: it always points to the newest version and "
            "cannot be moved"
        )
    if _VERSION_LIKE.match(lowered):
        raise PromptError(
            f"the label {value!r} is reserved: 'v<number>' and plain numbers name versions"
        )
    return lowered


def parse_ref(ref: str | int) -> int | str:
    """A version reference: 'v3', '3' or 3 -> 3; anything else -> a label name (lower case)."""
    if isinstance(ref, bool):
        raise PromptError(f"invalid version or label {ref!r}")
    if isinstance(ref, int):
        if ref < 1:
            raise PromptError(f"invalid version {ref}: versions start at 1")
        return ref
    text = str(ref).strip()
    if not text:
        raise PromptError("a version (v3, 3) or a label (production, latest) is required")
    if _VERSION_LIKE.match(text):
        number = int(text.lstrip("vV"))
        if number < 1:
            raise PromptError(f"invalid version {text!r}: versions start at 1")
        return number
    return check_label(text, allow_latest=True)


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    snippet = text[index : index + 24].splitlines()[0] if text[index:] else ""
    return f"line {line}, column {col} ({snippet!r})"


def placeholders_in(text: str, where: str = "template") -> list[str]:
    """Variable names in order of first use; PromptError for a malformed placeholder."""
    spans = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
    start = 0
    while True:
        index = text.find("{{", start)
        if index < 0:
            break
        if not any(s <= index < e for s, e in spans):
            raise PromptError(
                f"invalid placeholder in {where} at {_position(text, index)}: {_SYNTAX}"
            )
        start = index + 1
    names: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise PromptError(f"{where} contains a NUL character (\\x00), which cannot be stored")


def normalise_template(template: Any) -> tuple[Kind, Template]:
    """Classify and validate the shape of a template: text, or a list of chat messages."""
    if isinstance(template, str):
        if not template.strip():
            raise PromptError("the template is empty")
        _check_text(template, "the template")
        return "text", template
    if isinstance(template, list | tuple):
        if not template:
            raise PromptError("chat messages must be a non-empty list of {role, content}")
        if len(template) > MAX_MESSAGES:
            raise PromptError(f"too many chat messages: {len(template)} (at most {MAX_MESSAGES})")
        messages: list[dict[str, str]] = []
        for index, item in enumerate(template, start=1):
            if not isinstance(item, Mapping):
                raise PromptError(
                    f"chat message {index} must be an object with role and content, "
                    f"got {type(item).__name__}"
                )
            keys = set(item)
            if keys != {"role", "content"}:
                extra = sorted(keys - {"role", "content"})
                missing = sorted({"role", "content"} - keys)
                problem = (f"missing {', '.join(missing)}" if missing else "") + (
                    ("; " if missing and extra else "")
                    + (f"unknown keys {', '.join(map(str, extra))}" if extra else "")
                )
                raise PromptError(
                    f"chat message {index}: {problem} (each message is {{role, content}})"
                )
            role, content = item["role"], item["content"]
            if role not in ROLES:
                raise PromptError(
                    f"chat message {index}: role {role!r} is not one of {', '.join(ROLES)}"
                )
            if not isinstance(content, str) or not content.strip():
                raise PromptError(f"chat message {index} ({role}): content must be non-empty text")
            _check_text(content, f"chat message {index} ({role})")
            messages.append({"role": role, "content": content})
        return "chat", messages
    raise PromptError(
        f"a template must be text or a list of chat messages, got {type(template).__name__}"
    )


def _text(template: Template) -> str:
    """A template whose kind is "text" (the kind decides the shape; validated on the way in)."""
    return cast(str, template)


def _messages(template: Template) -> list[dict[str, str]]:
    """A template whose kind is "chat": its messages."""
    return cast(list[dict[str, str]], template)


def template_chars(kind: Kind, template: Template) -> int:
    if kind == "text":
        return len(_text(template))
    return sum(len(m["content"]) for m in _messages(template))


def variables_of(kind: Kind, template: Template) -> list[str]:
    """Variables in order of first use across the template (all messages for chat)."""
    if kind == "text":
        return placeholders_in(_text(template))
    names: list[str] = []
    for index, message in enumerate(_messages(template), start=1):
        where = f"chat message {index} ({message['role']})"
        for name in placeholders_in(message["content"], where):
            if name not in names:
                names.append(name)
    return names


def check_config(config: Any) -> dict[str, Any]:
    """A JSON object of model settings (model, temperature, ...), or PromptError."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise PromptError(
            f'config must be a JSON object such as {{"model": "...", "temperature": 0.2}}, '
            f"got {type(config).__name__}"
        )

    def walk(value: Any, path: str) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            raise PromptError(f"config {path} is {value}, which JSON cannot hold")
        if isinstance(value, str):
            _check_text(value, f"config {path}")
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise PromptError(f"config {path}: keys must be strings, got {key!r}")
                walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        elif value is not None and not isinstance(value, bool | int | float):
            raise PromptError(
                f"config {path or 'value'} has a {type(value).__name__}; use JSON values"
            )

    walk(config, "")
    text = canonical_json(config)
    if len(text) > MAX_CONFIG_CHARS:
        raise PromptError(
            f"config is {len(text):,} characters of JSON; the limit is {MAX_CONFIG_CHARS:,}"
        )
    return json.loads(text)


def check_message(message: Any) -> str:
    """A commit message: required, one to 2,000 characters."""
    if not isinstance(message, str) or not message.strip():
        raise PromptError("a commit message is required: say what changed and why")
    text = message.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise PromptError(
            f"the commit message is {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}"
        )
    _check_text(text, "the commit message")
    return text


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def content_hash(kind: Kind, template: Template, config: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of (type, template, config): equal content, equal hash."""
    payload = canonical_json({"type": kind, "template": template, "config": dict(config)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def validate(
    template: Any, config: Any, max_chars: int = DEFAULT_MAX_CHARS
) -> tuple[Kind, Template, list[str], dict[str, Any]]:
    """Everything a new version needs checked: shape, size, placeholders, config."""
    kind, content = normalise_template(template)
    size = template_chars(kind, content)
    if size > max_chars:
        raise PromptError(
            f"the template is {size:,} characters; the limit is {max_chars:,} (PROMPT_MAX_CHARS)"
        )
    names = variables_of(kind, content)
    return kind, content, names, check_config(config)


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise PromptError(f"variable {name!r} must be text or a number, got {type(value).__name__}")


def render(
    kind: Kind, template: Template, declared: list[str], values: Mapping[str, Any]
) -> Template:
    """Fill the placeholders. A missing or unknown variable is an error naming them all."""
    missing = [n for n in declared if n not in values]
    unknown = sorted(k for k in values if k not in declared)
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        expected = ", ".join(declared) if declared else "none"
        raise PromptError(f"cannot render: {'; '.join(parts)} (this version takes: {expected})")
    texts = {name: _scalar(name, values[name]) for name in declared}

    def fill(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: texts[m.group(1)], text)

    if kind == "text":
        return fill(_text(template))
    return [{"role": m["role"], "content": fill(m["content"])} for m in _messages(template)]


def as_text(kind: Kind, template: Template) -> str:
    """A readable text form: the text itself, or each message under a `### role` header."""
    if kind == "text":
        return _text(template)
    blocks = [f"### {m['role']}\n{m['content']}" for m in _messages(template)]
    return "\n\n".join(blocks)
