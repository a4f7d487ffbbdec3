"""OTLP export requests built with the protocol's own messages, for the intake tests."""

from __future__ import annotations

import os
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from core.clock import utcnow


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def now_nanos() -> int:
    return int(utcnow().timestamp() * 1e9)


def span(
    attrs: dict[str, Any] | None = None,
    *,
    duration_ms: float = 100.0,
    error: bool = False,
    span_id: bytes | None = None,
    start: int | None = None,
) -> Span:
    begin = start if start is not None else now_nanos() - 60_000_000_000
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-sonnet-5-5"}
    return Span(
        trace_id=os.urandom(16),
        span_id=span_id if span_id is not None else os.urandom(8),
        name="chat claude-sonnet-5-5",
        start_time_unix_nano=begin,
        end_time_unix_nano=begin + int(duration_ms * 1e6),
        attributes=[_kv(k, v) for k, v in (attributes | (attrs or {})).items()],
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_OK),
    )


def export(*spans: Span, service: str = "support-bot") -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(_kv("service.name", service))
    resource_spans.scope_spans.add().spans.extend(spans)
    return request
