"""opsbot observing itself: each agent turn (Claude through the Anthropic emulator, or the
offline planner) is one trace of spans in the LLM span store: the turn, each model call with
the tokens of the real HTTP response, each tool call by name; a failed model call is an
error span; a recorder that fails never breaks the turn."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from graphs.observe import TurnTrace
from graphs.prompts import SYSTEM_PROMPT_NAME
from tests.emulators.anthropic import Error, Reply
from tools.llmops.tables import LlmSpanRow


def _spans(runtime: Any, trace_id: str) -> list[Any]:
    query = select(LlmSpanRow).where(col(LlmSpanRow.trace_id) == trace_id)
    with runtime.engine.connect() as conn:
        return sorted(conn.execute(query).all(), key=lambda r: (r.start, r.operation))


def test_a_claude_turn_is_one_trace_with_the_response_tokens(
    make_runtime: Any, claude: Any, database_url: Any
) -> None:
    runtime = make_runtime(**claude.settings(), database_url=database_url, console_mode=False)
    claude.push(
        dataclasses.replace(Reply.tool("llm_usage", {"since": "1h"}), usage=(1234, 56)),
        dataclasses.replace(Reply.text("No LLM calls yet."), usage=(1500, 78)),
    )
    caller = runtime.console_caller("t1")
    turn = runtime.agent.ask("how much LLM usage?", thread_id="t1", caller=caller)
    assert turn.answer == "No LLM calls yet." and len(turn.trace_id) == 32
    spans = _spans(runtime, turn.trace_id)
    by_operation: dict[str, list[Any]] = {}
    for row in spans:
        by_operation.setdefault(row.operation, []).append(row)
    assert sorted(by_operation) == ["chat", "execute_tool", "invoke_agent"]
    chats = sorted(by_operation["chat"], key=lambda r: r.start)
    assert [(c.input_tokens, c.output_tokens) for c in chats] == [(1234, 56), (1500, 78)]
    assert {c.model for c in chats} == {"claude-sonnet-5-5"}  # the model the response named
    assert {(c.prompt_name, c.prompt_version, c.prompt_label) for c in chats} == {
        (SYSTEM_PROMPT_NAME, 1, "production")
    }
    (tool,) = by_operation["execute_tool"]
    assert (tool.tool_name, tool.error) == ("llm_usage", False)
    (whole,) = by_operation["invoke_agent"]
    assert whole.duration_ms >= max(c.duration_ms for c in chats)
    assert {row.service for row in spans} == {"opsbot"}
    # opsbot's own calls in its own metrics: two model calls, not the tool or the turn
    usage = runtime.toolbox.get("llm_usage").invoke({}, caller)
    (opsbot,) = [s for s in usage.data["by_service"] if s["service"] == "opsbot"]
    assert (opsbot["calls"], opsbot["input_tokens"], opsbot["output_tokens"]) == (2, 2734, 134)
    assert opsbot["cost_usd"] == pytest.approx((2734 * 2 + 134 * 10) / 1e6)
    prompt = runtime.toolbox.get("prompt_metrics").invoke({"prompt": SYSTEM_PROMPT_NAME}, caller)
    assert [(g["version"], g["calls"]) for g in prompt.data["groups"]] == [(1, 2)]


def test_a_failed_model_call_is_an_error_span(make_runtime: Any, claude: Any) -> None:
    runtime = make_runtime(**claude.settings(), console_mode=False)
    claude.push(Error(500, "api_error", "boom"))
    turn = runtime.agent.ask("hi", thread_id="t2", caller=runtime.console_caller("t2"))
    assert "could not finish" in turn.answer
    (chat,) = [r for r in _spans(runtime, turn.trace_id) if r.operation == "chat"]
    assert chat.error and chat.input_tokens is None and chat.model == "claude-sonnet-5-5"


def test_an_offline_turn_is_recorded_without_tokens(make_runtime: Any) -> None:
    runtime = make_runtime(console_mode=False)
    turn = runtime.agent.ask("help", thread_id="t3", caller=runtime.console_caller("t3"))
    spans = _spans(runtime, turn.trace_id)
    assert {r.operation for r in spans} >= {"invoke_agent", "chat"}
    assert {r.model for r in spans if r.operation == "chat"} == {"offline"}
    assert all(r.input_tokens is None for r in spans)


def test_off_when_disabled_and_a_failing_recorder_never_breaks_a_turn(make_runtime: Any) -> None:
    runtime = make_runtime(console_mode=False, llm_self_traces=False)
    turn = runtime.agent.ask("help", thread_id="t4", caller=runtime.console_caller("t4"))
    assert turn.trace_id and runtime.llm_spans.count() == 0

    class Broken:
        def record(self, trace: TurnTrace) -> None:
            raise RuntimeError("the database is gone")

    runtime.agent.deps.recorder = Broken()
    again = runtime.agent.ask("help", thread_id="t5", caller=runtime.console_caller("t5"))
    assert again.answer and again.trace_id != turn.trace_id


def test_opsbot_usage_per_day_and_per_tool(make_runtime: Any, claude: Any, data_dir: Any) -> None:
    from tests.bot_process import opsbot

    runtime = make_runtime(**claude.settings(), console_mode=False)
    claude.push(
        dataclasses.replace(Reply.tool("llm_usage", {}), usage=(1000, 100)),
        dataclasses.replace(Reply.text("none"), usage=(2000, 200)),
        dataclasses.replace(Reply.text("hello"), usage=(500, 50)),
    )
    caller = runtime.console_caller("u1")
    runtime.agent.ask("usage?", thread_id="u1", caller=caller)
    runtime.agent.ask("hi", thread_id="u2", caller=caller)
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    shown = opsbot("usage", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    ((day, figures),) = data["per_day"].items()
    assert (figures["turns"], figures["calls"], figures["errors"]) == (2, 3, 0)
    assert (figures["input_tokens"], figures["output_tokens"]) == (3500, 350)
    assert figures["cost_usd"] == pytest.approx((3500 * 2 + 350 * 10) / 1e6)
    assert figures["p50_ms"] is not None and figures["p95_ms"] >= figures["p50_ms"]
    assert data["per_tool"]["llm_usage"]["calls"] == 1
    text = opsbot("usage", "--since", "1d", env=env)
    assert (
        f"- {day}: 2 turn(s), 0 triage(s), 3 model call(s) (0 failed), tokens 3500 in / 350 out"
        in text.stdout
    )
    assert "- llm_usage: 1 call(s), 0 failed" in text.stdout
    bad = opsbot("usage", "--since", "forever", env=env)
    assert bad.returncode == 1 and "use e.g. 30m, 2h or 7d" in bad.stderr
