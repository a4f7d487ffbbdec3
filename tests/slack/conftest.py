"""Fixtures for the Slack tests: a running Web API emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulators.slack import SlackEmulator


@pytest.fixture
def slack_emulator() -> Iterator[SlackEmulator]:
    emulator = SlackEmulator(
        usergroups={"S0ONCALL": ["U0GROUP1", "U0GROUP2"]},
        users={"U0ONCALL": "Olga Oncall", "U0GROUP1": "Gus Group"},
        unknown_channels=("C0MISSING",),
    ).start()
    yield emulator
    emulator.stop()
