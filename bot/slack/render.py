"""Block Kit from the chat-agnostic reply model (`bot.reply`), within Slack's limits.

Slack refuses a message with more than 50 blocks or a text block over 3,000 characters
(`invalid_blocks`), and shows `<`, `>` and `&` as markup unless escaped. So: every piece of
text is escaped and converted from light Markdown to mrkdwn; long text is split at line
boundaries (code fences are closed and reopened across the split); long code, diffs and
tables become an attached file with a preview; blocks are spread over several messages,
and an answer too long for a few messages is attached whole as a file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.reply import ApprovalCard, Attachment, Code, Context, Fields, Reply, Section, Table
from core.approvals import ApprovalView
from core.clock import as_utc, iso
from core.people import SLACK_USER
from tools.format import text_table

MAX_TEXT = 3000  # section / context text
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BLOCKS = 50
MAX_FALLBACK = 3000
MESSAGE_CHAR_BUDGET = 12_000  # keep each message well inside Slack's size limits
MAX_MESSAGES = 4  # more than this and the whole answer is attached as a file
CODE_ATTACH_CHARS = 8000  # longer code/diffs are attached, with a preview inline
CODE_PREVIEW_LINES = 40
TABLE_ROWS = 40  # more rows are attached as CSV, with the first rows inline


@dataclass
class Upload:
    """A file to attach in the thread: a file on disk or generated text."""

    filename: str
    title: str
    path: Path | None = None
    content: str | None = None


@dataclass
class SlackMessage:
    text: str  # notification / accessibility fallback
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


@dataclass
class Rendered:
    messages: list[SlackMessage]
    approvals: list[ApprovalView] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)


# ---------------------------------------------------------------------- text helpers
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


# ---------------------------------------------------------------------- blocks
def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_TEXT)}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_TEXT)}]}


def header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER), "emoji": True},
    }


def fields_blocks(pairs: list[tuple[str, str]], raw: bool = False) -> list[dict[str, Any]]:
    """Label/value pairs, ten per section. With `raw`, values are already mrkdwn (mentions,
    dates); otherwise they are converted and escaped."""
    items = [
        {
            "type": "mrkdwn",
            "text": truncate(f"*{escape(k)}*\n{v if raw else mrkdwn(v)}", MAX_FIELD),
        }
        for k, v in pairs
    ]
    return [
        {"type": "section", "fields": items[i : i + MAX_FIELDS]}
        for i in range(0, len(items), MAX_FIELDS)
    ]


def _safe_name(title: str | None, default: str, suffix: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", (title or default).strip()).strip("-.") or default
    return base[:60] + suffix


def code_blocks(text: str, title: str | None, uploads: list[Upload]) -> list[dict[str, Any]]:
    heading = f"*{escape(title)}*\n" if title else ""
    body = text.rstrip("\n")
    note = ""
    if len(body) > CODE_ATTACH_CHARS:
        filename = _safe_name(title, "output", ".txt")
        uploads.append(Upload(filename=filename, title=title or "output", content=text))
        lines = body.split("\n")
        body = "\n".join(lines[:CODE_PREVIEW_LINES])
        note = f"_First {min(len(lines), CODE_PREVIEW_LINES)} of {len(lines)} lines; the full text is attached as {escape(filename)}._"
    fenced = heading + "```\n" + escape(body) + "\n```"
    blocks = [section(piece) for piece in split_text(fenced)]
    if note:
        blocks.append(context(note))
    return blocks


def table_blocks(table: Table, uploads: list[Upload]) -> list[dict[str, Any]]:
    rows = [[str(c) for c in row] for row in table.rows]
    shown = rows[:TABLE_ROWS]
    blocks = code_blocks(text_table(table.headers, shown), table.title, [])
    if len(rows) > TABLE_ROWS:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(table.headers)
        writer.writerows(rows)
        filename = _safe_name(table.title, "table", ".csv")
        uploads.append(
            Upload(filename=filename, title=table.title or "table", content=buffer.getvalue())
        )
        blocks.append(
            context(
                f"_{len(rows) - TABLE_ROWS} more rows in the attached {escape(filename)} "
                f"({len(rows)} rows in all)._"
            )
        )
    return blocks


def _block_chars(block: dict[str, Any]) -> int:
    total = len((block.get("text") or {}).get("text", ""))
    total += sum(len(f.get("text", "")) for f in block.get("fields") or [])
    total += sum(len(e.get("text", "")) for e in block.get("elements") or [] if "text" in e)
    return total


def paginate(blocks: list[dict[str, Any]], fallback: str) -> list[SlackMessage]:
    """Spread blocks over messages of at most MAX_BLOCKS blocks and the character budget."""
    messages: list[SlackMessage] = []
    current: list[dict[str, Any]] = []
    chars = 0
    for block in blocks:
        size = _block_chars(block)
        if current and (len(current) >= MAX_BLOCKS or chars + size > MESSAGE_CHAR_BUDGET):
            messages.append(SlackMessage(text="", blocks=current))
            current, chars = [], 0
        current.append(block)
        chars += size
    if current or not messages:
        messages.append(SlackMessage(text="", blocks=current))
    for index, message in enumerate(messages):
        if index == 0:
            message.text = truncate(fallback, MAX_FALLBACK) if fallback else "opsbot"
        else:
            message.text = f"(continued, part {index + 1} of {len(messages)})"
    return messages


def plain_text(reply: Reply) -> str:
    from bot.console import render_text

    return render_text(reply)


def render_reply(reply: Reply) -> Rendered:
    """Turn a Reply into Slack messages, approval cards to post, and files to upload."""
    uploads: list[Upload] = []
    approvals: list[ApprovalView] = []
    blocks: list[dict[str, Any]] = []
    for item in reply.blocks:
        if isinstance(item, Section):
            blocks.extend(section(piece) for piece in split_text(mrkdwn(item.text)))
        elif isinstance(item, Fields):
            blocks.extend(fields_blocks(item.pairs))
        elif isinstance(item, Code):
            blocks.extend(code_blocks(item.text, item.title, uploads))
        elif isinstance(item, Table):
            blocks.extend(table_blocks(item, uploads))
        elif isinstance(item, Context):
            blocks.append(context(mrkdwn(item.text)))
        elif isinstance(item, Attachment):
            uploads.append(Upload(filename=item.path.name, title=item.title, path=item.path))
        elif isinstance(item, ApprovalCard):
            approvals.append(item.approval)
        else:
            raise TypeError(f"cannot render reply block {type(item).__name__}")
    fallback = escape(reply.fallback.strip()) if reply.fallback else ""
    if not blocks and not approvals and not uploads:
        blocks.append(section("_(no answer)_"))
    if not fallback:
        first = next((b for b in blocks if b.get("type") == "section" and "text" in b), None)
        fallback = first["text"]["text"] if first else "opsbot"
    messages = paginate(blocks, fallback) if blocks else []
    if len(messages) > MAX_MESSAGES:
        keep_blocks = [b for m in messages[: MAX_MESSAGES - 1] for b in m.blocks]
        keep_blocks.append(
            context(
                f"_The answer is long ({len(blocks)} blocks); it is attached in full as answer.txt._"
            )
        )
        uploads.insert(
            0, Upload(filename="answer.txt", title="Full answer", content=plain_text(reply))
        )
        messages = paginate(keep_blocks, fallback)
    return Rendered(messages=messages, approvals=approvals, uploads=uploads)
