"""The agent as the front ends see it: its own interface, with no LangGraph in sight.

`graphs.agent.Agent` implements `AgentPort`; front ends (Slack, console, CLI, scheduler) are
typed against this protocol, so importing it loads neither LangGraph nor LangChain and a
front end never reaches into the graph (`get_state`, checkpoints) itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from core.access import Caller
from core.approvals import ApprovalView

if TYPE_CHECKING:
    from graphs.turns import TurnResult


class AgentPort(Protocol):
    def ask(self, text: str, *, thread_id: str, caller: Caller) -> TurnResult:
        """Answer `text` in `thread_id` (a paused thread answers in its `~aside`)."""
        ...

    def resume(self, thread_id: str, caller: Caller) -> TurnResult:
        """Continue a thread paused at the approval gate."""
        ...

    def is_paused(self, thread_id: str) -> bool:
        """True while the thread waits for a decision."""
        ...

    def pending(self, thread_id: str) -> Sequence[ApprovalView]:
        """The approvals the thread waits for."""
        ...

    def has_thread(self, thread_id: str) -> bool:
        """True when the thread has a conversation already."""
        ...
