"""A triage is observed like an agent turn: one trace in opsbot's own spans whose root is
`triage`, a `chat` span for the summary's model call (tokens from the real HTTP response of
the Anthropic emulator) and an `execute_tool` span per evidence tool; `opsbot usage` (the
`opsbot_usage` tool it runs) counts the triage and its model call."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from tests.emulators.anthropic import AnthropicEmulator, Error, Reply
from tests.incidents.httpd import Answer, Scripted
from tests.incidents.test_triage import opened, quiet_host
from tools.llmops.tables import LlmSpanRow


@pytest.fixture
def down() -> Iterator[Scripted]:
    server = Scripted({"/health": Answer(503, "down", reason="Unavailable")})
    yield server
    server.stop()


def _triaged(make_runtime: Any, down: Scripted, **settings: Any) -> Any:
    runtime = make_runtime(
        endpoints={"api": down.url("/health")},
        monitor_sustain_samples=1,
        **quiet_host(),
        **settings,
    )
    runtime.incidents.config.background = False
    report = runtime.incidents.run_checks(only={"endpoint"})
    opened(runtime.incidents, report, "EndpointDown")
    return runtime


def _spans(runtime: Any) -> list[Any]:
    query = select(LlmSpanRow).where(col(LlmSpanRow.service) == "opsbot")
    with runtime.engine.connect() as conn:
        return list(conn.execute(query).all())


def _usage(runtime: Any) -> dict[str, Any]:
    result = runtime.toolbox.get("opsbot_usage").invoke({"since": "1h"}, runtime.console_caller())
    ((_, figures),) = result.data["per_day"].items()
    assert "1 triage(s)" in result.text
    return dict(figures)


def test_a_claude_triage_is_one_trace_and_its_model_call_is_counted(
    make_runtime: Any, claude: AnthropicEmulator, down: Scripted
) -> None:
    claude.default = dataclasses.replace(Reply.text("api is down (HTTP 503)."), usage=(900, 60))
    runtime = _triaged(make_runtime, down, **claude.settings())
    spans = _spans(runtime)
    assert len({s.trace_id for s in spans}) == 1
    by_operation = {s.operation: s for s in spans}
    assert set(by_operation) == {"triage", "chat", "execute_tool"}
    chat = by_operation["chat"]
    assert (chat.input_tokens, chat.output_tokens, chat.error) == (900, 60, False)
    tools = {s.tool_name for s in spans if s.operation == "execute_tool"}
    assert "check_endpoint" in tools
    figures = _usage(runtime)
    assert (figures["turns"], figures["triages"], figures["calls"]) == (0, 1, 1)
    assert (figures["input_tokens"], figures["output_tokens"]) == (900, 60)


def test_a_failed_model_call_of_a_triage_is_an_error_span(
    make_runtime: Any, claude: AnthropicEmulator, down: Scripted
) -> None:
    claude.push(Error(529, "overloaded_error", "Overloaded"))
    runtime = _triaged(make_runtime, down, **claude.settings())
    (chat,) = [s for s in _spans(runtime) if s.operation == "chat"]
    assert chat.error and chat.input_tokens is None
    figures = _usage(runtime)
    assert (figures["triages"], figures["calls"], figures["errors"]) == (1, 1, 1)


def test_an_offline_triage_has_no_model_call(make_runtime: Any, down: Scripted) -> None:
    runtime = _triaged(make_runtime, down)
    operations = {s.operation for s in _spans(runtime)}
    assert operations == {"triage", "execute_tool"}  # code wrote the summary: no model call
    assert _usage(runtime)["calls"] == 0


def test_no_triage_trace_when_self_traces_are_off(make_runtime: Any, down: Scripted) -> None:
    assert _spans(_triaged(make_runtime, down, llm_self_traces=False)) == []
