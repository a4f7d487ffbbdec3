"""Claude through langchain-anthropic, against a local emulator of the Messages API."""

from __future__ import annotations

import pytest

from tests.emulators.anthropic import AnthropicEmulator, Error, Hang, Reply


def _runtime(make_runtime, claude: AnthropicEmulator, **extra):  # type: ignore[no-untyped-def]
    return make_runtime(**claude.settings(), **extra)


def test_tool_use_then_answer(make_runtime, claude: AnthropicEmulator) -> None:  # type: ignore[no-untyped-def]
    runtime = _runtime(make_runtime, claude)
    claude.push(
        Reply.tool("host_health", {}, text="Let me look."),
        Reply.text("The box is fine: CPU is low."),
    )
    turn = runtime.agent.ask("how's the box?", thread_id="t", caller=runtime.console_caller())
    assert turn.answer == "The box is fine: CPU is low."
    assert [c.name for c in turn.tool_calls] == ["host_health"]
    assert turn.tool_calls[0].ok and "CPU" in (turn.tool_calls[0].text or "")

    first, second = claude.requests
    assert first["model"] == runtime.settings.llm_model
    assert first["max_tokens"] == runtime.settings.llm_max_tokens
    system = first["system"]
    assert isinstance(system, list) and system[0]["cache_control"] == {"type": "ephemeral"}
    assert "opsbot" in system[0]["text"]
    names = [t["name"] for t in first["tools"]]
    assert {"host_health", "top_processes", "disk_usage", "check_endpoint"} <= set(names)
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    # the tool result went back to the model with the real figures
    results = [
        block
        for message in second["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert len(results) == 1
    content = results[0]["content"]
    text = content if isinstance(content, str) else " ".join(c.get("text", "") for c in content)
    assert "Memory" in text and "Disk" in text


def test_follow_up_keeps_context(make_runtime, claude: AnthropicEmulator) -> None:  # type: ignore[no-untyped-def]
    runtime = _runtime(make_runtime, claude)
    claude.push(Reply.text("first answer"), Reply.text("second answer"))
    caller = runtime.console_caller()
    runtime.agent.ask("remember the word pelican", thread_id="t", caller=caller)
    runtime.agent.ask("what word?", thread_id="t", caller=caller)
    contents = [m["content"] for m in claude.requests[1]["messages"]]
    flat = " ".join(c if isinstance(c, str) else str(c) for c in contents)
    assert "pelican" in flat and "first answer" in flat


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (Error(500, "api_error"), "HTTP 500"),
        (Error(529, "overloaded_error", "Overloaded"), "overloaded"),
        (Error(429, "rate_limit_error"), "rate limiting"),
        (Error(401, "authentication_error", "invalid x-api-key"), "API key"),
    ],
)
def test_api_errors_become_clear_messages(make_runtime, claude, step, expected) -> None:  # type: ignore[no-untyped-def]
    runtime = _runtime(make_runtime, claude)
    claude.push(step)
    turn = runtime.agent.ask("hello", thread_id="t", caller=runtime.console_caller())
    assert expected in turn.answer
    assert "Nothing was changed" in turn.answer


def test_timeout_becomes_a_clear_message(make_runtime, claude: AnthropicEmulator) -> None:  # type: ignore[no-untyped-def]
    runtime = _runtime(make_runtime, claude, llm_timeout_seconds=0.5)
    claude.push(Hang(2.0))
    turn = runtime.agent.ask("hello", thread_id="t", caller=runtime.console_caller())
    assert "did not answer in time" in turn.answer


def test_malformed_tool_input_is_reported_to_the_model(make_runtime, claude) -> None:  # type: ignore[no-untyped-def]
    runtime = _runtime(make_runtime, claude)
    claude.push(
        Reply.tool("top_processes", {"by": "colour", "limit": "many"}),
        Reply.tool("no_such_tool", {}),
        Reply.text("Sorry, I could not read the processes."),
    )
    turn = runtime.agent.ask("top processes", thread_id="t", caller=runtime.console_caller())
    assert turn.answer == "Sorry, I could not read the processes."
    first, second = turn.tool_calls
    assert first.ok is False and "bad arguments for top_processes" in (first.text or "")
    assert "by" in (first.text or "") and "limit" in (first.text or "")
    assert second.ok is False and "unknown tool" in (second.text or "")
    # the error results were sent back as tool results flagged is_error
    last = claude.requests[-1]["messages"]
    flagged = [
        b for m in last if isinstance(m["content"], list) for b in m["content"]
        if b.get("type") == "tool_result" and b.get("is_error")
    ]  # fmt: skip
    assert len(flagged) == 2


def test_error_mid_conversation_leaves_thread_usable(make_runtime, claude) -> None:  # type: ignore[no-untyped-def]
    runtime = _runtime(make_runtime, claude)
    claude.push(Reply.tool("host_health", {}), Error(529, "overloaded_error"), Reply.text("ok now"))
    caller = runtime.console_caller()
    first = runtime.agent.ask("how's the box?", thread_id="t", caller=caller)
    assert "overloaded" in first.answer
    second = runtime.agent.ask("try again", thread_id="t", caller=caller)
    assert second.answer == "ok now"
