"""Markdown runbooks parsed into documents and heading-sized chunks.

Retrieval works on sections, not whole files: an on-call engineer needs the Mitigation steps,
and a 256-token embedding model cannot see a whole runbook anyway. Each chunk keeps the
document title and its section path ("Mitigation > Restart the worker") so a hit can be cited.

Front matter may be YAML (`---`), TOML (`+++`, Hugo) or absent. Known fields: `title`,
`alerts`, `services`, `tags`, `severity`; anything else is ignored. Pure Python, no I/O.
Searchable text (plain words, identifiers, passages) is made in `plaintext.py`.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.errors import Invalid
from knowledge.plaintext import TEXT, doc_context, fenced, passages, search_text

# Bump when chunking changes, so ingest re-chunks files whose bytes did not change.
CHUNKER_VERSION = "2"

MAX_SPLIT_LEVEL = 3  # headings deeper than ### stay inside their parent section
TARGET_CHARS = 1000  # about 250 word pieces: what MiniLM-sized models read in full
MIN_PART_CHARS = 200  # a trailing fragment shorter than this joins the part before it

_ATX = re.compile(r"^\s{0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
# An alert name is one identifier with an inner capital: HostDiskFull, etcdNoLeader, CPUThrottlingHigh.
_ALERT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*[A-Z][A-Za-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Z][A-Za-z0-9_]{2,}$")
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_SPACES = re.compile(r"[ \t]+")


class MarkdownError(Invalid, ValueError):
    """The file cannot be read as a runbook; the message says what is wrong and where."""


@dataclass(frozen=True)
class Section:
    """One heading and the text under it (up to the next heading at a split level)."""

    path: tuple[str, ...]  # heading texts from the top, without the document title
    level: int  # heading level, 0 for text before the first heading
    body: str  # markdown, heading line excluded


@dataclass(frozen=True)
class Document:
    title: str
    sections: list[Section]
    alerts: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    severity: str = ""


@dataclass(frozen=True)
class Chunk:
    """A section (or part of a long one): the markdown to quote and the texts to match."""

    ordinal: int
    section: str  # "Diagnosis > Check the logs"; "Overview" for text before any heading
    text: str  # markdown as written, for quoting
    context: str  # "Title (AlertName, Alert Name)": repeated in what is matched

    @property
    def search_text(self) -> str:
        """What the lexical index reads: context, section path and the plain text."""
        return search_text(self.context, self.section, self.text)

    def passages(self) -> list[str]:
        """Sentence-sized texts for the dense index, each prefixed with the document context.

        Small units embed sharply (an alert description is one sentence, and so is the line
        of a runbook that matches it); the hit returned is still the whole chunk.
        """
        return passages(self.context, self.text)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front matter mapping, body). Raise MarkdownError on a malformed block."""
    stripped = text.lstrip("\ufeff")
    first, _, rest = stripped.partition("\n")
    marker = first.strip()
    if marker not in ("---", "+++"):
        if marker == "{" or (marker.startswith("{") and not marker.startswith("{{")):
            return _json_front_matter(stripped)
        return {}, stripped
    lines = rest.split("\n")
    for index, line in enumerate(lines):
        if line.strip() == marker:
            raw = "\n".join(lines[:index])
            body = "\n".join(lines[index + 1 :])
            return _load_front_matter(raw, marker, index), body
    kind = "YAML" if marker == "---" else "TOML"
    raise MarkdownError(f"{kind} front matter opened with {marker!r} on line 1 is never closed")


def _load_front_matter(raw: str, marker: str, lines: int) -> dict[str, Any]:
    if marker == "---":
        try:
            data = yaml.safe_load(raw) if raw.strip() else {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 2}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise MarkdownError(f"invalid YAML front matter{where}: {problem}") from None
    else:
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise MarkdownError(f"invalid TOML front matter: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MarkdownError(
            f"front matter (lines 2-{lines + 1}) must be a mapping of fields, "
            f"got {type(data).__name__}"
        )
    return data


def _json_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Hugo's JSON front matter: a JSON object at the very top of the file."""
    decoder = json.JSONDecoder()
    try:
        data, end = decoder.raw_decode(text)
    except json.JSONDecodeError:
        return {}, text  # a line starting with "{" that is not JSON is just text
    if not isinstance(data, dict):
        return {}, text
    return data, text[end:]


def _as_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list | tuple):
        items = []
        for item in value:
            if isinstance(item, dict | list):
                raise MarkdownError(
                    f"front matter field {name!r} must be a list of names, got a nested {type(item).__name__}"
                )
            text = str(item).strip()
            if text:
                items.append(text)
        return items
    if isinstance(value, int | float):
        return [str(value)]
    raise MarkdownError(
        f"front matter field {name!r} must be a name or a list of names, got {type(value).__name__}"
    )


def _sections(body: str) -> list[tuple[int, str, str]]:
    """(level, heading, text) for each ATX heading outside code fences; level 0 = preamble."""
    found: list[tuple[int, str, list[str]]] = [(0, "", [])]
    for line, role in fenced(body):
        heading = _ATX.match(line) if role == TEXT else None
        if heading:
            found.append((len(heading.group(1)), _clean_inline(heading.group(2)), []))
        else:
            found[-1][2].append(line)
    return [(level, title, "\n".join(lines).strip("\n")) for level, title, lines in found]


def _clean_inline(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = text.replace("`", "").replace("**", "").replace("__", "")
    return _SPACES.sub(" ", text).strip()


def parse_markdown(text: str, fallback_title: str) -> Document:
    """Parse a runbook. `fallback_title` (usually from the file name) is used when neither
    front matter nor a top-level heading gives one."""
    meta, body = split_front_matter(text)
    raw = _sections(body)

    fm_title = meta.get("title")
    title = str(fm_title).strip() if fm_title is not None and str(fm_title).strip() else ""
    h1 = next((heading for level, heading, _ in raw if level == 1), "")
    first_heading = next(((level, heading) for level, heading, _ in raw if level > 0), None)
    # The top heading is the document's name when it is the first heading and a level 1.
    doc_heading = h1 if first_heading is not None and first_heading[0] == 1 else ""
    if not title:
        title = doc_heading or fallback_title

    alerts = _as_list(meta.get("alerts", meta.get("alert")), "alerts")
    if not alerts:
        alerts = _implied_alerts(doc_heading, fallback_title)

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    title_consumed = False
    for level, heading, text_ in raw:
        if level == 0:
            sections.append(Section(path=(), level=0, body=text_))
            continue
        if level == 1 and not title_consumed and heading == doc_heading:
            title_consumed = True  # text under the title joins the preamble ("Overview")
            if sections and sections[-1].path == ():
                joined = f"{sections[-1].body}\n\n{text_}".strip("\n")
                sections[-1] = Section(path=(), level=0, body=joined)
            else:
                sections.append(Section(path=(), level=0, body=text_))
            continue
        if level > MAX_SPLIT_LEVEL:
            # keep deeper headings inside the current section, as markdown
            previous = sections[-1] if sections else Section(path=(), level=0, body="")
            merged = f"{previous.body}\n\n{'#' * level} {heading}\n\n{text_}".strip("\n")
            if sections:
                sections[-1] = Section(path=previous.path, level=previous.level, body=merged)
            else:
                sections.append(Section(path=(), level=0, body=merged))
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        sections.append(Section(path=tuple(h for _, h in stack), level=level, body=text_))

    severity = meta.get("severity")
    return Document(
        title=title,
        sections=[s for s in sections if s.body.strip()],
        alerts=alerts,
        services=_as_list(meta.get("services", meta.get("service")), "services"),
        tags=_as_list(meta.get("tags"), "tags"),
        severity=str(severity).strip() if severity is not None else "",
    )


def _implied_alerts(heading: str, file_stem: str) -> list[str]:
    """Runbooks named after their alert (`# KubePodCrashLooping`, `Watchdog.md` with
    `# Watchdog`) are that alert's runbook even without an `alerts` field."""
    names = [c for c in (heading, file_stem) if c and _ALERT_NAME.match(c)]
    if not names and heading and heading == file_stem and _IDENTIFIER.match(heading):
        names = [heading]
    return list(dict.fromkeys(names))


def _paragraphs(body: str) -> list[str]:
    """Blank-line separated blocks; a fenced code block is never cut."""
    blocks: list[str] = []
    current: list[str] = []
    for line, role in fenced(body):
        if role == TEXT and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _split_body(body: str) -> list[str]:
    if len(body) <= TARGET_CHARS:
        return [body]
    parts: list[str] = []
    current = ""
    for block in _paragraphs(body):
        if current and len(current) + len(block) + 2 > TARGET_CHARS:
            parts.append(current)
            current = block
        else:
            current = f"{current}\n\n{block}" if current else block
    if current:
        if parts and len(current) < MIN_PART_CHARS:
            parts[-1] = f"{parts[-1]}\n\n{current}"
        else:
            parts.append(current)
    return parts


def chunk_document(doc: Document) -> list[Chunk]:
    """One chunk per section (long sections split at paragraph boundaries)."""
    context = doc_context(doc.title, doc.alerts)
    chunks: list[Chunk] = []
    for section in doc.sections:
        name = " > ".join(section.path) if section.path else "Overview"
        for part in _split_body(section.body):
            chunks.append(
                Chunk(ordinal=len(chunks), section=name, text=part.strip(), context=context)
            )
    return chunks
