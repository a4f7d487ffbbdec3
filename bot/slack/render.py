"""Block Kit from the chat-agnostic reply model (`bot.reply`), within Slack's limits.

Slack refuses a message with more than 50 blocks or a text block over 3,000 characters
(`invalid_blocks`), and shows `<`, `>` and `&` as markup unless escaped. So: every piece of
text is escaped and converted from light Markdown to mrkdwn; long text is split at line
boundaries (code fences are closed and reopened across the split); long code, diffs and
tables become an attached file with a preview; blocks are spread over several messages,
and an answer too long for a few messages is attached whole as a file. The text itself
(escaping, mrkdwn, splitting) is made in `mrkdwn.py`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.reply import (
    ApprovalCard,
    Attachment,
    Code,
    Context,
    Feedback,
    Fields,
    Reply,
    Section,
    Table,
)
from bot.slack.mrkdwn import MAX_TEXT, escape, mrkdwn, split_text, truncate
from core.approvals import ApprovalView

if TYPE_CHECKING:
    from bot.slack.approvals import ButtonSigner
from tools.format import text_table

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


def render_reply(reply: Reply, signer: ButtonSigner | None = None) -> Rendered:
    """Turn a Reply into Slack messages, approval cards to post, and files to upload. With
    `signer`, a `Feedback` block becomes the 👍/👎 buttons at the end of the last message
    (bot/slack/feedback.py); without, it is left out."""
    uploads: list[Upload] = []
    approvals: list[ApprovalView] = []
    blocks: list[dict[str, Any]] = []
    buttons: dict[str, Any] | None = None
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
        elif isinstance(item, Feedback):
            if signer is not None:
                from bot.slack.feedback import feedback_block

                buttons = feedback_block(item.trace_id, signer)
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
    if buttons is not None and messages:
        if len(messages[-1].blocks) < MAX_BLOCKS:
            messages[-1].blocks.append(buttons)
        else:
            messages.append(SlackMessage(text="Was this answer useful?", blocks=[buttons]))
    return Rendered(messages=messages, approvals=approvals, uploads=uploads)
