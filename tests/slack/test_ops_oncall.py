"""`/ops oncall [schedule]` over real HTTP to the Slack emulator: answered privately."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.clock import utcnow
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import slash_body
from tests.slack.stack import Stack, start_stack


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _ops(stack: Stack, text: str, key: str) -> dict[str, Any]:
    emu = stack.emulator
    acked = stack.sender.form(slash_body(text, response_url=emu.response_url(key)))
    assert acked.status_code == 200 and not acked.content
    found = emu.wait_for(lambda: [r for r in emu.responses if r["key"] == key], 60, what=key)
    return found[0]


def test_ops_oncall_answers_who_is_on_call_privately(stack: Stack) -> None:
    stack.runtime.oncall.add_rotation(
        "sre", people="U1AA", every="weekly", handoff="09:00", tz="Europe/Paris",
        start=str(utcnow().date()), secondary="",
    )  # fmt: skip
    answer = _ops(stack, "oncall sre", "oncall")
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert "*sre*" in str(answer["blocks"]) and "U1AA is on call" in str(answer["blocks"])
    unknown = _ops(stack, "oncall nope", "nope")
    assert "no on-call schedule named 'nope'" in str(unknown["blocks"])
    assert not stack.emulator.posts()  # nothing in the channel
