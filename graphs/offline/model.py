"""The offline planner as a LangChain chat model, so the same agent graph runs with or
without Claude. On a human message it plans tool calls; after tool results it writes the
answer from them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict

from graphs.offline.compose import Outcome, compose
from graphs.offline.entities import Vocabulary
from graphs.offline.planner import Planner
from graphs.offline.recall import LastResult, merged, recall
from graphs.offline.semantic import SemanticRouter


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in content
    )


class OfflinePlanner(BaseChatModel):
    """A deterministic chat model: intent rules and entity matching, no network."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    vocabulary: Callable[[], Vocabulary] = Vocabulary
    tool_names: frozenset[str] = frozenset()
    semantic: SemanticRouter | None = None  # shared by the copies bind_tools makes

    @property
    def _llm_type(self) -> str:
        return "opsbot-offline-planner"

    def bind_tools(self, tools: Sequence[Any], **_: Any) -> OfflinePlanner:
        names = set()
        for tool in tools:
            if isinstance(tool, dict):
                names.add(tool.get("name") or tool.get("function", {}).get("name"))
            else:
                names.add(getattr(tool, "name", None))
        return self.model_copy(update={"tool_names": frozenset(n for n in names if n)})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._respond(messages)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _respond(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1] if messages else None
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        if isinstance(last, ToolMessage):
            question = _text_of(humans[-1]) if humans else ""
            return AIMessage(content=compose(self._outcomes(messages), question))
        if not humans:
            return AIMessage(
                content="Ask me something about the host, models, prompts or runbooks."
            )
        text = _text_of(humans[-1])
        history = [_text_of(m) for m in humans[:-1]]
        planner = Planner(self.vocabulary(), set(self.tool_names), self.semantic)
        plan = planner.plan(text, history, last_result(messages))
        if plan.calls:
            calls = [
                {
                    "name": name,
                    "args": args,
                    "id": f"call_{uuid.uuid4().hex[:16]}",
                    "type": "tool_call",
                }
                for name, args in plan.calls
            ]
            return AIMessage(content="", tool_calls=calls)
        return AIMessage(content=plan.reply or "")

    @staticmethod
    def _outcomes(messages: list[BaseMessage]) -> list[Outcome]:
        """Results of the tool calls made since the last human message, in call order."""
        start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        return outcomes_of(messages[start + 1 :])


_RECALL_TURNS = 3  # how many earlier turns are searched for the last one with tool results


def last_result(messages: list[BaseMessage]) -> LastResult:
    """The items of the last earlier turn that ran tools (a clarifying question in between,
    "which one?", keeps the result it asked about), with the incidents, versions and drift
    features it lacks from the turns before it (`merged`); empty when there is none."""
    humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    results = []
    for start, end in reversed(list(pairwise(humans))[-_RECALL_TURNS:]):
        outcomes = outcomes_of(messages[start + 1 : end])
        if outcomes:
            results.append(recall(_text_of(messages[start]), outcomes))
    return merged(results)


def outcomes_of(messages: Sequence[BaseMessage]) -> list[Outcome]:
    """The tool results among `messages` (one turn's), with their calls, in call order."""
    calls: dict[str | None, tuple[str, dict[str, Any]]] = {}  # LangChain's ids may be None
    outcomes: list[Outcome] = []
    for message in messages:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                calls[call["id"]] = (call["name"], call.get("args", {}))
        elif isinstance(message, ToolMessage):
            name, args = calls.get(message.tool_call_id, (message.name or "tool", {}))
            artifact = message.artifact if isinstance(message.artifact, dict) else {}
            outcomes.append(
                Outcome(
                    name=name,
                    args=args,
                    text=_text_of(message),
                    data=artifact.get("data"),
                    ok=message.status != "error",
                )
            )
    return outcomes
