"""Several 'replicas' (own engines and connections on one database) doing the same thing at
the same moment, for the tests that one open incident or signal comes of it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.incidents.engine import IncidentEngine
from bot.storage.db import make_engine, migrate


@contextmanager
def replicas(database_url: str | None, tmp_path: Path, count: int = 4) -> Iterator[list[Engine]]:
    """`count` engines on one migrated database (PostgreSQL, or a shared SQLite file)."""
    url = database_url or f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    engines = [make_engine(url) for _ in range(count)]
    migrate(engines[0])
    try:
        yield engines
    finally:
        for engine in engines:
            engine.dispose()


def at_once(
    engines: list[Engine], clock: Any, act: Callable[[IncidentEngine, int], tuple[int, str]]
) -> list[tuple[int, str]]:
    """Run `act(engine, index)` on every replica at the same moment; raises the first error."""
    barrier = threading.Barrier(len(engines))
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def replica(index: int) -> None:
        engine = IncidentEngine(engines[index], clock=clock)
        barrier.wait()
        try:
            results.append(act(engine, index))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
