"""The agent's `tools` node: run each tool call of the model's last message, or, for a GATED
tool, turn it into a persisted approval request for the gate node to wait on.

Also the run config that carries the caller into the graph (`caller_config`, `caller_of`)
and the one way a `ToolResult` becomes a `ToolMessage` (redacted, capped).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig

from core.access import Access, Caller
from core.approvals import ApprovalView, approval_id_for
from core.clock import iso
from graphs.gate import GateBackend
from graphs.observe import TOOL, current_trace
from graphs.state import AgentState
from tools.base import OpsTool, Toolbox, ToolError, ToolResult
from tools.redact import redact, redact_data

log = logging.getLogger(__name__)

MAX_TOOL_TEXT = 12_000


def caller_config(caller: Caller, thread_id: str) -> dict[str, Any]:
    return {
        "configurable": {
            "thread_id": thread_id,
            "caller_user": caller.user,
            "caller_via": caller.via,
            "caller_channel": caller.channel or "",
        }
    }


def caller_of(config: RunnableConfig) -> tuple[Caller, str]:
    """The caller and thread id `caller_config` put into the run config."""
    conf = config.get("configurable", {})
    thread_id = conf["thread_id"]
    caller = Caller(
        user=conf.get("caller_user", "unknown"),
        via=conf.get("caller_via", "unknown"),
        channel=conf.get("caller_channel") or None,
        thread=thread_id,
    )
    return caller, thread_id


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def tool_message(call_id: str, name: str, result: ToolResult) -> ToolMessage:
    text = redact(result.text)
    if len(text) > MAX_TOOL_TEXT:
        text = text[:MAX_TOOL_TEXT] + f"\n… (truncated, {len(result.text)} characters in all)"
    return ToolMessage(
        content=text,
        tool_call_id=call_id,
        name=name,
        status="success" if result.ok else "error",
        artifact={
            "ok": result.ok,
            "data": _jsonable(redact_data(result.data)),
            "files": [str(f) for f in result.files],
            "untrusted": result.untrusted,
        },
    )


def already_pending(view: ApprovalView) -> ToolResult:
    """The result of a gated call whose identical twin is already pending: not asked again
    (approving both would run the action twice); the answer points to the pending one."""
    args = ", ".join(f"{k}={v!r}" for k, v in view.args.items())
    text = (
        f"Not requested again: the same action, {view.tool}({args}), is already pending "
        f"approval as {view.id} (asked by {view.requested_by}, expires {iso(view.expires_at)}). "
        f"Approve or reject {view.id}; a second approval would run it twice."
    )
    data = {"approval_id": view.id, "status": view.status, "already_pending": True}
    return ToolResult(text=text, data=data)


def run_tool(tool: OpsTool, raw_args: dict[str, Any], caller: Caller) -> ToolResult:
    try:
        return tool.invoke(raw_args, caller)
    except Exception as exc:  # a bug or an environment failure: report it, keep the turn alive
        log.exception("tool %s crashed", tool.name)
        return ToolResult.error(f"{tool.name} failed unexpectedly: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class ToolsNode:
    """The `tools` node: one ToolMessage per call, or an approval the gate waits on."""

    toolbox: Toolbox
    backend: GateBackend

    def __call__(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        caller, thread_id = caller_of(config)
        last = state["messages"][-1]
        out: list[ToolMessage] = []
        awaiting: list[dict[str, str]] = []
        for call in getattr(last, "tool_calls", []):
            name, call_id, raw = call["name"], call["id"], call.get("args") or {}
            tool = self.toolbox.get(name)
            if tool is None:
                available = ", ".join(self.toolbox.names())
                message = f"unknown tool {name!r}; available: {available}"
                out.append(tool_message(call_id, name, ToolResult.error(message)))
            elif tool.access == Access.GATED:
                refused = self._request(tool, call_id, raw, caller, thread_id)
                if isinstance(refused, ToolMessage):
                    out.append(refused)
                else:
                    awaiting.append(refused)
            else:
                out.append(self._run(tool, call_id, raw, caller, thread_id))
        return {"messages": out, "awaiting": awaiting}

    def _request(
        self, tool: OpsTool, call_id: str, raw: dict[str, Any], caller: Caller, thread_id: str
    ) -> ToolMessage | dict[str, str]:
        """A pending approval for a gated call (what the gate waits on), or the error
        message when its arguments or its dry run fail."""
        name = tool.name
        try:
            args = tool.parse(raw)
            preview = tool.preview(args) if tool.preview else ""
            risk = tool.risk_of(args)
        except ToolError as exc:
            return tool_message(call_id, name, ToolResult.error(str(exc)))
        except Exception as exc:
            log.exception("preview of %s crashed", name)
            return tool_message(
                call_id,
                name,
                ToolResult.error(f"could not prepare {name}: {type(exc).__name__}: {exc}"),
            )
        view = self.backend.request(
            thread_id=thread_id,
            tool_call_id=call_id,
            tool=tool,
            args=args.model_dump(mode="json"),
            caller=caller,
            preview=redact(preview),
            risk=risk,
        )
        if view.id != approval_id_for(thread_id, call_id):
            return tool_message(call_id, name, already_pending(view))
        return {"approval_id": view.id, "tool_call_id": call_id, "name": name}

    def _run(
        self, tool: OpsTool, call_id: str, raw: dict[str, Any], caller: Caller, thread_id: str
    ) -> ToolMessage:
        """Run a read or write tool now (an `execute_tool` span of the turn); writes are
        audited."""
        trace = current_trace()
        if trace is None:
            result = run_tool(tool, raw, caller)
        else:
            with trace.span(TOOL, tool_name=tool.name) as span:
                result = run_tool(tool, raw, caller)
                span.error = not result.ok
        if tool.access == Access.WRITE:
            self.backend.audit(
                caller=caller, tool=tool.name, args=raw, result=result, thread_id=thread_id
            )
        return tool_message(call_id, tool.name, result)
