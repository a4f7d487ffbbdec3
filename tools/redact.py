"""Remove secrets from text before any language model sees it.

Tool output (process command lines, error messages, config dumps) often carries tokens,
passwords and connection strings. Every tool result passes through `redact` on its way into
the conversation, whatever the model. Patterns are conservative: they mask the secret part
and keep enough context ("password=", the URL's host) for the reader to follow.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
        ),
        "-----BEGIN PRIVATE KEY-----" + MASK + "-----END PRIVATE KEY-----",
    ),
    # credentials inside URLs: scheme://user:password@host
    (
        re.compile(r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)[^\s@/]+(?=@)"),
        r"\g<pre>" + MASK,
    ),
    # Slack, Anthropic, OpenAI, GitHub, AWS, Google style tokens
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"\bxapp-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]{10,}"), MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), MASK),
    # JSON web tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
    # Authorization headers
    (
        re.compile(r"(?i)(\bauthorization\s*[:=]\s*)(bearer|basic|token)\s+[^\s'\"]+"),
        r"\1\2 " + MASK,
    ),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{16,}"), r"\1" + MASK),
    # key=value / key: value for secret-looking keys (env dumps, command-line flags, JSON)
    (
        re.compile(
            r"(?i)(?P<key>[\"']?[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|"
            r"access[_-]?key|private[_-]?key|credentials?)[\w.-]*[\"']?)"
            r"(?P<sep>\s*[:=]\s*|\s+(?=--?)|=)(?P<quote>[\"']?)(?P<val>[^\s\"',;&]{3,})"
        ),
        r"\g<key>\g<sep>\g<quote>" + MASK,
    ),
    (
        re.compile(
            r"(?i)(?P<flag>--?(?:password|passwd|token|secret|api-key|apikey)[ =])(?P<val>[^\s]+)"
        ),
        r"\g<flag>" + MASK,
    ),
]


def redact(text: str) -> str:
    """`text` with every recognised secret replaced by [REDACTED]."""
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_data(value: object) -> object:
    """Redact strings inside nested dicts and lists (structured tool data)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
