"""The chat agent: a LangGraph loop of model -> tools -> (approval gate) -> model.

The approval gate is code. Any call to a tool whose `Access` is GATED becomes a persisted
approval and the graph stops at an `interrupt` until the approval is decided; the model's
words cannot change that. After a decision the graph is resumed (from any process: the
state lives in the checkpointer, the approval in the database) and the action runs exactly
once through the backend.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Command, interrupt

from graphs.gate import (
    APPROVED,
    EXECUTED,
    EXECUTING,
    EXPIRED,
    FAILED,
    PENDING,
    REJECTED,
    ApprovalView,
    GateBackend,
)
from graphs.llm import describe_failure, is_offline, message_text
from tools.base import Access, Caller, OpsTool, Toolbox, ToolError, ToolResult
from tools.redact import redact, redact_data

log = logging.getLogger(__name__)

MAX_TOOL_TEXT = 12_000


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    awaiting: list[dict[str, str]]


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

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "tool_calls": [{"name": c.name, "args": c.args} for c in self.tool_calls],
            "pending_approval": self.pending[0].to_json() if self.pending else None,
        }

    @property
    def files(self) -> list[str]:
        return [f for call in self.tool_calls for f in call.files]


def caller_config(caller: Caller, thread_id: str) -> dict[str, Any]:
    return {
        "configurable": {
            "thread_id": thread_id,
            "caller_user": caller.user,
            "caller_via": caller.via,
            "caller_channel": caller.channel or "",
        }
    }


def _caller(config: RunnableConfig) -> tuple[Caller, str]:
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
        },
    )


def run_tool(tool: OpsTool, raw_args: dict[str, Any], caller: Caller) -> ToolResult:
    try:
        return tool.invoke(raw_args, caller)
    except Exception as exc:  # a bug or an environment failure: report it, keep the turn alive
        log.exception("tool %s crashed", tool.name)
        return ToolResult.error(f"{tool.name} failed unexpectedly: {type(exc).__name__}: {exc}")


def outcome_text(view: ApprovalView, display: Callable[[str], str] | None = None) -> str:
    """One sentence on what became of an approval. `display` turns a user id into a name."""
    action = f"{view.tool}({', '.join(f'{k}={v!r}' for k, v in view.args.items())})"
    who = view.decided_by or "nobody"
    if display is not None and view.decided_by:
        who = display(view.decided_by)
    if view.status == EXECUTED:
        text = f"Approved by {who}. {action} ran: {view.result or 'done'}"
        if view.verification:
            text += f"\nVerification: {view.verification}"
        return text
    if view.status == FAILED:
        return f"Approved by {who}, but {action} failed: {view.result}"
    if view.status == REJECTED:
        return f"Rejected by {who}. {action} was not run; nothing was changed."
    if view.status == EXPIRED:
        return f"The approval for {action} expired without a decision; nothing was changed."
    if view.status == EXECUTING:
        return f"{action} is being executed by another worker; its outcome will be posted."
    return f"{action} is {view.status}."


@dataclass
class AgentDeps:
    model: Any
    toolbox: Toolbox
    backend: GateBackend
    system_prompt: Callable[[], str]
    max_steps: int = 8


def build_graph(deps: AgentDeps, checkpointer: Any) -> Any:
    toolbox = deps.toolbox
    schemas = [tool.schema() for tool in toolbox]
    offline = is_offline(deps.model)
    if schemas and not offline:
        schemas[-1] = {**schemas[-1], "cache_control": {"type": "ephemeral"}}
    model = deps.model.bind_tools(schemas) if schemas else deps.model

    def agent(state: AgentState) -> dict[str, Any]:
        prompt = deps.system_prompt()
        system = SystemMessage(
            content=[{"type": "text", "text": prompt, "cache_control": {"type": "ephemeral"}}]
        )
        try:
            reply = model.invoke([system, *state["messages"]])
        except Exception as exc:
            log.warning("model call failed: %s: %s", type(exc).__name__, exc)
            reply = AIMessage(
                content=(
                    f"Sorry, I could not finish: {describe_failure(exc)}. Nothing was changed. "
                    "Please try again in a minute."
                )
            )
        return {"messages": [reply]}

    def tools(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        caller, thread_id = _caller(config)
        last = state["messages"][-1]
        out: list[ToolMessage] = []
        awaiting: list[dict[str, str]] = []
        for call in getattr(last, "tool_calls", []):
            name, call_id, raw = call["name"], call["id"], call.get("args") or {}
            tool = toolbox.get(name)
            if tool is None:
                out.append(
                    tool_message(
                        call_id,
                        name,
                        ToolResult.error(
                            f"unknown tool {name!r}; available: {', '.join(toolbox.names())}"
                        ),
                    )
                )
                continue
            if tool.access == Access.GATED:
                try:
                    args = tool.parse(raw)
                    preview = tool.preview(args) if tool.preview else ""
                    risk = tool.risk_of(args)
                except ToolError as exc:
                    out.append(tool_message(call_id, name, ToolResult.error(str(exc))))
                    continue
                except Exception as exc:
                    log.exception("preview of %s crashed", name)
                    out.append(
                        tool_message(
                            call_id,
                            name,
                            ToolResult.error(
                                f"could not prepare {name}: {type(exc).__name__}: {exc}"
                            ),
                        )
                    )
                    continue
                view = deps.backend.request(
                    thread_id=thread_id,
                    tool_call_id=call_id,
                    tool=tool,
                    args=args.model_dump(mode="json"),
                    caller=caller,
                    preview=redact(preview),
                    risk=risk,
                )
                awaiting.append({"approval_id": view.id, "tool_call_id": call_id, "name": name})
                continue
            result = run_tool(tool, raw, caller)
            if tool.access == Access.WRITE:
                deps.backend.audit(
                    caller=caller, tool=name, args=raw, result=result, thread_id=thread_id
                )
            out.append(tool_message(call_id, name, result))
        return {"messages": out, "awaiting": awaiting}

    def gate(state: AgentState) -> dict[str, Any]:
        awaiting = state.get("awaiting") or []
        views = [deps.backend.view(item["approval_id"]) for item in awaiting]
        while any(v.status == PENDING for v in views):
            interrupt({"approvals": [v.to_json() for v in views if v.status == PENDING]})
            views = [deps.backend.view(item["approval_id"]) for item in awaiting]
        out = []
        for item, view in zip(awaiting, views, strict=True):
            if view.status == APPROVED:
                view = deps.backend.execute(view.id)
            ok = view.status not in (FAILED, REJECTED, EXPIRED)
            result = ToolResult(
                text=outcome_text(view),
                data={"approval_id": view.id, "status": view.status},
                ok=ok,
            )
            out.append(tool_message(item["tool_call_id"], item["name"], result))
        return {"messages": out, "awaiting": []}

    def after_agent(state: AgentState) -> str:
        last = state["messages"][-1]
        return "tools" if getattr(last, "tool_calls", None) else END

    def after_tools(state: AgentState) -> str:
        return "gate" if state.get("awaiting") else "agent"

    graph = StateGraph(AgentState)
    graph.add_node("agent", agent)
    graph.add_node("tools", tools)
    graph.add_node("gate", gate)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", after_agent, ["tools", END])
    graph.add_conditional_edges("tools", after_tools, ["gate", "agent"])
    graph.add_edge("gate", "agent")
    return graph.compile(checkpointer=checkpointer)


class Agent:
    """One conversation turn at a time, keyed by thread id."""

    def __init__(self, deps: AgentDeps, checkpointer: Any) -> None:
        self.deps = deps
        self.graph = build_graph(deps, checkpointer)

    def _limit(self) -> int:
        return self.deps.max_steps * 3 + 4

    def pending(self, thread_id: str) -> list[ApprovalView]:
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        ids = [
            a["id"]
            for intr in (snapshot.interrupts or ())
            for a in (intr.value or {}).get("approvals", [])
        ]
        return [self.deps.backend.view(i) for i in ids]

    def is_paused(self, thread_id: str) -> bool:
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return bool(snapshot.next)

    def ask(self, text: str, *, thread_id: str, caller: Caller) -> TurnResult:
        note = None
        if self.is_paused(thread_id):
            waiting = self.pending(thread_id)
            ids = ", ".join(v.id for v in waiting) or "an approval"
            note = f"This thread is waiting for a decision on {ids}; I answered your new question separately."
            thread_id = f"{thread_id}~aside"
            if self.is_paused(thread_id):
                return TurnResult(
                    thread_id=thread_id,
                    answer=f"This thread is waiting for decisions ({ids}). Approve or reject first.",
                    pending=waiting,
                )
        config = caller_config(caller, thread_id) | {"recursion_limit": self._limit()}
        self._repair(config)
        return self._run({"messages": [HumanMessage(content=text)]}, config, note)

    def resume(self, thread_id: str, caller: Caller) -> TurnResult:
        """Continue a thread paused at the gate (after a decision, or to report expiry)."""
        config = caller_config(caller, thread_id) | {"recursion_limit": self._limit()}
        if not self.is_paused(thread_id):
            return self._result(config, None)
        return self._run(Command(resume={"by": caller.user}), config, None)

    def _run(self, payload: Any, config: dict[str, Any], note: str | None) -> TurnResult:
        try:
            self.graph.invoke(payload, config, durability="sync")
        except GraphRecursionError:
            self._repair(config)
            result = self._result(config, note)
            result.answer = (
                f"I stopped after {self.deps.max_steps} steps without a final answer. "
                "Here is what I found so far:\n" + result.answer
            ).strip()
            return result
        return self._result(config, note)

    def _repair(self, config: dict[str, Any]) -> None:
        """Answer dangling tool calls (left by a step limit or a crash) so the model API
        never sees a tool call without its result."""
        snapshot = self.graph.get_state(config)
        if snapshot.next and "gate" in snapshot.next:
            return
        messages = snapshot.values.get("messages", []) if snapshot.values else []
        if not messages or not isinstance(messages[-1], AIMessage) or not messages[-1].tool_calls:
            return
        fixes: list[BaseMessage] = [
            ToolMessage(
                content="not run: the previous turn stopped before this call",
                tool_call_id=call["id"],
                name=call["name"],
                status="error",
            )
            for call in messages[-1].tool_calls
        ]
        fixes.append(AIMessage(content="(The previous turn stopped early.)"))
        self.graph.update_state(config, {"messages": fixes, "awaiting": []}, as_node="agent")

    def _result(self, config: dict[str, Any], note: str | None) -> TurnResult:
        thread_id = config["configurable"]["thread_id"]
        snapshot = self.graph.get_state(config)
        messages: list[BaseMessage] = snapshot.values.get("messages", []) if snapshot.values else []
        start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        turn = messages[start + 1 :]
        records: dict[str | None, ToolCallRecord] = {}  # LangChain's call ids may be None
        answer = ""
        for message in turn:
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    records[call["id"]] = ToolCallRecord(call["name"], dict(call.get("args") or {}))
                if not message.tool_calls:
                    answer = message_text(message)
            elif isinstance(message, ToolMessage):
                record = records.get(message.tool_call_id)
                if record is None:
                    continue
                artifact = message.artifact if isinstance(message.artifact, dict) else {}
                record.ok = artifact.get("ok", message.status != "error")
                record.text = message_text(message)
                record.data = artifact.get("data")
                record.files = list(artifact.get("files", []))
                if isinstance(record.data, dict) and "approval_id" in record.data:
                    record.approval_id = record.data["approval_id"]
        pending = self.pending(thread_id) if snapshot.next else []
        if pending and not answer:
            lines = [
                f"Approval needed ({v.id}, risk {v.risk}): {v.tool} — {v.preview.splitlines()[0] if v.preview else ''}"
                for v in pending
            ]
            answer = "\n".join(lines) + "\nAn authorised on-call engineer must approve or reject."
        if note:
            answer = f"({note})\n{answer}"
        return TurnResult(thread_id, answer, list(records.values()), pending, note)
