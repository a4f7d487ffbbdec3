"""Observers of tool calls (tools/observers.py): every call through `OpsTool.invoke` is
reported once, with the caller's front end and the outcome; a failing observer never breaks
a call."""

from __future__ import annotations

from pydantic import BaseModel

from core.access import Caller
from tools.base import NoArgs, OpsTool, ToolError, ToolResult
from tools.observers import ToolCall, add_tool_observer, remove_tool_observer


class Echo(BaseModel):
    mode: str


def _run(args: Echo, _caller: Caller) -> ToolResult:
    if args.mode == "refuse":
        raise ToolError("refused")
    if args.mode == "crash":
        raise RuntimeError("boom")
    return ToolResult(text="fine", ok=args.mode != "not-ok")


def test_every_call_is_reported_with_via_and_outcome() -> None:
    tool = OpsTool(name="echo", description="test", args=Echo, run=_run)
    seen: list[ToolCall] = []

    def broken(_: ToolCall) -> None:
        raise RuntimeError("observer bug")

    add_tool_observer(broken)
    add_tool_observer(seen.append)
    add_tool_observer(seen.append)  # once, however often added
    try:
        for mode in ("ok", "not-ok", "refuse", "crash"):
            tool.invoke({"mode": mode}, Caller("U", via="cli"))
        assert tool.invoke({}, Caller("U", via="slack")).ok is False  # bad arguments
    finally:
        remove_tool_observer(broken)
        remove_tool_observer(seen.append)
    assert [(c.tool, c.via, c.outcome) for c in seen] == [
        ("echo", "cli", "ok"),
        ("echo", "cli", "error"),
        ("echo", "cli", "error"),
        ("echo", "cli", "failed"),
        ("echo", "slack", "error"),
    ]
    assert all(c.seconds >= 0 for c in seen)
    assert (
        OpsTool(name="n", description="d", args=NoArgs, run=lambda a, c: ToolResult("x"))
        .invoke(None, Caller("U"))
        .ok
    )
