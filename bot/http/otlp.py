"""`POST /v1/traces`: OTLP/HTTP trace export from LLM apps, kept when the spans are LLM calls.

Off (404 with the reason) while OTLP_TOKEN is unset; bearer-token protected; the body is
capped like every body (bot/http/limits.py: HTTP_MAX_BODY_BYTES), and a gzip body
(`Content-Encoding: gzip`) at most `INFLATE_FACTOR` times that once inflated. The body is an
`ExportTraceServiceRequest`, protobuf (`application/x-protobuf`) or OTLP's JSON mapping
(`application/json`), decoded by the `opentelemetry-proto` messages; the answer is an
`ExportTraceServiceResponse` in the request's encoding, with `partial_success` naming the
spans rejected and why (tools/llmops/spans.py says what is kept). A body that cannot be
decoded gets 400 with the reason and stores nothing; the kept spans of one request are
stored in one transaction. An app's exporter points here:

    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://opsbot:3000/v1/traces
    OTEL_EXPORTER_OTLP_TRACES_HEADERS="Authorization=Bearer $OTLP_TOKEN"

`LANGFUSE_PATH` (`/api/public/otel/v1/traces`, where Langfuse's SDK and OTLP exporters post)
is the same route, which also takes HTTP Basic `public key:secret key` with OTLP_TOKEN as the
secret key, so an app set up for Langfuse needs only its host pointed at opsbot.
"""

from __future__ import annotations

import base64
import binascii
import logging
import zlib
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.http.bearer import refused
from bot.http.bodies import BodyError, decode_json
from bot.http.deps import HttpDeps

log = logging.getLogger(__name__)

PATH = "/v1/traces"
LANGFUSE_PATH = "/api/public/otel/v1/traces"
PROTOBUF, JSON = "application/x-protobuf", "application/json"
INFLATE_FACTOR = 16  # a gzip body may inflate to this many times the body cap
MAX_REASONS = 20  # rejections named in partial_success.error_message


def inflate(raw: bytes, limit: int) -> bytes:
    """The gzip body inflated, or BodyError when it is not gzip or inflates past `limit`."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise BodyError(f"the body is not valid gzip: {exc}") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise BodyError(f"the gzip body inflates to more than {limit} bytes")
    if not inflater.eof:
        raise BodyError("the gzip body is truncated")
    return data


def _items(parent: Any, *keys: str) -> list[dict[str, Any]]:
    """The objects of the list `parent[key]` (camelCase or snake_case); the rest is left to
    `json_format`, which names what is wrong."""
    value = next((parent[k] for k in keys if isinstance(parent, dict) and k in parent), None)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _hex_ids(data: Any) -> None:
    """OTLP's JSON mapping writes trace and span ids as hex, where protobuf's JSON mapping
    expects base64: re-encode them before `json_format.ParseDict`. An id that is not hex is
    emptied, so that its span is rejected with the reason (tools/llmops/spans.py)."""
    for resource in _items(data, "resourceSpans", "resource_spans"):
        for scope in _items(resource, "scopeSpans", "scope_spans"):
            for span in _items(scope, "spans"):
                for key in ID_KEYS:
                    if isinstance(span.get(key), str):
                        try:
                            span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
                        except ValueError:
                            span[key] = ""


def decode(raw: bytes, content_type: str) -> ExportTraceServiceRequest:
    """The export request in `raw`, or BodyError with the reason."""
    request = ExportTraceServiceRequest()
    if content_type == PROTOBUF:
        try:
            request.ParseFromString(raw)
        except DecodeError as exc:
            raise BodyError(f"the body is not an OTLP ExportTraceServiceRequest: {exc}") from None
        return request
    data = decode_json(raw)
    if not isinstance(data, dict):
        raise BodyError("the body must be a JSON object (an OTLP ExportTraceServiceRequest)")
    _hex_ids(data)
    try:
        json_format.ParseDict(data, request, ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error, ValueError, TypeError) as exc:
        raise BodyError(f"the body is not an OTLP ExportTraceServiceRequest: {exc}") from None
    return request


def _answer(response: ExportTraceServiceResponse, content_type: str) -> Response:
    if content_type == PROTOBUF:
        return Response(response.SerializeToString(), 200, media_type=PROTOBUF)
    return Response(json_format.MessageToJson(response, indent=None), 200, media_type=JSON)


def otlp_routes(deps: HttpDeps) -> list[Route]:
    from tools.llmops.spans import Intake, read_request

    async def traces(request: Request) -> Response:
        denied = refused(
            request, deps.settings.otlp_token, "OTLP_TOKEN", "OTLP trace intake", basic=True
        )
        if denied is not None:
            return denied
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in (PROTOBUF, JSON):
            return JSONResponse({"error": f"Content-Type must be {PROTOBUF} or {JSON}"}, 415)
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("gzip", "identity", ""):
            return JSONResponse({"error": "Content-Encoding must be gzip or none"}, 415)
        limit = deps.settings.http_max_body_bytes * INFLATE_FACTOR

        def read(raw: bytes) -> Intake:
            return read_request(
                decode(inflate(raw, limit) if encoding == "gzip" else raw, content_type)
            )

        try:
            intake = await run_in_threadpool(read, await request.body())
        except BodyError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        try:
            await run_in_threadpool(deps.llm_spans().add, intake.calls)
        except Exception as exc:
            log.exception("OTLP trace intake failed")
            return JSONResponse({"error": f"could not store the spans: {type(exc).__name__}"}, 503)
        response = ExportTraceServiceResponse()
        if intake.rejected:
            response.partial_success.rejected_spans = len(intake.rejected)
            more = len(intake.rejected) - MAX_REASONS
            reasons = intake.rejected[:MAX_REASONS] + ([f"and {more} more"] if more > 0 else [])
            response.partial_success.error_message = "; ".join(reasons)
        return _answer(response, content_type)

    return [
        Route(PATH, traces, methods=["POST"]),
        Route(LANGFUSE_PATH, traces, methods=["POST"]),
    ]
