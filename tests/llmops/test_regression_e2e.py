"""Issue 17's scripted regression, end to end: an LLM app instrumented with the OpenTelemetry
SDK exports its GenAI spans (OTLP/HTTP, protobuf, gzip) to opsbot's `/v1/traces`; the prompt's
production label is moved through opsbot's approval gate; the app's calls then fail; the
regression monitor's check opens an `LLMRegression` incident posted to the Slack emulator,
whose triage names the label move as the likely cause and suggests moving the label back; the
on-call engineer clicks Approve (a signed Slack request) and the label is back, moved once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from bot.http.app import create_app
from bot.http.otlp import otlp_routes
from bot.http.server import HttpServer
from core.access import Caller
from core.clock import utcnow
from tests.emulators.slack import SlackEmulator
from tests.incidents.test_e2e_slack import approve_button
from tests.llmops.conftest import TOKEN
from tests.slack.helpers import BOT_TOKEN, SECRET, SlackSender, click_body
from tools.changes.store import ChangeKind
from tools.prompts.demo import seed_demo

CHANNEL = "C0LLMINC"
PROMPT = "support-triage"
REQUESTER = Caller(user="U0DEV", via="slack", channel="C1")


class TriageApp:
    """The LLM app: classifies tickets with the prompt support-triage at the version its
    production label serves, each model call a GenAI span."""

    def __init__(self, url: str) -> None:
        exporter = OTLPSpanExporter(
            endpoint=url, headers={"Authorization": f"Bearer {TOKEN}"},
            compression=Compression.Gzip, timeout=10,
        )  # fmt: skip
        self.provider = TracerProvider(resource=Resource.create({"service.name": "helpdesk"}))
        self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("helpdesk")

    def classify(self, version: int, start_ns: int, latency_ms: int, fails: bool) -> None:
        span = self.tracer.start_span("chat claude-haiku-4-5", start_time=start_ns)
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "claude-haiku-4-5",
                "gen_ai.usage.input_tokens": 600,
                "gen_ai.usage.output_tokens": 40,
                "opsbot.prompt.name": PROMPT,
                "opsbot.prompt.version": version,
                "opsbot.prompt.label": "production",
            }
        )
        if fails:
            span.set_status(Status(StatusCode.ERROR, "response is not the JSON asked for"))
        span.end(end_time=start_ns + latency_ms * 1_000_000)

    def close(self) -> None:
        self.provider.shutdown()


@pytest.fixture
def stack(make_runtime: Any) -> Iterator[tuple[Any, SlackEmulator, int]]:
    emulator = SlackEmulator(bot_user_id="U0BOT").start()
    runtime = make_runtime(
        console_mode=False, slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET,
        slack_api_url=emulator.url, incident_channel=CHANNEL, oncall_users="U0ONCALL",
        otlp_token=TOKEN, llm_regression_min_calls=20, llm_regression_window_minutes=60,
    )  # fmt: skip
    front = runtime.slack
    front.start()
    service = runtime.incidents
    service.config.background = False  # triage runs inside the check, before it returns
    service.add_notifier(front.incident_notifier(service, echo=False))
    service.outbox.start()
    deps = runtime.http_deps()
    server = HttpServer(create_app(deps, [*front.routes(), *otlp_routes(deps)]), "127.0.0.1", 0)
    port = server.start()
    try:
        yield runtime, emulator, port
    finally:
        server.stop()
        service.outbox.stop()
        emulator.stop()


def test_a_regression_after_a_label_move_is_an_incident_whose_rollback_moves_the_label_back(
    stack: tuple[Any, SlackEmulator, int],
) -> None:
    runtime, emulator, port = stack
    seed_demo(runtime.prompts)  # support-triage: production on v2
    assert "llm_regression" in runtime.incidents.monitors().names()
    app = TriageApp(f"http://127.0.0.1:{port}/v1/traces")
    try:
        # before: v2 answers well (1 failure in 40), calls of the last 20 minutes
        begin = time.time_ns() - 20 * 60 * 10**9
        for i in range(40):
            app.classify(2, begin + i * 10 * 10**9, 300 + i % 5 * 10, fails=i == 7)
        # the label moves to v3 through opsbot's gate: asked, then approved by on call
        turn = runtime.agent.ask(
            f"promote {PROMPT} v3 to production", thread_id="C1:1.0", caller=REQUESTER
        )
        runtime.approval_flow.decide_and_resume(
            turn.pending[0].id, user="U0ONCALL", approve=True, via="slack"
        )
        assert runtime.prompts.get(PROMPT).version == 3
        # after: v3 fails half the time
        after = time.time_ns()
        for i in range(40):
            app.classify(3, after + i * 1_000_000, 320, fails=i % 2 == 0)
    finally:
        app.close()
    # the app's 80 calls (opsbot's own turn is traced too, under the service "opsbot")
    since = utcnow() - timedelta(hours=2)
    by_service = {s.key["service"]: s.calls for s in runtime.llm_metrics.usage("service", since)}
    assert sum(n for name, n in by_service.items() if name != "opsbot") == 80

    service = runtime.incidents
    report = service.run_checks(only={"llm_regression"})
    [(incident_id, change)] = report.changes
    assert change == "opened"
    card = service.card(incident_id)
    assert service.engine.get(incident_id).alertname == "LLMRegression"
    assert card.labels["prompt"] == PROMPT and card.labels["version"] == "3"
    assert card.labels["previous_version"] == "2"
    assert card.title.startswith(
        f"{PROMPT} (production) got worse after production of {PROMPT} v2 → v3: error rate "
        "2.5% → 50.0%, p="
    )
    assert f"A change just before it began: production of {PROMPT} moved from v2 to v3" in (
        card.summary
    )
    [revert] = [a for a in card.actions if a.tool == "run_remediation"]
    assert revert.args == {
        "action": "set_prompt_label",
        "params": {"name": PROMPT, "label": "production", "version": 2},
    }
    assert revert.status == "pending"
    assert runtime.prompts.get(PROMPT).version == 3  # nothing moved by itself

    # in Slack: the root message with the Approve button, the evidence in its thread
    def root() -> Any:
        posts = [p for p in emulator.posts(CHANNEL) if not p.params.get("thread_ts")]
        return posts[0] if posts else None

    ts = emulator.wait_for(root, 30, what="the incident's root message").response["ts"]

    def button() -> str | None:
        message = emulator.message(CHANNEL, ts)
        return approve_button(message) if message else None

    value = emulator.wait_for(button, 30, what="the Approve button of the rollback")
    message = emulator.message(CHANNEL, ts)
    assert message is not None and "set_prompt_label" in json.dumps(message["blocks"])
    assert "got worse after production of support-triage v2 → v3" in json.dumps(
        message, ensure_ascii=False
    )

    def evidence() -> str | None:
        texts = [m.get("text", "") for m in emulator.thread(CHANNEL, ts)]
        return next((t for t in texts if "what_changed" in t), None)

    note = emulator.wait_for(evidence, 30, what="triage's evidence in the thread")
    assert "prompt_metrics" in note  # the calls per version were gathered too

    # the on-call engineer approves, twice (a double click): the label is moved back once
    sender = SlackSender(f"http://127.0.0.1:{port}")
    try:
        for _ in range(2):
            body = click_body(
                action_id="approval_approve", value=value, user="U0ONCALL", channel=CHANNEL,
                message_ts=ts, thread_ts=None, response_url=emulator.response_url("U0ONCALL"),
            )  # fmt: skip
            assert sender.form(body).status_code == 200
        emulator.wait_for(
            lambda: runtime.prompts.get(PROMPT).version == 2, 30, what="production back at v2"
        )
    finally:
        sender.close()
    emulator.wait_for(
        lambda: [m for m in emulator.thread(CHANNEL, ts) if "approved by" in m.get("text", "")],
        30,
        what="the rollback's outcome in the thread",
    )
    moves = runtime.changes.list(begin_at(begin), kind=ChangeKind.PROMPT_LABEL)
    assert [m.summary for m in moves] == [
        f"production of {PROMPT} moved from v3 to v2",
        f"production of {PROMPT} moved from v2 to v3",
    ]

    # the label moved again: the v2 → v3 move is no longer watched, so its incident clears;
    # the move back has no calls after it yet, which the report says
    again = service.run_checks(only={"llm_regression"})
    assert again.findings == []
    assert (incident_id, "clearing") in again.changes
    result = runtime.toolbox.get("llm_regressions").invoke({}, Caller("U1", "slack", "C1"))
    assert f"production of {PROMPT} v3 → v2" in result.text
    assert "not compared, too few calls to compare: 0 before the change" not in result.text
    assert "0 after it; at least 20 are needed on each side" in result.text


def begin_at(nanos: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(nanos / 1e9 - 60, UTC)
