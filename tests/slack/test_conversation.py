"""Slack conversations with Claude (the Anthropic emulator) in process, over real HTTP: the
thread is the conversation the model sees, very long answers are split and attached within
Slack's limits, and a turn that crashes is apologised for in the thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.anthropic import AnthropicEmulator, Reply
from tests.emulators.slack import SlackEmulator, block_problems
from tests.slack.helpers import mention, message
from tests.slack.stack import Stack, start_stack

BOT = "U0BOT"


@pytest.fixture
def stack(
    tmp_path: Path, slack_emulator: SlackEmulator, claude: AnthropicEmulator
) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator, **claude.settings())
    yield built
    built.close()


def _final(stack: Stack, channel: str, thread_ts: str, contains: str) -> list[dict[str, Any]]:
    emu = stack.emulator
    return emu.wait_for(
        lambda: [m for m in emu.thread(channel, thread_ts) if contains in m["text"]],
        what=f"{contains!r} in the thread",
    )


def test_the_thread_is_the_conversation_claude_sees(
    stack: Stack, claude: AnthropicEmulator
) -> None:
    channel = "C0CLAUDE"
    claude.push(Reply.text("The web service restarted at 09:12 UTC."))
    first = mention("when did web restart?", channel=channel, bot_user=BOT)
    root = first["event"]["ts"]
    stack.sender.event(first)
    _final(stack, channel, root, "restarted at 09:12")
    claude.push(Reply.text("Because the health check failed three times."))
    stack.sender.event(message("why?", channel=channel, thread_ts=root, user="U222"))
    _final(stack, channel, root, "health check failed")
    second = claude.requests[-1]["messages"]
    texts = [m["content"] if isinstance(m["content"], str) else str(m["content"]) for m in second]
    assert any("when did web restart?" in t for t in texts)
    assert any("restarted at 09:12 UTC" in t for t in texts)
    assert "why?" in texts[-1]
    # another thread in the same channel is another conversation
    claude.push(Reply.text("Fresh start."))
    other = mention("hello", channel=channel, bot_user=BOT)
    stack.sender.event(other)
    _final(stack, channel, other["event"]["ts"], "Fresh start")
    assert all("when did web restart?" not in str(m) for m in claude.requests[-1]["messages"])


def test_a_very_long_answer_is_split_and_attached(stack: Stack, claude: AnthropicEmulator) -> None:
    channel = "C0LONG"
    sections = [f"## Finding {i}\n" + f"- detail {i} " + "x" * 400 for i in range(150)]
    table = "| host | cpu |\n|---|---|\n" + "\n".join(f"| web-{i} | {i}% |" for i in range(30))
    claude.push(
        Reply.text("\n\n".join(sections) + "\n\n" + table + "\n\nEnd of report <ok> & done.")
    )
    body = mention("write the full report", channel=channel, bot_user=BOT)
    thread = body["event"]["ts"]
    stack.sender.event(body)
    emu = stack.emulator
    emu.wait_for(lambda: emu.calls_to("files.completeUploadExternal"), what="the attached answer")
    posted = [m for m in emu.thread(channel, thread) if m.get("user") == BOT]
    assert 1 < len(posted) <= 4
    for msg in posted:
        assert block_problems(msg.get("blocks")) == []  # every message within Slack's limits
    assert "Working on it" not in posted[0]["text"]  # the placeholder was replaced
    complete = emu.calls_to("files.completeUploadExternal")[0]
    assert complete.params["channel_id"] == channel and complete.params["thread_ts"] == thread
    upload = emu.calls_to("files.getUploadURLExternal")[0]
    assert upload.params["filename"] == "answer.txt"
    file_id = complete.response["files"][0]["id"]
    content = emu.uploads[file_id].decode()
    assert "Finding 149" in content and "End of report <ok> & done." in content


def test_a_crashed_turn_is_apologised_for(stack: Stack) -> None:
    channel = "C0CRASH"
    stack.runtime.checkpointer.conn.close()  # the conversation store goes away under the bot
    body = mention("how's the box?", channel=channel, bot_user=BOT)
    stack.sender.event(body)
    (apology,) = _final(stack, channel, body["event"]["ts"], "Sorry, something went wrong")
    assert "Nothing was changed" in apology["text"] and "ProgrammingError" in apology["text"]
    assert len([m for m in stack.emulator.thread(channel, body["event"]["ts"])]) == 1
