"""Fixtures for the maintenance tests: the Slack emulator of tests/slack."""

from __future__ import annotations

from tests.slack.conftest import slack_emulator

__all__ = ["slack_emulator"]
