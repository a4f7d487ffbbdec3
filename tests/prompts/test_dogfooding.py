"""opsbot's own prompts live in the registry: seeded on first start, read on every model
call, and a bad change is rolled back like any other prompt. Uses the Anthropic emulator so
the system prompt the model really receives can be checked."""

from __future__ import annotations

from graphs.prompts import (
    INCIDENT_SUMMARY_PROMPT,
    INCIDENT_SUMMARY_PROMPT_NAME,
    SYSTEM_PROMPT,
    SYSTEM_PROMPT_NAME,
)
from tests.emulators.anthropic import Reply


def _system_text(request: dict) -> str:  # type: ignore[type-arg]
    return "".join(block["text"] for block in request["system"])


def test_own_prompts_are_seeded_once_with_production_on_v1(make_runtime, database_url) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(database_url=database_url)
    store = runtime.prompts
    system = store.get(SYSTEM_PROMPT_NAME)
    assert system.version == 1 and system.template == SYSTEM_PROMPT
    assert system.labels == ("production", "latest")
    summary = store.get(INCIDENT_SUMMARY_PROMPT_NAME)
    assert summary.template == INCIDENT_SUMMARY_PROMPT
    assert summary.variables == ("title", "evidence", "runbook", "actions")
    # a second start (a new runtime on the same database) changes nothing
    again = make_runtime(database_url=database_url)
    assert again.prompts.versions(SYSTEM_PROMPT_NAME)[0].sha256 == system.sha256
    assert len(again.prompts.history(SYSTEM_PROMPT_NAME)) == 1
    # the planner knows them
    assert SYSTEM_PROMPT_NAME in runtime.vocabulary().prompts


def test_system_prompt_change_and_rollback_reach_the_model(make_runtime, claude) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(
        **claude.settings(),
        oncall_users=["U_ONCALL"],
        console_mode=False,
    )
    caller = runtime.console_caller("t1")
    claude.push(Reply.text("hello"))
    runtime.agent.ask("hi", thread_id="t1", caller=caller)
    assert _system_text(claude.requests[-1]) == SYSTEM_PROMPT

    # a new version through the agent: audited, and production does not move
    claude.push(
        Reply.tool(
            "create_prompt_version",
            {"name": SYSTEM_PROMPT_NAME, "template": "You are a pirate.", "message": "arr"},
        ),
        Reply.text("created v2"),
    )
    turn = runtime.agent.ask("make the system prompt piratey", thread_id="t2", caller=caller)
    assert turn.tool_calls[0].ok and "production stays on v1" in (turn.tool_calls[0].text or "")
    audited = runtime.audit.recent(action="create_prompt_version")
    assert audited and audited[0].outcome == "ok" and audited[0].actor == caller.user
    claude.push(Reply.text("still normal"))
    runtime.agent.ask("hi again", thread_id="t3", caller=caller)
    assert _system_text(claude.requests[-1]) == SYSTEM_PROMPT

    # promote (approved), then the very next model call uses the new prompt
    claude.push(
        Reply.tool(
            "set_prompt_label", {"name": SYSTEM_PROMPT_NAME, "label": "production", "version": 2}
        ),
    )
    turn = runtime.agent.ask("promote it", thread_id="t4", caller=caller)
    approval = turn.pending[0]
    claude.push(Reply.text("promoted"))
    runtime.approval_flow.decide_and_resume(approval.id, user="U_ONCALL", approve=True, via="slack")
    claude.push(Reply.text("arr"))
    runtime.agent.ask("hi", thread_id="t5", caller=caller)
    assert _system_text(claude.requests[-1]) == "You are a pirate."

    # a bad change is rolled back like any other prompt
    claude.push(Reply.tool("set_prompt_label", {"name": SYSTEM_PROMPT_NAME, "label": "production"}))
    turn = runtime.agent.ask("roll back the system prompt", thread_id="t6", caller=caller)
    claude.push(Reply.text("rolled back"))
    runtime.approval_flow.decide_and_resume(
        turn.pending[0].id, user="U_ONCALL", approve=True, via="slack"
    )
    claude.push(Reply.text("hello"))
    runtime.agent.ask("hi", thread_id="t7", caller=caller)
    assert _system_text(claude.requests[-1]) == SYSTEM_PROMPT


def test_system_prompt_falls_back_to_the_default_when_the_registry_cannot_serve(
    make_runtime,
) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    store = runtime.prompts
    # a chat-style version cannot be a system prompt: the default is used, with a warning
    store.create_version(
        SYSTEM_PROMPT_NAME, [{"role": "system", "content": "x"}], "chat", author="U"
    )
    store.set_label(SYSTEM_PROMPT_NAME, "production", 2, actor="U")
    assert runtime.system_prompt() == SYSTEM_PROMPT
    # the database going away does not silence the bot
    runtime.prompt_server.close()
    runtime.engine.dispose()
    with runtime.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE prompt_label_change")
        conn.exec_driver_sql("DROP TABLE prompt_label")
        conn.exec_driver_sql("DROP TABLE prompt_version")
        conn.exec_driver_sql("DROP TABLE prompt")
    assert runtime.system_prompt() == SYSTEM_PROMPT
