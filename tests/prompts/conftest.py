"""Fixtures for the prompt registry tests: a store on the migrated `engine` (SQLite and
PostgreSQL, tests/conftest.py)."""

from __future__ import annotations

import pytest

from tools.prompts.store import PromptStore


@pytest.fixture
def store(engine) -> PromptStore:  # type: ignore[no-untyped-def]
    return PromptStore(engine, max_chars=5_000)


def make_versions(store: PromptStore, name: str = "triage", count: int = 3) -> None:
    """`count` versions of `name`, v1..vN, with distinct text and config."""
    for i in range(1, count + 1):
        store.create_version(
            name,
            f"Version {i}: classify {{{{ ticket }}}}\nline two\n",
            f"change {i}",
            author=f"U{i}",
            config={"temperature": i / 10},
        )
