"""Fixtures for the prompt registry tests: a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.db import make_engine, migrate
from tools.prompts.store import PromptStore


@pytest.fixture
def engine(database_url: str | None, tmp_path: Path) -> Iterator:
    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'prompts.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()


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
