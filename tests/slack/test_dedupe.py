"""Durable event dedupe: one claim wins, across threads, processes (restarts) and databases."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from bot.slack.dedupe import event_key, message_key
from bot.storage.db import make_engine, migrate
from bot.storage.dedupe import EventDeduper


@pytest.fixture
def engine_url(tmp_path: Path, database_url: str | None) -> str:
    return database_url or f"sqlite:///{tmp_path / 'opsbot.sqlite3'}"


def _deduper(url: str) -> EventDeduper:
    engine = make_engine(url)
    migrate(engine)
    return EventDeduper(engine)


def test_claim_once_and_survive_a_restart(engine_url: str) -> None:
    first = _deduper(engine_url)
    assert first.claim(event_key("Ev1"))
    assert not first.claim(event_key("Ev1"))
    assert first.seen(event_key("Ev1")) and not first.seen(event_key("Ev2"))
    first._engine.dispose()
    second = _deduper(engine_url)  # a new process on the same database
    assert not second.claim(event_key("Ev1"))
    # a mention arrives twice: app_mention and message.channels, same channel and ts
    assert second.claim_all([event_key("EvA"), message_key("C1", "1.0001")])
    assert not second.claim_all([event_key("EvB"), message_key("C1", "1.0001")])
    second._engine.dispose()


def test_concurrent_claims_have_one_winner(engine_url: str) -> None:
    deduper = _deduper(engine_url)
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def claim() -> None:
        barrier.wait()
        wins.append(deduper.claim(message_key("C9", "9.0009")))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    deduper._engine.dispose()


def test_prune_forgets_only_old_keys(engine_url: str) -> None:
    deduper = _deduper(engine_url)
    deduper.claim("old")
    assert deduper.prune(keep=timedelta(seconds=-1)) == 1  # everything is "old" now
    assert deduper.claim("old")
    assert deduper.prune() == 0
    with pytest.raises(ValueError, match="must not be empty"):
        deduper.claim("")
    deduper._engine.dispose()
