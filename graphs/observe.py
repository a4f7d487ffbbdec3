"""opsbot observing itself: each agent turn as one trace of spans, the turn (`invoke_agent`),
each model call (`chat`: the model, tokens in and out from the reply's usage, latency,
failed or not) and each tool call (`execute_tool` with the tool's name), named after
OpenTelemetry's GenAI operations.

The graph knows no storage: `Agent` is given a `TurnRecorder` (the port; bot/ implements it
with the LLM span store) and opens one `TurnTrace` per run, reachable from the nodes through
a context variable (LangGraph runs a node in the caller's context, or in a copy of it, so
the nodes of one run see the same trace). A recorder that fails is logged and never breaks
the turn.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.clock import utcnow

log = logging.getLogger(__name__)

TURN, CHAT, TOOL = "invoke_agent", "chat", "execute_tool"
TRIAGE = "triage"  # the root span of an incident's triage (graphs/triage.py), not a turn


@dataclass
class SpanRecord:
    """One span of a turn."""

    span_id: str  # 16 hex characters
    operation: str  # TURN (or TRIAGE), CHAT or TOOL
    start: datetime
    duration_ms: float
    error: bool = False
    model: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None
    tool_name: str = ""
    prompt_name: str = ""  # the system prompt a model call used, as served
    prompt_version: int | None = None
    prompt_label: str = ""


@dataclass
class TurnTrace:
    """The spans of one turn, under one trace id (what the answer's 👍/👎 buttons carry)."""

    trace_id: str = field(default_factory=lambda: secrets.token_hex(16))
    spans: list[SpanRecord] = field(default_factory=list)

    @contextmanager
    def span(self, operation: str, **fields: Any) -> Iterator[SpanRecord]:
        """Time the block as a span; an exception marks it failed (and goes on). The block
        may fill the span's fields (model, tokens) through what it is given."""
        began, started = utcnow(), time.monotonic()
        record = SpanRecord(secrets.token_hex(8), operation, began, 0.0, **fields)
        try:
            yield record
        except BaseException:
            record.error = True
            raise
        finally:
            record.duration_ms = round((time.monotonic() - started) * 1000, 3)
            self.spans.append(record)

    def add(self, operation: str, start: datetime, seconds: float, **fields: Any) -> None:
        """A span timed by its caller."""
        duration = round(seconds * 1000, 3)
        self.spans.append(SpanRecord(secrets.token_hex(8), operation, start, duration, **fields))


class TurnRecorder(Protocol):
    def record(self, trace: TurnTrace) -> None:
        """Keep the spans of one finished turn."""
        ...


_CURRENT: ContextVar[TurnTrace | None] = ContextVar("opsbot_turn_trace", default=None)


def current_trace() -> TurnTrace | None:
    """The trace of the turn running in this context, if it is observed."""
    return _CURRENT.get()


@contextmanager
def observed_turn(
    recorder: TurnRecorder | None, model: str, operation: str = TURN
) -> Iterator[TurnTrace]:
    """One turn as a trace: its `operation` span (`invoke_agent`, or `triage`) around the
    block, the nodes' spans inside it; recorded when the block ends (a failed record is
    logged, nothing more)."""
    trace = TurnTrace()
    token = _CURRENT.set(trace)
    try:
        with trace.span(operation, model=model):
            yield trace
    finally:
        _CURRENT.reset(token)
        if recorder is not None:
            try:
                recorder.record(trace)
            except Exception as exc:
                log.warning("could not record the turn's trace %s: %s", trace.trace_id, exc)


def usage_of(reply: Any) -> tuple[int | None, int | None]:
    """Input and output tokens of a model reply (LangChain's usage metadata, which Claude's
    replies carry and the offline planner's do not)."""
    usage = getattr(reply, "usage_metadata", None) or {}
    tokens_in, tokens_out = usage.get("input_tokens"), usage.get("output_tokens")
    return (
        int(tokens_in) if tokens_in is not None else None,
        int(tokens_out) if tokens_out is not None else None,
    )


def model_of(reply: Any, default: str) -> str:
    """The model that answered (the API's reply names it), else `default`."""
    metadata = getattr(reply, "response_metadata", None) or {}
    return str(metadata.get("model_name") or metadata.get("model") or default)
