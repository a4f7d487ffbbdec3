"""Langfuse's OTLP path: `/api/public/otel/v1/traces` with HTTP Basic `public key:secret key`
(the secret key being OTLP_TOKEN), posted by OpenTelemetry's own OTLP/HTTP exporter."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from bot.http.otlp import LANGFUSE_PATH, PATH
from tests.llmops.conftest import TOKEN
from tests.llmops.otlp_data import export, span


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _send_one_call(exporter: SpanExporter) -> None:
    """One GenAI model call span exported through the OpenTelemetry SDK."""
    provider = TracerProvider(resource=Resource.create({"service.name": "lf-app"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        call = provider.get_tracer("lf-app").start_span("chat claude-haiku-5")
        call.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "claude-haiku-5",
                "gen_ai.usage.input_tokens": 40,
                "gen_ai.usage.output_tokens": 8,
                "langfuse.observation.prompt.name": "greeter",
                "langfuse.observation.prompt.version": 3,
            }
        )
        call.end()
    finally:
        provider.shutdown()


def _langfuse_url(url: str) -> str:
    return url.removesuffix(PATH) + LANGFUSE_PATH


def test_the_sdk_exporter_on_langfuse_path_with_basic_auth_is_kept(url: str, runtime: Any) -> None:
    headers = {"Authorization": _basic("pk-lf-1234", TOKEN), "x-langfuse-ingestion-version": "4"}
    _send_one_call(OTLPSpanExporter(endpoint=_langfuse_url(url), headers=headers, timeout=10))
    assert runtime.llm_spans.count() == 1


def test_bearer_is_accepted_on_langfuse_path_too(url: str, runtime: Any) -> None:
    body = export(span()).SerializeToString()
    answer = httpx.post(
        _langfuse_url(url),
        content=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-protobuf"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert runtime.llm_spans.count() == 1


def test_wrong_secret_or_broken_basic_is_401_and_stores_nothing(url: str, runtime: Any) -> None:
    wrong = _basic("pk-lf-1234", "sk-lf-wrong")
    _send_one_call(OTLPSpanExporter(endpoint=_langfuse_url(url), headers={"Authorization": wrong}))
    body = export(span()).SerializeToString()
    for auth in (
        wrong,
        _basic(TOKEN, "x"),  # the token as the user name is not the secret
        "Basic " + base64.b64encode(TOKEN.encode()).decode(),  # no colon
        "Basic %%%not-base64",
        f"Basic {TOKEN}",
    ):
        answer = httpx.post(
            _langfuse_url(url),
            content=body,
            headers={"Authorization": auth, "Content-Type": "application/x-protobuf"},
            timeout=10,
        )
        assert answer.status_code == 401, auth
        assert "Basic" in answer.headers["www-authenticate"]
        assert "OTLP_TOKEN" in answer.json()["error"]
    assert runtime.llm_spans.count() == 0
