"""`POST /v1/traces` on a real HTTP server: protobuf, OTLP JSON, gzip, the token, bad bodies
and a batch with a bad span; nothing half-written."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from bot.http.app import create_app
from bot.http.otlp import otlp_routes
from bot.http.server import HttpServer
from tests.llmops.conftest import TOKEN
from tests.llmops.otlp_data import export, now_nanos, span

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROTOBUF = {**AUTH, "Content-Type": "application/x-protobuf"}


def _response(answer: httpx.Response) -> ExportTraceServiceResponse:
    assert answer.status_code == 200, answer.text
    parsed = ExportTraceServiceResponse()
    if answer.headers["content-type"].startswith("application/x-protobuf"):
        parsed.ParseFromString(answer.content)
    else:
        json_format.Parse(answer.text, parsed)
    return parsed


def test_protobuf_spans_are_kept_with_their_fields(url: str, runtime: Any) -> None:
    attrs = {
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 300,
        "opsbot.prompt.name": "triage",
        "opsbot.prompt.version": 3,
        "opsbot.prompt.label": "production",
    }
    good = span(attrs, duration_ms=250, error=True)
    not_llm = span()
    del not_llm.attributes[:]  # an HTTP span of the same app: not an LLM call, passed over
    body = export(good, not_llm).SerializeToString()
    parsed = _response(httpx.post(url, content=body, headers=PROTOBUF, timeout=10))
    assert not parsed.HasField("partial_success")
    assert runtime.llm_spans.count() == 1
    result = runtime.toolbox.get("prompt_metrics").invoke({"prompt": "triage"}, _caller())
    (group,) = result.data["groups"]
    assert group | {"cost_usd": None} == {
        "version": 3, "label": "production", "model": "claude-sonnet-5-5", "calls": 1,
        "errors": 1, "error_rate": 1.0, "p50_ms": 250.0, "p95_ms": 250.0,
        "input_tokens": 1200, "output_tokens": 300, "cost_usd": None, "unpriced_models": [],
        "feedback_mean": None, "feedback_count": 0,
    }  # fmt: skip
    assert group["cost_usd"] == pytest.approx((1200 * 2 + 300 * 10) / 1e6)
    usage = runtime.toolbox.get("llm_usage").invoke({}, _caller())
    assert usage.data["by_service"][0]["service"] == "support-bot"


def test_otlp_json_with_hex_ids_and_langfuse_prompt_attributes(url: str, runtime: Any) -> None:
    attrs = {"langfuse.observation.prompt.name": "faq", "langfuse.observation.prompt.version": 7}
    message = export(span(attrs))
    body = json.loads(json_format.MessageToJson(message))
    one = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    trace_hex = message.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    one["traceId"] = trace_hex  # OTLP's JSON mapping: ids in hex, not base64
    one["spanId"] = message.resource_spans[0].scope_spans[0].spans[0].span_id.hex()
    one["someFutureField"] = {"x": 1}  # unknown fields are ignored, as OTLP asks
    answer = httpx.post(url, json=body, headers=AUTH, timeout=10)
    assert answer.headers["content-type"].startswith("application/json")
    assert not _response(answer).HasField("partial_success")
    result = runtime.toolbox.get("prompt_metrics").invoke({"prompt": "faq"}, _caller())
    assert [(g["version"], g["calls"]) for g in result.data["groups"]] == [(7, 1)]


def test_gzip_bodies_are_inflated(url: str, runtime: Any) -> None:
    body = gzip.compress(export(span(), span()).SerializeToString())
    headers = {**PROTOBUF, "Content-Encoding": "gzip"}
    _response(httpx.post(url, content=body, headers=headers, timeout=10))
    assert runtime.llm_spans.count() == 2
    broken = httpx.post(url, content=body[:-8], headers=headers, timeout=10)
    assert broken.status_code == 400 and "gzip" in broken.json()["error"]
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024 + 1))  # past 16 x the 1 MiB body cap
    refused = httpx.post(url, content=bomb, headers=headers, timeout=30)
    assert refused.status_code == 400 and "inflates to more than" in refused.json()["error"]
    assert runtime.llm_spans.count() == 2


def test_wrong_or_missing_token_is_401(url: str, runtime: Any) -> None:
    body = export(span()).SerializeToString()
    for headers in ({"Content-Type": "application/x-protobuf"},
                    {"Content-Type": "application/x-protobuf", "Authorization": "Bearer no"}):  # fmt: skip
        answer = httpx.post(url, content=body, headers=headers, timeout=10)
        assert answer.status_code == 401 and "Bearer" in answer.headers["www-authenticate"]
    assert runtime.llm_spans.count() == 0


def test_intake_is_off_without_a_token(make_runtime: Any) -> None:
    deps = make_runtime().http_deps()
    server = HttpServer(create_app(deps, otlp_routes(deps)), "127.0.0.1", 0)
    port = server.start()
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/traces", content=b"", headers=PROTOBUF)
    finally:
        server.stop()
    assert answer.status_code == 404 and "set OTLP_TOKEN" in answer.json()["error"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b"\x0a\xff\xff", "application/x-protobuf", 400, "not an OTLP ExportTraceServiceRequest"),
        (b"{not json", "application/json", 400, "not JSON"),
        (b"[1, 2]", "application/json", 400, "must be a JSON object"),
        (b'{"resourceSpans": 3}', "application/json", 400, "not an OTLP"),
        (b"hello", "text/plain", 415, "Content-Type must be"),
    ],
)
def test_malformed_bodies_get_the_reason_and_store_nothing(
    url: str, runtime: Any, body: bytes, content_type: str, status: int, reason: str
) -> None:
    answer = httpx.post(url, content=body, headers={**AUTH, "Content-Type": content_type})
    assert answer.status_code == status and reason in answer.json()["error"], answer.text
    assert runtime.llm_spans.count() == 0


def test_a_bad_span_is_rejected_with_its_reason_and_the_good_ones_kept(
    url: str, runtime: Any
) -> None:
    no_times = span()
    no_times.start_time_unix_nano = 0
    bad_tokens = span({"gen_ai.usage.input_tokens": -5}, span_id=bytes.fromhex("00000000000000aa"))
    short_id = span(span_id=b"\x01\x02")
    ahead = span(start=now_nanos() + 2 * 3600 * 10**9)
    good = [span(), span()]
    body = export(*good, no_times, bad_tokens, short_id, ahead).SerializeToString()
    parsed = _response(httpx.post(url, content=body, headers=PROTOBUF, timeout=10))
    assert parsed.partial_success.rejected_spans == 4
    assert "more than an hour ahead of opsbot's clock" in parsed.partial_success.error_message
    message = parsed.partial_success.error_message
    assert "start_time_unix_nano and end_time_unix_nano are required" in message
    assert "span 00000000000000aa: gen_ai.usage.input_tokens must be a whole number" in message
    assert "span_id must be 8 bytes" in message
    assert runtime.llm_spans.count() == 2
    # an exporter's retry of the same batch stores nothing twice
    _response(httpx.post(url, content=body, headers=PROTOBUF, timeout=10))
    assert runtime.llm_spans.count() == 2


def _caller() -> Any:
    from core.access import Caller

    return Caller(user="U1", via="slack", channel="C1")
