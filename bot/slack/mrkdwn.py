"""Text for Slack: escaping, light Markdown to mrkdwn, tables fenced as code, and long text
split at line boundaries under a block's limit (code fences closed and reopened across the
split). Mentions and dates as Slack shows them. Block Kit itself is in `render.py`."""

from __future__ import annotations

import re
from datetime import datetime

from core.clock import as_utc, iso
from core.people import SLACK_USER
from tools.format import text_table

MAX_TEXT = 3000  # section / context text


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str) -> str:
    """Slack's `>` marks one line as quoted: every line of a multi-line text gets one (a
    blank line stays quoted, so the quote is not cut in two). `text` is already escaped."""
    return "\n".join(f">{line}" for line in text.splitlines() or [""])


def unescape(text: str) -> str:
    """Undo Slack's escaping of incoming message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def who(user: str | None) -> str:
    """A Slack user id as a mention, anything else (console, scheduler) as escaped text."""
    if not user:
        return "someone"
    return f"<@{user}>" if SLACK_USER.match(user) else escape(user)


def slack_date(when: datetime | None) -> str:
    """A date Slack shows in each reader's time zone, with a UTC fallback."""
    if when is None:
        return "unknown time"
    moment = as_utc(when)
    fallback = iso(moment) or ""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


_LINK = re.compile(r"!?\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")


def _inline(segment: str) -> str:
    """Markdown emphasis and links -> mrkdwn, for text outside code spans (already escaped)."""
    segment = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", segment)
    segment = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", segment)
    return _STRIKE.sub(lambda m: f"~{m.group(1)}~", segment)


def _line(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        inner = heading.group(1).replace("**", "")
        return f"*{_spans(escape(inner), strip_bold=True)}*"
    if line.startswith("> "):  # a Markdown quote stays a quote (the marker is not escaped)
        return ">" + _spans(escape(line[2:]))
    bullet = _BULLET.match(line)
    if bullet:
        indent = " " * (len(bullet.group(1)) * 2)
        mark = "•" if not bullet.group(1) else "◦"
        return f"{indent}{mark} {_spans(escape(bullet.group(2)))}"
    return _spans(escape(line))


def _spans(text: str, strip_bold: bool = False) -> str:
    """Convert inline markup outside `code` spans only."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced backtick: treat the text as plain
        return text if strip_bold else _inline(text)
    for index in range(0, len(parts), 2):
        parts[index] = parts[index] if strip_bold else _inline(parts[index])
    return "`".join(parts)


def _pipe_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_DASH_RULE = re.compile(r"^-+( {2}-+)+$|^-{3,}$")


def _fits_columns(line: str, gaps: list[int]) -> bool:
    """A row of a text_table: blank wherever the dash rule has its column gaps."""
    if not line.strip():
        return False
    if gaps and len(line) <= gaps[0]:
        return False
    return all(pos >= len(line) or line[pos] == " " for pos in gaps)


def fence_tables(text: str) -> str:
    """Put monospace tables (our text_table output, Markdown pipe tables) in code fences,
    since Slack's proportional font wrecks their alignment."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    in_code = False
    while index < len(lines):
        line = lines[index]
        if line.strip().startswith("```"):
            in_code = not in_code if line.strip().count("```") == 1 else in_code
            out.append(line)
            index += 1
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not in_code and line.strip() and "|" in line and _PIPE_RULE.match(following):
            headers = _pipe_row(line)
            rows = []
            index += 2
            while index < len(lines) and lines[index].strip().startswith("|"):
                rows.append(_pipe_row(lines[index]))
                index += 1
            width = len(headers)
            rows = [(row + [""] * width)[:width] for row in rows]
            out.extend(["```", text_table(headers, rows), "```"])
            continue
        if not in_code and line.strip() and _DASH_RULE.match(following.strip()):
            block = [line, following]
            gaps = [i for i, ch in enumerate(following) if ch == " "]
            index += 2
            while index < len(lines) and _fits_columns(lines[index], gaps):
                block.append(lines[index])
                index += 1
            out.extend(["```", *block, "```"])
            continue
        out.append(line)
        index += 1
    return "\n".join(out)


def mrkdwn(text: str) -> str:
    """Light Markdown (what the agent writes) -> escaped Slack mrkdwn."""
    out: list[str] = []
    in_code = False
    for line in fence_tables(text).split("\n"):
        stripped = line.strip()
        if stripped.startswith("```") and stripped.count("```") == 1:
            in_code = not in_code
            out.append("```")  # Slack shows a language hint literally: drop it
            continue
        out.append(escape(line) if in_code else _line(line))
    if in_code:
        out.append("```")
    return "\n".join(out)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split mrkdwn at line boundaries into pieces of at most `limit` characters; a code
    fence open at a split is closed there and reopened in the next piece."""
    if len(text) <= limit:
        return [text] if text.strip() else []
    close = "\n```"
    longest = limit - 8  # room for a reopened fence before and a closing one after
    lines: list[str] = []
    for line in text.split("\n"):
        while len(line) > longest:
            lines.append(line[:longest])
            line = line[longest:]
        lines.append(line)
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    in_code = False

    def flush() -> None:
        nonlocal current, size
        opened_last = in_code and bool(current) and current[-1].strip() == "```"
        if opened_last:
            current.pop()  # do not end a piece with an empty code block
        body = "\n".join(current)
        if in_code and not opened_last:
            body += close
        if body.strip():
            pieces.append(body)
        current = ["```"] if in_code else []
        size = 3 if in_code else 0

    for line in lines:
        if current and size + 1 + len(line) > limit - len(close):
            flush()
        size += len(line) + (1 if current else 0)
        current.append(line)
        stripped = line.strip()
        if stripped.startswith("```") and stripped.count("```") == 1:
            in_code = not in_code
    if current and current != ["```"]:
        pieces.append("\n".join(current) + (close if in_code else ""))
    return pieces
