"""opsbot's own turns kept as LLM spans: the `TurnRecorder` port of graphs/observe.py,
implemented with the span store of tools/llmops (service `opsbot`).

So opsbot's Claude calls (or the offline planner's turns) show up beside the apps' in
`llm_usage` and `prompt_metrics` (its system prompt is `opsbot-system`), its tool calls and
turns in `opsbot usage`, and a 👍/👎 on an answer joins the answer's trace. The spans are
bounded by the store's retention and row cap (LLM_SPAN_RETENTION_DAYS, LLM_SPAN_MAX_ROWS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.llmops.spans import LIMITS, LlmCall

if TYPE_CHECKING:
    from graphs.observe import TurnTrace
    from tools.llmops.store import SpanStore

SERVICE = "opsbot"


class SelfTraces:
    """Keeps each finished turn's spans in one transaction."""

    def __init__(self, spans: SpanStore) -> None:
        self.spans = spans

    def record(self, trace: TurnTrace) -> None:
        calls = [
            LlmCall(
                trace_id=trace.trace_id,
                span_id=span.span_id,
                start=span.start,
                duration_ms=span.duration_ms,
                error=span.error,
                model=span.model[: LIMITS["model"]],
                operation=span.operation,
                input_tokens=span.input_tokens,
                output_tokens=span.output_tokens,
                service=SERVICE,
                prompt_name=span.prompt_name[: LIMITS["prompt_name"]],
                prompt_version=span.prompt_version,
                prompt_label=span.prompt_label[: LIMITS["prompt_label"]],
                tool_name=span.tool_name[: LIMITS["tool_name"]],
            )
            for span in trace.spans
        ]
        self.spans.add(calls)
