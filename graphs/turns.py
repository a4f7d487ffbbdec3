"""What one agent turn returns (`TurnResult`), read back from the thread's messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from core.approvals import ApprovalView
from graphs.llm import message_text


@dataclass
class ToolCallRecord:
    name: str
    args: dict[str, Any]
    ok: bool | None = None
    text: str | None = None
    data: Any = None
    files: list[str] = field(default_factory=list)
    approval_id: str | None = None


@dataclass
class TurnResult:
    thread_id: str
    answer: str
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    pending: list[ApprovalView] = field(default_factory=list)
    note: str | None = None  # e.g. "answered aside: an approval is pending in this thread"
    # the model's token counts for this turn (Claude's usage metadata; empty offline)
    usage: dict[str, int] = field(default_factory=dict)
    trace_id: str = ""  # the turn's trace in opsbot's own spans (graphs/observe.py)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "tool_calls": [{"name": c.name, "args": c.args} for c in self.tool_calls],
            "pending_approval": self.pending[0].to_json() if self.pending else None,
        }

    @property
    def files(self) -> list[str]:
        return [f for call in self.tool_calls for f in call.files]


def last_turn(messages: Sequence[BaseMessage]) -> tuple[str, list[ToolCallRecord]]:
    """The final answer and the tool calls made since the last human message."""
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    records: dict[str | None, ToolCallRecord] = {}  # LangChain's call ids may be None
    answer = ""
    for message in messages[start + 1 :]:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                records[call["id"]] = ToolCallRecord(call["name"], dict(call.get("args") or {}))
            if not message.tool_calls:
                answer = message_text(message)
        elif isinstance(message, ToolMessage):
            record = records.get(message.tool_call_id)
            if record is not None:
                _fill(record, message)
    return answer, list(records.values())


def _fill(record: ToolCallRecord, message: ToolMessage) -> None:
    artifact = message.artifact if isinstance(message.artifact, dict) else {}
    record.ok = artifact.get("ok", message.status != "error")
    record.text = message_text(message)
    record.data = artifact.get("data")
    record.files = list(artifact.get("files", []))
    if isinstance(record.data, dict) and "approval_id" in record.data:
        record.approval_id = record.data["approval_id"]


def turn_result(
    thread_id: str,
    messages: Sequence[BaseMessage],
    pending: list[ApprovalView],
    note: str | None,
) -> TurnResult:
    """The turn's answer; when it stopped at the gate without one, what awaits approval."""
    answer, records = last_turn(messages)
    if pending and not answer:
        lines = [line for v in pending for line in _pending_lines(v)]
        answer = "\n".join(lines) + "\nAn authorised on-call engineer must approve or reject."
    if note:
        answer = f"({note})\n{answer}"
    return TurnResult(thread_id, answer, records, pending, note, turn_usage(messages))


def _pending_lines(view: ApprovalView) -> list[str]:
    """What awaits approval: the preview's first line, and its notes ("Note: … a rollback
    will not fix input drift") so the person reads them before anyone approves."""
    preview = view.preview.splitlines() if view.preview else [""]
    notes = [line for line in preview[1:] if line.startswith("Note:")]
    return [f"Approval needed ({view.id}, risk {view.risk}): {view.tool} — {preview[0]}", *notes]


def turn_usage(messages: Sequence[BaseMessage]) -> dict[str, int]:
    """Input and output tokens of the model calls since the last human message, summed from
    each reply's usage metadata (which the offline planner does not set)."""
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    totals: dict[str, int] = {}
    for message in messages[start + 1 :]:
        usage = getattr(message, "usage_metadata", None) if isinstance(message, AIMessage) else None
        if not usage:
            continue
        for key in ("input_tokens", "output_tokens"):
            totals[key] = totals.get(key, 0) + int(usage.get(key) or 0)
    return totals
