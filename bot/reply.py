"""A chat-agnostic reply: what to show, not how. The console renders it as text and the
Slack adapter as Block Kit, from the same objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.approvals import ApprovalView


@dataclass
class Section:
    text: str  # light markdown: *bold*, `code`, bullet lines


@dataclass
class Fields:
    pairs: list[tuple[str, str]]


@dataclass
class Code:
    text: str
    title: str | None = None


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    title: str | None = None


@dataclass
class Context:
    text: str  # small grey print: tool calls, sources, timestamps


@dataclass
class Attachment:
    path: Path
    title: str


@dataclass
class ApprovalCard:
    approval: ApprovalView


@dataclass
class Feedback:
    """👍/👎 on an answer, for its turn's trace (Slack buttons; the console shows nothing)."""

    trace_id: str


@dataclass
class Reply:
    blocks: list[Any] = field(default_factory=list)
    fallback: str = ""  # plain text for notifications and accessibility

    def add(self, block: Any) -> Reply:
        self.blocks.append(block)
        return self


def reply_from_turn(turn: Any) -> Reply:
    """Build the reply for an agent turn (a `graphs.agent.TurnResult`)."""
    reply = Reply(fallback=turn.answer[:3000])
    if turn.answer:
        reply.add(Section(turn.answer))
    for path in turn.files:
        reply.add(Attachment(Path(path), Path(path).name))
    for view in turn.pending:
        reply.add(ApprovalCard(view))
    if turn.tool_calls:
        calls = ", ".join(call.name for call in turn.tool_calls)
        reply.add(Context(f"tools used: {calls}"))
    trace_id = getattr(turn, "trace_id", "")
    if trace_id and turn.answer and not turn.pending:  # a final answer, not a question
        reply.add(Feedback(trace_id))
    return reply
