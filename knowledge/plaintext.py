"""Runbook Markdown as searchable text: plain words (no HTML, URLs, shortcodes), identifiers
expanded (`CrashLoopBackOff` also reads "crash loop"), the sentences and commands of a chunk
as passages, and each line's role inside or outside a code fence. Pure Python, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterator

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HTML_TAG = re.compile(
    r"</?(?:details|summary|br|p|div|span|a|img|code|pre|b|i|em|strong|ul|ol|li|table|thead|"
    r"tbody|tr|td|th|sup|sub|kbd|hr|h[1-6]|blockquote|dl|dt|dd)\b[^>\n]*>",
    re.IGNORECASE,
)
_FENCE_LINE = re.compile(r"^\s{0,3}(```|~~~).*$", re.MULTILINE)
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}")
_SPACES = re.compile(r"[ \t]+")
_BLANKS = re.compile(r"\n{3,}")


TEXT, FENCE, CODE = "text", "fence", "code"


def fenced(text: str) -> Iterator[tuple[str, str]]:
    """Each line with its role: FENCE (opens or closes a ``` or ~~~ code block), CODE (inside
    one) or TEXT. A block closes only with the marker that opened it."""
    fence: str | None = None
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1) == fence:
                fence = None
                yield line, FENCE
            else:
                yield line, CODE
        elif opened:
            fence = opened.group(1)
            yield line, FENCE
        else:
            yield line, TEXT


def doc_context(title: str, alerts: list[str]) -> str:
    """The title plus the alert names it answers: `Disk full (HostDiskFull, Host Disk Full)`."""
    names = list(alerts) + [
        split_camel(a) for a in alerts if split_camel(a).lower() != title.lower()
    ]
    return f"{title} ({', '.join(names)})" if names else title


def plain_text(markdown: str) -> str:
    """Markdown reduced to words for embedding and BM25: no HTML tags, URLs or shortcodes."""
    text = _SHORTCODE.sub(" ", markdown)
    text = _REF_DEF.sub("", text)
    text = _HTML_TAG.sub(" ", text)
    text = _FENCE_LINE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("`", "")
    text = _SPACES.sub(" ", text)
    return _BLANKS.sub("\n\n", text).strip()


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CAMEL_WORD = re.compile(r"\b[A-Za-z]*[a-z][A-Z][A-Za-z0-9]*\b|\b[A-Z]{2,}[a-z][A-Za-z0-9]*\b")
MIN_PASSAGE_CHARS = 15


def split_camel(name: str) -> str:
    """`NodeFilesystemSpaceFillingUp` -> `Node Filesystem Space Filling Up` (for matching)."""
    return _CAMEL_BOUNDARY.sub(" ", name)


_SNAKE_WORD = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")


def expand_identifiers(text: str) -> str:
    """Follow each CamelCase or snake_case word with its parts: `CrashLoopBackOff` also
    matches "crash loop", `restart_service` also matches "restart the service".

    Applied to indexed text and queries alike, so an alert name, a Kubernetes reason, a
    metric or an action name written either way meets the other.
    """
    text = _CAMEL_WORD.sub(lambda m: f"{m.group(0)} {split_camel(m.group(0))}", text)
    return _SNAKE_WORD.sub(lambda m: f"{m.group(0)} {m.group(0).replace('_', ' ')}", text)


def search_text(context: str, section: str, markdown: str) -> str:
    return f"{context}\n{section}\n{plain_text(markdown)}"


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`*_(\[])")


def _logical_lines(markdown: str) -> list[str]:
    """Soft-wrapped paragraph lines joined; list items, headings and code lines kept apart."""
    units: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            units.append(" ".join(current))
            current.clear()

    for line, role in fenced(markdown):
        if role != TEXT:
            flush()
            if role == CODE and line.strip():
                units.append(line.strip())
            continue
        if not line.strip():
            flush()
        elif _LIST_ITEM.match(line) or line.lstrip().startswith(("#", "|", ">", "$")):
            flush()
            current.append(line.strip())
        else:
            current.append(line.strip())
    flush()
    return units


def passages(context: str, markdown: str) -> list[str]:
    """Sentences, list items and command lines of a chunk, each prefixed with `context`."""
    units: list[str] = []
    for line in _logical_lines(markdown):
        for sentence in _SENTENCE.split(_LIST_ITEM.sub("", line, count=1)):
            text = " ".join(plain_text(sentence).split())
            if len(text) >= MIN_PASSAGE_CHARS:
                units.append(text)
    if not units:
        whole = " ".join(plain_text(markdown).split())
        units = [whole] if whole else []
    return [f"{context}: {unit}" for unit in units]
