"""The chat agent: a LangGraph loop of model -> tools -> (approval gate) -> model.

The approval gate is code. Any call to a tool whose `Access` is GATED becomes a persisted
approval and the graph stops at an `interrupt` until the approval is decided; the model's
words cannot change that. After a decision the graph is resumed (from any process: the
state lives in the checkpointer, the approval in the database) and the action runs exactly
once through the backend.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from core.access import Caller
from core.approvals import APPROVED, ASIDE, PENDING, ApprovalView, outcome_ok, outcome_text
from core.clock import utcnow
from core.questions import problem
from graphs.gate import GateBackend
from graphs.llm import describe_failure, is_offline, model_name
from graphs.observe import (
    CHAT,
    TOOL,
    TurnRecorder,
    current_trace,
    model_of,
    observed_turn,
    usage_of,
)
from graphs.state import AgentState
from graphs.tool_node import ToolsNode, caller_config, tool_message
from graphs.turns import ToolCallRecord, TurnResult, turn_result
from tools.base import Toolbox, ToolResult

log = logging.getLogger(__name__)


@dataclass
class AgentDeps:
    model: Any
    toolbox: Toolbox
    backend: GateBackend
    system_prompt: Callable[[], str]
    max_steps: int = 8
    recorder: TurnRecorder | None = None  # keeps each turn's spans (graphs/observe.py)


def bind_tools(deps: AgentDeps) -> Any:
    """The chat model with the toolbox's schemas bound (the last one marked for prompt
    caching, which offline planners do not understand)."""
    schemas = [tool.schema() for tool in deps.toolbox]
    if schemas and not is_offline(deps.model):
        schemas[-1] = {**schemas[-1], "cache_control": {"type": "ephemeral"}}
    return deps.model.bind_tools(schemas) if schemas else deps.model


@dataclass(frozen=True)
class ModelNode:
    """The `agent` node: one model call over the system prompt and the thread; a failed
    call becomes an apology that ends the turn (nothing was run)."""

    model: Any
    system_prompt: Callable[[], str]
    name: str = ""  # the model's name for the turn's `chat` spans

    def __call__(self, state: AgentState) -> dict[str, Any]:
        prompt = self.system_prompt()
        system = SystemMessage(
            content=[{"type": "text", "text": prompt, "cache_control": {"type": "ephemeral"}}]
        )
        began, started, failed = utcnow(), time.monotonic(), False
        try:
            reply = self.model.invoke([system, *state["messages"]])
        except Exception as exc:
            log.warning("model call failed: %s: %s", type(exc).__name__, exc)
            failed = True
            reply = AIMessage(
                content=(
                    f"Sorry, I could not finish: {describe_failure(exc)}. Nothing was changed. "
                    "Please try again in a minute."
                )
            )
        trace = current_trace()
        if trace is not None:
            tokens_in, tokens_out = (None, None) if failed else usage_of(reply)
            # the system prompt as served (graphs/prompts.py:SystemPrompt.served)
            served = getattr(self.system_prompt, "served", None) or ("", None, "")
            trace.add(
                CHAT, began, time.monotonic() - started, error=failed,
                model=self.name if failed else model_of(reply, self.name),
                input_tokens=tokens_in, output_tokens=tokens_out,
                prompt_name=served[0], prompt_version=served[1], prompt_label=served[2],
            )  # fmt: skip
        return {"messages": [reply]}


@dataclass(frozen=True)
class GateNode:
    """The `gate` node: wait (interrupt) while any requested approval is pending, run the
    approved ones exactly once through the backend, report each outcome to the model."""

    backend: GateBackend

    def __call__(self, state: AgentState) -> dict[str, Any]:
        awaiting = state.get("awaiting") or []
        views = [self.backend.view(item["approval_id"]) for item in awaiting]
        while any(v.status == PENDING for v in views):
            interrupt({"approvals": [v.to_json() for v in views if v.status == PENDING]})
            views = [self.backend.view(item["approval_id"]) for item in awaiting]
        out = []
        for item, view in zip(awaiting, views, strict=True):
            if view.status == APPROVED:
                view = _observed_execute(self.backend, view, item["name"])
            ok = outcome_ok(view)
            result = ToolResult(
                text=outcome_text(view),
                data={"approval_id": view.id, "status": view.status},
                ok=ok,
            )
            out.append(tool_message(item["tool_call_id"], item["name"], result))
        return {"messages": out, "awaiting": []}


def _observed_execute(backend: GateBackend, view: ApprovalView, tool: str) -> ApprovalView:
    """Run an approved action once, as an `execute_tool` span of the turn."""
    trace = current_trace()
    if trace is None:
        return backend.execute(view.id)
    with trace.span(TOOL, tool_name=tool) as span:
        done = backend.execute(view.id)
        span.error = not outcome_ok(done)
    return done


def after_agent(state: AgentState) -> str:
    last = state["messages"][-1]
    return "tools" if getattr(last, "tool_calls", None) else END


def after_tools(state: AgentState) -> str:
    return "gate" if state.get("awaiting") else "agent"


def build_graph(deps: AgentDeps, checkpointer: Any) -> Any:
    """model -> tools -> (gate) -> model, compiled over `checkpointer`."""
    graph = StateGraph(AgentState)
    graph.add_node("agent", ModelNode(bind_tools(deps), deps.system_prompt, model_name(deps.model)))
    graph.add_node("tools", ToolsNode(deps.toolbox, deps.backend))
    graph.add_node("gate", GateNode(deps.backend))
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

    def has_thread(self, thread_id: str) -> bool:
        """True when this thread has a conversation already (its checkpoint exists)."""
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return bool(snapshot.values)

    def ask(self, text: str, *, thread_id: str, caller: Caller) -> TurnResult:
        refused = problem(text, empty_ok=True)
        if refused is not None:  # nothing is planned, stored or called
            return TurnResult(thread_id=thread_id, answer=refused)
        note = None
        if self.is_paused(thread_id):
            waiting = self.pending(thread_id)
            ids = ", ".join(v.id for v in waiting) or "an approval"
            note = f"This thread is waiting for a decision on {ids}; I answered your new question separately."
            self._seed_aside(thread_id, f"{thread_id}{ASIDE}")
            thread_id = f"{thread_id}{ASIDE}"
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
        """One run of the graph, observed as one trace (its id is the result's)."""
        with observed_turn(self.deps.recorder, model_name(self.deps.model)) as trace:
            result = self._invoke(payload, config, note)
            result.trace_id = trace.trace_id
            return result

    def _invoke(self, payload: Any, config: dict[str, Any], note: str | None) -> TurnResult:
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

    def _seed_aside(self, paused: str, aside: str) -> None:
        """A new aside thread starts with the conversation so far (what was asked and what
        was answered), so "do the same to B" or "and its drift?" resolve there too. Tool
        calls and results stay behind: the paused one has no result yet, and a model API
        refuses a call without one."""
        aside_config = {"configurable": {"thread_id": aside}}
        existing = self.graph.get_state(aside_config)
        if existing.values and existing.values.get("messages"):
            return
        snapshot = self.graph.get_state({"configurable": {"thread_id": paused}})
        messages = snapshot.values.get("messages", []) if snapshot.values else []
        history = [
            m
            for m in messages
            if isinstance(m, HumanMessage)
            or (isinstance(m, AIMessage) and not m.tool_calls and m.content)
        ]
        if history:
            update = {"messages": history, "awaiting": []}
            self.graph.update_state(aside_config, update, as_node="agent")

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
        messages = snapshot.values.get("messages", []) if snapshot.values else []
        pending = self.pending(thread_id) if snapshot.next else []
        return turn_result(thread_id, messages, pending, note)


__all__ = [
    "Agent",
    "AgentDeps",
    "AgentState",
    "ToolCallRecord",
    "TurnResult",
    "build_graph",
    "caller_config",
    "outcome_text",
]
