"""The agent graph's state: the conversation's messages and the approvals a turn waits for.
Its own module so that every node (graphs/agent.py, graphs/tool_node.py) can name it."""

from __future__ import annotations

from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    awaiting: list[dict[str, str]]
