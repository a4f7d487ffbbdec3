"""A tiny LLM app instrumented with the OpenTelemetry SDK exports its GenAI spans with the
OTLP/HTTP exporter (protobuf, gzip) to a real opsbot HTTP server; `prompt_metrics` and
`opsbot llm` then show them per prompt version."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from core.access import Caller
from tests.llmops.conftest import TOKEN
from tests.llmops.otlp_data import now_nanos


class SupportApp:
    """The LLM app: answers a question with the prompt `support` at some version, its model
    call traced as OpenTelemetry's GenAI conventions say."""

    def __init__(self, url: str, token: str) -> None:
        exporter = OTLPSpanExporter(
            endpoint=url,
            headers={"Authorization": f"Bearer {token}"},
            compression=Compression.Gzip,
            timeout=10,
        )
        self.provider = TracerProvider(resource=Resource.create({"service.name": "support-app"}))
        self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("support-app")

    def answer(self, version: int, *, latency_ms: int, fails: bool) -> None:
        start = now_nanos() - 60_000_000_000
        span = self.tracer.start_span("chat claude-sonnet-5-5", start_time=start)
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "claude-sonnet-5-5",
                "gen_ai.usage.input_tokens": 800,
                "gen_ai.usage.output_tokens": 200,
                "opsbot.prompt.name": "support",
                "opsbot.prompt.version": version,
                "opsbot.prompt.label": "production",
            }
        )
        if fails:
            span.set_status(Status(StatusCode.ERROR, "overloaded"))
        span.end(end_time=start + latency_ms * 1_000_000)

    def close(self) -> None:
        self.provider.shutdown()


def test_an_instrumented_app_shows_up_per_prompt_version(url: str, runtime: Any) -> None:
    app = SupportApp(url, TOKEN)
    try:
        for latency in (100, 200, 300, 400):
            app.answer(1, latency_ms=latency, fails=False)
        for n in range(3):
            app.answer(2, latency_ms=900, fails=n < 2)
        with app.tracer.start_as_current_span("GET /health"):  # not an LLM call: passed over
            pass
    finally:
        app.close()
    assert runtime.llm_spans.count() == 7
    tool = runtime.toolbox.get("prompt_metrics")
    result = tool.invoke({"prompt": "support", "since": "1h"}, Caller("U1", "slack", "C1"))
    figures = {g["version"]: g for g in result.data["groups"]}
    assert (figures[1]["calls"], figures[1]["errors"]) == (4, 0)
    assert (figures[1]["p50_ms"], figures[1]["p95_ms"]) == (200.0, 400.0)
    assert (figures[2]["calls"], figures[2]["errors"], figures[2]["p95_ms"]) == (3, 2, 900.0)
    assert figures[2]["cost_usd"] == pytest.approx(3 * (800 * 2 + 200 * 10) / 1e6)
    assert "version 2, label production, model claude-sonnet-5-5: 3 call(s), 66.7% errors" in (
        result.text
    )
    only = tool.invoke({"prompt": "support", "version": 1}, Caller("U1", "slack", "C1"))
    assert [g["version"] for g in only.data["groups"]] == [1]
