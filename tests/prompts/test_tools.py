"""The prompt tools as the agent and Slack see them: texts with figures, diffs as code
blocks, long diffs and templates attached as files, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.reply import reply_from_turn
from bot.slack.render import render_reply
from core.access import Caller
from tools.base import ToolError
from tools.prompts.demo import seed_demo
from tools.prompts.store import PromptStore
from tools.prompts.tools import build_prompt_tools

CALLER = Caller(user="U1", via="slack")


@pytest.fixture
def tools(store: PromptStore, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    return {t.name: t for t in build_prompt_tools(store, tmp_path / "files")}


def test_catalogue_and_access_levels(tools) -> None:  # type: ignore[no-untyped-def]
    assert {name: t.access.value for name, t in tools.items()} == {
        "list_prompts": "read",
        "show_prompt": "read",
        "diff_prompts": "read",
        "create_prompt_version": "write",
        "set_prompt_label": "gated",
    }
    schema = tools["set_prompt_label"].schema()["input_schema"]
    assert schema["required"] == ["name"]


def test_list_and_show(tools, store: PromptStore) -> None:  # type: ignore[no-untyped-def]
    assert tools["list_prompts"].invoke({}, CALLER).text == "No prompts are registered yet."
    store.create_version("triage", "Classify {{ ticket }}", "first", author="U1",
                         config={"model": "m", "temperature": 0.2})  # fmt: skip
    store.create_version("triage", "Classify {{ ticket }} now", "second", author="U2")
    store.set_label("triage", "production", 1, actor="U1", reason="launch")
    listed = tools["list_prompts"].invoke({}, CALLER)
    assert listed.text.splitlines()[0] == "1 prompts:"
    assert "triage" in listed.text and "v2" in listed.text and "v1" in listed.text
    shown = tools["show_prompt"].invoke({"name": "triage"}, CALLER)
    assert shown.text.startswith("*triage v1* [production] — text, variables: ticket")
    assert "config: model=m, temperature=0.2" in shown.text
    assert "by U1 on " in shown.text and "“first”" in shown.text
    assert "```\nClassify {{ ticket }}\n```" in shown.text
    assert "- production new → v1 (set) by U1 on" in shown.text and shown.text.endswith(": launch")
    assert shown.data["version"] == 1 and shown.data["label_history"][0]["reason"] == "launch"


def test_long_templates_and_diffs_are_attached_as_files(tools, store: PromptStore) -> None:  # type: ignore[no-untyped-def]
    long_v1 = "\n".join(f"rule {i}: be helpful about {{{{ topic }}}}" for i in range(120)) + "\n"
    long_v2 = long_v1.replace("rule 7:", "RULE 7:").replace("rule 90:", "RULE 90:")
    store.create_version("long", long_v1, "first", author="U")
    store.create_version("long", long_v2, "second", author="U")
    shown = tools["show_prompt"].invoke({"name": "long", "version": 1}, CALLER)
    assert [f.name for f in shown.files] == ["long-v1.txt"]
    assert shown.files[0].read_text() == long_v1
    assert "attached as long-v1.txt" in shown.text
    short = tools["diff_prompts"].invoke({"name": "long", "old": "v1", "new": "v2"}, CALLER)
    assert short.files == [] and "```diff\n--- long v1 template" in short.text
    assert short.text.startswith("long v1 → long v2: template changed, +2 −2 lines.")
    store.create_version("long", long_v1.upper(), "shout", author="U")
    big = tools["diff_prompts"].invoke({"name": "long", "old": "1", "new": "latest"}, CALLER)
    assert [f.name for f in big.files] == ["long-v1-v3.diff"]
    assert (
        big.files[0].read_text().startswith("--- long v1 template\n+++ long v3 (latest) template")
    )
    assert "(full diff, 243 lines, attached as long-v1-v3.diff)" in big.text
    same = tools["diff_prompts"].invoke({"name": "long", "old": "v2", "new": "2"}, CALLER)
    assert same.text == "long v2 and long v2 are identical (template and config)."


def test_errors_are_clear_tool_errors(tools, store: PromptStore) -> None:  # type: ignore[no-untyped-def]
    store.create_version("triage", "x", "m", author="U")
    result = tools["show_prompt"].invoke({"name": "triag"}, CALLER)
    assert not result.ok and result.text == "unknown prompt 'triag'; did you mean triage?"
    result = tools["diff_prompts"].invoke({"name": "triage", "old": "v1", "new": "v5"}, CALLER)
    assert not result.ok and "has no version 5" in result.text
    result = tools["create_prompt_version"].invoke(
        {"name": "triage", "template": "x", "message": "m"}, CALLER
    )
    assert not result.ok and "already has exactly this template" in result.text
    result = tools["show_prompt"].invoke({"name": "triage", "version": 0}, CALLER)
    assert not result.ok and result.text.startswith("bad arguments for show_prompt: version")
    label = tools["set_prompt_label"]
    with pytest.raises(ToolError, match="'latest' is reserved"):
        label.preview(label.parse({"name": "triage", "label": "latest", "version": 1}))
    with pytest.raises(ToolError, match="has no label 'production' to roll back"):
        label.preview(label.parse({"name": "triage"}))


def test_label_preview_pins_the_current_holder_and_the_rollback_target(
    tools, store: PromptStore
) -> None:  # type: ignore[no-untyped-def]
    for i in (1, 2):
        store.create_version("triage", f"text {i}\n", "m", author="U")
    label = tools["set_prompt_label"]
    args = label.parse({"name": "triage", "label": "staging", "version": 1})
    preview = label.preview(args)
    assert preview.startswith("Create label staging of triage on v1 (new label).")
    assert args.expected_version == 0 and label.risk_of(args).value == "low"
    assert label.invoke(args.model_dump(), CALLER).ok
    store.set_label("triage", "staging", 2, actor="U")
    back = label.parse({"name": "triage", "label": "staging"})
    text = label.preview(back)
    assert back.version == 1 and back.rollback and back.expected_version == 2
    assert "```diff\n--- triage v2 (staging) template\n+++ triage v1 template" in text
    result = label.invoke(back.model_dump(), CALLER)
    assert result.ok and result.text.startswith("Rolled back staging of triage: v2 → v1.")
    assert label.verify is not None
    assert label.verify(back, result) == "staging of triage now resolves to v1."


def test_slack_shows_a_diff_as_a_code_block_and_a_long_one_as_a_file(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    seed_demo(runtime.prompts)
    caller = runtime.console_caller("t")
    turn = runtime.agent.ask(
        "what changed between v1 and v2 of support-triage", thread_id="t", caller=caller
    )
    rendered = render_reply(reply_from_turn(turn))
    text = "\n".join(
        b["text"]["text"] for m in rendered.messages for b in m.blocks if b.get("text")
    )
    assert "```\n--- support-triage v1 template" in text  # code block, language hint dropped
    assert rendered.uploads == []
    store = runtime.prompts
    body = "\n".join(f"step {i}: check {{{{ ticket }}}}" for i in range(200))
    store.create_version("support-triage", body, "long", author="U")
    turn = runtime.agent.ask("diff support-triage v2 v4", thread_id="t2", caller=caller)
    rendered = render_reply(reply_from_turn(turn))
    assert [u.filename for u in rendered.uploads] == ["support-triage-v2-v4.diff"]
