"""From an OTLP `ExportTraceServiceRequest` to the LLM calls we keep, and the spans refused.

A span is an LLM call when it carries OpenTelemetry's GenAI semantic conventions
(`gen_ai.operation.name` or `gen_ai.request.model`); other spans are not ours and are passed
over (neither kept nor rejected). An LLM span without its ids or times, or with a value that
cannot be stored, is rejected with its reason (OTLP's `partial_success`).

The prompt a call used comes from opsbot's own attributes (`opsbot.prompt.name`, `.version`,
`.label`) or from the Langfuse SDK's: `langfuse.observation.prompt.name` and
`langfuse.observation.prompt.version`, as the Langfuse server's OTel attribute list names them
(`LangfuseOtelSpanAttributes` in packages/shared/src/server/otel/attributes.ts, mirrored by the
JS SDK's @langfuse/core constants and the Python SDK's `PROMPT_NAME` / `PROMPT_VERSION`; found
with the search tool in the docs and code corpora).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.clock import utcnow
from core.errors import Invalid

OPERATION, REQUEST_MODEL, RESPONSE_MODEL = (
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
)
INPUT_TOKENS, OUTPUT_TOKENS = "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"
TOOL_NAME = "gen_ai.tool.name"  # of an `execute_tool` span
PROMPT_NAME = ("opsbot.prompt.name", "langfuse.observation.prompt.name")
PROMPT_VERSION = ("opsbot.prompt.version", "langfuse.observation.prompt.version")
PROMPT_LABEL = ("opsbot.prompt.label",)
STATUS_CODE_ERROR = 2  # opentelemetry.proto.trace.v1.Status.STATUS_CODE_ERROR
MAX_AHEAD = timedelta(hours=1)  # a start further ahead of our clock is refused
LIMITS = {
    "model": 200,
    "operation": 64,
    "service": 200,
    "prompt_name": 200,
    "prompt_label": 100,
    "tool_name": 100,
}
MAX_TOKENS = 2**31 - 1  # the columns are 32-bit integers


@dataclass(frozen=True)
class LlmCall:
    """One LLM call as stored."""

    trace_id: str  # 32 hex characters
    span_id: str  # 16 hex characters
    start: datetime
    duration_ms: float
    error: bool
    model: str
    operation: str
    input_tokens: int | None
    output_tokens: int | None
    service: str
    prompt_name: str
    prompt_version: int | None
    prompt_label: str
    tool_name: str = ""  # an `execute_tool` span's gen_ai.tool.name


@dataclass
class Intake:
    """What one request brought: the calls to keep, the rejections with their reasons."""

    calls: list[LlmCall] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    ignored: int = 0  # spans that are not LLM calls


class Rejected(Invalid):
    """A span cannot be kept; the message is the reason."""


def _value(any_value: Any) -> Any:
    """An OTLP AnyValue as Python (strings, numbers, booleans; others as None)."""
    kind = any_value.WhichOneof("value")
    if kind in ("string_value", "int_value", "double_value", "bool_value"):
        return getattr(any_value, kind)
    return None


def attributes(key_values: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in key_values}


def _first(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((attrs[k] for k in keys if attrs.get(k) not in (None, "")), None)


def _text(attrs: Mapping[str, Any], keys: tuple[str, ...], what: str) -> str:
    value = _first(attrs, keys)
    if value is None:
        return ""
    text = str(value)
    if len(text) > LIMITS[what]:
        raise Rejected(f"{keys[0]} is longer than {LIMITS[what]} characters")
    if "\x00" in text:
        raise Rejected(f"{keys[0]} contains a NUL character")
    return text


def _count(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    value = _first(attrs, keys)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # Langfuse sends the prompt version as a string attribute too
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS:
        raise Rejected(f"{keys[0]} must be a whole number from 0 to {MAX_TOKENS} (got {value!r})")
    return value


def _when(nanos: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanos // 1000)


def llm_call(span: Any, service: str, now: datetime) -> LlmCall:
    """The LLM call `span` records, or Rejected with the reason."""
    if len(span.trace_id) != 16 or not any(span.trace_id):
        raise Rejected("trace_id must be 16 bytes, not all zero (32 hex characters in JSON)")
    if len(span.span_id) != 8 or not any(span.span_id):
        raise Rejected("span_id must be 8 bytes, not all zero (16 hex characters in JSON)")
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if not start or not end:
        raise Rejected("start_time_unix_nano and end_time_unix_nano are required")
    if end < start:
        raise Rejected("end_time_unix_nano is before start_time_unix_nano")
    began = _when(start)
    if began > now + MAX_AHEAD:
        raise Rejected("start_time_unix_nano is more than an hour ahead of opsbot's clock")
    attrs = attributes(span.attributes)
    model = _text(attrs, (REQUEST_MODEL, RESPONSE_MODEL), "model")
    return LlmCall(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        start=began,
        duration_ms=(end - start) / 1e6,
        error=span.status.code == STATUS_CODE_ERROR,
        model=model,
        operation=_text(attrs, (OPERATION,), "operation"),
        input_tokens=_count(attrs, (INPUT_TOKENS,)),
        output_tokens=_count(attrs, (OUTPUT_TOKENS,)),
        service=service,
        prompt_name=_text(attrs, PROMPT_NAME, "prompt_name"),
        prompt_version=_count(attrs, PROMPT_VERSION),
        prompt_label=_text(attrs, PROMPT_LABEL, "prompt_label"),
        tool_name=_text(attrs, (TOOL_NAME,), "tool_name"),
    )


def _spans(request: Any) -> Iterator[tuple[Any, str]]:
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        service = str(resource.get("service.name") or "")[: LIMITS["service"]].replace("\x00", "")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield span, service


def is_llm_span(span: Any) -> bool:
    return any(kv.key in (OPERATION, REQUEST_MODEL) for kv in span.attributes)


def read_request(request: Any, now: datetime | None = None) -> Intake:
    """Sort the spans of an `ExportTraceServiceRequest` into kept, rejected and ignored."""
    now = now or utcnow()
    intake = Intake()
    for span, service in _spans(request):
        if not is_llm_span(span):
            intake.ignored += 1
            continue
        try:
            intake.calls.append(llm_call(span, service, now))
        except Rejected as exc:
            intake.rejected.append(f"span {span.span_id.hex() or '(no id)'}: {exc}")
    return intake
