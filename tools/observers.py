"""Observers of tool calls: who wants to know that a tool ran (metrics, for one).

Every call goes through `OpsTool.invoke`, which reports it here once it has a result. tools/
knows nothing of what an observer does with it (bot/metrics.py counts calls by tool, front
end and outcome), so tools/ stays free of prometheus_client. An observer that raises is
logged and never breaks the call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# outcomes of a call
OK = "ok"  # the tool answered
ERROR = "error"  # the tool answered with a failure: bad arguments, a refusal, a dependency down
FAILED = "failed"  # the tool raised something unforeseen (a bug): logged with its traceback


@dataclass(frozen=True)
class ToolCall:
    tool: str
    via: str  # the caller's front end: slack, console, cli, scheduler, system...
    outcome: str  # OK, ERROR or FAILED
    seconds: float


ToolObserver = Callable[[ToolCall], None]

_observers: list[ToolObserver] = []
_lock = threading.Lock()


def add_tool_observer(observer: ToolObserver) -> None:
    """Call `observer` after every tool call in this process (once, however often added)."""
    with _lock:
        if observer not in _observers:
            _observers.append(observer)


def remove_tool_observer(observer: ToolObserver) -> None:
    with _lock:
        if observer in _observers:
            _observers.remove(observer)


def notify(call: ToolCall) -> None:
    """Tell every observer; one failing is logged and does not stop the others."""
    for observer in tuple(_observers):
        try:
            observer(call)
        except Exception:
            log.exception("tool observer %r failed", observer)
