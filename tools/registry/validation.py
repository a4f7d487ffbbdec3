"""Validation of names, versions, aliases and version metadata, as MLflow does it.

Alias rules are MLflow's (`mlflow/utils/validation.py`): non-empty, only word characters
and '-' (regex `^[\\w\\-]*$`), at most 255 characters, `latest` (any case) is reserved, and
`v<digits>` / `V<digits>` is rejected because it reads as a version reference. Model names
follow MLflow too (no '/' or ':'), kept to a conservative character set so they are safe in
filters, file names and chat.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from tools.registry.errors import RegistryError

ALIAS_RE = re.compile(r"[\w\-]*")
ALIAS_VERSION_RE = re.compile(r"[vV]\d+")
MAX_ALIAS_LENGTH = 255
RESERVED_ALIAS = "latest"
MODEL_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
MAX_MODEL_NAME_LENGTH = 200
MAX_SOURCE_LENGTH = 1000
MAX_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 5000
READY = "READY"
PENDING_REGISTRATION = "PENDING_REGISTRATION"
FAILED_REGISTRATION = "FAILED_REGISTRATION"
STATUSES = (READY, PENDING_REGISTRATION, FAILED_REGISTRATION)
LOGGED_MODEL_ID_RE = re.compile(r"m-[A-Za-z0-9]{1,64}")
LOGGED_MODEL_SOURCE_RE = re.compile(r"models:/(m-[A-Za-z0-9]{1,64})/?")
_VERSION_REF = re.compile(r"(?:v(?:ersion)?\s*)?(\d{1,9})", re.IGNORECASE)


def validate_model_name(name: Any) -> str:
    """The name, stripped; RegistryError when it is empty or has characters MLflow refuses."""
    if not isinstance(name, str) or not name.strip():
        raise RegistryError("a model name is required (e.g. bike-demand)")
    text = name.strip()
    if len(text) > MAX_MODEL_NAME_LENGTH:
        raise RegistryError(
            f"model name {text[:40]!r}… is {len(text)} characters long; at most "
            f"{MAX_MODEL_NAME_LENGTH} are allowed"
        )
    if not MODEL_NAME_RE.fullmatch(text):
        raise RegistryError(
            f"invalid model name {text!r}: use letters, digits, '.', '_' and '-', starting "
            "with a letter or digit (no spaces, '/' or ':')"
        )
    return text


def validate_alias(alias: Any) -> str:
    """An alias MLflow would accept; RegistryError naming the rule otherwise."""
    if not isinstance(alias, str) or alias == "":
        raise RegistryError("an alias name is required (e.g. production, staging, champion)")
    if not ALIAS_RE.fullmatch(alias):
        raise RegistryError(
            f"invalid alias {alias!r}: aliases may only contain letters, digits, '_' and '-'"
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise RegistryError(
            f"alias {alias[:40]!r}… is {len(alias)} characters long; at most "
            f"{MAX_ALIAS_LENGTH} are allowed"
        )
    if alias.lower() == RESERVED_ALIAS:
        raise RegistryError(
            f"alias {alias!r} is reserved: 'latest' always means the newest version and "
            "cannot be moved; choose another name (e.g. production, staging, champion)"
        )
    if ALIAS_VERSION_RE.fullmatch(alias):
        raise RegistryError(
            f"alias {alias!r} is reserved: 'v<number>' reads as a version reference; "
            "choose another name (e.g. production, staging, champion)"
        )
    return alias


def parse_version(value: Any, what: str = "version") -> int:
    """A version number from 3, "3" or "v3"; RegistryError for anything else."""
    if isinstance(value, bool):
        raise RegistryError(
            f"{what} must be a positive whole number such as 3 or v3, got {value!r}"
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and (match := _VERSION_REF.fullmatch(value.strip())):
        number = int(match.group(1))
    else:
        raise RegistryError(
            f"{what} must be a positive whole number such as 3 or v3, got {value!r}"
        )
    if number < 1:
        raise RegistryError(f"{what} must be 1 or more, got {number}")
    return number


def validate_status(status: Any) -> str:
    if status not in STATUSES:
        raise RegistryError(f"invalid version status {status!r}; allowed: {', '.join(STATUSES)}")
    return str(status)


def _check_key(kind: str, key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise RegistryError(f"{kind} names must be non-empty text, got {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise RegistryError(f"{kind} name {key[:40]!r}… is longer than {MAX_KEY_LENGTH} characters")
    return key.strip()


def validate_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """Metric names to finite numbers."""
    out: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        name = _check_key("metric", key)
        if isinstance(value, bool):
            raise RegistryError(f"metric {name!r} must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RegistryError(f"metric {name!r} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise RegistryError(f"metric {name!r} must be a finite number, got {value!r}")
        out[name] = number
    return out


def validate_text_map(kind: str, values: Mapping[str, Any] | None) -> dict[str, str]:
    """Parameter or tag names to text values (numbers are kept as their text)."""
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        name = _check_key(kind, key)
        if value is None or isinstance(value, dict | list):
            raise RegistryError(f"{kind} {name!r} must be text or a number, got {value!r}")
        text = str(value)
        if len(text) > MAX_TAG_VALUE_LENGTH:
            raise RegistryError(
                f"{kind} {name!r} is {len(text)} characters long; at most "
                f"{MAX_TAG_VALUE_LENGTH} are allowed"
            )
        out[name] = text
    return out


ACCEPTED_SOURCES = (
    "an artifact URI (s3://bucket/model, runs:/<run-id>/model, file:///path) or an MLflow 3 "
    "logged model, models:/m-<id>"
)


def validate_source(source: Any) -> str:
    """The source, stripped. A `models:/` source must name an MLflow 3 logged model
    (`models:/m-<id>`); `models:/NAME/VERSION` and `models:/NAME@alias` point at a version
    already in a registry, so registering them would copy a reference, not a model."""
    if not isinstance(source, str) or not source.strip():
        raise RegistryError(f"a version needs its source: {ACCEPTED_SOURCES}")
    if len(source) > MAX_SOURCE_LENGTH:
        raise RegistryError(f"source URI is longer than {MAX_SOURCE_LENGTH} characters")
    text = source.strip()
    if text.lower().startswith("models:"):
        logged_model_source(text)
    return text


def logged_model_source(source: str) -> str | None:
    """The logged-model id of a `models:/m-<id>` source, None for other schemes;
    RegistryError for any other `models:` URI, saying what is accepted."""
    if not source.lower().startswith("models:"):
        return None
    if match := LOGGED_MODEL_SOURCE_RE.fullmatch(source):
        return match.group(1)
    path = source.split(":", 1)[1].lstrip("/")
    if "@" in path or "/" in path:
        raise RegistryError(
            f"source {source!r} is a registered-model reference (models:/NAME/VERSION or "
            "models:/NAME@alias), not a logged model; give "
            f"{ACCEPTED_SOURCES}"
        )
    raise RegistryError(
        f"source {source!r} is not an MLflow 3 logged model: those look like "
        f"models:/m-<id> (letters and digits after 'm-'); give {ACCEPTED_SOURCES}"
    )


def validate_model_id(model_id: Any, source: str) -> str | None:
    """The logged-model id from `--model-id` and/or a `models:/m-<id>` source, or None.
    Both given must agree: a version links to one logged model."""
    from_source = logged_model_source(source)
    if model_id is None or (isinstance(model_id, str) and not model_id.strip()):
        return from_source
    text = model_id.strip() if isinstance(model_id, str) else ""
    if not LOGGED_MODEL_ID_RE.fullmatch(text):
        raise RegistryError(
            f"invalid model id {model_id!r}: an MLflow 3 logged-model id looks like m-<id> "
            "(letters and digits after 'm-'), as in the models:/m-<id> URI log_model returns"
        )
    if from_source is not None and from_source != text:
        raise RegistryError(
            f"--model-id {text} and source {source} name different logged models; give one "
            "of them, or the same id in both"
        )
    return text


def parse_pairs(kind: str, items: list[str] | None) -> dict[str, str]:
    """`key=value` strings (CLI flags) to a dict; RegistryError naming the bad item."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RegistryError(f"{kind} must be given as name=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out
